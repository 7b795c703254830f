#include <cmath>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/otlp_decoder.h"
#include "ingest/otlp_test_payloads.h"

namespace augur::ingest {
namespace {

namespace collector_trace = opentelemetry::proto::collector::trace::v1;
namespace collector_metrics = opentelemetry::proto::collector::metrics::v1;
namespace collector_logs = opentelemetry::proto::collector::logs::v1;
namespace common = opentelemetry::proto::common::v1;
namespace otlp_trace = opentelemetry::proto::trace::v1;
namespace otlp_metrics = opentelemetry::proto::metrics::v1;

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

void ExpectSameValue(const model::AnyValue& a, const model::AnyValue& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.bool_value, b.bool_value);
  EXPECT_EQ(a.int_value, b.int_value);
  if (std::isnan(a.double_value)) {
    EXPECT_TRUE(std::isnan(b.double_value));
  } else {
    EXPECT_EQ(a.double_value, b.double_value);
  }
  EXPECT_EQ(a.str, b.str);
}

void ExpectSameAttributes(std::span<const model::KeyValue> a, std::span<const model::KeyValue> b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].key);
    EXPECT_EQ(a[i].key, b[i].key);
    ExpectSameValue(a[i].value, b[i].value);
  }
}

template <typename Batch>
void ExpectSameResources(const Batch& a, const Batch& b) {
  ASSERT_EQ(a.resources.size(), b.resources.size());
  for (size_t i = 0; i < a.resources.size(); ++i) {
    const model::Resource& ra = a.resources[i];
    const model::Resource& rb = b.resources[i];
    EXPECT_EQ(ra.service_name, rb.service_name);
    EXPECT_EQ(ra.service_namespace, rb.service_namespace);
    EXPECT_EQ(ra.service_version, rb.service_version);
    EXPECT_EQ(ra.service_instance_id, rb.service_instance_id);
    ExpectSameAttributes(a.AttributesOf(ra.attributes), b.AttributesOf(rb.attributes));
  }
}

void ExpectSameSpans(const model::SpanBatch& a, const model::SpanBatch& b) {
  ExpectSameResources(a, b);
  ASSERT_EQ(a.spans.size(), b.spans.size());
  for (size_t i = 0; i < a.spans.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "span " << i);
    const model::Span& x = a.spans[i];
    const model::Span& y = b.spans[i];
    EXPECT_EQ(x.trace_id, y.trace_id);
    EXPECT_EQ(x.span_id, y.span_id);
    EXPECT_EQ(x.parent_span_id, y.parent_span_id);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.status_code, y.status_code);
    EXPECT_EQ(x.status_message, y.status_message);
    EXPECT_EQ(x.resource_index, y.resource_index);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.start_time_ns, y.start_time_ns);
    EXPECT_EQ(x.end_time_ns, y.end_time_ns);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.event_count, y.event_count);
    EXPECT_EQ(x.link_count, y.link_count);
    ExpectSameAttributes(a.AttributesOf(x.attributes), b.AttributesOf(y.attributes));
  }
}

template <typename T>
std::vector<T> Slice(const std::vector<T>& pool, model::PoolRange r) {
  return std::vector<T>(pool.begin() + r.begin, pool.begin() + r.begin + r.count);
}

void ExpectSameMetrics(const model::MetricBatch& a, const model::MetricBatch& b) {
  ExpectSameResources(a, b);
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    const model::Metric& x = a.metrics[i];
    const model::Metric& y = b.metrics[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.description, y.description);
    EXPECT_EQ(x.unit, y.unit);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.temporality, y.temporality);
    EXPECT_EQ(x.is_monotonic, y.is_monotonic);
    EXPECT_EQ(x.resource_index, y.resource_index);
    EXPECT_EQ(x.points.begin, y.points.begin);
    EXPECT_EQ(x.points.count, y.points.count);
  }
  ASSERT_EQ(a.points.size(), b.points.size());
  for (size_t i = 0; i < a.points.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "point " << i);
    const model::MetricPoint& x = a.points[i];
    const model::MetricPoint& y = b.points[i];
    EXPECT_EQ(x.metric_index, y.metric_index);
    ExpectSameAttributes(a.AttributesOf(x.attributes), b.AttributesOf(y.attributes));
    EXPECT_EQ(x.start_time_ns, y.start_time_ns);
    EXPECT_EQ(x.time_ns, y.time_ns);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.value, y.value);
    EXPECT_EQ(x.int_value, y.int_value);
    EXPECT_EQ(x.is_int, y.is_int);
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.sum, y.sum);
    EXPECT_EQ(x.has_sum, y.has_sum);
    EXPECT_EQ(x.min, y.min);
    EXPECT_EQ(x.max, y.max);
    EXPECT_EQ(x.has_min, y.has_min);
    EXPECT_EQ(x.has_max, y.has_max);
    EXPECT_EQ(Slice(a.bucket_counts, x.bucket_counts), Slice(b.bucket_counts, y.bucket_counts));
    EXPECT_EQ(Slice(a.explicit_bounds, x.explicit_bounds),
              Slice(b.explicit_bounds, y.explicit_bounds));
    EXPECT_EQ(x.scale, y.scale);
    EXPECT_EQ(x.zero_count, y.zero_count);
    EXPECT_EQ(x.zero_threshold, y.zero_threshold);
    EXPECT_EQ(x.positive_offset, y.positive_offset);
    EXPECT_EQ(Slice(a.bucket_counts, x.positive_counts), Slice(b.bucket_counts, y.positive_counts));
    EXPECT_EQ(x.negative_offset, y.negative_offset);
    EXPECT_EQ(Slice(a.bucket_counts, x.negative_counts), Slice(b.bucket_counts, y.negative_counts));
    auto qa = Slice(a.quantiles, x.quantiles);
    auto qb = Slice(b.quantiles, y.quantiles);
    ASSERT_EQ(qa.size(), qb.size());
    for (size_t k = 0; k < qa.size(); ++k) {
      EXPECT_EQ(qa[k].quantile, qb[k].quantile);
      EXPECT_EQ(qa[k].value, qb[k].value);
    }
  }
}

void ExpectSameLogs(const model::LogBatch& a, const model::LogBatch& b) {
  ExpectSameResources(a, b);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "record " << i);
    const model::LogRecord& x = a.records[i];
    const model::LogRecord& y = b.records[i];
    EXPECT_EQ(x.time_ns, y.time_ns);
    EXPECT_EQ(x.observed_time_ns, y.observed_time_ns);
    EXPECT_EQ(x.severity_number, y.severity_number);
    EXPECT_EQ(x.severity_text, y.severity_text);
    ExpectSameValue(x.body, y.body);
    ExpectSameAttributes(a.AttributesOf(x.attributes), b.AttributesOf(y.attributes));
    EXPECT_EQ(x.trace_id, y.trace_id);
    EXPECT_EQ(x.span_id, y.span_id);
    EXPECT_EQ(x.resource_index, y.resource_index);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.event_name, y.event_name);
  }
}

common::KeyValue* AddAttr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs,
                          std::string key) {
  common::KeyValue* kv = attrs->Add();
  kv->set_key(std::move(key));
  return kv;
}

// The sample request plus a span that carries every kind of value, event, link and status.
collector_trace::ExportTraceServiceRequest TracesWithEveryValueType() {
  collector_trace::ExportTraceServiceRequest request = SampleTraceRequest(3, 30, 11);
  otlp_trace::Span* span = request.mutable_resource_spans(1)->mutable_scope_spans(0)->add_spans();
  span->set_trace_id(std::string(16, '\xab'));
  span->set_span_id(std::string(8, '\xcd'));
  span->set_parent_span_id(std::string(8, '\x01'));
  span->set_name("every value");
  span->set_kind(otlp_trace::Span::SPAN_KIND_CONSUMER);
  span->set_start_time_unix_nano(uint64_t{1} << 62);
  span->set_end_time_unix_nano((uint64_t{1} << 62) + 1);
  span->set_flags(0x100);
  span->mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("é \"quoted\" \\ \n");
  auto* attrs = span->mutable_attributes();
  AddAttr(attrs, "s")->mutable_value()->set_string_value("ünïcode ✓");
  AddAttr(attrs, "b")->mutable_value()->set_bool_value(false);
  AddAttr(attrs, "i")->mutable_value()->set_int_value(-9'007'199'254'740'993);
  AddAttr(attrs, "d")->mutable_value()->set_double_value(-0.1);
  AddAttr(attrs, "nan")->mutable_value()->set_double_value(std::nan(""));
  AddAttr(attrs, "inf")->mutable_value()->set_double_value(-INFINITY);
  AddAttr(attrs, "y")->mutable_value()->set_bytes_value(std::string("\x00\x01\xfe\xff", 4));
  common::ArrayValue* array = AddAttr(attrs, "a")->mutable_value()->mutable_array_value();
  array->add_values()->set_int_value(1);
  array->add_values()->set_double_value(1e300);
  array->add_values()->set_string_value("x\ty");
  array->add_values()->set_bytes_value("\xff");
  array->add_values()->mutable_array_value();
  common::KeyValue* kv = array->add_values()->mutable_kvlist_value()->add_values();
  kv->set_key("k\"");
  kv->mutable_value()->set_bool_value(true);
  AddAttr(attrs, "empty")->mutable_value();
  for (int i = 0; i < 2; ++i) span->add_events()->set_name("e");
  span->add_links()->set_span_id(std::string(8, '\x02'));
  return request;
}

TEST(OtlpJsonDecoderTest, DecodesTracesExactlyAsTheProtobufDecoder) {
  collector_trace::ExportTraceServiceRequest request = TracesWithEveryValueType();
  const std::string bytes = request.SerializeAsString();
  model::SpanBatch from_proto;
  DecodeResult proto_result;
  ASSERT_TRUE(DecodeTracesProto(bytes, {}, &from_proto, &proto_result).ok());
  ASSERT_EQ(proto_result.accepted, 31u) << proto_result.first_error;
  for (bool snake_case : {false, true}) {
    SCOPED_TRACE(snake_case ? "snake_case" : "lowerCamelCase");
    const std::string json = ToOtlpJson(request, snake_case);
    model::SpanBatch from_json;
    DecodeResult json_result;
    absl::Status status = DecodeTracesJson(json, {}, &from_json, &json_result);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(json_result.accepted, 31u);
    EXPECT_EQ(json_result.rejected, 0u) << json_result.first_error;
    ExpectSameSpans(from_proto, from_json);
  }
}

TEST(OtlpJsonDecoderTest, DecodesMetricsExactlyAsTheProtobufDecoder) {
  collector_metrics::ExportMetricsServiceRequest request = SampleMetricsRequest(2, 2, 3, 5);
  auto* extra = request.mutable_resource_metrics(0)->mutable_scope_metrics(0)->add_metrics();
  extra->set_name("special");
  auto* p = extra->mutable_gauge()->add_data_points();
  p->set_time_unix_nano(1);
  p->set_as_double(INFINITY);
  p->set_flags(1);
  auto* q = extra->mutable_gauge()->add_data_points();
  q->set_time_unix_nano(2);
  q->set_as_int(std::numeric_limits<int64_t>::min());
  const std::string bytes = request.SerializeAsString();
  model::MetricBatch from_proto;
  DecodeResult proto_result;
  ASSERT_TRUE(DecodeMetricsProto(bytes, {}, &from_proto, &proto_result).ok());
  ASSERT_EQ(proto_result.accepted, 2u * 2u * 5u * 3u + 2u) << proto_result.first_error;
  for (bool snake_case : {false, true}) {
    SCOPED_TRACE(snake_case ? "snake_case" : "lowerCamelCase");
    model::MetricBatch from_json;
    DecodeResult json_result;
    absl::Status status =
        DecodeMetricsJson(ToOtlpJson(request, snake_case), {}, &from_json, &json_result);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(json_result.accepted, proto_result.accepted) << json_result.first_error;
    ExpectSameMetrics(from_proto, from_json);
  }
}

TEST(OtlpJsonDecoderTest, DecodesLogsExactlyAsTheProtobufDecoder) {
  collector_logs::ExportLogsServiceRequest request = SampleLogsRequest(3, 40, 9);
  auto* record = request.mutable_resource_logs(2)->mutable_scope_logs(0)->add_log_records();
  common::KeyValue* kv = record->mutable_body()->mutable_kvlist_value()->add_values();
  kv->set_key("event");
  kv->mutable_value()->set_string_value("login");
  record->set_event_name("user.login");
  const std::string bytes = request.SerializeAsString();
  model::LogBatch from_proto;
  DecodeResult proto_result;
  ASSERT_TRUE(DecodeLogsProto(bytes, {}, &from_proto, &proto_result).ok());
  ASSERT_EQ(proto_result.accepted, 41u) << proto_result.first_error;
  for (bool snake_case : {false, true}) {
    SCOPED_TRACE(snake_case ? "snake_case" : "lowerCamelCase");
    model::LogBatch from_json;
    DecodeResult json_result;
    absl::Status status =
        DecodeLogsJson(ToOtlpJson(request, snake_case), {}, &from_json, &json_result);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(json_result.accepted, 41u) << json_result.first_error;
    ExpectSameLogs(from_proto, from_json);
  }
}

// As the OTLP specification's example (opentelemetry-proto examples/trace.json) writes it:
// integers as numbers, enums as integers.
constexpr char kSpecTraceExample[] = R"({
  "resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
    "scopeSpans": [{
      "scope": {"name": "my.library", "version": "1.0.0",
                "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]},
      "spans": [{
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "parentSpanId": "EEE19B7EC3C1B173",
        "name": "I'm a server span",
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": 1544712661000000000,
        "kind": 2,
        "attributes": [
          {"key": "my.span.attr", "value": {"stringValue": "some value"}},
          {"key": "count", "value": {"intValue": 12}},
          {"key": "ratio", "value": {"doubleValue": "NaN"}},
          {"key": "blob", "value": {"bytesValue": "3q2+7w=="}},
          {"key": "list", "value": {"arrayValue": {"values": [{"intValue": "7"}, {"boolValue": true}]}}},
          {"key": "map", "value": {"kvlistValue": {"values": [{"key": "a", "value": {"doubleValue": 1}}]}}}
        ],
        "status": {"code": "STATUS_CODE_OK", "message": null},
        "events": [{"name": "e1"}],
        "unknownField": {"ignored": [1, 2, 3]}
      }]
    }]
  }]
})";

TEST(OtlpJsonDecoderTest, DecodesTheSpecificationExample) {
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTracesJson(kSpecTraceExample, {}, &batch, &result).ok());
  ASSERT_EQ(result.accepted, 1u) << result.first_error;
  EXPECT_EQ(batch.resources[0].service_name, "my.service");
  const model::Span& s = batch.spans[0];
  EXPECT_EQ(model::IdToHex(s.trace_id), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(model::IdToHex(s.span_id), "eee19b7ec3c1b174");
  EXPECT_EQ(model::IdToHex(s.parent_span_id), "eee19b7ec3c1b173");
  EXPECT_EQ(s.name, "I'm a server span");
  EXPECT_EQ(s.start_time_ns, 1544712660000000000);
  EXPECT_EQ(s.end_time_ns, 1544712661000000000);
  EXPECT_EQ(s.kind, model::SpanKind::kServer);
  EXPECT_EQ(s.status_code, model::StatusCode::kOk);
  EXPECT_EQ(s.event_count, 1u);
  auto a = batch.AttributesOf(s.attributes);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].value.str, "some value");
  EXPECT_EQ(a[1].value.int_value, 12);
  EXPECT_TRUE(std::isnan(a[2].value.double_value));
  EXPECT_EQ(a[3].value.type, model::ValueType::kBytes);
  EXPECT_EQ(a[3].value.str, "\xde\xad\xbe\xef");
  EXPECT_EQ(a[4].value.str, "[7,true]");
  EXPECT_EQ(a[5].value.str, R"({"a":1})");
  // The views stay valid with the batch: the decoder retained the document.
  model::SpanBatch moved = std::move(batch);
  EXPECT_EQ(moved.spans[0].name, "I'm a server span");
}

TEST(OtlpJsonDecoderTest, AcceptsEnumNamesNumbersAndStringNumbers) {
  constexpr char kJson[] = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"s","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","isMonotonic":true,
      "dataPoints":[{"timeUnixNano":1,"asInt":"-5"},{"timeUnixNano":"2","asDouble":"Infinity"},
                    {"timeUnixNano":3.0,"asDouble":"-Infinity"},{"timeUnixNano":4,"asDouble":"2.5"}]}},
    {"name":"h","histogram":{"aggregation_temporality":2,"data_points":[
      {"time_unix_nano":"5","count":"3","bucket_counts":["1",2],"explicit_bounds":[0.5],"sum":1}]}},
    {"name":"e","exponentialHistogram":{"dataPoints":[{"timeUnixNano":6,"scale":-2,"zeroCount":"1",
      "positive":{"offset":-1,"bucketCounts":["4","5"]},"negative":{}}]}},
    {"name":"q","summary":{"dataPoints":[{"timeUnixNano":7,"quantileValues":[{"quantile":0.5,"value":"NaN"}]}]}}
  ]}]}]})";
  model::MetricBatch batch;
  DecodeResult result;
  absl::Status status = DecodeMetricsJson(kJson, {}, &batch, &result);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(result.accepted, 7u) << result.first_error;
  EXPECT_EQ(batch.metrics[0].temporality, model::Temporality::kDelta);
  EXPECT_TRUE(batch.metrics[0].is_monotonic);
  EXPECT_EQ(batch.points[0].int_value, -5);
  EXPECT_TRUE(batch.points[0].is_int);
  EXPECT_EQ(batch.points[1].time_ns, 2);
  EXPECT_EQ(batch.points[1].value, INFINITY);
  EXPECT_EQ(batch.points[2].value, -INFINITY);
  EXPECT_EQ(batch.points[3].value, 2.5);
  EXPECT_EQ(batch.metrics[1].temporality, model::Temporality::kCumulative);
  EXPECT_EQ(batch.points[4].count, 3u);
  EXPECT_EQ(Slice(batch.bucket_counts, batch.points[4].bucket_counts),
            (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(batch.points[5].scale, -2);
  EXPECT_EQ(batch.points[5].positive_offset, -1);
  EXPECT_EQ(Slice(batch.bucket_counts, batch.points[5].positive_counts),
            (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(batch.points[5].negative_counts.count, 0u);
  EXPECT_TRUE(std::isnan(batch.quantiles[batch.points[6].quantiles.begin].value));

  constexpr char kLogs[] = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[
    {"severityNumber":"SEVERITY_NUMBER_WARN3","severityText":"WARN","body":{"stringValue":"x"}},
    {"severity_number":21}]}]}]})";
  model::LogBatch logs;
  ASSERT_TRUE(DecodeLogsJson(kLogs, {}, &logs, &result).ok());
  ASSERT_EQ(logs.records.size(), 2u);
  EXPECT_EQ(logs.records[0].severity_number, 15);
  EXPECT_EQ(logs.records[1].severity_number, 21);
}

std::string SpanJson(std::string_view fields) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2122232425262728","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2"},{)" +
         std::string(fields) + "}]}]}]}";
}

constexpr char kValidSpanFields[] =
    R"("traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2122232425262728","startTimeUnixNano":"1","endTimeUnixNano":"2")";

TEST(OtlpJsonDecoderTest, RejectsInvalidSpansAndKeepsTheRest) {
  struct Case {
    std::string fields;
    std::string reason;
  };
  const std::string ids = R"("startTimeUnixNano":"1","endTimeUnixNano":"2")";
  const std::vector<Case> cases = {
      {R"("traceId":"0102","spanId":"2122232425262728",)" + ids,
       "trace_id is 4 hex digits, want 32"},
      {R"("traceId":"0102030405060708090a0b0c0d0e0fzz","spanId":"2122232425262728",)" + ids,
       "trace_id is not hex"},
      {R"("traceId":"00000000000000000000000000000000","spanId":"2122232425262728",)" + ids,
       "trace_id is all zero"},
      {R"("traceId":"","spanId":"2122232425262728",)" + ids, "trace_id is missing"},
      {R"("traceId":"0102030405060708090a0b0c0d0e0f10",)" + ids, "span_id is missing"},
      {R"("traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000000",)" + ids,
       "span_id is all zero"},
      {std::string(kValidSpanFields) + R"(,"parentSpanId":"01")",
       "parent_span_id is 2 hex digits, want 16"},
      {R"("traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2122232425262728","endTimeUnixNano":"2")",
       "start_time_unix_nano is zero"},
      {R"("traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2122232425262728","startTimeUnixNano":"3","endTimeUnixNano":"2")",
       "end_time_unix_nano 2 is before start_time_unix_nano 3"},
      {std::string(kValidSpanFields) +
           R"(,"attributes":[{"key":"k","value":{"arrayValue":{"values":[{"arrayValue":{}}]}}}])",
       "attributes[0] value nests deeper than max_nesting_depth 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fields);
    model::SpanBatch batch;
    DecodeResult result;
    DecodeLimits limits;
    limits.max_nesting_depth = 1;
    absl::Status status = DecodeTracesJson(SpanJson(c.fields), limits, &batch, &result);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(result.accepted, 1u);
    EXPECT_EQ(result.rejected, 1u);
    EXPECT_EQ(result.first_error, "resourceSpans[0].scopeSpans[0].spans[1]: " + c.reason);
    EXPECT_EQ(batch.attributes.size(), 0u);
  }
}

TEST(OtlpJsonDecoderTest, EmptyParentSpanIdMeansRoot) {
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTracesJson(SpanJson(std::string(kValidSpanFields) + R"(,"parentSpanId":"")"),
                               {}, &batch, &result)
                  .ok());
  ASSERT_EQ(result.accepted, 2u);
  EXPECT_TRUE(batch.spans[1].IsRoot());
}

TEST(OtlpJsonDecoderTest, InvalidUtf8) {
  // Raw invalid UTF-8 makes the document invalid JSON (RFC 8259 requires UTF-8).
  model::SpanBatch batch;
  DecodeResult result;
  absl::Status status = DecodeTracesJson(
      SpanJson(std::string(kValidSpanFields) + ",\"name\":\"\xff\""), {}, &batch, &result);
  EXPECT_THAT(Msg(status), StartsWith("invalid JSON: "));
  EXPECT_THAT(Msg(status), HasSubstr("UTF-8"));
}

TEST(OtlpJsonDecoderTest, EscapedLoneSurrogateIsInvalidJson) {
  // simdjson refuses escapes that do not denote a Unicode scalar value, so no string the decoder
  // sees can hold one.
  model::SpanBatch batch;
  DecodeResult result;
  absl::Status status = DecodeTracesJson(
      SpanJson(std::string(kValidSpanFields) + R"(,"name":"a\ud800b")"), {}, &batch, &result);
  EXPECT_EQ(Msg(status), "invalid JSON: Problem while parsing a string");
}

TEST(OtlpJsonDecoderTest, AppliesLimits) {
  std::string attrs;
  for (int i = 0; i < 5; ++i) {
    attrs += (i ? "," : "") + std::string(R"({"key":"k)") + std::to_string(i) +
             R"(","value":{"stringValue":"abcd\u00e9xyz"}})";
  }
  std::string json = SpanJson(std::string(kValidSpanFields) + R"(,"attributes":[)" + attrs + "]");
  DecodeLimits limits;
  limits.max_attributes_per_item = 3;
  limits.max_attribute_value_bytes = 5;
  limits.max_items = 1;
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTracesJson(json, limits, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.rejected, 1u);
  EXPECT_EQ(result.first_error, "resourceSpans[0].scopeSpans[0].spans[1]: beyond max_items 1");
  limits.max_items = 10;
  ASSERT_TRUE(DecodeTracesJson(json, limits, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 2u);
  EXPECT_EQ(result.truncated_attributes, 2u);
  EXPECT_EQ(result.truncated_values, 3u);
  auto a = batch.AttributesOf(batch.spans.back().attributes);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].key, "k2");
  EXPECT_EQ(a[2].value.str, "abcd");
}

TEST(OtlpJsonDecoderTest, WholeRequestErrorsNameThePathAndTheExpectedType) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{", "invalid JSON: "},
      {R"({"resourceSpans":[}]})", "invalid JSON: "},
      {"[]", "invalid OTLP/JSON: expected object, got array"},
      {R"({"resourceSpans":{}})", "invalid OTLP/JSON at resourceSpans: expected array, got object"},
      {R"({"resourceSpans":[1]})",
       "invalid OTLP/JSON at resourceSpans[0]: expected object, got number"},
      {SpanJson(R"("traceId":5)"),
       "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[1].traceId: expected string, got "
       "number"},
      {SpanJson(R"("startTimeUnixNano":{})"),
       "at resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: expected unsigned integer "
       "(number or decimal string), got object"},
      {SpanJson(R"("startTimeUnixNano":"12x")"),
       "spans[1].startTimeUnixNano: expected unsigned integer (number or decimal string), got "
       "\"12x\""},
      {SpanJson(R"("startTimeUnixNano":-1)"), "spans[1].startTimeUnixNano: expected unsigned"},
      {SpanJson(R"("startTimeUnixNano":1.5)"), "spans[1].startTimeUnixNano: expected unsigned"},
      {SpanJson(R"("kind":"SPAN_KIND_SIDEWAYS")"),
       "spans[1].kind: unknown enum value \"SPAN_KIND_SIDEWAYS\""},
      {SpanJson(R"("kind":true)"), "spans[1].kind: expected enum (integer or name), got boolean"},
      {SpanJson(R"("status":{"code":[]})"), "spans[1].status.code: expected enum"},
      {SpanJson(R"("attributes":{})"), "spans[1].attributes: expected array, got object"},
      {SpanJson(R"("attributes":[{"key":1}])"), "spans[1].attributes[0].key: expected string"},
      {SpanJson(R"("attributes":[{"key":"k","value":{"intValue":"x"}}])"),
       "spans[1].attributes[0].value.intValue: expected integer (number or decimal string), got "
       "\"x\""},
      {SpanJson(R"("attributes":[{"key":"k","value":{"doubleValue":"nan"}}])"),
       "attributes[0].value.doubleValue: expected number"},
      {SpanJson(R"("attributes":[{"key":"k","value":{"bytesValue":"!!"}}])"),
       "attributes[0].value.bytesValue: expected base64, got \"!!\""},
      {SpanJson(
           R"("attributes":[{"key":"k","value":{"arrayValue":{"values":[{"boolValue":1}]}}}])"),
       "attributes[0].value.arrayValue.values[0].boolValue: expected boolean, got number"},
      {SpanJson(R"("events":[1])"), "spans[1].events[0]: expected object, got number"},
      {SpanJson(R"("flags":4294967296)"), "spans[1].flags: 4294967296 is out of range for uint32"},
      {R"({"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":[]}]}}]})",
       "at resourceSpans[0].resource.attributes[0].value: expected object, got array"},
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[{"bucketCounts":[1,"x"]}]}}]}]}]})",
       "at resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]: "
       "expected unsigned integer"},
      {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"text"}]}]}]})",
       "at resourceLogs[0].scopeLogs[0].logRecords[0].body: expected object, got string"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    model::SpanBatch spans;
    model::MetricBatch metrics;
    model::LogBatch logs;
    DecodeResult result;
    absl::Status status;
    if (c.json.find("resourceMetrics") != std::string::npos) {
      status = DecodeMetricsJson(c.json, {}, &metrics, &result);
    } else if (c.json.find("resourceLogs") != std::string::npos) {
      status = DecodeLogsJson(c.json, {}, &logs, &result);
    } else {
      status = DecodeTracesJson(c.json, {}, &spans, &result);
    }
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Msg(status), HasSubstr(c.message));
  }
}

TEST(OtlpJsonDecoderTest, EmptyInputAndNullsAndUnknownKeys) {
  model::SpanBatch batch;
  DecodeResult result;
  EXPECT_TRUE(DecodeTracesJson("", {}, &batch, &result).ok());
  EXPECT_TRUE(DecodeTracesJson(" \n", {}, &batch, &result).ok());
  EXPECT_TRUE(DecodeTracesJson("{}", {}, &batch, &result).ok());
  EXPECT_TRUE(DecodeTracesJson(R"({"resourceSpans":null,"other":[1]})", {}, &batch, &result).ok());
  EXPECT_EQ(batch.spans.size(), 0u);
  ASSERT_TRUE(DecodeTracesJson(SpanJson(std::string(kValidSpanFields) +
                                        R"(,"name":null,"kind":null,"x":{"y":[true]},"status":{})"),
                               {}, &batch, &result)
                  .ok());
  EXPECT_EQ(result.accepted, 2u);
  EXPECT_EQ(batch.spans[1].name, "");
}

TEST(OtlpJsonDecoderTest, SurvivesTruncationAtEveryOffset) {
  const std::string json = ToOtlpJson(SampleTraceRequest(2, 3, 4));
  for (size_t n = 0; n < json.size(); ++n) {
    std::unique_ptr<char[]> prefix(new char[n + 1]);
    std::memcpy(prefix.get(), json.data(), n);
    model::SpanBatch batch;
    DecodeResult result;
    absl::Status status = DecodeTracesJson(std::string_view(prefix.get(), n), {}, &batch, &result);
    if (n > 0) {
      EXPECT_FALSE(status.ok()) << n;  // a JSON document cut short is never complete
      EXPECT_THAT(Msg(status), StartsWith("invalid JSON: "));
    }
  }
  const std::string metrics = ToOtlpJson(SampleMetricsRequest(1, 1, 1, 4));
  const std::string logs = ToOtlpJson(SampleLogsRequest(1, 2, 4));
  for (size_t n = 1; n < metrics.size(); ++n) {
    model::MetricBatch batch;
    DecodeResult result;
    EXPECT_FALSE(DecodeMetricsJson(metrics.substr(0, n), {}, &batch, &result).ok());
  }
  for (size_t n = 1; n < logs.size(); ++n) {
    model::LogBatch batch;
    DecodeResult result;
    EXPECT_FALSE(DecodeLogsJson(logs.substr(0, n), {}, &batch, &result).ok());
  }
}

}  // namespace
}  // namespace augur::ingest
