#include "sim/otlp_json.h"

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "model/ids.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "sim/otlp_request_builder.h"
#include "sim/runtime_metrics.h"
#include "sim/trace_generator.h"

namespace augur::sim {
namespace {

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

TEST(OtlpJsonTest, WritesHexIdsAndIntegerEnums) {
  FleetOptions options;
  options.services = 20;
  const Fleet fleet = *Fleet::Build(options);
  const OtlpResources resources(fleet);
  TraceGenerator generator(&fleet, nullptr, 1);
  LogGenerator logs(&fleet, 1, 1);  // rate 1: every request gets an access line
  generator.set_log_generator(&logs);
  TelemetryBuffer buffer;
  generator.Generate(kStart, 1.0, buffer);
  ASSERT_FALSE(buffer.logs.empty());

  TraceRequestBuilder spans(&resources);
  for (const SimSpan& s : buffer.spans) spans.Add(buffer, s);
  absl::StatusOr<std::string> json = ToOtlpJson(*spans.Take().message);
  ASSERT_TRUE(json.ok()) << json.status();
  const nlohmann::json doc = nlohmann::json::parse(*json);
  std::map<std::string, const SimSpan*> by_id;
  for (const SimSpan& s : buffer.spans) by_id[model::IdToHex(s.span_id)] = &s;
  size_t seen = 0;
  for (const auto& rs : doc.at("resourceSpans")) {
    for (const auto& ss : rs.at("scopeSpans")) {
      for (const auto& span : ss.at("spans")) {
        ++seen;
        auto it = by_id.find(span.at("spanId").get<std::string>());
        ASSERT_NE(it, by_id.end()) << "span id not written as hex";
        const SimSpan& s = *it->second;
        EXPECT_EQ(span.at("traceId").get<std::string>(), model::IdToHex(s.trace_id));
        if (model::IsZeroId(s.parent_span_id)) {
          EXPECT_FALSE(span.contains("parentSpanId"));
        } else {
          EXPECT_EQ(span.at("parentSpanId").get<std::string>(), model::IdToHex(s.parent_span_id));
        }
        EXPECT_TRUE(span.at("kind").is_number_integer());
        EXPECT_EQ(span.at("kind").get<int>(), static_cast<int>(s.kind));
        EXPECT_TRUE(span.contains("startTimeUnixNano"));
      }
    }
  }
  EXPECT_EQ(seen, buffer.spans.size());

  LogRequestBuilder log_requests(&resources);
  for (const SimLogRecord& r : buffer.logs) log_requests.Add(buffer, r);
  absl::StatusOr<std::string> log_json = ToOtlpJson(*log_requests.Take().message);
  ASSERT_TRUE(log_json.ok());
  const nlohmann::json log_doc = nlohmann::json::parse(*log_json);
  const auto& record = log_doc.at("resourceLogs")[0].at("scopeLogs")[0].at("logRecords")[0];
  EXPECT_EQ(record.at("traceId").get<std::string>().size(), 32u);
  EXPECT_EQ(record.at("spanId").get<std::string>().size(), 16u);
  EXPECT_TRUE(record.at("severityNumber").is_number_integer());
}

// The field-by-field writer says the same as protobuf's JSON printer (with OTLP's hex ids), and
// the JSON parses back into the same message.
void ExpectSameAsReflection(const google::protobuf::Message& m) {
  const absl::StatusOr<std::string> fast = ToOtlpJson(m);
  const absl::StatusOr<std::string> slow = ToOtlpJsonByReflection(m);
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_EQ(nlohmann::json::parse(*fast), nlohmann::json::parse(*slow)) << *fast << "\n" << *slow;
  std::unique_ptr<google::protobuf::Message> back(m.New());
  ASSERT_TRUE(FromOtlpJson(*fast, back.get()).ok());
  EXPECT_EQ(back->SerializeAsString(), m.SerializeAsString());
}

TEST(OtlpJsonTest, FastWriterMatchesProtobufsPrinterOnGeneratedRequests) {
  FleetOptions options;
  options.services = 20;
  const Fleet fleet = *Fleet::Build(options);
  const OtlpResources resources(fleet);
  TraceGenerator generator(&fleet, nullptr, 3);
  LogGenerator logs(&fleet, 1, 3);
  generator.set_log_generator(&logs);
  std::vector<InstanceLoad> load(fleet.instances.size());
  generator.set_instance_load(&load);
  TelemetryBuffer buffer;
  for (int i = 0; i < 20; ++i) generator.Generate(kStart + i * 1'000'000, 1.0, buffer);
  TraceRequestBuilder spans(&resources);
  for (const SimSpan& s : buffer.spans) spans.Add(buffer, s);
  ExpectSameAsReflection(*spans.Take().message);
  LogRequestBuilder log_requests(&resources);
  for (const SimLogRecord& r : buffer.logs) log_requests.Add(buffer, r);
  ExpectSameAsReflection(*log_requests.Take().message);
  RuntimeMetrics metrics(&fleet, &resources, 1, kStart, 3);
  for (const ExportPayload& p : metrics.Report(kStart + 10 * core::kNsPerSecond,
                                               10 * core::kNsPerSecond, load, nullptr, 100)) {
    ExpectSameAsReflection(*p.message);
  }
}

TEST(OtlpJsonTest, FastWriterMatchesProtobufsPrinterOnEveryField) {
  using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
  using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
  using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
  auto fill = [](auto* kvs) {
    auto* a = kvs->Add();
    a->set_key("s \"quoted\"\n\x01 ünï");
    a->mutable_value()->set_string_value("line\tbreak\\");
    kvs->Add()->set_key("empty value");
    auto* b = kvs->Add();
    b->set_key("b");
    b->mutable_value()->set_bool_value(false);
    auto* i = kvs->Add();
    i->set_key("i");
    i->mutable_value()->set_int_value(-9'000'000'000'000);
    auto* d = kvs->Add();
    d->set_key("d");
    d->mutable_value()->set_double_value(0.1);
    auto* arr = kvs->Add();
    arr->set_key("arr");
    arr->mutable_value()->mutable_array_value()->add_values()->set_double_value(
        std::numeric_limits<double>::infinity());
    arr->mutable_value()->mutable_array_value()->add_values()->set_bytes_value(
        std::string("\0\xff", 2));
    auto* kv = kvs->Add();
    kv->set_key("kv");
    auto* inner = kv->mutable_value()->mutable_kvlist_value()->add_values();
    inner->set_key("x");
    inner->mutable_value()->set_int_value(0);
  };
  ExportTraceServiceRequest traces;
  auto* rs = traces.add_resource_spans();
  fill(rs->mutable_resource()->mutable_attributes());
  rs->mutable_resource()->set_dropped_attributes_count(2);
  rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("scope");
  ss->mutable_scope()->set_dropped_attributes_count(1);
  auto* span = ss->add_spans();
  span->set_trace_id(std::string(16, '\x11'));
  span->set_span_id(std::string(8, '\x22'));
  span->set_trace_state("k=v");
  span->set_flags(0x301);
  span->set_name("GET /");
  span->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(UINT64_MAX);
  span->set_end_time_unix_nano(1);
  fill(span->mutable_attributes());
  auto* event = span->add_events();
  event->set_name("exception");
  event->set_time_unix_nano(5);
  span->set_dropped_events_count(3);
  auto* link = span->add_links();
  link->set_trace_id(std::string(16, '\x33'));
  link->set_span_id(std::string(8, '\x44'));
  link->set_flags(1);
  span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  ss->add_spans();                    // all defaults
  ss->add_spans()->mutable_status();  // an empty status
  ExpectSameAsReflection(traces);

  ExportMetricsServiceRequest metrics;
  auto* sm = metrics.add_resource_metrics()->add_scope_metrics();
  auto* gauge = sm->add_metrics();
  gauge->set_name("g");
  gauge->set_description("a gauge");
  gauge->set_unit("1");
  auto* gp = gauge->mutable_gauge()->add_data_points();
  gp->set_as_double(0.0);
  gp->set_time_unix_nano(7);
  auto* ex = gp->add_exemplars();
  ex->set_as_int(4);
  ex->set_span_id(std::string(8, '\x55'));
  ex->set_trace_id(std::string(16, '\x66'));
  fill(ex->mutable_filtered_attributes());
  gauge->mutable_gauge()->add_data_points()->set_as_int(0);
  gauge->mutable_gauge()->add_data_points()->set_as_double(std::nan(""));
  auto* sum = sm->add_metrics();
  sum->mutable_sum()->set_is_monotonic(true);
  sum->mutable_sum()->set_aggregation_temporality(
      opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_DELTA);
  sum->mutable_sum()->add_data_points()->set_as_int(-5);
  auto* hist = sm->add_metrics()->mutable_histogram();
  auto* hp = hist->add_data_points();
  hp->set_count(3);
  hp->set_sum(0);
  hp->add_bucket_counts(0);
  hp->add_bucket_counts(3);
  hp->add_explicit_bounds(0.5);
  hp->set_min(-1);
  hp->set_flags(1);
  auto* exp = sm->add_metrics()->mutable_exponential_histogram();
  auto* ep = exp->add_data_points();
  ep->set_scale(-2);
  ep->set_zero_count(1);
  ep->set_zero_threshold(1e-9);
  ep->mutable_positive()->set_offset(-3);
  ep->mutable_positive()->add_bucket_counts(9);
  ep->mutable_negative();
  ep->set_max(2);
  auto* summary = sm->add_metrics()->mutable_summary()->add_data_points();
  summary->set_sum(1.5);
  summary->set_count(2);
  auto* q = summary->add_quantile_values();
  q->set_quantile(0.99);
  q->set_value(0);
  fill(sm->add_metrics()->mutable_metadata());
  ExpectSameAsReflection(metrics);

  ExportLogsServiceRequest logs;
  auto* record = logs.add_resource_logs()->add_scope_logs()->add_log_records();
  record->set_time_unix_nano(1);
  record->set_observed_time_unix_nano(2);
  record->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_FATAL);
  record->set_severity_text("FATAL");
  record->mutable_body()->mutable_kvlist_value();
  record->set_flags(1);
  record->set_trace_id(std::string(16, '\x01'));
  record->set_span_id(std::string(8, '\x02'));
  record->set_event_name("crash");
  record->set_dropped_attributes_count(1);
  logs.mutable_resource_logs(0)->mutable_scope_logs(0)->add_log_records()->mutable_body();
  ExpectSameAsReflection(logs);
}

}  // namespace
}  // namespace augur::sim
