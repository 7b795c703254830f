// The services' log lines: access logs, domain events, slow-request and slow-query warnings,
// errors that accompany failing spans (with their trace and span ids), and periodic housekeeping
// lines. Bodies come from a fixed set of templates per kind and language, with variable parts
// (ids, durations, addresses), which is what log template mining is evaluated on.
//
// Volume follows traffic: access and domain lines are sampled at a fixed per-service rate sized
// for about half a line per second per instance at the mean load, and every service has token
// buckets (in simulated time) that bound info/warn and error lines separately.
//
// Not thread-safe: owned by the thread that generates traces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "model/ids.h"
#include "sim/fault.h"
#include "sim/fleet.h"
#include "sim/random.h"
#include "sim/telemetry_buffer.h"

namespace augur::sim {

// Why a request failed.
enum class FailureCause : uint8_t { kNone, kOwn, kDownstream, kTimeout, kPeer, kClient };

// A finished SERVER or CONSUMER span.
struct RequestEvent {
  int service = 0;
  int instance = 0;
  const Operation* operation = nullptr;
  model::TraceId trace_id{};
  model::SpanId span_id{};
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;
  int status = 200;  // HTTP status (gRPC services map it to their code)
  bool error = false;
  FailureCause cause = FailureCause::kNone;
  int failed_service = -1;  // kDownstream, kTimeout: the callee
  const Operation* failed_operation = nullptr;
  int failed_peer = -1;                           // kPeer
  const CallStep* failed_step = nullptr;          // kPeer
  bool failed_refused = false;                    // kDownstream, kPeer: the connection was refused
  ErrorStyle fault_style = ErrorStyle::kGeneric;  // kOwn: how a fault made it fail
  std::string_view url_path;                      // kHttp
  std::string_view client_ip;                     // the caller's address
};

// A finished CLIENT span to an uninstrumented peer.
struct PeerCallEvent {
  int service = 0;
  int instance = 0;
  const CallStep* step = nullptr;
  int peer = 0;
  model::TraceId trace_id{};
  model::SpanId span_id{};
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;
  bool error = false;
  bool timeout = false;
  bool refused = false;  // connection refused: the peer is down
  int status = 0;        // HTTP APIs
};

class LogGenerator {
 public:
  LogGenerator(const Fleet* fleet, double mean_rate_per_s, uint64_t seed);

  void OnRequest(const RequestEvent& event, TelemetryBuffer& out);
  void OnPeerCall(const PeerCallEvent& event, TelemetryBuffer& out);
  // A few background lines of `instance` around `t` (health checks, connection pool stats).
  void OnHousekeeping(int instance, core::TimeNs t, TelemetryBuffer& out);
  // The lines a process writes when it starts, runs short of heap, or dies of it.
  void OnLifecycle(const LifecycleEvent& event, TelemetryBuffer& out);

 private:
  struct Bucket {
    double tokens = 0;
    core::TimeNs last_ns = 0;
  };

  // Takes a token from the service's bucket for this severity if there is one.
  bool Admit(int service, bool error, core::TimeNs t);
  void Emit(int instance, core::TimeNs t, int severity, std::string_view body,
            const model::TraceId* trace_id, const model::SpanId* span_id, TelemetryBuffer& out);
  void EmitError(const RequestEvent& e, TelemetryBuffer& out);
  // The exception a bad deploy throws, in the style of the service's language.
  void FormatBugLine(const RequestEvent& e);
  std::string OrderId();
  std::string UserId();

  const Fleet* fleet_;
  Rng rng_;
  std::vector<double> access_probability_;  // per service
  std::vector<Bucket> info_buckets_;
  std::vector<Bucket> error_buckets_;
  std::string line_;  // scratch
};

}  // namespace augur::sim
