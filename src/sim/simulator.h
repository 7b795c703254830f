// The e-commerce fleet simulator behind `augur simulate`: generates the traces, runtime metrics and
// logs of an online shop of N services and sends them as real OTLP (gRPC or HTTP) to a receiver.
//
// Simulated time starts at `start_time_ns` and advances `speedup` times faster than the wall clock;
// every timestamp in the telemetry is simulated time, so a week of traffic can be sent in minutes.
// The same seed gives the same fleet and the same telemetry.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/time.h"
#include "sim/scenario.h"

namespace augur::sim {

class Fault;  // sim/fault.h

enum class Protocol { kGrpc, kHttpProtobuf, kHttpJson };

struct SimulatorOptions {
  // host:port of the OTLP receiver; "none" sends nothing (with record_path: only records).
  std::string endpoint = "localhost:4317";
  Protocol protocol = Protocol::kGrpc;  // HTTP posts to /v1/traces, /v1/metrics, /v1/logs
  int services = 500;                   // the shop's core services plus a generated long tail
  double rate = 100;                    // root requests per simulated second, averaged over a week
  double speedup = 1;                   // simulated seconds per wall-clock second
  uint64_t seed = 1;
  double duration_s = 0;           // simulated seconds to send; 0 runs until Stop()
  core::TimeNs start_time_ns = 0;  // simulated start; 0 means the wall clock at Run()
  // A start in the past is sent as fast as the machine goes until the simulated clock reaches the
  // wall clock (a backfill: models have history when someone first looks), then at `speedup`.
  bool catch_up = false;
  int batch_spans = 512;     // spans per trace Export request
  bool send_metrics = true;  // per-service runtime metrics (CPU, memory, GC pause, queue depth)
  bool send_logs = true;     // per-service access, warning and error logs
  double metrics_interval_s = 10;  // simulated seconds between runtime metric reports
  int max_in_flight = 4;           // concurrent Export requests
  bool gzip = false;               // Content-Encoding / grpc-encoding gzip
  // Changes to services' (or peers') behaviour over windows of simulated time; see fault.h.
  std::vector<std::shared_ptr<const Fault>> faults;
  // Faults by type and target, offsets from the start (scenario.h); resolved against the fleet in
  // Run(), which fails with InvalidArgument naming a target that does not fit.
  std::optional<Scenario> scenario;
  // Also writes every Export request, as one line of OTLP/JSON, to this file (RequestRecorder).
  std::string record_path;
  // Called once from Run(), before anything is sent, with the scenario's ground truth.
  std::function<void(const std::vector<GroundTruth>&)> on_start;
};

struct SimulatorStats {
  uint64_t traces = 0;
  uint64_t spans = 0;
  uint64_t metric_points = 0;
  uint64_t log_records = 0;
  uint64_t requests = 0;         // Export requests answered with success
  uint64_t failed_requests = 0;  // answered with a permanent error (dropped)
  uint64_t retries = 0;          // retryable answers (429/503/UNAVAILABLE) that were retried
  double simulated_seconds = 0;
  bool caught_up = false;  // catch_up: the simulated clock has reached the wall clock
};

class Simulator {
 public:
  explicit Simulator(SimulatorOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Sends until `duration_s` of simulated time has gone or Stop() is called; then flushes what is
  // pending. Fails when the options are invalid or the receiver cannot be reached at all.
  absl::Status Run();
  // Ends Run() soon; callable from any thread (e.g. a signal handler's watcher).
  void Stop();
  // Callable from any thread while Run() is going.
  SimulatorStats Stats() const;
  // The ground truth of the scenario's faults (empty without a scenario), in absolute simulated
  // time; valid once Run() has started sending. Callable from any thread.
  std::vector<GroundTruth> GroundTruths() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Deterministic payloads for benchmarks and tests, without sending: `count` serialized
// ExportTraceServiceRequest messages of `spans_per_request` spans each, cut from the traffic of a
// fleet of `services` services starting at `start_time_ns`.
std::vector<std::string> GenerateTracePayloads(int services, int count, int spans_per_request,
                                               uint64_t seed, core::TimeNs start_time_ns);

}  // namespace augur::sim
