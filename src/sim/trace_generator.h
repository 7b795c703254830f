// Generates the trace of one root request through the fleet: a SERVER span at the entry point,
// then for every call a CLIENT span in the caller and a SERVER span in the callee (its child, with
// network time on either side), CLIENT spans to the cache, database and external APIs, PRODUCER
// and CONSUMER spans for messages, and now and then an INTERNAL span.
//
// An operation's duration is its own time (split before and after its steps) plus its steps',
// sequential ones end to end and parallel ones overlapping. Failures start in one operation (its
// background error rate, a fault, a failing peer) and propagate to callers with a probability
// that depends on whether the call was critical; a call that takes longer than its timeout is cut
// off by the caller with DEADLINE_EXCEEDED while the callee's span runs on. A call refused because
// the callee is down (connection refused) is retried up to twice, a call of an idempotent
// operation that timed out or answered UNAVAILABLE once, each attempt its own CLIENT span.
// Packet loss on an edge delays the call on the wire (TCP retransmissions), outside the callee's
// span, or hangs it until the caller's timeout.
//
// Not thread-safe: one generator per thread. The Fleet, the FaultSchedule and the LogGenerator
// must outlive it; spans reference strings of the Fleet and of the generator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "model/ids.h"
#include "sim/fault.h"
#include "sim/fleet.h"
#include "sim/log_generator.h"
#include "sim/random.h"
#include "sim/telemetry_buffer.h"

namespace augur::sim {

// What an instance did since the last runtime-metrics report; the metrics follow it.
struct InstanceLoad {
  uint64_t requests = 0;
  uint64_t errors = 0;
  core::TimeNs busy_ns = 0;     // self-time of its requests
  core::TimeNs latency_ns = 0;  // sum of its SERVER/CONSUMER span durations
};

struct TraceSummary {
  int spans = 0;
  bool error = false;       // the root span failed
  core::TimeNs end_ns = 0;  // the latest end of any span (consumers may end after the root)
};

class TraceGenerator {
 public:
  // `faults` may be null (no faults).
  TraceGenerator(const Fleet* fleet, const FaultSchedule* faults, uint64_t seed);

  // Optional sinks: log lines for the spans, and per-instance load (one entry per instance).
  void set_log_generator(LogGenerator* logs) { logs_ = logs; }
  void set_instance_load(std::vector<InstanceLoad>* load) { load_ = load; }

  // Appends the spans (and log lines) of one root request arriving at `start_ns` to `out`.
  // `load_multiplier` is the traffic relative to the weekly mean; busier hours are a bit slower.
  // `entry_service` >= 0 makes the request enter at that entry service (a surge there); -1 draws
  // the entry by the fleet's weights. A request for an entry service that is down leaves no span.
  TraceSummary Generate(core::TimeNs start_ns, double load_multiplier, TelemetryBuffer& out,
                        int entry_service = -1);

 private:
  // How a request reaches the operation being served.
  struct Inbound {
    int caller_instance = -1;           // -1: from outside the fleet (root) or via the broker
    std::string_view url_path;          // HTTP operations
    const CallStep* message = nullptr;  // consumers: the publish step
    std::string_view message_key;
  };
  struct Served {
    core::TimeNs end_ns = 0;
    int instance = 0;
    int status = 200;  // HTTP status; gRPC spans carry the mapped code
    bool error = false;
  };
  struct StepOutcome {
    core::TimeNs end_ns = 0;
    bool error = false;
    bool timeout = false;
    bool refused = false;  // connection refused: the callee (or peer) is down
    int status = 200;
    int failed_service = -1;
    const Operation* failed_operation = nullptr;
  };

  Served Serve(int service, int operation, core::TimeNs start_ns, const model::SpanId& parent,
               const Inbound& inbound, TelemetryBuffer& out);
  StepOutcome Call(const CallStep& step, int caller_instance, const model::SpanId& parent,
                   core::TimeNs start_ns, TelemetryBuffer& out, const Operation** callee_op);
  // One attempt of a call: its CLIENT span and, if the request arrives, the callee's SERVER span.
  // `url_path` is expanded on the first attempt and reused by retries.
  StepOutcome CallAttempt(const CallStep& step, int operation, int caller_instance,
                          const model::SpanId& parent, core::TimeNs start_ns, int attempt,
                          std::string_view* url_path, TelemetryBuffer& out);
  StepOutcome Publish(const CallStep& step, int caller_instance, const model::SpanId& parent,
                      core::TimeNs start_ns, TelemetryBuffer& out);
  StepOutcome CallPeer(const CallStep& step, int service, int caller_instance,
                       const model::SpanId& parent, core::TimeNs start_ns, TelemetryBuffer& out,
                       bool* missed);
  core::TimeNs DoInternalWork(const CallStep& step, int service, int instance,
                              const model::SpanId& parent, core::TimeNs start_ns,
                              TelemetryBuffer& out);

  // Appends a span and returns its index; attributes are added by the caller right after.
  size_t BeginSpan(SimSpanKind kind, std::string_view name, int instance,
                   const model::SpanId& span_id, const model::SpanId& parent, core::TimeNs start_ns,
                   core::TimeNs end_ns, TelemetryBuffer& out);
  void EndAttributes(size_t span, TelemetryBuffer& out);

  std::string_view ExpandRoute(std::string_view route, TelemetryBuffer& out);
  std::string_view NewMessageKey(TelemetryBuffer& out);
  model::SpanId NewSpanId();
  core::TimeNs NetworkDelay();

  const Fleet* fleet_;
  const FaultSchedule* faults_;
  LogGenerator* logs_ = nullptr;
  std::vector<InstanceLoad>* load_ = nullptr;
  Rng rng_;

  std::vector<std::string> public_host_;  // per service: server.address seen by end users
  // Per service: indices into Fleet::entries of its entry operations, and their running weights.
  std::vector<std::vector<int>> entries_of_;
  std::vector<std::vector<double>> entry_weights_of_;
  std::vector<std::string> client_ips_;  // end-user addresses
  std::string scratch_;

  // Per trace.
  model::TraceId trace_id_{};
  double latency_factor_ = 1;
  core::TimeNs trace_end_ns_ = 0;
  int spans_ = 0;
};

}  // namespace augur::sim
