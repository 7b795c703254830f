#include "sim/runtime_metrics.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace augur::sim {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
namespace metrics_pb = opentelemetry::proto::metrics::v1;

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;
constexpr core::TimeNs kInterval = 10 * core::kNsPerSecond;

const Fleet& SharedFleet() {
  static const Fleet* fleet = [] {
    FleetOptions options;
    options.services = 40;
    options.seed = 3;
    return new Fleet(*Fleet::Build(options));
  }();
  return *fleet;
}

// One report's metrics per instance (in report order) and name; views into the payloads, which
// must outlive it.
struct Values {
  std::vector<std::map<std::string, const metrics_pb::Metric*>> by_instance;
};

Values Index(const std::vector<ExportPayload>& payloads) {
  Values v;
  for (const ExportPayload& p : payloads) {
    const auto& request = static_cast<const ExportMetricsServiceRequest&>(*p.message);
    for (const auto& rm : request.resource_metrics()) {
      auto& m = v.by_instance.emplace_back();
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& metric : sm.metrics()) m[metric.name()] = &metric;
      }
    }
  }
  return v;
}

// Load at `factor` times each instance's expected rate, each request taking `latency_ms`.
std::vector<InstanceLoad> Load(const Fleet& fleet, double factor, double latency_ms) {
  std::vector<InstanceLoad> load(fleet.instances.size());
  for (size_t i = 0; i < load.size(); ++i) {
    const Service& s = fleet.services[fleet.instances[i].service];
    const double per_s = s.calls_per_trace * 100 / static_cast<double>(s.instances.size());
    load[i].requests = static_cast<uint64_t>(per_s * 10 * factor);
    load[i].latency_ns = static_cast<core::TimeNs>(load[i].requests * latency_ms * 1e6);
    load[i].busy_ns = load[i].latency_ns / 2;
  }
  return load;
}

double GaugeValue(const metrics_pb::Metric* m) {
  const auto& p = m->gauge().data_points(0);
  return p.has_as_double() ? p.as_double() : static_cast<double>(p.as_int());
}

TEST(RuntimeMetricsTest, ReportsSevenMetricsPerInstanceInBoundedRequests) {
  const Fleet& fleet = SharedFleet();
  const OtlpResources resources(fleet);
  RuntimeMetrics metrics(&fleet, &resources, 100, kStart, 1);
  std::vector<InstanceLoad> load = Load(fleet, 1.0, 5);
  const std::vector<ExportPayload> payloads =
      metrics.Report(kStart + kInterval, kInterval, load, nullptr, 50);
  uint64_t points = 0;
  for (const ExportPayload& p : payloads) {
    EXPECT_LE(p.items, 50u);
    points += p.items;
  }
  EXPECT_EQ(points, fleet.instances.size() * kRuntimeMetricsPerInstance);
  const Values v = Index(payloads);
  ASSERT_EQ(v.by_instance.size(), fleet.instances.size());
  for (size_t i = 0; i < v.by_instance.size(); ++i) {
    const auto& m = v.by_instance[i];
    ASSERT_EQ(m.size(), 7u);
    ASSERT_TRUE(m.count("process.cpu.utilization"));
    ASSERT_TRUE(m.count("process.cpu.time"));
    EXPECT_TRUE(m.at("process.cpu.time")->sum().is_monotonic());
    EXPECT_GT(m.at("process.cpu.time")->sum().data_points(0).as_double(), 0);
    ASSERT_TRUE(m.count("container.cpu.throttling_ratio"));
    const double cpu = GaugeValue(m.at("process.cpu.utilization"));
    EXPECT_GT(cpu, 0);
    EXPECT_LE(cpu, 1);
    ASSERT_TRUE(m.count("process.memory.usage"));
    EXPECT_FALSE(m.at("process.memory.usage")->sum().is_monotonic());
    EXPECT_GT(m.at("process.memory.usage")->sum().data_points(0).as_int(), 10'000'000);
    ASSERT_TRUE(m.count("queue.depth"));
    ASSERT_TRUE(m.count("app.server.requests"));
    EXPECT_TRUE(m.at("app.server.requests")->sum().is_monotonic());
    const bool java = fleet.services[fleet.instances[i].service].language == Language::kJava;
    const char* gc_name = java ? "jvm.gc.duration" : "process.runtime.gc.pause";
    ASSERT_TRUE(m.count(gc_name)) << gc_name;
    const auto& h = m.at(gc_name)->histogram();
    EXPECT_EQ(h.aggregation_temporality(), metrics_pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
    const auto& hp = h.data_points(0);
    EXPECT_EQ(hp.bucket_counts_size(), hp.explicit_bounds_size() + 1);
    uint64_t total = 0;
    for (uint64_t c : hp.bucket_counts()) total += c;
    EXPECT_EQ(total, hp.count());
  }
  // The loads were consumed.
  for (const InstanceLoad& l : load) EXPECT_EQ(l.requests, 0u);
}

TEST(RuntimeMetricsTest, CpuAndQueueFollowLoadAndCountersAccumulate) {
  const Fleet& fleet = SharedFleet();
  const OtlpResources resources(fleet);
  RuntimeMetrics metrics(&fleet, &resources, 100, kStart, 1);
  std::vector<InstanceLoad> quiet = Load(fleet, 0.5, 5), busy = Load(fleet, 2.0, 50);
  const std::vector<ExportPayload> first =
      metrics.Report(kStart + kInterval, kInterval, quiet, nullptr, 1000);
  const std::vector<ExportPayload> second =
      metrics.Report(kStart + 2 * kInterval, kInterval, busy, nullptr, 1000);
  const Values a = Index(first), b = Index(second);
  int cpu_up = 0, queue_up = 0;
  for (size_t i = 0; i < a.by_instance.size(); ++i) {
    cpu_up += GaugeValue(b.by_instance[i].at("process.cpu.utilization")) >
              GaugeValue(a.by_instance[i].at("process.cpu.utilization"));
    queue_up += GaugeValue(b.by_instance[i].at("queue.depth")) >=
                GaugeValue(a.by_instance[i].at("queue.depth"));
    const int64_t before =
        a.by_instance[i].at("app.server.requests")->sum().data_points(0).as_int();
    const int64_t after = b.by_instance[i].at("app.server.requests")->sum().data_points(0).as_int();
    EXPECT_GE(after, before);
    EXPECT_EQ(
        a.by_instance[i].at("app.server.requests")->sum().data_points(0).start_time_unix_nano(),
        static_cast<uint64_t>(kStart));
  }
  EXPECT_GE(cpu_up, static_cast<int>(0.9 * a.by_instance.size()));
  EXPECT_GE(queue_up, static_cast<int>(0.9 * a.by_instance.size()));
}

// A fault defined outside the simulator, as the fault library will: it only edits ServiceState.
class TestCpuHogFault : public Fault {
 public:
  using Fault::Fault;
  void Apply(ServiceState& state, core::TimeNs) const override {
    state.cpu_utilization_add += 0.6;
    state.memory_bytes_add += 2e9;
    state.queue_depth_add += 40;
  }
  std::string Describe() const override { return "cpu hog on " + target(); }
};

TEST(RuntimeMetricsTest, FaultEffectsShowOnlyOnTheirService) {
  const Fleet& fleet = SharedFleet();
  const OtlpResources resources(fleet);
  const int cart = fleet.FindService("cart");
  const FaultSchedule schedule = *FaultSchedule::Create(
      fleet,
      {std::make_shared<TestCpuHogFault>("cart", kStart, kStart + 3600 * core::kNsPerSecond)});
  RuntimeMetrics normal(&fleet, &resources, 100, kStart, 1),
      faulty(&fleet, &resources, 100, kStart, 1);
  std::vector<InstanceLoad> l1 = Load(fleet, 1.0, 5), l2 = Load(fleet, 1.0, 5);
  const std::vector<ExportPayload> pa =
      normal.Report(kStart + kInterval, kInterval, l1, nullptr, 1000);
  const std::vector<ExportPayload> pb =
      faulty.Report(kStart + kInterval, kInterval, l2, &schedule, 1000);
  const Values a = Index(pa), b = Index(pb);
  for (size_t i = 0; i < a.by_instance.size(); ++i) {
    const double cpu_a = GaugeValue(a.by_instance[i].at("process.cpu.utilization"));
    const double cpu_b = GaugeValue(b.by_instance[i].at("process.cpu.utilization"));
    const double queue_a = GaugeValue(a.by_instance[i].at("queue.depth"));
    const double queue_b = GaugeValue(b.by_instance[i].at("queue.depth"));
    if (fleet.instances[i].service == cart) {
      EXPECT_GE(cpu_b, std::min(1.0, cpu_a + 0.5));
      EXPECT_EQ(queue_b, queue_a + 40);
    } else {
      EXPECT_EQ(cpu_a, cpu_b);
      EXPECT_EQ(queue_a, queue_b);
    }
  }
}

}  // namespace
}  // namespace augur::sim
