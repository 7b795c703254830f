#include <cmath>
#include <random>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/stubs/logging.h>
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
namespace otlp_logs = opentelemetry::proto::logs::v1;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Hand-made wire format, for what the generated classes cannot write (unpacked repeated fields,
// wrong wire types, bad lengths).
class Wire {
 public:
  Wire& Tag(uint32_t field, uint32_t wire_type) { return Varint(uint64_t{field} << 3 | wire_type); }
  Wire& Varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<char>(v));
    return *this;
  }
  Wire& VarintField(uint32_t field, uint64_t v) { return Tag(field, 0).Varint(v); }
  Wire& Fixed64Field(uint32_t field, uint64_t v) {
    Tag(field, 1);
    bytes_.append(reinterpret_cast<const char*>(&v), 8);
    return *this;
  }
  Wire& DoubleField(uint32_t field, double d) {
    uint64_t v;
    std::memcpy(&v, &d, 8);
    return Fixed64Field(field, v);
  }
  Wire& BytesField(uint32_t field, std::string_view s) {
    Tag(field, 2).Varint(s.size());
    bytes_.append(s);
    return *this;
  }
  Wire& MessageField(uint32_t field, const Wire& m) { return BytesField(field, m.Str()); }
  Wire& Raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  const std::string& Str() const { return bytes_; }

 private:
  std::string bytes_;
};

std::string Id(uint8_t first, int n) {
  std::string id(n, '\0');
  for (int i = 0; i < n; ++i) id[i] = static_cast<char>(first + i);
  return id;
}

// A valid span with the given name.
void FillValidSpan(otlp_trace::Span* span, std::string name = "op") {
  span->set_trace_id(Id(1, 16));
  span->set_span_id(Id(0x21, 8));
  span->set_name(std::move(name));
  span->set_start_time_unix_nano(1'000);
  span->set_end_time_unix_nano(2'000);
}

common::KeyValue* AddAttr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs,
                          std::string key) {
  common::KeyValue* kv = attrs->Add();
  kv->set_key(std::move(key));
  return kv;
}

// Serializes without libprotobuf's log lines about the invalid UTF-8 that tests write on purpose.
std::string Serialize(const google::protobuf::Message& message) {
  google::protobuf::LogSilencer silence;
  return message.SerializeAsString();
}

absl::Status DecodeTraces(const google::protobuf::Message& request, model::SpanBatch* batch,
                          DecodeResult* result, const DecodeLimits& limits = {}) {
  static thread_local std::string bytes;  // views point into it until the next call
  bytes = Serialize(request);
  return DecodeTracesProto(bytes, limits, batch, result);
}

// Structural invariants every decoded batch must satisfy, whatever the input.
void ExpectConsistent(const model::SpanBatch& batch, const DecodeResult& result) {
  EXPECT_EQ(batch.spans.size(), result.accepted);
  for (const model::Span& span : batch.spans) {
    ASSERT_LT(span.resource_index, batch.resources.size());
    ASSERT_LE(span.attributes.begin + span.attributes.count, batch.attributes.size());
  }
  for (const model::Resource& r : batch.resources) {
    ASSERT_LE(r.attributes.begin + r.attributes.count, batch.attributes.size());
  }
}

TEST(OtlpProtoDecoderTest, EmptyInputIsAValidRequestWithNoItems) {
  model::SpanBatch spans;
  model::MetricBatch metrics;
  model::LogBatch logs;
  DecodeResult result;
  ASSERT_TRUE(DecodeTracesProto("", {}, &spans, &result).ok());
  EXPECT_EQ(result.accepted, 0u);
  EXPECT_TRUE(spans.spans.empty());
  EXPECT_TRUE(spans.resources.empty());
  ASSERT_TRUE(DecodeMetricsProto("", {}, &metrics, &result).ok());
  EXPECT_TRUE(metrics.points.empty());
  ASSERT_TRUE(DecodeLogsProto("", {}, &logs, &result).ok());
  EXPECT_TRUE(logs.records.empty());
}

TEST(OtlpProtoDecoderTest, DecodesEverySpanField) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::ResourceSpans* rs = request.add_resource_spans();
  auto* rattrs = rs->mutable_resource()->mutable_attributes();
  AddAttr(rattrs, "host.name")->mutable_value()->set_string_value("node-1");
  AddAttr(rattrs, "service.name")->mutable_value()->set_string_value("checkout");
  AddAttr(rattrs, "service.namespace")->mutable_value()->set_string_value("shop");
  AddAttr(rattrs, "service.version")->mutable_value()->set_string_value("2.1.0");
  AddAttr(rattrs, "service.instance.id")->mutable_value()->set_string_value("pod-7");
  rs->set_schema_url("https://opentelemetry.io/schemas/1.24.0");
  otlp_trace::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("io.opentelemetry.http");
  ss->mutable_scope()->set_version("1.0");
  AddAttr(ss->mutable_scope()->mutable_attributes(), "scope.attr")
      ->mutable_value()
      ->set_int_value(1);
  otlp_trace::Span* span = ss->add_spans();
  span->set_trace_id(Id(1, 16));
  span->set_span_id(Id(0x21, 8));
  span->set_parent_span_id(Id(0x31, 8));
  span->set_trace_state("vendor=1");
  span->set_name("GET /api/cart");
  span->set_kind(otlp_trace::Span::SPAN_KIND_CLIENT);
  span->set_start_time_unix_nano(1'767'225'600'000'000'000);
  span->set_end_time_unix_nano(1'767'225'600'250'000'000);
  span->set_flags(0x301);
  AddAttr(span->mutable_attributes(), "http.request.method")
      ->mutable_value()
      ->set_string_value("GET");
  AddAttr(span->mutable_attributes(), "http.response.status_code")
      ->mutable_value()
      ->set_int_value(503);
  span->set_dropped_attributes_count(4);
  for (int i = 0; i < 3; ++i) {
    otlp_trace::Span::Event* event = span->add_events();
    event->set_name("retry");
    event->set_time_unix_nano(1'767'225'600'100'000'000);
    AddAttr(event->mutable_attributes(), "attempt")->mutable_value()->set_int_value(i);
  }
  otlp_trace::Span::Link* link = span->add_links();
  link->set_trace_id(Id(0x41, 16));
  link->set_span_id(Id(0x51, 8));
  AddAttr(link->mutable_attributes(), "link.kind")->mutable_value()->set_string_value("follows");
  span->mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("upstream timed out");

  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.rejected, 0u);
  EXPECT_EQ(result.first_error, "");
  ExpectConsistent(batch, result);

  ASSERT_EQ(batch.resources.size(), 1u);
  const model::Resource& resource = batch.resources[0];
  EXPECT_EQ(resource.service_name, "checkout");
  EXPECT_EQ(resource.service_namespace, "shop");
  EXPECT_EQ(resource.service_version, "2.1.0");
  EXPECT_EQ(resource.service_instance_id, "pod-7");
  auto resource_attrs = batch.AttributesOf(resource.attributes);
  ASSERT_EQ(resource_attrs.size(), 5u);
  EXPECT_EQ(resource_attrs[0].key, "host.name");
  EXPECT_EQ(resource_attrs[0].value.str, "node-1");

  ASSERT_EQ(batch.spans.size(), 1u);
  const model::Span& s = batch.spans[0];
  EXPECT_EQ(model::IdToHex(s.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(model::IdToHex(s.span_id), "2122232425262728");
  EXPECT_EQ(model::IdToHex(s.parent_span_id), "3132333435363738");
  EXPECT_FALSE(s.IsRoot());
  EXPECT_EQ(s.name, "GET /api/cart");
  EXPECT_EQ(s.kind, model::SpanKind::kClient);
  EXPECT_EQ(s.start_time_ns, 1'767'225'600'000'000'000);
  EXPECT_EQ(s.end_time_ns, 1'767'225'600'250'000'000);
  EXPECT_EQ(s.DurationNs(), 250'000'000);
  EXPECT_EQ(s.flags, 0x301u);
  EXPECT_EQ(s.status_code, model::StatusCode::kError);
  EXPECT_EQ(s.status_message, "upstream timed out");
  EXPECT_EQ(s.event_count, 3u);
  EXPECT_EQ(s.link_count, 1u);
  EXPECT_EQ(s.resource_index, 0u);
  EXPECT_EQ(&batch.ResourceOf(s), &batch.resources[0]);
  auto attrs = batch.AttributesOf(s.attributes);
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0].key, "http.request.method");
  EXPECT_EQ(attrs[0].value.type, model::ValueType::kString);
  EXPECT_EQ(attrs[0].value.str, "GET");
  EXPECT_EQ(attrs[1].key, "http.response.status_code");
  EXPECT_EQ(attrs[1].value.type, model::ValueType::kInt);
  EXPECT_EQ(attrs[1].value.int_value, 503);
}

TEST(OtlpProtoDecoderTest, DecodesEveryAnyValueType) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::Span* span = request.add_resource_spans()->add_scope_spans()->add_spans();
  FillValidSpan(span);
  auto* attrs = span->mutable_attributes();
  AddAttr(attrs, "s")->mutable_value()->set_string_value("text \"quoted\"");
  AddAttr(attrs, "b")->mutable_value()->set_bool_value(true);
  AddAttr(attrs, "i")->mutable_value()->set_int_value(-42);
  AddAttr(attrs, "d")->mutable_value()->set_double_value(3.5);
  AddAttr(attrs, "y")->mutable_value()->set_bytes_value(std::string("\x00\xff", 2));
  common::ArrayValue* array = AddAttr(attrs, "a")->mutable_value()->mutable_array_value();
  array->add_values()->set_int_value(1);
  array->add_values()->set_string_value("a\n");
  array->add_values()->mutable_array_value()->add_values()->set_bool_value(true);
  common::KeyValue* inner = array->add_values()->mutable_kvlist_value()->add_values();
  inner->set_key("k");
  inner->mutable_value()->set_double_value(2.5);
  array->add_values();  // an empty AnyValue
  array->add_values()->set_double_value(std::nan(""));
  common::KeyValueList* kvlist = AddAttr(attrs, "m")->mutable_value()->mutable_kvlist_value();
  auto add_kv = [&](std::string key) {
    common::KeyValue* kv = kvlist->add_values();
    kv->set_key(std::move(key));
    return kv->mutable_value();
  };
  add_kv("a")->set_int_value(1);
  common::KeyValue* nested = add_kv("b")->mutable_kvlist_value()->add_values();
  nested->set_key("c");
  nested->mutable_value()->set_string_value("d");
  add_kv("e")->set_bytes_value("\x01");
  AddAttr(attrs, "no_value");
  AddAttr(attrs, "unset_value")->mutable_value();
  AddAttr(attrs, "empty_array")->mutable_value()->mutable_array_value();

  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  ASSERT_EQ(result.accepted, 1u);
  auto a = batch.AttributesOf(batch.spans[0].attributes);
  ASSERT_EQ(a.size(), 10u);
  EXPECT_EQ(a[0].value.type, model::ValueType::kString);
  EXPECT_EQ(a[0].value.str, "text \"quoted\"");
  EXPECT_EQ(a[1].value.type, model::ValueType::kBool);
  EXPECT_TRUE(a[1].value.bool_value);
  EXPECT_EQ(a[2].value.type, model::ValueType::kInt);
  EXPECT_EQ(a[2].value.int_value, -42);
  EXPECT_EQ(a[3].value.type, model::ValueType::kDouble);
  EXPECT_EQ(a[3].value.double_value, 3.5);
  EXPECT_EQ(a[4].value.type, model::ValueType::kBytes);
  EXPECT_EQ(a[4].value.str, std::string_view("\x00\xff", 2));
  EXPECT_EQ(a[5].value.type, model::ValueType::kArray);
  EXPECT_EQ(a[5].value.str, R"([1,"a\n",[true],{"k":2.5},null,"NaN"])");
  EXPECT_EQ(a[6].value.type, model::ValueType::kKvList);
  EXPECT_EQ(a[6].value.str, R"({"a":1,"b":{"c":"d"},"e":"AQ=="})");
  EXPECT_EQ(a[7].key, "no_value");
  EXPECT_EQ(a[7].value.type, model::ValueType::kEmpty);
  EXPECT_EQ(a[8].value.type, model::ValueType::kEmpty);
  EXPECT_EQ(a[9].key, "empty_array");
  EXPECT_EQ(a[9].value.type, model::ValueType::kArray);
  EXPECT_EQ(a[9].value.str, "[]");
  // AnyValue::ToString shows values as labels would.
  EXPECT_EQ(a[4].value.ToString(), "AP8=");
}

TEST(OtlpProtoDecoderTest, ServiceNameDefaultsToUnknownService) {
  collector_trace::ExportTraceServiceRequest request;
  FillValidSpan(request.add_resource_spans()->add_scope_spans()->add_spans());  // no resource
  otlp_trace::ResourceSpans* empty_name = request.add_resource_spans();
  AddAttr(empty_name->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("");
  FillValidSpan(empty_name->add_scope_spans()->add_spans());
  otlp_trace::ResourceSpans* int_name = request.add_resource_spans();
  AddAttr(int_name->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_int_value(7);
  FillValidSpan(int_name->add_scope_spans()->add_spans());

  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  ASSERT_EQ(batch.resources.size(), 3u);
  for (const model::Resource& r : batch.resources) {
    EXPECT_EQ(r.service_name, model::kUnknownService);
    EXPECT_EQ(r.service_version, "");
  }
}

TEST(OtlpProtoDecoderTest, ResourcesWithoutAcceptedItemsAreLeftOut) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::ResourceSpans* no_spans = request.add_resource_spans();
  AddAttr(no_spans->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("idle");
  otlp_trace::ResourceSpans* bad_spans = request.add_resource_spans();
  AddAttr(bad_spans->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("broken");
  bad_spans->add_scope_spans()->add_spans()->set_name("no ids");
  otlp_trace::ResourceSpans* good = request.add_resource_spans();
  AddAttr(good->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("cart");
  FillValidSpan(good->add_scope_spans()->add_spans());

  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  ASSERT_EQ(batch.resources.size(), 1u);
  EXPECT_EQ(batch.resources[0].service_name, "cart");
  EXPECT_EQ(batch.spans[0].resource_index, 0u);
  EXPECT_EQ(batch.AttributesOf(batch.resources[0].attributes).size(), 1u);
  EXPECT_EQ(batch.attributes.size(), 1u);
  EXPECT_EQ(result.rejected, 1u);
}

struct BadSpanCase {
  std::string name;
  std::function<void(otlp_trace::Span*)> mutate;
  std::string reason;
};

TEST(OtlpProtoDecoderTest, RejectsInvalidSpansAndKeepsTheRest) {
  const std::vector<BadSpanCase> cases = {
      {"short trace id", [](otlp_trace::Span* s) { s->set_trace_id(Id(1, 15)); },
       "trace_id is 15 bytes, want 16"},
      {"missing trace id", [](otlp_trace::Span* s) { s->clear_trace_id(); },
       "trace_id is 0 bytes, want 16"},
      {"zero trace id", [](otlp_trace::Span* s) { s->set_trace_id(std::string(16, '\0')); },
       "trace_id is all zero"},
      {"long span id", [](otlp_trace::Span* s) { s->set_span_id(Id(1, 9)); },
       "span_id is 9 bytes, want 8"},
      {"zero span id", [](otlp_trace::Span* s) { s->set_span_id(std::string(8, '\0')); },
       "span_id is all zero"},
      {"bad parent", [](otlp_trace::Span* s) { s->set_parent_span_id(Id(1, 3)); },
       "parent_span_id is 3 bytes, want 0 or 8"},
      {"zero start", [](otlp_trace::Span* s) { s->set_start_time_unix_nano(0); },
       "start_time_unix_nano is zero"},
      {"zero end", [](otlp_trace::Span* s) { s->set_end_time_unix_nano(0); },
       "end_time_unix_nano is zero"},
      {"end before start", [](otlp_trace::Span* s) { s->set_end_time_unix_nano(999); },
       "end_time_unix_nano 999 is before start_time_unix_nano 1000"},
      {"time beyond int64",
       [](otlp_trace::Span* s) { s->set_end_time_unix_nano(uint64_t{1} << 63); },
       "end_time_unix_nano 9223372036854775808 is out of range"},
      {"utf8 name", [](otlp_trace::Span* s) { s->set_name("bad \xc3\x28"); },
       "invalid UTF-8 in name"},
      {"utf8 status", [](otlp_trace::Span* s) { s->mutable_status()->set_message("\xed\xa0\x80"); },
       "invalid UTF-8 in status.message"},
      {"utf8 key",
       [](otlp_trace::Span* s) {
         AddAttr(s->mutable_attributes(), "ok")->mutable_value()->set_int_value(1);
         AddAttr(s->mutable_attributes(), "k\xff")->mutable_value()->set_int_value(1);
       },
       "invalid UTF-8 in attributes[1] key"},
      {"utf8 value",
       [](otlp_trace::Span* s) {
         AddAttr(s->mutable_attributes(), "k")->mutable_value()->set_string_value("\xf5\x80");
       },
       "invalid UTF-8 in attributes[0] value"},
      {"utf8 nested value",
       [](otlp_trace::Span* s) {
         AddAttr(s->mutable_attributes(), "k")
             ->mutable_value()
             ->mutable_array_value()
             ->add_values()
             ->set_string_value("\xc0\xaf");
       },
       "invalid UTF-8 in attributes[0] value"},
  };
  for (const BadSpanCase& c : cases) {
    SCOPED_TRACE(c.name);
    collector_trace::ExportTraceServiceRequest request;
    otlp_trace::ScopeSpans* ss = request.add_resource_spans()->add_scope_spans();
    FillValidSpan(ss->add_spans(), "good-0");
    otlp_trace::Span* bad = ss->add_spans();
    FillValidSpan(bad, "bad");
    c.mutate(bad);
    FillValidSpan(ss->add_spans(), "good-2");

    model::SpanBatch batch;
    DecodeResult result;
    ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
    EXPECT_EQ(result.accepted, 2u);
    EXPECT_EQ(result.rejected, 1u);
    EXPECT_EQ(result.first_error, "resource_spans[0].scope_spans[0].spans[1]: " + c.reason);
    ASSERT_EQ(batch.spans.size(), 2u);
    EXPECT_EQ(batch.spans[0].name, "good-0");
    EXPECT_EQ(batch.spans[1].name, "good-2");
    EXPECT_EQ(batch.attributes.size(), 0u);  // the bad span's attributes went out with it
    ExpectConsistent(batch, result);
  }
}

TEST(OtlpProtoDecoderTest, RootSpanHasZeroParent) {
  collector_trace::ExportTraceServiceRequest request;
  FillValidSpan(request.add_resource_spans()->add_scope_spans()->add_spans());
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_TRUE(batch.spans[0].IsRoot());
}

TEST(OtlpProtoDecoderTest, InvalidResourceRejectsEveryItemOfThatResource) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::ResourceSpans* bad = request.add_resource_spans();
  AddAttr(bad->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("bad\xff");
  for (int i = 0; i < 3; ++i) FillValidSpan(bad->add_scope_spans()->add_spans());
  otlp_trace::ResourceSpans* good = request.add_resource_spans();
  FillValidSpan(good->add_scope_spans()->add_spans(), "kept");

  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.rejected, 3u);
  EXPECT_EQ(result.first_error,
            "resource_spans[0].scope_spans[0].spans[0]: invalid UTF-8 in resource "
            "attributes[0] value");
  ASSERT_EQ(batch.resources.size(), 1u);
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(batch.spans[0].name, "kept");
  EXPECT_EQ(batch.spans[0].resource_index, 0u);
  ExpectConsistent(batch, result);
}

common::AnyValue NestedArrays(int depth) {
  common::AnyValue v;
  v.set_int_value(1);
  for (int i = 0; i < depth; ++i) {
    common::AnyValue outer;
    *outer.mutable_array_value()->add_values() = v;
    v = outer;
  }
  return v;
}

TEST(OtlpProtoDecoderTest, BoundsNestingDepth) {
  for (uint32_t max_depth : {0u, 1u, 2u, 16u}) {
    for (uint32_t depth : {max_depth, max_depth + 1, max_depth + 50}) {
      SCOPED_TRACE(testing::Message() << "max " << max_depth << " depth " << depth);
      collector_trace::ExportTraceServiceRequest request;
      otlp_trace::Span* span = request.add_resource_spans()->add_scope_spans()->add_spans();
      FillValidSpan(span);
      *AddAttr(span->mutable_attributes(), "deep")->mutable_value() = NestedArrays(depth);
      DecodeLimits limits;
      limits.max_nesting_depth = max_depth;
      model::SpanBatch batch;
      DecodeResult result;
      ASSERT_TRUE(DecodeTraces(request, &batch, &result, limits).ok());
      if (depth <= max_depth) {
        EXPECT_EQ(result.accepted, 1u);
        std::string want = std::string(depth, '[') + "1" + std::string(depth, ']');
        if (depth > 0) {
          EXPECT_EQ(batch.attributes[0].value.str, want);
        }
      } else {
        EXPECT_EQ(result.rejected, 1u);
        EXPECT_THAT(result.first_error,
                    HasSubstr("attributes[0] value nests deeper than max_nesting_depth"));
      }
    }
  }
}

TEST(OtlpProtoDecoderTest, HostileNestingIsRejectedWithoutDeepRecursion) {
  // 5000 levels of arrays: the decoder must stop descending at its cap.
  std::string value = Wire().VarintField(3, 1).Str();
  for (int i = 0; i < 5000; ++i) {
    value = Wire().MessageField(5, Wire().BytesField(1, value)).Str();
  }
  Wire span;
  span.BytesField(1, Id(1, 16)).BytesField(2, Id(0x21, 8)).Fixed64Field(7, 1).Fixed64Field(8, 2);
  span.MessageField(9, Wire().BytesField(1, "deep").BytesField(2, value));
  std::string request =
      Wire().MessageField(1, Wire().MessageField(2, Wire().MessageField(2, span))).Str();
  DecodeLimits limits;
  limits.max_nesting_depth = 1'000'000;
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTracesProto(request, limits, &batch, &result).ok());
  EXPECT_EQ(result.rejected, 1u);
  EXPECT_THAT(result.first_error, HasSubstr("nests deeper than max_nesting_depth 64"));
}

TEST(OtlpProtoDecoderTest, RejectsItemsBeyondMaxItems) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::ScopeSpans* ss = request.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < 10; ++i) FillValidSpan(ss->add_spans(), "span-" + std::to_string(i));
  DecodeLimits limits;
  limits.max_items = 3;
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result, limits).ok());
  EXPECT_EQ(result.accepted, 3u);
  EXPECT_EQ(result.rejected, 7u);
  EXPECT_EQ(result.first_error, "resource_spans[0].scope_spans[0].spans[3]: beyond max_items 3");
  ASSERT_EQ(batch.spans.size(), 3u);
  EXPECT_EQ(batch.spans[2].name, "span-2");
}

TEST(OtlpProtoDecoderTest, KeepsTheFirstAttributesAndCountsTheRest) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::ResourceSpans* rs = request.add_resource_spans();
  for (int i = 0; i < 4; ++i) {
    AddAttr(rs->mutable_resource()->mutable_attributes(), "r" + std::to_string(i))
        ->mutable_value()
        ->set_int_value(i);
  }
  otlp_trace::Span* span = rs->add_scope_spans()->add_spans();
  FillValidSpan(span);
  for (int i = 0; i < 5; ++i) {
    AddAttr(span->mutable_attributes(), "a" + std::to_string(i))->mutable_value()->set_int_value(i);
  }
  DecodeLimits limits;
  limits.max_attributes_per_item = 2;
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result, limits).ok());
  EXPECT_EQ(result.accepted, 1u);
  EXPECT_EQ(result.truncated_attributes, 2u + 3u);
  auto attrs = batch.AttributesOf(batch.spans[0].attributes);
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0].key, "a0");
  EXPECT_EQ(attrs[1].key, "a1");
  EXPECT_EQ(batch.AttributesOf(batch.resources[0].attributes).size(), 2u);
}

TEST(OtlpProtoDecoderTest, CutsLongValuesOnACodePointBoundary) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::Span* span = request.add_resource_spans()->add_scope_spans()->add_spans();
  FillValidSpan(span);
  AddAttr(span->mutable_attributes(), "s")->mutable_value()->set_string_value("abcd\xc3\xa9xyz");
  AddAttr(span->mutable_attributes(), "y")->mutable_value()->set_bytes_value("0123456789");
  AddAttr(span->mutable_attributes(), "short")->mutable_value()->set_string_value("abc");
  AddAttr(span->mutable_attributes(), "a")
      ->mutable_value()
      ->mutable_array_value()
      ->add_values()
      ->set_string_value("0123456789");
  DecodeLimits limits;
  limits.max_attribute_value_bytes = 5;  // falls inside the two-byte é
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result, limits).ok());
  auto attrs = batch.AttributesOf(batch.spans[0].attributes);
  EXPECT_EQ(attrs[0].value.str, "abcd");
  EXPECT_EQ(attrs[1].value.str, "01234");
  EXPECT_EQ(attrs[2].value.str, "abc");
  EXPECT_EQ(attrs[3].value.str, R"(["01234"])");
  EXPECT_EQ(result.truncated_values, 3u);
}

TEST(OtlpProtoDecoderTest, SkipsUnknownFieldsOfEveryWireType) {
  collector_trace::ExportTraceServiceRequest request;
  otlp_trace::ResourceSpans* rs = request.add_resource_spans();
  otlp_trace::Span* span = rs->add_scope_spans()->add_spans();
  FillValidSpan(span, "with unknowns");
  common::KeyValue* kv = AddAttr(span->mutable_attributes(), "k");
  kv->mutable_value()->set_string_value("v");
  auto add_unknowns = [](google::protobuf::Message* m) {
    google::protobuf::UnknownFieldSet* u = m->GetReflection()->MutableUnknownFields(m);
    u->AddVarint(100, 123456789);
    u->AddFixed64(101, 7);
    u->AddLengthDelimited(102, "payload");
    u->AddFixed32(103, 9);
    u->AddVarint(536870911, 1);  // the largest field number
  };
  add_unknowns(&request);
  add_unknowns(rs);
  add_unknowns(rs->mutable_resource());
  add_unknowns(rs->mutable_scope_spans(0));
  add_unknowns(span);
  add_unknowns(kv);
  add_unknowns(kv->mutable_value());
  add_unknowns(span->mutable_status());

  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok()) << result.first_error;
  ASSERT_EQ(result.accepted, 1u);
  EXPECT_EQ(batch.spans[0].name, "with unknowns");
  auto attrs = batch.AttributesOf(batch.spans[0].attributes);
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs[0].value.str, "v");
}

std::string SpanRequest(const Wire& span) {
  return Wire().MessageField(1, Wire().MessageField(2, Wire().MessageField(2, span))).Str();
}

Wire ValidSpanWire() {
  Wire w;
  w.BytesField(1, Id(1, 16)).BytesField(2, Id(0x21, 8)).Fixed64Field(7, 1).Fixed64Field(8, 2);
  return w;
}

TEST(OtlpProtoDecoderTest, RejectsMalformedWireData) {
  struct Case {
    std::string name;
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"field number 0", Wire().VarintField(0, 1).Str(), "field number 0 at offset 0"},
      {"start group", Wire().Tag(5, 3).Str(), "group (wire type 3) in field 5 at offset 0"},
      {"end group", Wire().Tag(5, 4).Str(), "group (wire type 4) in field 5"},
      {"wire type 6", Wire().Tag(5, 6).Str(), "invalid wire type 6 in field 5"},
      {"wire type 7", Wire().Tag(5, 7).Str(), "invalid wire type 7 in field 5"},
      {"resource_spans as varint", Wire().VarintField(1, 1).Str(),
       "field 1 has unexpected wire type 0 at offset 0"},
      {"varint of 11 bytes", Wire().Tag(9, 0).Raw(std::string(10, '\xff')).Raw("\x01").Str(),
       "varint longer than 10 bytes at offset 1"},
      {"truncated varint", Wire().Tag(9, 0).Raw("\xff").Str(), "truncated varint at offset 1"},
      {"truncated fixed64", Wire().Tag(9, 1).Raw("1234").Str(),
       "truncated 64-bit field at offset 1"},
      {"truncated fixed32", Wire().Tag(9, 5).Raw("12").Str(), "truncated 32-bit field at offset 1"},
      {"length past end", Wire().Tag(1, 2).Varint(10).Raw("abc").Str(),
       "length 10 exceeds remaining 3 bytes at offset 1 (resource_spans[0])"},
      {"huge length", Wire().Tag(1, 2).Varint(~0ull).Str(),
       "length 18446744073709551615 exceeds remaining 0 bytes"},
      {"tag beyond 32 bits", Wire().Varint(uint64_t{1} << 35).Str(), "tag exceeds 32 bits"},
      {"trace_id as varint", SpanRequest(Wire().VarintField(1, 5)),
       "field 1 has unexpected wire type 0 at offset 6 "
       "(resource_spans[0].scope_spans[0].spans[0])"},
      {"start time as varint", SpanRequest(ValidSpanWire().VarintField(7, 5)),
       "field 7 has unexpected wire type 0"},
      {"flags as fixed64", SpanRequest(ValidSpanWire().Fixed64Field(16, 5)),
       "field 16 has unexpected wire type 1"},
      {"kind as bytes", SpanRequest(ValidSpanWire().BytesField(6, "x")),
       "field 6 has unexpected wire type 2"},
      {"bad event", SpanRequest(ValidSpanWire().MessageField(11, Wire().VarintField(2, 1))),
       "(resource_spans[0].scope_spans[0].spans[0].events[0])"},
      {"bad link attribute",
       SpanRequest(ValidSpanWire().MessageField(
           13, Wire().MessageField(4, Wire().BytesField(1, "k").VarintField(2, 3)))),
       "(resource_spans[0].scope_spans[0].spans[0].links[0].attributes[0])"},
      {"bad scope",
       Wire()
           .MessageField(1,
                         Wire().MessageField(2, Wire().MessageField(1, Wire().VarintField(1, 1))))
           .Str(),
       "(resource_spans[0].scope_spans[0].scope)"},
      {"scope as varint",
       Wire().MessageField(1, Wire().MessageField(2, Wire().VarintField(1, 1))).Str(),
       "field 1 has unexpected wire type 0 at offset 4 (resource_spans[0].scope_spans[0])"},
      {"bad resource",
       Wire().MessageField(1, Wire().MessageField(1, Wire().Fixed64Field(1, 1))).Str(),
       "(resource_spans[0].resource)"},
      {"bad AnyValue",
       SpanRequest(ValidSpanWire().MessageField(
           9, Wire().BytesField(1, "k").MessageField(2, Wire().BytesField(3, "x")))),
       "field 3 has unexpected wire type 2"},
      {"int_value varint of 11 bytes",
       SpanRequest(ValidSpanWire().MessageField(
           9, Wire().BytesField(1, "k").BytesField(
                  2, Wire().Tag(3, 0).Raw(std::string(10, '\x80')).Raw("\x01").Str()))),
       "varint longer than 10 bytes"},
      {"string_value past its AnyValue",
       SpanRequest(ValidSpanWire().MessageField(
           9,
           Wire().BytesField(1, "k").BytesField(2, Wire().Tag(1, 2).Varint(5).Raw("abc").Str()))),
       "length 5 exceeds remaining 3 bytes"},
      {"bad nested AnyValue",
       SpanRequest(ValidSpanWire().MessageField(
           9, Wire().BytesField(1, "k").MessageField(
                  2, Wire().MessageField(5, Wire().MessageField(1, Wire().Fixed64Field(2, 1)))))),
       "(resource_spans[0].scope_spans[0].spans[0].attributes[0].value.array_value.values[0])"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    model::SpanBatch batch;
    DecodeResult result;
    absl::Status status = DecodeTracesProto(c.bytes, {}, &batch, &result);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), StartsWith("malformed protobuf: "));
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

TEST(OtlpProtoDecoderTest, ErrorNamesTheOffsetAndThePathOfTheProblem) {
  Wire scope;
  for (int i = 0; i < 3; ++i) scope.MessageField(2, ValidSpanWire());
  // spans[3].attributes[2] claims 100 bytes where 4 remain.
  Wire attr = Wire().BytesField(1, "k").MessageField(2, Wire().BytesField(1, "v"));
  std::string bad_attr = Wire().Tag(9, 2).Varint(100).Raw("wxyz").Str();
  scope.MessageField(2, ValidSpanWire().MessageField(9, attr).MessageField(9, attr).Raw(bad_attr));
  std::string request = Wire().MessageField(1, Wire().MessageField(2, scope)).Str();
  const size_t offset = request.find(bad_attr) + 1;

  model::SpanBatch batch;
  DecodeResult result;
  absl::Status status = DecodeTracesProto(request, {}, &batch, &result);
  EXPECT_EQ(std::string(status.message()),
            "malformed protobuf: length 100 exceeds remaining 4 bytes at offset " +
                std::to_string(offset) +
                " (resource_spans[0].scope_spans[0].spans[3].attributes[2])");
}

// Offsets at which a prefix of `bytes` ends on a top-level field boundary.
std::set<size_t> TopLevelBoundaries(const std::string& bytes) {
  std::set<size_t> out = {0};
  size_t i = 0;
  auto varint = [&] {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t b = static_cast<uint8_t>(bytes[i++]);
      v |= uint64_t{b & 0x7Fu} << shift;
      if (b < 0x80) return v;
    }
  };
  while (i < bytes.size()) {
    varint();  // every top-level field of a request is length-delimited
    i += varint();
    out.insert(i);
  }
  return out;
}

template <typename Batch, typename DecodeFn>
void ExpectTruncationsAreErrorsOrWholeFields(const std::string& bytes, DecodeFn decode) {
  const std::set<size_t> boundaries = TopLevelBoundaries(bytes);
  uint64_t full_accepted = 0;
  {
    Batch batch;
    DecodeResult result;
    ASSERT_TRUE(decode(std::string_view(bytes), &batch, &result).ok());
    full_accepted = result.accepted;
    ASSERT_GT(full_accepted, 0u);
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    // A copy of exactly n bytes, so that reading past it is caught by sanitizers.
    std::unique_ptr<char[]> prefix(new char[n + 1]);
    std::memcpy(prefix.get(), bytes.data(), n);
    Batch batch;
    DecodeResult result;
    absl::Status status = decode(std::string_view(prefix.get(), n), &batch, &result);
    if (boundaries.count(n) != 0) {
      EXPECT_TRUE(status.ok()) << "prefix " << n << ": " << status;
      EXPECT_LE(result.accepted, full_accepted);
    } else {
      EXPECT_FALSE(status.ok()) << "prefix " << n << " of " << bytes.size();
      EXPECT_THAT(std::string(status.message()), StartsWith("malformed protobuf: "));
    }
  }
}

TEST(OtlpProtoDecoderTest, TruncationAtEveryOffsetIsAnErrorOrAWholeFieldSubset) {
  std::string traces = SampleTraceRequest(3, 6, 1).SerializeAsString();
  ExpectTruncationsAreErrorsOrWholeFields<model::SpanBatch>(
      traces, [](std::string_view b, model::SpanBatch* batch, DecodeResult* r) {
        return DecodeTracesProto(b, {}, batch, r);
      });
  std::string metrics = SampleMetricsRequest(2, 1, 2, 1).SerializeAsString();
  ExpectTruncationsAreErrorsOrWholeFields<model::MetricBatch>(
      metrics, [](std::string_view b, model::MetricBatch* batch, DecodeResult* r) {
        return DecodeMetricsProto(b, {}, batch, r);
      });
  std::string logs = SampleLogsRequest(2, 6, 1).SerializeAsString();
  ExpectTruncationsAreErrorsOrWholeFields<model::LogBatch>(
      logs, [](std::string_view b, model::LogBatch* batch, DecodeResult* r) {
        return DecodeLogsProto(b, {}, batch, r);
      });
}

TEST(OtlpProtoDecoderTest, SurvivesGarbageAndBitFlips) {
  std::mt19937_64 rng(42);
  const std::string valid = SampleTraceRequest(2, 8, 3).SerializeAsString();
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string bytes;
    if (iteration % 2 == 0) {
      bytes.resize(rng() % 300);
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      bytes = valid;
      for (int flips = 1 + rng() % 4; flips > 0; --flips) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
      }
    }
    model::SpanBatch spans;
    model::MetricBatch metrics;
    model::LogBatch logs;
    DecodeResult result;
    if (DecodeTracesProto(bytes, {}, &spans, &result).ok()) ExpectConsistent(spans, result);
    (void)DecodeMetricsProto(bytes, {}, &metrics, &result);
    (void)DecodeLogsProto(bytes, {}, &logs, &result);
  }
}

TEST(OtlpProtoDecoderTest, DecodesTheRealisticSampleCompletely) {
  collector_trace::ExportTraceServiceRequest request = SampleTraceRequest(10, 512, 7);
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTraces(request, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 512u);
  EXPECT_EQ(result.rejected, 0u) << result.first_error;
  EXPECT_EQ(batch.resources.size(), 10u);
  EXPECT_EQ(batch.attributes.size(), 10u * 10u + 512u * 10u);
  EXPECT_EQ(batch.resources[3].service_name, "payment");
  ExpectConsistent(batch, result);
  // Spans come out in request order: resource by resource.
  const otlp_trace::Span& first = request.resource_spans(1).scope_spans(0).spans(0);
  const model::Span& decoded = batch.spans[request.resource_spans(0).scope_spans(0).spans_size()];
  EXPECT_EQ(decoded.name, first.name());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(decoded.trace_id.data()), 16),
            first.trace_id());
}

TEST(OtlpProtoDecoderTest, AppendsToABatchThatAlreadyHoldsItems) {
  collector_trace::ExportTraceServiceRequest request = SampleTraceRequest(2, 4, 1);
  std::string bytes = request.SerializeAsString();
  model::SpanBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeTracesProto(bytes, {}, &batch, &result).ok());
  ASSERT_TRUE(DecodeTracesProto(bytes, {}, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 4u);
  ASSERT_EQ(batch.spans.size(), 8u);
  ASSERT_EQ(batch.resources.size(), 4u);
  EXPECT_EQ(batch.spans[4].resource_index, 2u);
  EXPECT_EQ(batch.spans[4].name, batch.spans[0].name);
  auto a = batch.AttributesOf(batch.spans[4].attributes);
  auto b = batch.AttributesOf(batch.spans[0].attributes);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a[0].key, b[0].key);
}

TEST(OtlpProtoDecoderTest, DecodesEveryMetricType) {
  collector_metrics::ExportMetricsServiceRequest request;
  otlp_metrics::ResourceMetrics* rm = request.add_resource_metrics();
  AddAttr(rm->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("cart");
  otlp_metrics::ScopeMetrics* sm = rm->add_scope_metrics();

  otlp_metrics::Metric* gauge = sm->add_metrics();
  gauge->set_name("queue.depth");
  gauge->set_description("items waiting");
  gauge->set_unit("{item}");
  auto* g1 = gauge->mutable_gauge()->add_data_points();
  g1->set_time_unix_nano(2000);
  g1->set_as_double(1.5);
  AddAttr(g1->mutable_attributes(), "queue")->mutable_value()->set_string_value("orders");
  auto* g2 = gauge->mutable_gauge()->add_data_points();
  g2->set_time_unix_nano(3000);
  g2->set_as_int(-7);
  g2->set_flags(1);

  otlp_metrics::Metric* sum = sm->add_metrics();
  sum->set_name("requests");
  sum->mutable_sum()->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_DELTA);
  sum->mutable_sum()->set_is_monotonic(true);
  auto* s1 = sum->mutable_sum()->add_data_points();
  s1->set_start_time_unix_nano(1000);
  s1->set_time_unix_nano(2000);
  s1->set_as_int(42);

  otlp_metrics::Metric* hist = sm->add_metrics();
  hist->set_name("latency");
  hist->mutable_histogram()->set_aggregation_temporality(
      otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* h = hist->mutable_histogram()->add_data_points();
  h->set_time_unix_nano(2000);
  h->set_count(6);
  h->set_sum(12.5);
  h->set_min(0.5);
  h->set_max(7);
  for (double b : {1.0, 5.0}) h->add_explicit_bounds(b);
  for (uint64_t c : {1u, 2u, 3u}) h->add_bucket_counts(c);

  otlp_metrics::Metric* exp = sm->add_metrics();
  exp->set_name("latency.exp");
  auto* e = exp->mutable_exponential_histogram()->add_data_points();
  e->set_time_unix_nano(2000);
  e->set_count(10);
  e->set_scale(-3);
  e->set_zero_count(2);
  e->set_zero_threshold(0.001);
  e->mutable_positive()->set_offset(-5);
  for (uint64_t c : {4u, 300u}) e->mutable_positive()->add_bucket_counts(c);
  e->mutable_negative()->set_offset(2);
  e->mutable_negative()->add_bucket_counts(1);

  otlp_metrics::Metric* summary = sm->add_metrics();
  summary->set_name("gc.pause");
  auto* q = summary->mutable_summary()->add_data_points();
  q->set_time_unix_nano(2000);
  q->set_count(3);
  q->set_sum(9);
  for (double quantile : {0.5, 0.99}) {
    auto* v = q->add_quantile_values();
    v->set_quantile(quantile);
    v->set_value(quantile * 10);
  }

  std::string bytes = request.SerializeAsString();
  model::MetricBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeMetricsProto(bytes, {}, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 6u);
  EXPECT_EQ(result.rejected, 0u) << result.first_error;
  ASSERT_EQ(batch.resources.size(), 1u);
  EXPECT_EQ(batch.resources[0].service_name, "cart");
  ASSERT_EQ(batch.metrics.size(), 5u);
  ASSERT_EQ(batch.points.size(), 6u);

  const model::Metric& mg = batch.metrics[0];
  EXPECT_EQ(mg.name, "queue.depth");
  EXPECT_EQ(mg.description, "items waiting");
  EXPECT_EQ(mg.unit, "{item}");
  EXPECT_EQ(mg.type, model::MetricType::kGauge);
  EXPECT_EQ(mg.points.begin, 0u);
  EXPECT_EQ(mg.points.count, 2u);
  EXPECT_EQ(batch.points[0].value, 1.5);
  EXPECT_FALSE(batch.points[0].is_int);
  EXPECT_EQ(batch.points[0].time_ns, 2000);
  auto pattrs = batch.AttributesOf(batch.points[0].attributes);
  ASSERT_EQ(pattrs.size(), 1u);
  EXPECT_EQ(pattrs[0].value.str, "orders");
  EXPECT_TRUE(batch.points[1].is_int);
  EXPECT_EQ(batch.points[1].int_value, -7);
  EXPECT_EQ(batch.points[1].value, -7.0);
  EXPECT_TRUE(batch.points[1].NoRecordedValue());

  const model::Metric& ms = batch.metrics[1];
  EXPECT_EQ(ms.type, model::MetricType::kSum);
  EXPECT_EQ(ms.temporality, model::Temporality::kDelta);
  EXPECT_TRUE(ms.is_monotonic);
  EXPECT_EQ(batch.points[2].metric_index, 1u);
  EXPECT_EQ(batch.points[2].start_time_ns, 1000);
  EXPECT_EQ(batch.points[2].int_value, 42);

  const model::Metric& mh = batch.metrics[2];
  EXPECT_EQ(mh.type, model::MetricType::kHistogram);
  EXPECT_EQ(mh.temporality, model::Temporality::kCumulative);
  const model::MetricPoint& ph = batch.points[3];
  EXPECT_EQ(ph.count, 6u);
  EXPECT_TRUE(ph.has_sum);
  EXPECT_EQ(ph.sum, 12.5);
  EXPECT_TRUE(ph.has_min);
  EXPECT_EQ(ph.min, 0.5);
  EXPECT_TRUE(ph.has_max);
  EXPECT_EQ(ph.max, 7);
  ASSERT_EQ(ph.bucket_counts.count, 3u);
  ASSERT_EQ(ph.explicit_bounds.count, 2u);
  EXPECT_EQ(batch.bucket_counts[ph.bucket_counts.begin + 2], 3u);
  EXPECT_EQ(batch.explicit_bounds[ph.explicit_bounds.begin + 1], 5.0);

  const model::MetricPoint& pe = batch.points[4];
  EXPECT_EQ(batch.metrics[3].type, model::MetricType::kExponentialHistogram);
  EXPECT_EQ(pe.scale, -3);
  EXPECT_EQ(pe.zero_count, 2u);
  EXPECT_EQ(pe.zero_threshold, 0.001);
  EXPECT_FALSE(pe.has_sum);
  EXPECT_EQ(pe.positive_offset, -5);
  ASSERT_EQ(pe.positive_counts.count, 2u);
  EXPECT_EQ(batch.bucket_counts[pe.positive_counts.begin + 1], 300u);
  EXPECT_EQ(pe.negative_offset, 2);
  ASSERT_EQ(pe.negative_counts.count, 1u);
  EXPECT_EQ(batch.bucket_counts[pe.negative_counts.begin], 1u);

  const model::MetricPoint& pq = batch.points[5];
  EXPECT_EQ(batch.metrics[4].type, model::MetricType::kSummary);
  EXPECT_EQ(pq.count, 3u);
  EXPECT_TRUE(pq.has_sum);
  EXPECT_EQ(pq.sum, 9);
  ASSERT_EQ(pq.quantiles.count, 2u);
  EXPECT_EQ(batch.quantiles[pq.quantiles.begin + 1].quantile, 0.99);
  EXPECT_EQ(batch.quantiles[pq.quantiles.begin + 1].value, 9.9);
}

TEST(OtlpProtoDecoderTest, ReadsPackedAndUnpackedRepeatedScalars) {
  Wire hist_point;
  hist_point.Fixed64Field(3, 2000).Fixed64Field(4, 6);
  hist_point.DoubleField(7, 1.0).DoubleField(7, 5.0);                   // unpacked bounds
  hist_point.Fixed64Field(6, 1).Fixed64Field(6, 2).Fixed64Field(6, 3);  // unpacked counts
  Wire packed_point;
  packed_point.Fixed64Field(3, 2000);
  std::string bounds(16, '\0'), counts(24, '\0');
  const double b[2] = {1.0, 5.0};
  const uint64_t c[3] = {4, 5, 6};
  std::memcpy(bounds.data(), b, 16);
  std::memcpy(counts.data(), c, 24);
  packed_point.BytesField(7, bounds).BytesField(6, counts);
  Wire exp_point;
  exp_point.Fixed64Field(3, 2000);
  exp_point.MessageField(8, Wire().VarintField(1, 9).VarintField(2, 7).VarintField(2, 300));
  exp_point.MessageField(9, Wire().BytesField(2, Wire().Varint(1).Varint(100000).Str()));
  Wire scope;
  scope.MessageField(2, Wire().BytesField(1, "h").MessageField(
                            9, Wire().MessageField(1, hist_point).MessageField(1, packed_point)));
  scope.MessageField(2,
                     Wire().BytesField(1, "e").MessageField(10, Wire().MessageField(1, exp_point)));
  std::string request = Wire().MessageField(1, Wire().MessageField(2, scope)).Str();

  model::MetricBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeMetricsProto(request, {}, &batch, &result).ok());
  ASSERT_EQ(result.accepted, 3u) << result.first_error;
  auto counts_of = [&](model::PoolRange r) {
    return std::vector<uint64_t>(batch.bucket_counts.begin() + r.begin,
                                 batch.bucket_counts.begin() + r.begin + r.count);
  };
  auto bounds_of = [&](model::PoolRange r) {
    return std::vector<double>(batch.explicit_bounds.begin() + r.begin,
                               batch.explicit_bounds.begin() + r.begin + r.count);
  };
  EXPECT_THAT(counts_of(batch.points[0].bucket_counts), ElementsAre(1, 2, 3));
  EXPECT_THAT(bounds_of(batch.points[0].explicit_bounds), ElementsAre(1.0, 5.0));
  EXPECT_THAT(counts_of(batch.points[1].bucket_counts), ElementsAre(4, 5, 6));
  EXPECT_THAT(bounds_of(batch.points[1].explicit_bounds), ElementsAre(1.0, 5.0));
  EXPECT_EQ(batch.points[2].positive_offset, -5);  // zigzag 9
  EXPECT_THAT(counts_of(batch.points[2].positive_counts), ElementsAre(7, 300));
  EXPECT_THAT(counts_of(batch.points[2].negative_counts), ElementsAre(1, 100000));

  // Empty packed lists are valid and add nothing (found by fuzzing: empty pools must not be
  // memcpy'd into).
  Wire empty_point;
  empty_point.Fixed64Field(3, 2000).BytesField(6, "").BytesField(7, "");
  std::string empty =
      Wire()
          .MessageField(1,
                        Wire().MessageField(
                            2, Wire().MessageField(2, Wire().BytesField(1, "h").MessageField(
                                                          9, Wire().MessageField(1, empty_point)))))
          .Str();
  model::MetricBatch empty_batch;
  ASSERT_TRUE(DecodeMetricsProto(empty, {}, &empty_batch, &result).ok());
  ASSERT_EQ(result.accepted, 1u);
  EXPECT_EQ(empty_batch.points[0].bucket_counts.count, 0u);
  EXPECT_EQ(empty_batch.points[0].explicit_bounds.count, 0u);

  // A packed fixed64 list whose length is not a multiple of 8 is malformed.
  Wire bad_point;
  bad_point.Fixed64Field(3, 2000).BytesField(6, "1234567");
  std::string bad =
      Wire()
          .MessageField(1,
                        Wire().MessageField(
                            2, Wire().MessageField(2, Wire().BytesField(1, "h").MessageField(
                                                          9, Wire().MessageField(1, bad_point)))))
          .Str();
  absl::Status status = DecodeMetricsProto(bad, {}, &batch, &result);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("packed fixed64 length 7 is not a multiple of 8"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0]"
                        ".bucket_counts"));
}

TEST(OtlpProtoDecoderTest, RejectsInvalidDataPoints) {
  collector_metrics::ExportMetricsServiceRequest request;
  otlp_metrics::ScopeMetrics* sm = request.add_resource_metrics()->add_scope_metrics();
  otlp_metrics::Metric* hist = sm->add_metrics();
  hist->set_name("h");
  auto add_point = [&](const std::vector<double>& bounds, const std::vector<uint64_t>& counts) {
    auto* p = hist->mutable_histogram()->add_data_points();
    p->set_time_unix_nano(5);
    for (double b : bounds) p->add_explicit_bounds(b);
    for (uint64_t c : counts) p->add_bucket_counts(c);
  };
  add_point({1, 2}, {1, 1, 1});                                // valid
  add_point({1, 2}, {1, 1});                                   // too few counts
  add_point({2, 1}, {1, 1, 1});                                // decreasing bounds
  add_point({1, 1}, {1, 1, 1});                                // equal bounds
  add_point({1, std::nan("")}, {1, 1, 1});                     // NaN bound
  add_point({1, 2}, {});                                       // no buckets: valid
  hist->mutable_histogram()->add_data_points()->set_count(1);  // time 0
  otlp_metrics::Metric* unnamed = sm->add_metrics();
  unnamed->mutable_gauge()->add_data_points()->set_time_unix_nano(5);
  otlp_metrics::Metric* bad_unit = sm->add_metrics();
  bad_unit->set_name("u");
  bad_unit->set_unit("\xff");
  bad_unit->mutable_gauge()->add_data_points()->set_time_unix_nano(5);

  std::string bytes = Serialize(request);
  model::MetricBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeMetricsProto(bytes, {}, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 2u);
  EXPECT_EQ(result.rejected, 7u);
  EXPECT_EQ(result.first_error,
            "resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[1]: 2 "
            "bucket_counts for 2 explicit_bounds, want 3");
  ASSERT_EQ(batch.metrics.size(), 1u);  // metrics without accepted points are left out
  EXPECT_EQ(batch.metrics[0].points.count, 2u);
  EXPECT_EQ(batch.bucket_counts.size(), 3u);
  EXPECT_EQ(batch.explicit_bounds.size(), 4u);

  auto reason_of = [&](int metric, int point, DecodeLimits limits = {}) {
    collector_metrics::ExportMetricsServiceRequest one;
    otlp_metrics::ScopeMetrics* s = one.add_resource_metrics()->add_scope_metrics();
    otlp_metrics::Metric* m = s->add_metrics();
    *m = sm->metrics(metric);
    if (m->has_histogram()) {
      auto p = m->histogram().data_points(point);
      m->mutable_histogram()->clear_data_points();
      *m->mutable_histogram()->add_data_points() = p;
    }
    std::string b = Serialize(one);
    model::MetricBatch mb;
    DecodeResult r;
    EXPECT_TRUE(DecodeMetricsProto(b, limits, &mb, &r).ok());
    return r.first_error;
  };
  EXPECT_THAT(reason_of(0, 2), HasSubstr("explicit_bounds are not strictly increasing at index 1"));
  EXPECT_THAT(reason_of(0, 3), HasSubstr("explicit_bounds are not strictly increasing at index 1"));
  EXPECT_THAT(reason_of(0, 4), HasSubstr("explicit_bounds are not strictly increasing at index 1"));
  EXPECT_THAT(reason_of(0, 6), HasSubstr("data_points[0]: time_unix_nano is zero"));
  EXPECT_THAT(reason_of(1, 0), HasSubstr("metrics[0].gauge.data_points[0]: metric name is empty"));
  EXPECT_THAT(reason_of(2, 0), HasSubstr("invalid UTF-8 in metric unit"));
}

TEST(OtlpProtoDecoderTest, DecodesEveryLogRecordField) {
  collector_logs::ExportLogsServiceRequest request;
  otlp_logs::ResourceLogs* rl = request.add_resource_logs();
  AddAttr(rl->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("payment");
  otlp_logs::ScopeLogs* sl = rl->add_scope_logs();
  otlp_logs::LogRecord* full = sl->add_log_records();
  full->set_time_unix_nano(1000);
  full->set_observed_time_unix_nano(1500);
  full->set_severity_number(otlp_logs::SEVERITY_NUMBER_ERROR2);
  full->set_severity_text("ERROR");
  full->mutable_body()->set_string_value("card declined");
  AddAttr(full->mutable_attributes(), "code.lineno")->mutable_value()->set_int_value(12);
  full->set_flags(1);
  full->set_trace_id(Id(1, 16));
  full->set_span_id(Id(0x21, 8));
  full->set_event_name("payment.declined");
  otlp_logs::LogRecord* minimal = sl->add_log_records();
  common::KeyValue* body_kv = minimal->mutable_body()->mutable_kvlist_value()->add_values();
  body_kv->set_key("msg");
  body_kv->mutable_value()->set_string_value("hi");
  otlp_logs::LogRecord* bad_trace = sl->add_log_records();
  bad_trace->set_trace_id(Id(1, 8));
  otlp_logs::LogRecord* bad_span = sl->add_log_records();
  bad_span->set_span_id(Id(1, 16));
  otlp_logs::LogRecord* bad_text = sl->add_log_records();
  bad_text->set_severity_text("\xff");
  otlp_logs::LogRecord* bad_body = sl->add_log_records();
  bad_body->mutable_body()->set_string_value("\xc3");
  otlp_logs::LogRecord* long_body = sl->add_log_records();
  long_body->mutable_body()->set_string_value(std::string(5000, 'x'));

  std::string bytes = Serialize(request);
  model::LogBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeLogsProto(bytes, {}, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 3u);
  EXPECT_EQ(result.rejected, 4u);
  EXPECT_EQ(result.first_error,
            "resource_logs[0].scope_logs[0].log_records[2]: trace_id is 8 bytes, want 0 or 16");
  EXPECT_EQ(result.truncated_values, 1u);
  ASSERT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.resources[0].service_name, "payment");
  const model::LogRecord& r = batch.records[0];
  EXPECT_EQ(r.time_ns, 1000);
  EXPECT_EQ(r.observed_time_ns, 1500);
  EXPECT_EQ(r.EventTimeNs(), 1000);
  EXPECT_EQ(r.severity_number, 18);
  EXPECT_EQ(model::SeverityOf(r.severity_number), model::Severity::kError);
  EXPECT_EQ(r.severity_text, "ERROR");
  EXPECT_EQ(r.body.type, model::ValueType::kString);
  EXPECT_EQ(r.body.str, "card declined");
  ASSERT_EQ(r.attributes.count, 1u);
  EXPECT_EQ(batch.AttributesOf(r.attributes)[0].value.int_value, 12);
  EXPECT_EQ(r.flags, 1u);
  EXPECT_EQ(model::IdToHex(r.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(model::IdToHex(r.span_id), "2122232425262728");
  EXPECT_EQ(r.event_name, "payment.declined");
  const model::LogRecord& m = batch.records[1];
  EXPECT_EQ(m.time_ns, 0);
  EXPECT_EQ(m.EventTimeNs(), 0);
  EXPECT_TRUE(model::IsZeroId(m.trace_id));
  EXPECT_EQ(m.body.type, model::ValueType::kKvList);
  EXPECT_EQ(m.body.str, R"({"msg":"hi"})");
  EXPECT_EQ(batch.records[2].body.str.size(), 4096u);
}

}  // namespace
}  // namespace augur::ingest
