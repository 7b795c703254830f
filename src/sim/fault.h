// Faults: changes to one service's (or one peer's, or one call edge's) behaviour over a window of
// simulated time, which the anomaly detection and root-cause analysis are then measured against.
//
// A Fault only edits a ServiceState (or an EdgeState); the generators read the state when they draw
// a span or a metric, so effects travel the way real ones do: added latency in a service shows up
// in its callers' spans because their durations include it, a call that runs past its timeout
// fails in the caller, idempotent calls that fail with a retryable error are retried (another
// CLIENT span), errors propagate to callers with the usual probabilities, CPU, memory and queue
// depth show up in that service's runtime metrics. A fault may also change who a service is: a
// deploy changes its service.version, a restart its service.instance.id and resets its cumulative
// counters. The eight fault types of scenarios (fault_library.h, scenario.h) build on this.
//
// Faults are immutable and shared; every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/time.h"

namespace augur::sim {

struct Fleet;

// How failures caused by a fault look: the status, the span's status message and the log line.
enum class ErrorStyle : uint8_t {
  kGeneric,   // error_http_status (0: 500); "service unavailable" for 503
  kBug,       // an exception in new code (a bad deploy): 500 and a stack-trace-like log line
  kOverload,  // load shedding: 503 "too many requests in flight"
  kRefused,   // (peers) connection refused or connect timeout: the peer is down
};

// How a service (or peer) deviates from its normal behaviour at some moment. The identity when
// no fault is active.
struct ServiceState {
  double latency_multiplier = 1;      // scales self-time (a peer: the call's duration)
  core::TimeNs added_latency_ns = 0;  // added to every request's self-time
  double queue_wait_mean_ns = 0;      // mean of an exponential wait added to self-time (run queue)
  double error_probability = 0;       // extra chance that a request fails on its own
  int error_http_status = 0;          // status of those failures; 0: 500 (gRPC INTERNAL)
  ErrorStyle error_style = ErrorStyle::kGeneric;
  int failing_operation = -1;              // an operation index with its own extra failures
  double operation_error_probability = 0;  // ... that fail this often (status 500, kBug)
  double unavailable_probability = 0;      // refused before reaching the process (it is down)
  double cpu_utilization_add = 0;          // added to process.cpu.utilization (clamped to 1)
  double cpu_utilization_floor = 0;        // process.cpu.utilization is at least this
  double cpu_throttled_add = 0;            // added to container.cpu.throttling_ratio
  double memory_bytes_add = 0;             // added to process.memory.usage
  double queue_depth_add = 0;              // added to queue.depth
  double gc_pause_multiplier = 1;          // scales GC pauses

  bool IsNormal() const;
};

// How calls from one service to another deviate on the wire (the network between them).
struct EdgeState {
  double retransmit_probability = 0;   // share of calls that lose a segment and wait for its resend
  double repeat_loss_probability = 0;  // chance that each resend is lost again (the wait doubles)
  double stall_probability = 0;        // share of calls that hang until the caller's timeout

  bool IsNormal() const;
};

class Fault {
 public:
  // `target` is a service name or a peer name ("postgresql"); active over [start_ns, end_ns).
  Fault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns);
  virtual ~Fault() = default;

  const std::string& target() const { return target_; }
  core::TimeNs start_ns() const { return start_ns_; }
  core::TimeNs end_ns() const { return end_ns_; }
  bool ActiveAt(core::TimeNs t) const { return t >= start_ns_ && t < end_ns_; }

  // Edge faults act on the calls from caller() to target() (both services) instead of on the
  // target itself; "" for faults on one service or peer.
  virtual const std::string& caller() const;
  // Adds this fault's effect at `t` to the target's `state`. Called only while ActiveAt(t);
  // several faults on one target apply in turn.
  virtual void Apply(ServiceState& state, core::TimeNs t) const;
  // Edge faults: adds the effect at `t` to the edge's state. Called only while ActiveAt(t).
  virtual void ApplyEdge(EdgeState& state, core::TimeNs t) const;
  // Extra root requests entering at the target (an entry point) at `t`, as a multiple of its
  // normal rate (0: none), and an upper bound of that over all time.
  virtual double ExtraArrivalsAt(core::TimeNs t) const;
  virtual double MaxExtraArrivals() const;
  // The service.version the target's instances report while the fault is active; "" unchanged.
  virtual std::string_view deployed_version() const;
  // > 0: the target's processes die at end_ns - downtime (requests to them are refused) and start
  // anew at end_ns, with a new service.instance.id and cumulative metrics counted from zero.
  virtual core::TimeNs restart_downtime_ns() const;
  // One line for logs and reports: "latency x3 +200ms on payment [t0, t1)".
  virtual std::string Describe() const = 0;

 private:
  std::string target_;
  core::TimeNs start_ns_;
  core::TimeNs end_ns_;
};

// Slower requests: self-time times `multiplier` plus `added_ns` (GC pauses, slow code), GC pauses
// times `gc_pause_multiplier`. The backlog shows in the service's queue depth and a little in its
// CPU. On a peer: every call to it takes `multiplier` times as long, plus `added_ns`.
class LatencyFault : public Fault {
 public:
  LatencyFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns, double multiplier,
               core::TimeNs added_ns, double gc_pause_multiplier = 1);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  double multiplier_;
  core::TimeNs added_ns_;
  double gc_pause_multiplier_;
};

// A burst of failures: each request fails on its own with `probability`, answering
// `http_status` (503 by default; gRPC UNAVAILABLE).
class ErrorBurstFault : public Fault {
 public:
  ErrorBurstFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                  double probability, int http_status = 503);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  double probability_;
  int http_status_;
};

// Something a process does outside of requests that its logs report: started (after a deploy,
// rollback or restart), heap warnings before an out-of-memory kill, the kill itself.
struct LifecycleEvent {
  enum class Kind : uint8_t { kStarted, kHeapWarning, kOutOfMemory };
  core::TimeNs time_ns = 0;
  int instance = 0;
  Kind kind = Kind::kStarted;
  std::string_view version;  // kStarted: the version it runs (a view into the schedule)
  double heap_share = 0;     // kHeapWarning: used share of the heap limit
};

// The faults of one run, resolved against a fleet: answers "what is the state of service v (or
// peer p, or the calls from u to v) at t" cheaply, and the identity when nothing is scheduled.
// Immutable; thread-safe.
class FaultSchedule {
 public:
  // A stretch of time over which an instance reports one identity.
  struct IdentitySegment {
    core::TimeNs start_ns = 0;  // INT64_MIN for the first
    std::string version;        // service.version
    std::string instance_id;    // service.instance.id
  };
  // Extra root requests at an entry service (a traffic surge).
  struct Surge {
    int entry_service = 0;
    const Fault* fault = nullptr;
  };

  FaultSchedule() = default;
  // Fails with InvalidArgument when a fault names neither a service nor a peer of `fleet` (an edge
  // fault: when either end is not a service), or its window is empty.
  static absl::StatusOr<FaultSchedule> Create(const Fleet& fleet,
                                              std::vector<std::shared_ptr<const Fault>> faults);

  bool empty() const { return faults_.empty(); }
  ServiceState ServiceStateAt(int service, core::TimeNs t) const;
  ServiceState PeerStateAt(int peer, core::TimeNs t) const;
  bool has_edge_faults() const { return !edges_.empty(); }
  EdgeState EdgeStateAt(int caller, int callee, core::TimeNs t) const;

  const std::vector<Surge>& surges() const { return surges_; }
  // The identities of `instance` over time, in order; empty when it never changes.
  const std::vector<IdentitySegment>& IdentityChanges(int instance) const;
  // When the process of `instance` running at `t` started: its latest restart at or before `t`,
  // or INT64_MIN when it has been running since before the simulation.
  core::TimeNs ProcessStartAt(int instance, core::TimeNs t) const;
  // Whether the process of `instance` is down (restarting) at `t`.
  bool InstanceDownAt(int instance, core::TimeNs t) const;
  // Deploys, restarts and out-of-memory kills, by time.
  const std::vector<LifecycleEvent>& lifecycle_events() const { return lifecycle_; }

 private:
  struct EdgeFault {
    int caller;
    int callee;
    const Fault* fault;
  };
  struct Restart {
    core::TimeNs down_ns;  // the process dies
    core::TimeNs up_ns;    // the new process starts
  };

  static ServiceState StateAt(const std::vector<const Fault*>& faults, core::TimeNs t);
  void BuildIdentities(const Fleet& fleet);

  std::vector<std::shared_ptr<const Fault>> faults_;
  std::vector<std::vector<const Fault*>> by_service_;  // empty vectors when no faults
  std::vector<std::vector<const Fault*>> by_peer_;
  std::vector<EdgeFault> edges_;
  std::vector<Surge> surges_;
  std::vector<std::vector<IdentitySegment>> identities_;  // per instance; empty when none change
  std::vector<std::vector<Restart>> restarts_;            // per service, by time
  std::vector<int> service_of_instance_;
  std::vector<LifecycleEvent> lifecycle_;
  std::vector<std::unique_ptr<std::string>> versions_;  // backing LifecycleEvent::version
};

// service.instance.id of the process started after `generation` restarts of an instance whose
// first process had `instance_id`: a UUID derived from both, the same for the same inputs.
std::string RestartedInstanceId(std::string_view instance_id, int generation);

}  // namespace augur::sim
