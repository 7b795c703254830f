// Runtime metrics of every service instance, reported every metrics interval as OTLP:
//   process.cpu.utilization   gauge, 1         follows the instance's request rate
//   process.cpu.time          sum (monotonic), s  cumulative CPU seconds of the process
//   container.cpu.throttling_ratio  gauge, 1   share of CFS periods throttled (near the limit,
//                                               or starved by a neighbour)
//   process.memory.usage      sum (up-down), By baseline + heap that grows with requests and
//                                               drops at each GC
//   jvm.gc.duration (Java) or process.runtime.gc.pause (other runtimes)
//                             histogram, s      cumulative GC pauses, explicit bounds
//   queue.depth               gauge, {request}  requests in flight (Little's law: the summed
//                                               durations of its requests over the interval)
//   app.server.requests       sum (monotonic), {request}  cumulative requests served
// The load comes from the trace generator (InstanceLoad); faults add their CPU, memory, GC and
// queue effects on top. Cumulative metrics start at the simulation start, or at the process's
// last restart (a fault's): then they count from zero again with the new start time, and a process
// that is down reports nothing.
//
// Not thread-safe: owned by the generating thread.
#pragma once

#include <cstdint>
#include <vector>

#include "core/time.h"
#include "sim/export_payload.h"
#include "sim/fault.h"
#include "sim/fleet.h"
#include "sim/otlp_request_builder.h"
#include "sim/otlp_resources.h"
#include "sim/otlp_wire_encoder.h"
#include "sim/random.h"
#include "sim/trace_generator.h"

namespace augur::sim {

class RuntimeMetrics {
 public:
  // Cumulative metrics count from `start_ns`.
  RuntimeMetrics(const Fleet* fleet, const OtlpResources* resources, double mean_rate_per_s,
                 core::TimeNs start_ns, uint64_t seed);

  // Reports every instance at `t` for the `interval_ns` before it, from `load` (reset to zero
  // afterwards) and the faults active at `t` (`faults` may be null). Returns
  // ExportMetricsServiceRequests of at most `max_points_per_request` data points each (at least
  // one instance per request), as messages or serialized (`encoding`).
  std::vector<ExportPayload> Report(core::TimeNs t, core::TimeNs interval_ns,
                                    std::vector<InstanceLoad>& load, const FaultSchedule* faults,
                                    int max_points_per_request,
                                    RequestEncoding encoding = RequestEncoding::kMessages);

 private:
  struct InstanceState {
    double expected_requests_per_s = 0;  // at the weekly mean load
    double mean_utilization = 0.2;       // CPU at the weekly mean load
    double idle_utilization = 0.02;
    double baseline_bytes = 0;
    double heap_bytes = 0;
    double gc_trigger_bytes = 0;  // heap size that starts a collection
    double bytes_per_request = 0;
    double gc_median_pause_s = 0.005;
    core::TimeNs process_start_ns = INT64_MIN;  // the last restart; INT64_MIN: none
    double cpu_time_s = 0;
    uint64_t requests_total = 0;
    uint64_t gc_count = 0;
    double gc_sum_s = 0;
    std::vector<uint64_t> gc_buckets;  // cumulative counts per bucket
  };

  const Fleet* fleet_;
  core::TimeNs start_ns_;
  Rng rng_;
  std::vector<InstanceState> states_;
  MetricRequestBuilder messages_;
  MetricWireEncoder wire_;
};

}  // namespace augur::sim
