// The eight scenario fault types, each generated with and without the fault from the same seed on
// the core shop, asserting that the effect shows where an SRE would look for it (and not
// elsewhere): spans, runtime metrics, logs and resource attributes.
#include "sim/fault_library.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "sim/fleet.h"
#include "sim/log_generator.h"
#include "sim/otlp_request_builder.h"
#include "sim/otlp_resources.h"
#include "sim/runtime_metrics.h"
#include "sim/scenario.h"
#include "sim/trace_generator.h"
#include "sim/traffic.h"

namespace augur::sim {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
namespace metrics_pb = opentelemetry::proto::metrics::v1;

// 2026-01-07 (a Wednesday) 12:00 UTC.
constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;
constexpr core::TimeNs kSecond = core::kNsPerSecond;
constexpr core::TimeNs kMs = core::kNsPerMillisecond;
// Every fault runs over [60 s, 180 s) of a 240 s run.
constexpr core::TimeNs kFaultStart = kStart + 60 * kSecond;
constexpr core::TimeNs kFaultEnd = kStart + 180 * kSecond;
constexpr core::TimeNs kRunLength = 240 * kSecond;
constexpr core::TimeNs kInterval = 5 * kSecond;

const Fleet& Shop() {
  static const Fleet* fleet = [] {
    FleetOptions options;
    options.services = 50;
    options.seed = 1;
    return new Fleet(*Fleet::Build(options));
  }();
  return *fleet;
}

FaultSpec Spec(FaultType type, std::string target, std::string other = "") {
  FaultSpec spec;
  spec.type = type;
  spec.target = std::move(target);
  spec.other = std::move(other);
  spec.intensity = 1;
  spec.start_offset_ns = kFaultStart - kStart;
  spec.duration_ns = kFaultEnd - kFaultStart;
  return spec;
}

// The shop's traces, logs and runtime metrics over kRunLength, with the faults of one scenario
// (or none). Traces are handed out one by one (with their log lines); metric reports as requests.
class ShopRun {
 public:
  explicit ShopRun(std::optional<FaultSpec> spec, double rate = 40, uint64_t seed = 7)
      : rate_(rate), seed_(seed) {
    if (spec.has_value()) {
      Scenario scenario{"test", {*spec}};
      absl::StatusOr<ResolvedScenario> resolved = ResolveScenario(scenario, Shop(), kStart);
      EXPECT_TRUE(resolved.ok()) << resolved.status();
      schedule_ = *FaultSchedule::Create(Shop(), resolved->faults);
      truths_ = resolved->ground_truths;
    }
    resources_ = std::make_unique<OtlpResources>(Shop(), &schedule_);
  }

  void Simulate(const std::function<void(const TelemetryBuffer&)>& on_trace,
                const std::function<void(core::TimeNs, const ExportMetricsServiceRequest&)>&
                    on_metrics = nullptr) {
    const Fleet& fleet = Shop();
    const TrafficShape traffic(rate_, seed_);
    RootArrivals arrivals(&traffic, fleet, &schedule_, kStart, seed_);
    TraceGenerator traces(&fleet, &schedule_, seed_);
    LogGenerator logs(&fleet, rate_, seed_);
    traces.set_log_generator(&logs);
    std::vector<InstanceLoad> load(fleet.instances.size());
    traces.set_instance_load(&load);
    RuntimeMetrics metrics(&fleet, resources_.get(), rate_, kStart, seed_);
    TelemetryBuffer buffer, lifecycle;
    size_t next_event = 0;
    core::TimeNs next_report = kStart + kInterval;
    for (RootArrivals::Arrival a = arrivals.Next(); a.t < kStart + kRunLength;
         a = arrivals.Next()) {
      while (next_report <= a.t) {
        for (ExportPayload& p : metrics.Report(next_report, kInterval, load, &schedule_, 1000)) {
          if (on_metrics) {
            on_metrics(next_report, static_cast<const ExportMetricsServiceRequest&>(*p.message));
          }
        }
        const std::vector<LifecycleEvent>& events = schedule_.lifecycle_events();
        for (; next_event < events.size() && events[next_event].time_ns <= next_report;
             ++next_event) {
          logs.OnLifecycle(events[next_event], lifecycle);
        }
        if (!lifecycle.logs.empty()) on_trace(lifecycle);
        lifecycle.Clear();
        next_report += kInterval;
      }
      buffer.Clear();
      traces.Generate(a.t, traffic.Multiplier(a.t), buffer, a.entry_service);
      on_trace(buffer);
    }
  }

  const OtlpResources& resources() const { return *resources_; }
  const std::vector<GroundTruth>& truths() const { return truths_; }

  // A resource attribute of `instance` at `t`.
  std::string ResourceAttribute(int instance, core::TimeNs t, std::string_view key) const {
    const auto& r = resources_->resource(resources_->ResourceIndexAt(instance, t));
    for (const auto& kv : r.attributes()) {
      if (kv.key() == key) return kv.value().string_value();
    }
    return "";
  }

 private:
  double rate_;
  uint64_t seed_;
  FaultSchedule schedule_;
  std::vector<GroundTruth> truths_;
  std::unique_ptr<OtlpResources> resources_;
};

int ServiceOf(const SimSpan& s) { return Shop().instances[s.instance].service; }
int ServiceIndex(std::string_view name) { return Shop().FindService(name); }

std::string_view StringAttribute(const TelemetryBuffer& b, const SimSpan& s, std::string_view key) {
  for (uint32_t i = 0; i < s.attributes_count; ++i) {
    const SimAttribute& a = b.attributes[s.attributes_begin + i];
    if (a.key == key && a.type == SimAttribute::Type::kString) return a.string_value;
  }
  return {};
}

bool IsServer(const SimSpan& s) {
  return s.kind == SimSpanKind::kServer || s.kind == SimSpanKind::kConsumer;
}
bool Inside(core::TimeNs t, core::TimeNs margin = 15 * kSecond) {
  return t >= kFaultStart + margin && t < kFaultEnd;
}
bool Before(core::TimeNs t) { return t < kFaultStart - 5 * kSecond; }
double Ms(core::TimeNs ns) { return static_cast<double>(ns) / kMs; }

struct Mean {
  double sum = 0;
  int n = 0;
  void Add(double x) {
    sum += x;
    ++n;
  }
  double value() const { return n == 0 ? 0 : sum / n; }
};

struct Ratio {
  int n = 0, hits = 0;
  void Add(bool hit) {
    ++n;
    hits += hit;
  }
  double value() const { return n == 0 ? 0 : static_cast<double>(hits) / n; }
};

// Per-instance metric values of one report, by service.
struct MetricPoint {
  int service = -1;
  std::string pod;
  std::string instance_id;
  std::string version;
  std::map<std::string, const metrics_pb::Metric*> metrics;
};

std::vector<MetricPoint> Points(const ExportMetricsServiceRequest& request) {
  std::vector<MetricPoint> out;
  for (const auto& rm : request.resource_metrics()) {
    MetricPoint p;
    for (const auto& kv : rm.resource().attributes()) {
      if (kv.key() == "service.name") p.service = Shop().FindService(kv.value().string_value());
      if (kv.key() == "k8s.pod.name") p.pod = kv.value().string_value();
      if (kv.key() == "service.instance.id") p.instance_id = kv.value().string_value();
      if (kv.key() == "service.version") p.version = kv.value().string_value();
    }
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) p.metrics[m.name()] = &m;
    }
    out.push_back(std::move(p));
  }
  return out;
}

double Gauge(const MetricPoint& p, const std::string& name) {
  const auto& point = p.metrics.at(name)->gauge().data_points(0);
  return point.has_as_double() ? point.as_double() : static_cast<double>(point.as_int());
}

// Mean duration of SERVER spans inside the fault window, and before it.
struct Latency {
  Mean inside, before;
};

TEST(FaultLibraryTest, GroundTruthNamesTheRootCause) {
  const ShopRun run(Spec(FaultType::kPacketLoss, "product-catalog", "frontend"));
  ASSERT_EQ(run.truths().size(), 1u);
  const GroundTruth& t = run.truths()[0];
  EXPECT_EQ(t.type, FaultType::kPacketLoss);
  EXPECT_EQ(t.root_cause, "product-catalog");
  EXPECT_EQ(t.other, "frontend");
  EXPECT_EQ(t.start_ns, kFaultStart);
  EXPECT_EQ(t.end_ns, kFaultEnd);
  EXPECT_NE(t.description.find("frontend"), std::string::npos) << t.description;
}

TEST(FaultLibraryTest, LatencySlowsTheServiceAndItsCallersAndLengthensGcPauses) {
  const int cart = ServiceIndex("cart");
  ShopRun normal(std::nullopt), faulty(Spec(FaultType::kLatency, "cart"));
  struct Seen {
    Mean server, client;
    double gc_inside = 0;  // summed GC pause seconds of cart's instances during the window
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    std::map<std::string, double> gc_at_start;
    run.Simulate(
        [&](const TelemetryBuffer& b) {
          for (const SimSpan& s : b.spans) {
            if (!Inside(s.start_ns)) continue;
            if (IsServer(s) && ServiceOf(s) == cart) seen.server.Add(Ms(s.end_ns - s.start_ns));
            if (s.kind == SimSpanKind::kClient &&
                StringAttribute(b, s, "server.address") == "cart") {
              seen.client.Add(Ms(s.end_ns - s.start_ns));
            }
          }
        },
        [&](core::TimeNs t, const ExportMetricsServiceRequest& request) {
          for (const MetricPoint& p : Points(request)) {
            if (p.service != cart) continue;
            const double gc =
                p.metrics.at("process.runtime.gc.pause")->histogram().data_points(0).sum();
            if (t == kFaultStart) gc_at_start[p.pod] = gc;
            if (t == kFaultEnd) seen.gc_inside += gc - gc_at_start[p.pod];
          }
        });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  ASSERT_GT(a.server.n, 200);
  EXPECT_GT(b.server.value(), 3 * a.server.value() + 20) << a.server.value();
  // Callers wait for it: their CLIENT spans grow by about as much.
  EXPECT_GT(b.client.value() - a.client.value(), 0.8 * (b.server.value() - a.server.value()));
  EXPECT_GT(b.gc_inside, 2 * a.gc_inside);
}

TEST(FaultLibraryTest, BadDeployChangesTheVersionAndFailsOneOperation) {
  const int payment = ServiceIndex("payment");
  const sim::Service& svc = Shop().services[payment];
  ASSERT_EQ(svc.version, "1.4.7");
  ShopRun normal(std::nullopt, 60), faulty(Spec(FaultType::kBadDeploy, "payment"), 60);
  ASSERT_EQ(faulty.truths().size(), 1u);
  EXPECT_EQ(faulty.truths()[0].root_cause, "payment");

  struct Seen {
    Ratio charge_inside, charge_before, others_inside;
    int versions_checked = 0;
    int bug_logs_inside = 0, bug_logs_outside = 0, started_lines = 0;
    int metric_versions_new = 0, metric_versions_old_after = 0;
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    run.Simulate(
        [&](const TelemetryBuffer& b) {
          for (const SimSpan& s : b.spans) {
            if (!IsServer(s) || ServiceOf(s) != payment) continue;
            // Every span of payment carries the version running when it started.
            const std::string version =
                run.ResourceAttribute(static_cast<int>(s.instance), s.start_ns, "service.version");
            const bool deployed = s.start_ns >= kFaultStart && s.start_ns < kFaultEnd;
            if (&run == &faulty) {
              EXPECT_EQ(version, deployed ? "1.5.0" : "1.4.7");
              ++seen.versions_checked;
            }
            const bool charge = s.name == "oteldemo.PaymentService/Charge";
            if (Inside(s.start_ns, 0))
              (charge ? seen.charge_inside : seen.others_inside).Add(s.error);
            if (Before(s.start_ns) && charge) seen.charge_before.Add(s.error);
          }
          for (const SimLogRecord& r : b.logs) {
            if (Shop().instances[r.instance].service != payment) continue;
            if (r.body.find("Cannot read properties of null (reading 'currencyCode')") !=
                std::string_view::npos) {
              (Inside(r.time_ns, 0) ? seen.bug_logs_inside : seen.bug_logs_outside)++;
              EXPECT_EQ(
                  run.ResourceAttribute(static_cast<int>(r.instance), r.time_ns, "service.version"),
                  "1.5.0");
            }
            seen.started_lines += r.body.starts_with("payment v1.5.0 listening");
          }
        },
        [&](core::TimeNs t, const ExportMetricsServiceRequest& request) {
          for (const MetricPoint& p : Points(request)) {
            if (p.service != payment) continue;
            if (t >= kFaultStart && t < kFaultEnd) seen.metric_versions_new += p.version == "1.5.0";
            if (t >= kFaultEnd) seen.metric_versions_old_after += p.version == "1.4.7";
          }
        });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  EXPECT_GT(b.versions_checked, 100);
  ASSERT_GT(b.charge_inside.n, 50);
  EXPECT_GT(b.charge_inside.value(), 0.5);
  EXPECT_LT(b.charge_before.value(), 0.05);
  EXPECT_LT(a.charge_inside.value(), 0.05);
  // Only the deployed bug's operation fails.
  EXPECT_LT(b.others_inside.value(), 0.05);
  EXPECT_GT(b.bug_logs_inside, 10);
  EXPECT_EQ(b.bug_logs_outside, 0);
  EXPECT_EQ(a.bug_logs_inside, 0);
  EXPECT_EQ(b.started_lines, static_cast<int>(svc.instances.size()));
  EXPECT_EQ(b.metric_versions_new, 24 * static_cast<int>(svc.instances.size()));
  EXPECT_GT(b.metric_versions_old_after, 0);
  EXPECT_EQ(a.metric_versions_new, 0);
}

TEST(FaultLibraryTest, CpuSaturationPinsCpuAndSlowsRequests) {
  const int catalog = ServiceIndex("product-catalog");
  ShopRun normal(std::nullopt), faulty(Spec(FaultType::kCpu, "product-catalog"));
  struct Seen {
    Mean cpu, queue, throttled, other_cpu;
  };
  auto metrics = [&](ShopRun& run, Latency* latency) {
    Seen seen;
    run.Simulate(
        [&](const TelemetryBuffer& b) {
          for (const SimSpan& s : b.spans) {
            if (IsServer(s) && ServiceOf(s) == catalog && Inside(s.start_ns)) {
              latency->inside.Add(Ms(s.end_ns - s.start_ns));
            }
          }
        },
        [&](core::TimeNs t, const ExportMetricsServiceRequest& request) {
          if (!Inside(t)) return;
          for (const MetricPoint& p : Points(request)) {
            if (p.service == catalog) {
              seen.cpu.Add(Gauge(p, "process.cpu.utilization"));
              seen.queue.Add(Gauge(p, "queue.depth"));
              seen.throttled.Add(Gauge(p, "container.cpu.throttling_ratio"));
            } else {
              seen.other_cpu.Add(Gauge(p, "process.cpu.utilization"));
            }
          }
        });
    return seen;
  };
  Latency la, lb;
  const Seen a = metrics(normal, &la), b = metrics(faulty, &lb);
  EXPECT_GT(b.cpu.value(), 0.9);
  EXPECT_LT(a.cpu.value(), 0.7);
  EXPECT_GT(b.queue.value(), a.queue.value() + 10);
  EXPECT_GT(b.throttled.value(), 0.3);
  EXPECT_NEAR(b.other_cpu.value(), a.other_cpu.value(), 0.02);
  EXPECT_GT(lb.inside.value(), 2 * la.inside.value() + 10);
}

TEST(FaultLibraryTest, MemoryLeakGrowsMemoryThenRestartsWithNewIdentityAndCounters) {
  const int cart = ServiceIndex("cart");
  const FaultSpec spec = Spec(FaultType::kMemoryLeak, "cart");
  MemoryLeakFault probe("cart", kFaultStart, kFaultEnd, 1);
  const core::TimeNs down = kFaultEnd - probe.restart_downtime_ns();
  ASSERT_GT(down, kFaultEnd - 10 * kSecond);
  ShopRun normal(std::nullopt), faulty(spec);

  struct Seen {
    std::map<std::string, double> memory_80, memory_160;     // by pod
    std::map<std::string, std::string> id_before, id_after;  // service.instance.id by pod
    std::map<std::string, int64_t> requests_170, requests_190;
    std::map<std::string, uint64_t> start_190;
    int reports_while_down = 0;
    int client_calls_down = 0, refused_down = 0, server_spans_down = 0;
    Mean server_late;
    int oom_lines = 0, started_lines = 0;
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    run.Simulate(
        [&](const TelemetryBuffer& b) {
          for (const SimSpan& s : b.spans) {
            const bool in_downtime = s.start_ns >= down + 100 * kMs && s.start_ns < kFaultEnd;
            if (IsServer(s) && ServiceOf(s) == cart) {
              seen.server_spans_down += in_downtime;
              if (s.start_ns >= kFaultStart + 100 * kSecond && s.start_ns < down) {
                seen.server_late.Add(Ms(s.end_ns - s.start_ns));
              }
            }
            if (s.kind == SimSpanKind::kClient && in_downtime &&
                StringAttribute(b, s, "server.address") == "cart") {
              ++seen.client_calls_down;
              seen.refused_down += s.error && s.status_message == "connection refused";
            }
          }
          for (const SimLogRecord& r : b.logs) {
            if (Shop().instances[r.instance].service != cart) continue;
            if (r.body.find("OutOfMemoryException") != std::string_view::npos) {
              ++seen.oom_lines;
              EXPECT_EQ(r.time_ns, down);
              EXPECT_EQ(r.severity_text, "FATAL");
            }
            seen.started_lines += r.body.starts_with("Application started. cart version 1.5.2");
          }
        },
        [&](core::TimeNs t, const ExportMetricsServiceRequest& request) {
          for (const MetricPoint& p : Points(request)) {
            if (p.service != cart) continue;
            const auto& memory = p.metrics.at("process.memory.usage")->sum().data_points(0);
            const auto& requests = p.metrics.at("app.server.requests")->sum().data_points(0);
            if (t == kStart + 80 * kSecond) seen.memory_80[p.pod] = memory.as_int();
            if (t == kStart + 160 * kSecond) seen.memory_160[p.pod] = memory.as_int();
            if (t == kStart + 170 * kSecond) {
              seen.id_before[p.pod] = p.instance_id;
              seen.requests_170[p.pod] = requests.as_int();
            }
            if (t == kStart + 190 * kSecond) {
              seen.id_after[p.pod] = p.instance_id;
              seen.requests_190[p.pod] = requests.as_int();
              seen.start_190[p.pod] = requests.start_time_unix_nano();
              // Every cumulative metric restarted with the process.
              if (&run != &faulty) continue;
              EXPECT_EQ(
                  p.metrics.at("process.cpu.time")->sum().data_points(0).start_time_unix_nano(),
                  static_cast<uint64_t>(kFaultEnd));
              EXPECT_LE(p.metrics.at("process.cpu.time")->sum().data_points(0).as_double(), 10.0);
              EXPECT_EQ(memory.start_time_unix_nano(), static_cast<uint64_t>(kFaultEnd));
            }
            if (t > down && t < kFaultEnd) ++seen.reports_while_down;
          }
        });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  const size_t instances = Shop().services[cart].instances.size();
  ASSERT_EQ(b.memory_80.size(), instances);
  for (const auto& [pod, m80] : b.memory_80) {
    EXPECT_GT(b.memory_160.at(pod) - m80, 0.6e9) << pod;  // linear growth of 1.5 GB
    EXPECT_LT(a.memory_160.at(pod) - a.memory_80.at(pod), 0.3e9) << pod;
    EXPECT_NE(b.id_after.at(pod), b.id_before.at(pod)) << pod;
    EXPECT_EQ(a.id_after.at(pod), a.id_before.at(pod)) << pod;
    // The counter restarted near zero, at the restart.
    EXPECT_LT(b.requests_190.at(pod), b.requests_170.at(pod) / 5) << pod;
    EXPECT_EQ(b.start_190.at(pod), static_cast<uint64_t>(kFaultEnd)) << pod;
    EXPECT_EQ(a.start_190.at(pod), static_cast<uint64_t>(kStart)) << pod;
  }
  EXPECT_EQ(b.reports_while_down, 0);
  EXPECT_EQ(a.reports_while_down, static_cast<int>(instances));
  // While it restarts, callers are refused and retry; nothing reaches the service.
  EXPECT_EQ(b.server_spans_down, 0);
  EXPECT_GT(a.server_spans_down, 10);
  EXPECT_EQ(b.refused_down, b.client_calls_down);
  EXPECT_GT(b.client_calls_down, 2 * a.client_calls_down);
  // Garbage collection thrashes before the kill.
  EXPECT_GT(b.server_late.value(), 1.5 * a.server_late.value());
  EXPECT_EQ(b.oom_lines, static_cast<int>(instances));
  EXPECT_EQ(a.oom_lines, 0);
  EXPECT_EQ(b.started_lines, static_cast<int>(instances));
}

TEST(FaultLibraryTest, PeerOutageFailsCallersClientSpansToThePeer) {
  ShopRun normal(std::nullopt), faulty(Spec(FaultType::kPeerOutage, "postgresql"));
  struct Seen {
    Ratio db_inside, db_before, roots_inside;
    std::set<std::string> messages;
    int refused_type = 0, logs_naming_peer = 0;
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    run.Simulate([&](const TelemetryBuffer& b) {
      for (const SimSpan& s : b.spans) {
        if (IsServer(s) && model::IsZeroId(s.parent_span_id) && Inside(s.start_ns)) {
          seen.roots_inside.Add(s.error);
        }
        if (s.kind != SimSpanKind::kClient ||
            StringAttribute(b, s, "peer.service") != "postgresql") {
          continue;
        }
        if (Inside(s.start_ns, 0)) {
          seen.db_inside.Add(s.error);
          if (s.error) seen.messages.insert(std::string(s.status_message));
          seen.refused_type += StringAttribute(b, s, "error.type") == "connection_refused";
        }
        if (Before(s.start_ns)) seen.db_before.Add(s.error);
      }
      for (const SimLogRecord& r : b.logs) {
        seen.logs_naming_peer += Inside(r.time_ns, 0) &&
                                 r.body.find("postgresql") != std::string_view::npos &&
                                 r.body.find("connection") != std::string_view::npos;
      }
    });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  ASSERT_GT(b.db_inside.n, 200);
  EXPECT_GT(b.db_inside.value(), 0.95);
  EXPECT_LT(b.db_before.value(), 0.01);
  EXPECT_LT(a.db_inside.value(), 0.01);
  EXPECT_TRUE(b.messages.contains("connection refused"));
  EXPECT_TRUE(b.messages.contains("connection timeout"));
  EXPECT_GT(b.refused_type, 0);
  EXPECT_GT(b.roots_inside.value(), a.roots_inside.value() + 0.05);
  EXPECT_GT(b.logs_naming_peer, 10 * std::max(1, a.logs_naming_peer));
}

TEST(FaultLibraryTest, PacketLossDelaysTheCallerSideOfOneEdgeOnly) {
  const int frontend = ServiceIndex("frontend");
  const int catalog = ServiceIndex("product-catalog");
  ShopRun normal(std::nullopt), faulty(Spec(FaultType::kPacketLoss, "product-catalog", "frontend"));
  struct Seen {
    Mean gap_edge, gap_other, client_edge, server_edge;  // ms
    int timeouts = 0, retries_after_timeout = 0;
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    run.Simulate([&](const TelemetryBuffer& b) {
      std::map<model::SpanId, const SimSpan*> clients;  // calls of product-catalog
      for (const SimSpan& s : b.spans) {
        if (s.kind != SimSpanKind::kClient ||
            StringAttribute(b, s, "server.address") != "product-catalog" || !Inside(s.start_ns)) {
          continue;
        }
        clients[s.span_id] = &s;
        if (ServiceOf(s) == frontend) {
          seen.client_edge.Add(Ms(s.end_ns - s.start_ns));
          seen.timeouts += StringAttribute(b, s, "error.type") == "timeout";
        }
      }
      // A retry: the same call again under the same parent, a backoff after the timeout.
      for (const auto& [id, x] : clients) {
        if (ServiceOf(*x) != frontend || StringAttribute(b, *x, "error.type") != "timeout")
          continue;
        for (const auto& [other_id, y] : clients) {
          seen.retries_after_timeout += y->parent_span_id == x->parent_span_id &&
                                        y->name == x->name && y->start_ns >= x->end_ns &&
                                        y->start_ns < x->end_ns + 200 * kMs;
        }
      }
      for (const SimSpan& s : b.spans) {
        if (!IsServer(s) || ServiceOf(s) != catalog) continue;
        const auto it = clients.find(s.parent_span_id);
        if (it == clients.end()) continue;
        // What the wire adds: the caller's time minus the callee's.
        const double gap =
            Ms((it->second->end_ns - it->second->start_ns) - (s.end_ns - s.start_ns));
        if (ServiceOf(*it->second) == frontend) {
          seen.gap_edge.Add(gap);
          seen.server_edge.Add(Ms(s.end_ns - s.start_ns));
        } else {
          seen.gap_other.Add(gap);
        }
      }
    });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  ASSERT_GT(b.gap_edge.n, 1000);
  ASSERT_GT(b.gap_other.n, 100);
  EXPECT_LT(a.gap_edge.value(), 2);
  EXPECT_GT(b.gap_edge.value(), 50);
  EXPECT_LT(b.gap_other.value(), 2);
  // The callee's own spans stay as they were; the caller's grow far more.
  EXPECT_NEAR(b.server_edge.value(), a.server_edge.value(), 0.3 * a.server_edge.value() + 0.5);
  EXPECT_GT(b.client_edge.value() - a.client_edge.value(),
            10 * std::abs(b.server_edge.value() - a.server_edge.value()));
  // A few calls hang until the caller's deadline; idempotent ones are tried again.
  EXPECT_GT(b.timeouts, 10);
  EXPECT_EQ(a.timeouts, 0);
  EXPECT_GT(b.retries_after_timeout, 0);
}

TEST(FaultLibraryTest, TrafficSurgeMultipliesRootRequestsAtTheEntryAndSaturates) {
  const int frontend = ServiceIndex("frontend");
  const int gateway = ServiceIndex("api-gateway");
  FaultSpec spec = Spec(FaultType::kTrafficSurge, "");
  ShopRun normal(std::nullopt, 20), faulty(spec, 20);
  ASSERT_EQ(faulty.truths().size(), 1u);
  EXPECT_EQ(faulty.truths()[0].root_cause, "frontend");
  struct Seen {
    int frontend_roots = 0, gateway_roots = 0, shed = 0;
    Mean frontend_latency, cpu;
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    run.Simulate(
        [&](const TelemetryBuffer& b) {
          for (const SimSpan& s : b.spans) {
            if (!IsServer(s) || !Inside(s.start_ns)) continue;
            seen.shed += s.error && s.status_message == "service unavailable";
            if (!model::IsZeroId(s.parent_span_id)) continue;
            if (ServiceOf(s) == frontend) {
              ++seen.frontend_roots;
              seen.frontend_latency.Add(Ms(s.end_ns - s.start_ns));
            }
            seen.gateway_roots += ServiceOf(s) == gateway;
          }
        },
        [&](core::TimeNs t, const ExportMetricsServiceRequest& request) {
          if (!Inside(t)) return;
          for (const MetricPoint& p : Points(request)) {
            if (p.service == frontend) seen.cpu.Add(Gauge(p, "process.cpu.utilization"));
          }
        });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  ASSERT_GT(a.frontend_roots, 500);
  EXPECT_GT(b.frontend_roots, 4 * a.frontend_roots);
  EXPECT_NEAR(b.gateway_roots, a.gateway_roots, 0.25 * a.gateway_roots);
  EXPECT_GT(b.frontend_latency.value(), 1.5 * a.frontend_latency.value());
  EXPECT_GT(b.cpu.value(), 0.9);
  EXPECT_GT(b.shed, 10);
  EXPECT_LT(a.shed, 5);
}

TEST(FaultLibraryTest, NoisyNeighbourBurnsCpuInTheTargetAndSlowsTheVictim) {
  const int ad = ServiceIndex("ad");
  const int recommendation = ServiceIndex("recommendation");
  ShopRun normal(std::nullopt), faulty(Spec(FaultType::kNoisyNeighbour, "ad", "recommendation"));
  ASSERT_EQ(faulty.truths()[0].root_cause, "ad");
  ASSERT_EQ(faulty.truths()[0].other, "recommendation");
  struct Seen {
    Mean ad_cpu, victim_cpu, victim_throttled;
    Mean ad_latency, victim_latency;
  };
  auto observe = [&](ShopRun& run) {
    Seen seen;
    run.Simulate(
        [&](const TelemetryBuffer& b) {
          for (const SimSpan& s : b.spans) {
            if (!IsServer(s) || !Inside(s.start_ns)) continue;
            if (ServiceOf(s) == ad) seen.ad_latency.Add(Ms(s.end_ns - s.start_ns));
            if (ServiceOf(s) == recommendation) seen.victim_latency.Add(Ms(s.end_ns - s.start_ns));
          }
        },
        [&](core::TimeNs t, const ExportMetricsServiceRequest& request) {
          if (!Inside(t)) return;
          for (const MetricPoint& p : Points(request)) {
            if (p.service == ad) seen.ad_cpu.Add(Gauge(p, "process.cpu.utilization"));
            if (p.service == recommendation) {
              seen.victim_cpu.Add(Gauge(p, "process.cpu.utilization"));
              seen.victim_throttled.Add(Gauge(p, "container.cpu.throttling_ratio"));
            }
          }
        });
    return seen;
  };
  const Seen a = observe(normal), b = observe(faulty);
  EXPECT_GT(b.ad_cpu.value(), 0.9);
  EXPECT_LT(a.ad_cpu.value(), 0.7);
  EXPECT_LT(b.victim_cpu.value(), 0.8);
  EXPECT_GT(b.victim_throttled.value(), 0.5);
  EXPECT_LT(a.victim_throttled.value(), 0.1);
  EXPECT_GT(b.victim_latency.value(), 2 * a.victim_latency.value());
  EXPECT_LT(b.ad_latency.value(), 1.5 * a.ad_latency.value());
}

// The builders put each span under the resource its instance had when the span started, so one
// request may carry an instance under two versions.
TEST(FaultLibraryTest, RequestsCarryTheResourceOfTheSpansTime) {
  const int payment = ServiceIndex("payment");
  ShopRun run(Spec(FaultType::kBadDeploy, "payment"));
  TraceRequestBuilder builder(&run.resources());
  TelemetryBuffer b;
  TraceGenerator generator(&Shop(), nullptr, 1);
  // Fabricated spans of one payment instance either side of the deploy.
  generator.Generate(kStart, 1.0, b);
  const uint32_t instance = Shop().services[payment].instances[0];
  SimSpan before = b.spans[0], after = b.spans[0];
  before.instance = after.instance = instance;
  before.start_ns = kFaultStart - kSecond;
  after.start_ns = kFaultStart + kSecond;
  builder.Add(b, before);
  builder.Add(b, after);
  const ExportPayload payload = builder.Take();
  const auto& request =
      static_cast<const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest&>(
          *payload.message);
  ASSERT_EQ(request.resource_spans_size(), 2);
  std::vector<std::string> versions;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& kv : rs.resource().attributes()) {
      if (kv.key() == "service.version") versions.push_back(kv.value().string_value());
    }
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"1.4.7", "1.5.0"}));
}

}  // namespace
}  // namespace augur::sim
