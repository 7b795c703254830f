#include "sim/runtime_metrics.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "sim/otlp_request_builder.h"

namespace augur::sim {

namespace {

using google::protobuf::Arena;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
namespace metrics_pb = opentelemetry::proto::metrics::v1;

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

void SetGauge(metrics_pb::Metric* m, std::string_view name, std::string_view unit, double value,
              core::TimeNs t) {
  m->set_name(name.data(), name.size());
  m->set_unit(unit.data(), unit.size());
  auto* p = m->mutable_gauge()->add_data_points();
  p->set_time_unix_nano(static_cast<uint64_t>(t));
  p->set_as_double(value);
}

void SetSum(metrics_pb::Metric* m, std::string_view name, std::string_view unit, bool monotonic,
            int64_t value, core::TimeNs start, core::TimeNs t) {
  m->set_name(name.data(), name.size());
  m->set_unit(unit.data(), unit.size());
  auto* sum = m->mutable_sum();
  sum->set_aggregation_temporality(metrics_pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->set_is_monotonic(monotonic);
  auto* p = sum->add_data_points();
  p->set_start_time_unix_nano(static_cast<uint64_t>(start));
  p->set_time_unix_nano(static_cast<uint64_t>(t));
  p->set_as_int(value);
}

void SetDoubleSum(metrics_pb::Metric* m, std::string_view name, std::string_view unit, double value,
                  core::TimeNs start, core::TimeNs t) {
  m->set_name(name.data(), name.size());
  m->set_unit(unit.data(), unit.size());
  auto* sum = m->mutable_sum();
  sum->set_aggregation_temporality(metrics_pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->set_is_monotonic(true);
  auto* p = sum->add_data_points();
  p->set_start_time_unix_nano(static_cast<uint64_t>(start));
  p->set_time_unix_nano(static_cast<uint64_t>(t));
  p->set_as_double(value);
}

}  // namespace

RuntimeMetrics::RuntimeMetrics(const Fleet* fleet, const OtlpResources* resources,
                               double mean_rate_per_s, core::TimeNs start_ns, uint64_t seed)
    : fleet_(fleet), resources_(resources), start_ns_(start_ns), rng_(seed, /*stream=*/6) {
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
                                                  int max_points_per_request) {
  const int per_request = std::max(1, max_points_per_request / kRuntimeMetricsPerInstance);
  const double interval_s = static_cast<double>(interval_ns) / core::kNsPerSecond;
  std::vector<ExportPayload> out;
  ExportMetricsServiceRequest* request = nullptr;
  int in_request = 0;
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
    if (in_request == 0) {
      ExportPayload& payload = out.emplace_back();
      payload.signal = Signal::kMetrics;
      payload.arena = NewRequestArena();
      request = Arena::CreateMessage<ExportMetricsServiceRequest>(payload.arena.get());
      payload.message = request;
    }
    in_request = (in_request + 1) % per_request;
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

    metrics_pb::ResourceMetrics* rm = request->add_resource_metrics();
    *rm->mutable_resource() = resources_->resource(resources_->ResourceIndexAt(i, t));
    metrics_pb::ScopeMetrics* sm = rm->add_scope_metrics();
    *sm->mutable_scope() = resources_->scope(i);

    SetGauge(sm->add_metrics(), "process.cpu.utilization", "1", cpu, t);
    SetDoubleSum(sm->add_metrics(), "process.cpu.time", "s", st.cpu_time_s, start, t);
    SetGauge(sm->add_metrics(), "container.cpu.throttling_ratio", "1", throttled, t);
    SetSum(sm->add_metrics(), "process.memory.usage", "By", /*monotonic=*/false,
           static_cast<int64_t>(memory), start, t);

    metrics_pb::Metric* gc = sm->add_metrics();
    const bool java = svc.language == Language::kJava;
    gc->set_name(java ? "jvm.gc.duration" : "process.runtime.gc.pause");
    gc->set_unit("s");
    auto* hist = gc->mutable_histogram();
    hist->set_aggregation_temporality(metrics_pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
    auto* hp = hist->add_data_points();
    hp->set_start_time_unix_nano(static_cast<uint64_t>(start));
    hp->set_time_unix_nano(static_cast<uint64_t>(t));
    hp->set_count(st.gc_count);
    hp->set_sum(st.gc_sum_s);
    for (uint64_t c : st.gc_buckets) hp->add_bucket_counts(c);
    for (double b : kGcBoundsS) hp->add_explicit_bounds(b);
    if (java) {
      auto* name = hp->add_attributes();
      name->set_key("jvm.gc.name");
      name->mutable_value()->set_string_value("G1 Young Generation");
      auto* action = hp->add_attributes();
      action->set_key("jvm.gc.action");
      action->mutable_value()->set_string_value("end of minor GC");
    }

    metrics_pb::Metric* q = sm->add_metrics();
    q->set_name("queue.depth");
    q->set_unit("{request}");
    auto* qp = q->mutable_gauge()->add_data_points();
    qp->set_time_unix_nano(static_cast<uint64_t>(t));
    qp->set_as_int(static_cast<int64_t>(std::llround(std::max(0.0, queue))));

    SetSum(sm->add_metrics(), "app.server.requests", "{request}", /*monotonic=*/true,
           static_cast<int64_t>(st.requests_total), start, t);

    out.back().items += kRuntimeMetricsPerInstance;
  }
  return out;
}

}  // namespace augur::sim
