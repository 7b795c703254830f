#include "sim/otlp_wire_encoder.h"

#include <algorithm>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "sim/fault.h"
#include "sim/fault_library.h"
#include "sim/log_generator.h"
#include "sim/otlp_request_builder.h"
#include "sim/runtime_metrics.h"
#include "sim/trace_generator.h"

namespace augur::sim {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;
constexpr core::TimeNs kMs = core::kNsPerMillisecond;

// Where two requests first differ (-1 when equal): a short failure message for long byte strings.
long FirstDifference(const std::string& a, const std::string& b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return ia == a.end() && ib == b.end() ? -1 : ia - a.begin();
}

// The fast encoders and the message builders agree byte for byte: spans with errors and of
// every kind, log records in and outside spans, and instances whose resource changes within a
// request (a deploy of product-catalog halfway through).
TEST(OtlpWireEncoderTest, MatchesTheProtobufSerializer) {
  FleetOptions options;
  options.services = 120;
  const Fleet fleet = *Fleet::Build(options);
  const core::TimeNs deploy = kStart + 2000 * kMs;
  const FaultSchedule faults = *FaultSchedule::Create(
      fleet, {std::make_shared<BadDeployFault>("product-catalog", deploy,
                                               deploy + 3600 * core::kNsPerSecond, 0, "GetProduct",
                                               0.5, "9.9.9")});
  const OtlpResources resources(fleet, &faults);
  ASSERT_GT(resources.resource_count(), resources.size());
  TraceGenerator generator(&fleet, &faults, 1);
  LogGenerator logs(&fleet, 100, 1);
  generator.set_log_generator(&logs);
  TraceWireEncoder span_wire(&resources);
  TraceRequestBuilder span_builder(&resources);
  LogWireEncoder log_wire(&resources);
  LogRequestBuilder log_builder(&resources);
  int span_requests = 0, log_requests = 0, errors = 0, in_span = 0, loose = 0, deployed = 0;
  for (int i = 0; i < 400; ++i) {
    TelemetryBuffer buffer;
    generator.Generate(kStart + i * 10 * kMs, 1.0, buffer);
    for (const SimSpan& span : buffer.spans) {
      errors += span.error;
      deployed += resources.ResourceIndexAt(static_cast<int>(span.instance), span.start_ns) !=
                  static_cast<int>(span.instance);
      span_wire.Add(buffer, span);
      span_builder.Add(buffer, span);
      if (span_wire.size() == 300) {
        ASSERT_EQ(span_builder.size(), 300u);
        const ExportPayload wire = span_wire.Take();
        const ExportPayload built = span_builder.Take();
        ASSERT_EQ(FirstDifference(wire.bytes, built.message->SerializeAsString()), -1);
        EXPECT_EQ(wire.message, nullptr);
        EXPECT_EQ(wire.items, 300u);
        EXPECT_EQ(wire.roots, built.roots);
        EXPECT_EQ(wire.signal, Signal::kTraces);
        ++span_requests;
      }
    }
    for (const SimLogRecord& record : buffer.logs) {
      (record.in_span ? in_span : loose) += 1;
      log_wire.Add(buffer, record);
      log_builder.Add(buffer, record);
      if (log_wire.size() == 100) {
        const ExportPayload wire = log_wire.Take();
        ASSERT_EQ(FirstDifference(wire.bytes, log_builder.Take().message->SerializeAsString()), -1);
        EXPECT_EQ(wire.items, 100u);
        EXPECT_EQ(wire.signal, Signal::kLogs);
        ++log_requests;
      }
    }
  }
  // Records outside spans: a deploy's start-up lines.
  TelemetryBuffer housekeeping;
  for (const LifecycleEvent& e : faults.lifecycle_events()) logs.OnLifecycle(e, housekeeping);
  for (const SimLogRecord& record : housekeeping.logs) {
    loose += !record.in_span;
    log_wire.Add(housekeeping, record);
    log_builder.Add(housekeeping, record);
  }
  ASSERT_FALSE(log_wire.empty());
  EXPECT_EQ(FirstDifference(log_wire.Take().bytes, log_builder.Take().message->SerializeAsString()),
            -1);
  EXPECT_TRUE(log_wire.empty());
  EXPECT_EQ(log_wire.Take().bytes, "");  // an empty request

  EXPECT_GT(span_requests, 10);
  EXPECT_GT(log_requests, 3);
  EXPECT_GT(errors, 10);
  EXPECT_GT(deployed, 10);
  EXPECT_GT(in_span, 100);
  EXPECT_GT(loose, 0);
}

// Runtime metrics, both ways from the same state: Java and other runtimes, reports before any
// collection (no count), instances whose resource changes (a deploy) and that restart (a memory
// leak's kill: new instance ids, counters from zero), in requests of a few instances.
TEST(OtlpWireEncoderTest, MetricsMatchTheProtobufSerializer) {
  FleetOptions options;
  options.services = 60;
  const Fleet fleet = *Fleet::Build(options);
  const core::TimeNs interval = 10 * core::kNsPerSecond;
  const core::TimeNs hour = 3600 * core::kNsPerSecond;
  const FaultSchedule faults = *FaultSchedule::Create(
      fleet, {std::make_shared<BadDeployFault>("product-catalog", kStart + 20 * interval,
                                               kStart + hour, 0, "GetProduct", 0.5, "9.9.9"),
              std::make_shared<MemoryLeakFault>("cart", kStart + 10 * interval,
                                                kStart + 30 * interval, 1.0)});
  const OtlpResources resources(fleet, &faults);
  RuntimeMetrics as_messages(&fleet, &resources, 100, kStart, 5);
  RuntimeMetrics as_wire(&fleet, &resources, 100, kStart, 5);
  int requests = 0, java = 0, no_collection = 0;
  for (int r = 1; r <= 40; ++r) {
    std::vector<InstanceLoad> load(fleet.instances.size());
    for (size_t i = 0; i < load.size(); ++i) {
      load[i].requests = 50 + 7 * i + r;
      load[i].latency_ns = static_cast<core::TimeNs>(load[i].requests) * 4 * kMs;
    }
    std::vector<InstanceLoad> same = load;
    const core::TimeNs t = kStart + r * interval;
    const std::vector<ExportPayload> built =
        as_messages.Report(t, interval, load, &faults, 40, RequestEncoding::kMessages);
    const std::vector<ExportPayload> wire =
        as_wire.Report(t, interval, same, &faults, 40, RequestEncoding::kWire);
    ASSERT_EQ(built.size(), wire.size());
    for (size_t k = 0; k < wire.size(); ++k) {
      ASSERT_EQ(FirstDifference(wire[k].bytes, built[k].message->SerializeAsString()), -1)
          << "report " << r << " request " << k;
      EXPECT_EQ(wire[k].items, built[k].items);
      EXPECT_LE(wire[k].items, 40u);
      EXPECT_EQ(wire[k].signal, Signal::kMetrics);
      ++requests;
      const auto& request = static_cast<const ExportMetricsServiceRequest&>(*built[k].message);
      for (const auto& rm : request.resource_metrics()) {
        for (const auto& metric : rm.scope_metrics(0).metrics()) {
          if (!metric.has_histogram()) continue;
          java += metric.name() == "jvm.gc.duration";
          no_collection += metric.histogram().data_points(0).count() == 0;
        }
      }
    }
  }
  EXPECT_GT(requests, 100);
  EXPECT_GT(java, 0);
  EXPECT_GT(no_collection, 0);
  EXPECT_GT(resources.resource_count(), resources.size() + 1);  // a deploy and restarts
}

}  // namespace
}  // namespace augur::sim
