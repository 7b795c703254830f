// Faults: changes to one service's (or one peer's) behaviour over a window of simulated time,
// which the anomaly detection and root-cause analysis are then measured against.
//
// A Fault only edits a ServiceState; the generators read the state when they draw a span or a
// metric, so effects travel the way real ones do: added latency in a service shows up in its
// callers' spans because their durations include it, errors propagate to callers with the usual
// probabilities, CPU and queue depth show up in that service's runtime metrics. The fault library
// (CPU hog, memory leak, bad deploy, slow database, ...) builds on this interface.
//
// Faults are immutable and shared; Apply may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/time.h"

namespace augur::sim {

struct Fleet;

// How a service (or peer) deviates from its normal behaviour at some moment. The identity when
// no fault is active.
struct ServiceState {
  double latency_multiplier = 1;      // scales self-time (a peer: the call's duration)
  core::TimeNs added_latency_ns = 0;  // added to every request's self-time
  double error_probability = 0;       // extra chance that a request fails on its own
  int error_http_status = 0;          // status of those failures; 0: 500 (gRPC INTERNAL)
  double cpu_utilization_add = 0;     // added to process.cpu.utilization (clamped to 1)
  double memory_bytes_add = 0;        // added to process.memory.usage
  double queue_depth_add = 0;         // added to queue.depth

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

  // Adds this fault's effect at `t` to `state`. Called only while ActiveAt(t); several faults on
  // one target apply in turn.
  virtual void Apply(ServiceState& state, core::TimeNs t) const = 0;
  // One line for logs and reports: "latency x3 +200ms on payment [t0, t1)".
  virtual std::string Describe() const = 0;

 private:
  std::string target_;
  core::TimeNs start_ns_;
  core::TimeNs end_ns_;
};

// Slower requests: self-time times `multiplier` plus `added_ns`. The backlog shows in the
// service's queue depth and a little in its CPU.
class LatencyFault : public Fault {
 public:
  LatencyFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns, double multiplier,
               core::TimeNs added_ns);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  double multiplier_;
  core::TimeNs added_ns_;
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

// The faults of one run, resolved against a fleet: answers "what is the state of service v (or
// peer p) at t" cheaply, and the identity when nothing is scheduled. Immutable; thread-safe.
class FaultSchedule {
 public:
  FaultSchedule() = default;
  // Fails with InvalidArgument when a fault names neither a service nor a peer of `fleet`, or its
  // window is empty.
  static absl::StatusOr<FaultSchedule> Create(const Fleet& fleet,
                                              std::vector<std::shared_ptr<const Fault>> faults);

  bool empty() const { return faults_.empty(); }
  ServiceState ServiceStateAt(int service, core::TimeNs t) const;
  ServiceState PeerStateAt(int peer, core::TimeNs t) const;

 private:
  static ServiceState StateAt(const std::vector<const Fault*>& faults, core::TimeNs t);

  std::vector<std::shared_ptr<const Fault>> faults_;
  std::vector<std::vector<const Fault*>> by_service_;  // empty vectors when no faults
  std::vector<std::vector<const Fault*>> by_peer_;
};

}  // namespace augur::sim
