#include "ingest/loki_push_decoder.h"

#include <gtest/gtest.h>

#include "core/utf8.h"
#include "loki/push.pb.h"

namespace augur::ingest {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

std::string Str(const model::AnyValue& v) { return std::string(v.str); }

std::string Attr(const model::LogBatch& b, model::AttributeRange range, std::string_view key) {
  const model::AnyValue* v = model::FindAttribute(b.AttributesOf(range), key);
  return v == nullptr ? "<absent>" : Str(*v);
}

logproto::PushRequest Sample() {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels(R"({job="shop/cart", service_name="cart", level="warn", path="C:\\tmp \"x\""})");
  auto* e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->mutable_timestamp()->set_nanos(123);
  e->set_line("Retrying call to inventory after 100ms");
  e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0 + 1);
  e->set_line("Order 17 failed: card declined");
  auto* m = e->add_structuredmetadata();
  m->set_name("level");
  m->set_value("ERROR");
  m = e->add_structuredmetadata();
  m->set_name("trace_id");
  m->set_value("0102030405060708090a0b0c0d0e0f10");
  auto* s2 = req.add_streams();
  s2->set_labels(R"({app="search"})");
  s2->set_hash(42);
  e = s2->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->set_line("query took 3ms");
  return req;
}

TEST(LokiPushDecoderTest, DecodesStreamsLabelsAndStructuredMetadata) {
  const std::string bytes = Sample().SerializeAsString();
  model::LogBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeLokiPushProto(bytes, DecodeLimits{}, &batch, &result).ok());
  EXPECT_EQ(result.accepted, 3u);
  ASSERT_EQ(batch.resources.size(), 2u);
  ASSERT_EQ(batch.records.size(), 3u);
  // service_name wins over job; app names the second stream's service.
  EXPECT_EQ(batch.resources[0].service_name, "cart");
  EXPECT_EQ(batch.resources[1].service_name, "search");
  EXPECT_EQ(Attr(batch, batch.resources[0].attributes, "job"), "shop/cart");
  EXPECT_EQ(Attr(batch, batch.resources[0].attributes, "path"), "C:\\tmp \"x\"");

  const model::LogRecord& r0 = batch.records[0];
  EXPECT_EQ(r0.time_ns, kT0 * 1'000'000'000 + 123);
  EXPECT_EQ(Str(r0.body), "Retrying call to inventory after 100ms");
  EXPECT_EQ(r0.severity_text, "warn");  // from the stream's level label
  EXPECT_EQ(model::SeverityOf(r0.severity_number), model::Severity::kWarn);
  const model::LogRecord& r1 = batch.records[1];
  EXPECT_EQ(r1.severity_text, "ERROR");  // structured metadata overrides the label
  EXPECT_EQ(model::SeverityOf(r1.severity_number), model::Severity::kError);
  EXPECT_EQ(model::IdToHex(r1.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(Attr(batch, r1.attributes, "level"), "ERROR");
  EXPECT_EQ(batch.records[2].resource_index, 1u);
  EXPECT_EQ(batch.records[2].severity_number, 0);
}

TEST(LokiPushDecoderTest, DecodesTheJsonFormat) {
  const std::string json = R"({"streams": [
    {"stream": {"service": "cart", "detected_level": "error"},
     "values": [["1700000000000000123", "Order 17 failed"],
                ["1700000001000000000", "Order 18 failed", {"trace_id": "0102030405060708090a0b0c0d0e0f10", "user": "x"}]]},
    {"stream": {"job": "varlogs"}, "values": [[1700000002000000000, "plain"]]}
  ]})";
  model::LogBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeLokiPushJson(json, DecodeLimits{}, &batch, &result).ok());
  ASSERT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.resources[0].service_name, "cart");
  EXPECT_EQ(batch.resources[1].service_name, "varlogs");
  EXPECT_EQ(batch.records[0].time_ns, 1'700'000'000'000'000'123);
  EXPECT_EQ(model::SeverityOf(batch.records[0].severity_number), model::Severity::kError);
  EXPECT_EQ(Attr(batch, batch.records[1].attributes, "user"), "x");
  EXPECT_FALSE(model::IsZeroId(batch.records[1].trace_id));
  EXPECT_EQ(Str(batch.records[2].body), "plain");
  EXPECT_EQ(batch.resources[1].service_name, "varlogs");
  // Nothing to push is fine.
  EXPECT_TRUE(DecodeLokiPushJson(R"({"streams": []})", DecodeLimits{}, &batch, &result).ok());
  EXPECT_TRUE(DecodeLokiPushJson("", DecodeLimits{}, &batch, &result).ok());
}

TEST(LokiPushDecoderTest, LabelStrings) {
  std::vector<std::pair<std::string, std::string>> labels;
  ASSERT_TRUE(ParseLokiLabels(R"({foo="bar"})", &labels).ok());
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0], (std::pair<std::string, std::string>{"foo", "bar"}));
  ASSERT_TRUE(ParseLokiLabels(R"( { a = "x\ny\u00e9" , _b2="" } )", &labels).ok());
  EXPECT_EQ(labels[0].second, "x\ny\xc3\xa9");
  EXPECT_EQ(labels[1].first, "_b2");
  EXPECT_TRUE(ParseLokiLabels("{}", &labels).ok());
  for (std::string_view bad : {"", "foo=\"bar\"", "{foo=\"bar\"", "{foo=bar}", "{=\"x\"}",
                               "{foo=\"bar\"} x", "{foo=~\"b.*\"}", "{1foo=\"x\"}",
                               "{foo=\"bar\" baz=\"q\"}", "{foo=\"\\q\"}", "{foo=\"bar}"}) {
    absl::Status s = ParseLokiLabels(bad, &labels);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("expected {name=\"value\", ...}"), std::string::npos) << s;
  }
}

TEST(LokiPushDecoderTest, MalformedPushesNameTheProblem) {
  auto proto_error = [](const std::string& bytes) {
    model::LogBatch batch;
    DecodeResult result;
    return std::string(DecodeLokiPushProto(bytes, DecodeLimits{}, &batch, &result).message());
  };
  auto json_error = [](const std::string& json) {
    model::LogBatch batch;
    DecodeResult result;
    return std::string(DecodeLokiPushJson(json, DecodeLimits{}, &batch, &result).message());
  };
  // Truncated protobuf.
  std::string bytes = Sample().SerializeAsString();
  EXPECT_NE(proto_error(bytes.substr(0, bytes.size() - 3)).find("malformed protobuf"),
            std::string::npos);
  // A bad label string.
  logproto::PushRequest req = Sample();
  req.mutable_streams(1)->set_labels(R"({app="search")");
  EXPECT_NE(proto_error(req.SerializeAsString()).find("streams[1].labels: "), std::string::npos)
      << proto_error(req.SerializeAsString());
  // A timestamp out of range.
  req = Sample();
  req.mutable_streams(0)->mutable_entries(1)->mutable_timestamp()->set_seconds(-5);
  EXPECT_NE(proto_error(req.SerializeAsString()).find("streams[0].entries[1].timestamp"),
            std::string::npos);
  // JSON: not numeric, wrong shapes, invalid JSON.
  EXPECT_NE(json_error(R"({"streams":[{"stream":{"job":"x"},"values":[["12ab","x"]]}]})")
                .find("streams[0].values[0][0]: the timestamp must be a string of Unix "
                      "nanoseconds"),
            std::string::npos);
  EXPECT_NE(json_error(R"({"streams":[{"stream":{"job":"x"},"values":[["12",5]]}]})")
                .find("the line must be a string"),
            std::string::npos);
  EXPECT_NE(
      json_error(R"({"streams":[{"stream":{"a":1},"values":[]}]})").find("streams[0].stream.a"),
      std::string::npos);
  EXPECT_NE(json_error(R"({"streams":{}})").find("streams: expected an array"), std::string::npos);
  EXPECT_NE(json_error(R"([1,2])").find("expected an object"), std::string::npos);
  EXPECT_NE(json_error("{\"streams\": [").find("invalid JSON"), std::string::npos);
}

TEST(LokiPushDecoderTest, BadBytesAndLongLinesAreBounded) {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels("{service_name=\"c\xff\"}");
  auto* e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->set_line(std::string("ok \xc3\x28 bad \xed\xa0\x80 surrogate"));
  e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->set_line(std::string(1 << 20, 'y'));  // 1 MB
  DecodeLimits limits;
  limits.max_attribute_value_bytes = 4096;
  model::LogBatch batch;
  DecodeResult result;
  ASSERT_TRUE(DecodeLokiPushProto(req.SerializeAsString(), limits, &batch, &result).ok());
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.resources[0].service_name, "c\xef\xbf\xbd");  // U+FFFD
  EXPECT_EQ(Str(batch.records[0].body),
            "ok \xef\xbf\xbd( bad \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate");
  EXPECT_EQ(batch.records[1].body.str.size(), 4096u);
  EXPECT_EQ(result.truncated_values, 1u);

  // More entries than a request may hold: refused whole.
  limits.max_items = 1;
  EXPECT_EQ(DecodeLokiPushProto(req.SerializeAsString(), limits, &batch, &result).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(LokiPushDecoderTest, SanitizeUtf8) {
  EXPECT_EQ(core::SanitizeUtf8("plain"), "plain");
  EXPECT_EQ(core::SanitizeUtf8("\xe2\x82\xac"), "\xe2\x82\xac");
  EXPECT_EQ(core::SanitizeUtf8("a\x80z"), "a\xef\xbf\xbdz");
  EXPECT_EQ(core::SanitizeUtf8("\xf0\x9f\x98"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_TRUE(core::IsValidUtf8(core::SanitizeUtf8("\xc0\xaf\xf5\xff\xfe")));
}

}  // namespace
}  // namespace augur::ingest
