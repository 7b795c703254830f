#include "sim/runtime_metrics.h"

#include <algorithm>
#include <cmath>

namespace augur::sim {

namespace {

// GC pause histogram bounds in seconds: sub-millisecond Go pauses up to second-long full GCs.
constexpr double kGcBoundsS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1.0};
constexpr int kGcBuckets = std::size(kGcBoundsS) + 1;

struct RuntimeProfile {
  double baseline_mb_lo, baseline_mb_hi;  // resident memory besides the young heap
  double heap_mb_lo, heap_mb_hi;          // heap size that triggers a collection
  double gc_pause_ms;                     // median stop-the-world pause
};

RuntimeProfile ProfileFor(Language language) {
  switch (language) {
    case Language::kJava:
      return {350, 900, 128, 512, 8.0};
    case Language::kGo:
      return {30, 120, 16, 128, 0.4};
    case Language::kPython:
      return {120, 300, 32, 96, 2.0};
    case Language::kNodeJs:
      return {90, 240, 32, 128, 3.0};
    case Language::kDotNet:
      return {150, 400, 64, 256, 5.0};
    case Language::kRuby:
      return {150, 350, 48, 128, 6.0};
    case Language::kPhp:
      return {50, 150, 16, 64, 1.0};
  }
  return {100, 200, 32, 128, 3.0};
}

}  // namespace

RuntimeMetrics::RuntimeMetrics(const Fleet* fleet, const OtlpResources* resources,
                               double mean_rate_per_s, core::TimeNs start_ns, uint64_t seed)
    : fleet_(fleet),
      start_ns_(start_ns),
      rng_(seed, /*stream=*/6),
      messages_(resources),
      wire_(resources) {
  states_.reserve(fleet->instances.size());
  for (const Instance& inst : fleet->instances) {
    const Service& s = fleet->services[inst.service];
    const RuntimeProfile profile = ProfileFor(s.language);
    InstanceState st;
    st.expected_requests_per_s =
        s.calls_per_trace * mean_rate_per_s / static_cast<double>(s.instances.size());
    st.mean_utilization = rng_.Uniform(0.12, 0.4);
    st.idle_utilization = rng_.Uniform(0.01, 0.05);
    st.baseline_bytes = rng_.Uniform(profile.baseline_mb_lo, profile.baseline_mb_hi) * 1e6;
    st.gc_trigger_bytes = rng_.Uniform(profile.heap_mb_lo, profile.heap_mb_hi) * 1e6;
    // At the mean load a collection every 5 to 30 seconds.
    const double requests_per_gc = std::max(1.0, st.expected_requests_per_s * rng_.Uniform(5, 30));
    st.bytes_per_request = st.gc_trigger_bytes / requests_per_gc;
    st.heap_bytes = rng_.Uniform(0.2, 0.9) * st.gc_trigger_bytes;
    st.gc_median_pause_s = profile.gc_pause_ms * rng_.Uniform(0.7, 1.4) / 1e3;
    st.gc_buckets.assign(kGcBuckets, 0);
    states_.push_back(std::move(st));
  }
}

std::vector<ExportPayload> RuntimeMetrics::Report(core::TimeNs t, core::TimeNs interval_ns,
                                                  std::vector<InstanceLoad>& load,
                                                  const FaultSchedule* faults,
                                                  int max_points_per_request,
                                                  RequestEncoding encoding) {
  const double interval_s = static_cast<double>(interval_ns) / core::kNsPerSecond;
  std::vector<ExportPayload> out;
  // At least one instance per request; an instance's points are never split.
  auto add_to = [&](auto& requests, const SimInstanceMetrics& m) {
    if (!requests.empty() && requests.size() + kRuntimeMetricsPerInstance >
                                 static_cast<uint64_t>(max_points_per_request)) {
      out.push_back(requests.Take());
    }
    requests.Add(m);
  };
  for (int i = 0; i < static_cast<int>(states_.size()); ++i) {
    InstanceState& st = states_[i];
    InstanceLoad& l = load[i];
    const Instance& inst = fleet_->instances[i];
    const Service& svc = fleet_->services[inst.service];
    // A process that is down reports nothing; one that restarted counts from zero again.
    if (faults != nullptr && faults->InstanceDownAt(i, t)) {
      l = InstanceLoad{};
      continue;
    }
    double alive_share = 1;  // of the interval, the part the current process has been running
    if (faults != nullptr) {
      const core::TimeNs process_start = faults->ProcessStartAt(i, t);
      if (process_start > st.process_start_ns) {
        st.process_start_ns = process_start;
        st.requests_total = 0;
        st.gc_count = 0;
        st.gc_sum_s = 0;
        std::fill(st.gc_buckets.begin(), st.gc_buckets.end(), 0);
        st.cpu_time_s = 0;
        st.heap_bytes = 0.1 * st.gc_trigger_bytes;
        // Only the requests since the start belong to the new process.
        alive_share = std::clamp(
            static_cast<double>(t - process_start) / static_cast<double>(interval_ns), 0.0, 1.0);
        l.requests =
            static_cast<uint64_t>(std::llround(static_cast<double>(l.requests) * alive_share));
        l.latency_ns = static_cast<core::TimeNs>(static_cast<double>(l.latency_ns) * alive_share);
      }
    }
    const ServiceState fault =
        faults != nullptr ? faults->ServiceStateAt(inst.service, t) : ServiceState{};
    const core::TimeNs start = std::max(start_ns_, st.process_start_ns);

    const double rate = static_cast<double>(l.requests) / interval_s;
    const double load_ratio =
        st.expected_requests_per_s > 0 ? rate / st.expected_requests_per_s : 0.0;
    const double noise = 0.01 * rng_.Normal();
    double cpu = std::clamp(
        st.idle_utilization + st.mean_utilization * load_ratio + noise + fault.cpu_utilization_add,
        0.001, 1.0);
    if (fault.cpu_utilization_floor > 0) {
      cpu = std::max(cpu, std::min(1.0, fault.cpu_utilization_floor + noise));
    }
    // A container near its CPU limit spends some CFS periods throttled.
    const double throttled =
        std::clamp(1.5 * std::max(0.0, cpu - 0.8) + fault.cpu_throttled_add, 0.0, 1.0);
    st.cpu_time_s += cpu * interval_s * alive_share;

    // Allocation fills the heap; each time it passes the trigger a collection pauses the process
    // and frees most of it. An idle process still collects about once a minute.
    st.heap_bytes += st.bytes_per_request * static_cast<double>(l.requests);
    int collections = 0;
    while (st.heap_bytes > st.gc_trigger_bytes && collections < 1000) {
      st.heap_bytes *= rng_.Uniform(0.2, 0.45);
      ++collections;
    }
    if (collections == 0 && rng_.Bernoulli(interval_s / 60)) {
      st.heap_bytes *= rng_.Uniform(0.5, 0.8);
      ++collections;
    }
    for (int c = 0; c < collections; ++c) {
      const double pause_s = std::min(5.0, rng_.LogNormal(st.gc_median_pause_s, 0.6) *
                                               (1 + 2 * cpu * cpu) * fault.gc_pause_multiplier);
      const int bucket =
          static_cast<int>(std::lower_bound(std::begin(kGcBoundsS), std::end(kGcBoundsS), pause_s) -
                           std::begin(kGcBoundsS));
      ++st.gc_buckets[bucket];
      ++st.gc_count;
      st.gc_sum_s += pause_s;
    }
    const double memory = st.baseline_bytes + st.heap_bytes + fault.memory_bytes_add;

    // Little's law: the time-average number of requests in flight is their summed duration over
    // the interval.
    const double in_flight = static_cast<double>(l.latency_ns) / static_cast<double>(interval_ns);
    const double queue = static_cast<double>(rng_.Poisson(in_flight)) + fault.queue_depth_add;
    st.requests_total += l.requests;
    l = InstanceLoad{};

    SimInstanceMetrics m;
    m.instance = static_cast<uint32_t>(i);
    m.start_ns = start;
    m.time_ns = t;
    m.cpu_utilization = cpu;
    m.cpu_time_s = st.cpu_time_s;
    m.throttling_ratio = throttled;
    m.memory_bytes = static_cast<int64_t>(memory);
    m.java = svc.language == Language::kJava;
    m.gc_count = st.gc_count;
    m.gc_sum_s = st.gc_sum_s;
    m.gc_bucket_counts = st.gc_buckets;
    m.gc_bounds_s = kGcBoundsS;
    m.queue_depth = static_cast<int64_t>(std::llround(std::max(0.0, queue)));
    m.requests_total = static_cast<int64_t>(st.requests_total);
    if (encoding == RequestEncoding::kWire) {
      add_to(wire_, m);
    } else {
      add_to(messages_, m);
    }
  }
  if (!wire_.empty()) out.push_back(wire_.Take());
  if (!messages_.empty()) out.push_back(messages_.Take());
  return out;
}

}  // namespace augur::sim
