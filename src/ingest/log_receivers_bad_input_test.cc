// Bad input on the log path, through the real receivers (OTLP/HTTP /v1/logs and the Loki push
// API) as their HTTP handlers see it: bytes that are not UTF-8, a 1 MB line, and every kind of
// malformed Loki push. The pipeline behind them is a recording bus.
#include <gmock/gmock.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <snappy.h>

#include <functional>
#include <string>
#include <vector>

#include "core/gzip.h"
#include "core/utf8.h"
#include "ingest/loki_push_receiver.h"
#include "ingest/otlp_http_receiver.h"
#include "loki/push.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace augur::ingest {
namespace {

namespace collector_logs = opentelemetry::proto::collector::logs::v1;
namespace otlp_logs = opentelemetry::proto::logs::v1;

using ::testing::HasSubstr;

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD
constexpr int64_t kT0 = 1'700'000'000;

class RecordingBus : public bus::Bus {
 public:
  absl::Status PublishSpans(std::shared_ptr<const model::SpanBatch>) override {
    return absl::OkStatus();
  }
  absl::Status PublishMetrics(std::shared_ptr<const model::MetricBatch>) override {
    return absl::OkStatus();
  }
  absl::Status PublishLogs(std::shared_ptr<const model::LogBatch> batch) override {
    logs.push_back(std::move(batch));
    return absl::OkStatus();
  }
  std::vector<std::shared_ptr<const model::LogBatch>> logs;
};

std::string AttributeValue(const model::LogBatch& b, model::AttributeRange range,
                           std::string_view key) {
  const model::AnyValue* v = model::FindAttribute(b.AttributesOf(range), key);
  return v == nullptr ? "<absent>" : std::string(v->str);
}

// Every string of a batch a miner or an exporter will see.
void ExpectAllUtf8(const model::LogBatch& b) {
  for (const model::Resource& r : b.resources) EXPECT_TRUE(core::IsValidUtf8(r.service_name));
  for (const model::KeyValue& kv : b.attributes) {
    EXPECT_TRUE(core::IsValidUtf8(kv.key)) << kv.key;
    EXPECT_TRUE(core::IsValidUtf8(kv.value.str)) << kv.value.str;
  }
  for (const model::LogRecord& r : b.records) {
    EXPECT_TRUE(core::IsValidUtf8(r.body.str));
    EXPECT_TRUE(core::IsValidUtf8(r.severity_text));
  }
}

// 1 MiB of two-byte characters, so that a cut at an even byte count would still be a boundary:
// one ASCII byte first makes every boundary odd.
std::string MegabyteLine() {
  std::string line = "x";
  while (line.size() < (1 << 20)) line += "\xc3\xa9";  // é
  return line;
}

class LogReceiversBadInputTest : public ::testing::Test {
 protected:
  LogReceiversBadInputTest() { Reset(OtlpReceiverConfig{}); }

  // Receivers with `config` (the defaults: 20 MiB requests, values cut at 4096 bytes).
  void Reset(OtlpReceiverConfig config) {
    loki_.reset();
    otlp_.reset();
    ingester_.reset();
    bus_ = RecordingBus();
    metrics_ = std::make_unique<core::SelfMetrics>();
    ingester_ = std::make_unique<OtlpIngester>(config, &bus_, metrics_.get());
    otlp_ = std::make_unique<OtlpHttpReceiver>(ingester_.get());
    loki_ = std::make_unique<LokiPushReceiver>(ingester_.get());
  }

  static core::HttpRequest Request(std::string_view path, std::string body,
                                   std::string content_type, std::string encoding = "") {
    core::HttpRequest r;
    r.method = "POST";
    r.path = r.target = std::string(path);
    r.headers.emplace_back("Content-Type", std::move(content_type));
    if (!encoding.empty()) r.headers.emplace_back("Content-Encoding", std::move(encoding));
    *r.body = std::move(body);
    return r;
  }

  core::HttpResponse Loki(std::string body, std::string content_type, std::string encoding = "") {
    core::HttpResponse response;
    loki_->Handle(Request(LokiPushReceiver::kPath, std::move(body), std::move(content_type),
                          std::move(encoding)),
                  &response);
    return response;
  }

  core::HttpResponse Otlp(std::string body, std::string content_type) {
    core::HttpResponse response;
    otlp_->Handle(Signal::kLogs, Request("/v1/logs", std::move(body), std::move(content_type)),
                  &response);
    return response;
  }

  static std::string Snappy(const std::string& raw) {
    std::string out;
    snappy::Compress(raw.data(), raw.size(), &out);
    return out;
  }

  static std::string Serialize(const google::protobuf::Message& message) {
    google::protobuf::LogSilencer silence;  // the invalid UTF-8 is on purpose
    return message.SerializeAsString();
  }

  double Metric(std::string_view name, const core::OwnedLabels& labels = {}) {
    return metrics_->Value(name, labels);
  }

  RecordingBus bus_;
  std::unique_ptr<core::SelfMetrics> metrics_;
  std::unique_ptr<OtlpIngester> ingester_;
  std::unique_ptr<OtlpHttpReceiver> otlp_;
  std::unique_ptr<LokiPushReceiver> loki_;
};

// OTLP: protobuf strings must be UTF-8, so a record with other bytes is rejected alone (partial
// success naming it); the rest of the request is taken.
TEST_F(LogReceiversBadInputTest, OtlpRejectsOnlyTheRecordsThatAreNotUtf8) {
  collector_logs::ExportLogsServiceRequest request;
  otlp_logs::ResourceLogs* rl = request.add_resource_logs();
  auto* service = rl->mutable_resource()->add_attributes();
  service->set_key("service.name");
  service->mutable_value()->set_string_value("cart");
  otlp_logs::ScopeLogs* sl = rl->add_scope_logs();
  sl->add_log_records()->mutable_body()->set_string_value("bad body \xc3\x28");
  otlp_logs::LogRecord* bad_attribute = sl->add_log_records();
  bad_attribute->mutable_body()->set_string_value("fine body");
  auto* kv = bad_attribute->add_attributes();
  kv->set_key("user");
  kv->mutable_value()->set_string_value("m\xe9lanie");
  sl->add_log_records()->mutable_body()->set_string_value("good line");

  core::HttpResponse r = Otlp(Serialize(request), "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  collector_logs::ExportLogsServiceResponse answer;
  ASSERT_TRUE(answer.ParseFromString(r.body));
  EXPECT_EQ(answer.partial_success().rejected_log_records(), 2);
  EXPECT_THAT(answer.partial_success().error_message(), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(answer.partial_success().error_message(), HasSubstr("log_records[0]"));
  ASSERT_EQ(bus_.logs.size(), 1u);
  ASSERT_EQ(bus_.logs[0]->records.size(), 1u);
  EXPECT_EQ(bus_.logs[0]->records[0].body.str, "good line");
  ExpectAllUtf8(*bus_.logs[0]);
  EXPECT_EQ(Metric("augur_ingest_items_rejected", {{"signal", "logs"}}), 2);

  // OTLP/JSON must be UTF-8 as a whole (RFC 8259): such a document is refused with 400.
  r = Otlp(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a)"
           "\xff"
           R"("}}]}]}]})",
           "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("UTF-8"));
  EXPECT_EQ(bus_.logs.size(), 1u);
}

// Loki keeps lines that are not UTF-8; Augur keeps them too, with U+FFFD for the bad bytes, in
// the line, label values and structured metadata names and values.
TEST_F(LogReceiversBadInputTest, LokiRepairsBytesThatAreNotUtf8) {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels("{service_name=\"cart\", host=\"node-\xff\"}");
  auto* e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->set_line("payment \xc3\x28 declined \xed\xa0\x80");
  auto* m = e->add_structuredmetadata();
  m->set_name("user\xfe");
  m->set_value("m\xe9lanie");
  e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0 + 1);
  e->set_line("plain line");

  core::HttpResponse r = Loki(Snappy(Serialize(req)), "application/x-protobuf");
  ASSERT_EQ(r.status, 204) << r.body;
  ASSERT_EQ(bus_.logs.size(), 1u);
  const model::LogBatch& b = *bus_.logs[0];
  ExpectAllUtf8(b);
  ASSERT_EQ(b.records.size(), 2u);
  const std::string rep(kReplacement);
  EXPECT_EQ(b.records[0].body.str, "payment " + rep + "( declined " + rep + rep + rep);
  EXPECT_EQ(AttributeValue(b, b.resources[0].attributes, "host"), "node-" + rep);
  EXPECT_EQ(AttributeValue(b, b.records[0].attributes, "user" + rep), "m" + rep + "lanie");
  EXPECT_EQ(b.records[1].body.str, "plain line");

  // JSON is UTF-8 by definition: raw bad bytes make it invalid JSON, refused with 400.
  r = Loki("{\"streams\":[{\"stream\":{\"job\":\"x\"},\"values\":[[\"1\",\"a\xff\"]]}]}",
           "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid JSON"));
  EXPECT_THAT(r.body, HasSubstr("UTF-8"));
  EXPECT_EQ(bus_.logs.size(), 1u);
}

// A 1 MB line fits the default request limit (20 MiB): it is taken, cut to
// max_attribute_value_bytes on a character boundary, and counted as truncated. Over
// max_request_bytes the request is refused with 413 and a message naming the limit.
TEST_F(LogReceiversBadInputTest, AOneMegabyteLineIsCutOrRefusedByTheLimits) {
  const std::string line = MegabyteLine();
  collector_logs::ExportLogsServiceRequest otlp;
  otlp.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body()->set_string_value(
      line);
  logproto::PushRequest loki;
  auto* s = loki.add_streams();
  s->set_labels(R"({service_name="cart"})");
  auto* e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->set_line(line);
  const std::string loki_json =
      R"({"streams":[{"stream":{"service_name":"cart"},"values":[["1700000000000000000",")" + line +
      R"("]]}]})";

  EXPECT_EQ(Otlp(Serialize(otlp), "application/x-protobuf").status, 200);
  EXPECT_EQ(Loki(Snappy(Serialize(loki)), "application/x-protobuf").status, 204);
  EXPECT_EQ(Loki(loki_json, "application/json").status, 204);
  EXPECT_EQ(Loki(core::Gzip(loki_json), "application/json", "gzip").status, 204);
  ASSERT_EQ(bus_.logs.size(), 4u);
  for (const auto& b : bus_.logs) {
    ASSERT_EQ(b->records.size(), 1u);
    const std::string_view body = b->records[0].body.str;
    EXPECT_EQ(body.size(), 4095u);  // 4096 would split an é
    EXPECT_TRUE(core::IsValidUtf8(body));
    EXPECT_TRUE(line.starts_with(body));
  }
  EXPECT_EQ(Metric("augur_ingest_values_truncated"), 4);

  OtlpReceiverConfig small;
  small.max_request_bytes = 512 << 10;
  Reset(small);
  core::HttpResponse r = Loki(Snappy(Serialize(loki)), "application/x-protobuf");
  EXPECT_EQ(r.status, 413);  // small when compressed; its decompressed length is over the limit
  EXPECT_THAT(r.body, HasSubstr("decompressed body"));
  r = Loki(loki_json, "application/json");
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("exceeds the limit of 524288 bytes"));
  // Compressed below the limit, inflated past it: refused all the same.
  const std::string repetitive = R"({"streams":[{"stream":{"job":"x"},"values":[["1",")" +
                                 std::string(1 << 20, 'a') + R"("]]}]})";
  ASSERT_LT(core::Gzip(repetitive).size(), small.max_request_bytes);
  r = Loki(core::Gzip(repetitive), "application/json", "gzip");
  EXPECT_EQ(r.status, 413) << r.body;
  r = Otlp(Serialize(otlp), "application/x-protobuf");
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(bus_.logs.empty());
  EXPECT_EQ(Metric("augur_ingest_requests",
                   {{"protocol", "loki"}, {"signal", "logs"}, {"outcome", "too_large"}}),
            3);
}

logproto::PushRequest GoodPush() {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels(R"({service_name="cart", level="info"})");
  auto* e = s->add_entries();
  e->mutable_timestamp()->set_seconds(kT0);
  e->set_line("Cart 7 updated");
  return req;
}

struct MalformedPush {
  std::string name;
  std::string body;
  std::string content_type;
  std::string message;  // a part of the 400 answer naming the problem
};

std::vector<MalformedPush> MalformedPushes() {
  const std::string proto = "application/x-protobuf";
  const std::string json = "application/json";
  auto snappy = [](const std::string& raw) {
    std::string out;
    snappy::Compress(raw.data(), raw.size(), &out);
    return out;
  };
  auto with = [&](const std::function<void(logproto::PushRequest*)>& change) {
    logproto::PushRequest req = GoodPush();
    change(&req);
    return snappy(req.SerializeAsString());
  };
  const std::string good = GoodPush().SerializeAsString();
  std::string corrupt = snappy(good);
  corrupt.resize(corrupt.size() - 4);  // the block ends early
  return {
      // Snappy.
      {"not snappy", "\xff\xff\xff\xff\xff\xff", proto, "snappy"},
      {"snappy cut short", corrupt, proto, "invalid snappy-compressed body"},
      {"uncompressed protobuf", good, proto, "snappy"},
      // Protobuf.
      {"truncated protobuf", snappy(good.substr(0, good.size() - 2)), proto, "malformed protobuf"},
      {"wrong wire type", snappy(std::string("\x08\x01", 2)), proto, "malformed protobuf"},
      {"not protobuf at all", snappy("{\"streams\": []}"), proto, "malformed protobuf"},
      // Labels: missing, empty, invalid syntax.
      {"no labels field", with([](auto* r) { r->mutable_streams(0)->clear_labels(); }), proto,
       "streams[0].labels: missing; at least one label pair is required per stream"},
      {"empty label set", with([](auto* r) { r->mutable_streams(0)->set_labels("{}"); }), proto,
       "streams[0].labels: '{}' has no labels"},
      {"labels without braces",
       with([](auto* r) { r->mutable_streams(0)->set_labels(R"(service_name="cart")"); }), proto,
       "streams[0].labels: missing '{'"},
      {"unquoted label value",
       with([](auto* r) { r->mutable_streams(0)->set_labels("{service_name=cart}"); }), proto,
       "streams[0].labels: expected a quoted label value"},
      {"regex matcher",
       with([](auto* r) { r->mutable_streams(0)->set_labels(R"({service_name=~"c.*"})"); }), proto,
       "only '=' matchers may name a stream"},
      {"label name with a dash",
       with([](auto* r) { r->mutable_streams(0)->set_labels(R"({service-name="cart"})"); }), proto,
       "streams[0].labels: expected '=' after the label name"},
      {"unterminated value",
       with([](auto* r) { r->mutable_streams(0)->set_labels(R"({service_name="cart})"); }), proto,
       "unterminated label value"},
      // Timestamps.
      {"negative timestamp", with([](auto* r) {
         r->mutable_streams(0)->mutable_entries(0)->mutable_timestamp()->set_seconds(-1);
       }),
       proto, "streams[0].entries[0].timestamp"},
      // JSON: invalid, wrong types, missing labels.
      {"invalid JSON", R"({"streams": [)", json, "invalid JSON"},
      {"top level array", R"([{"stream":{"job":"x"}}])", json, "expected an object"},
      {"streams an object", R"({"streams":{"job":"x"}})", json, "streams: expected an array"},
      {"stream a string", R"({"streams":["x"]})", json, "streams[0]: expected an object"},
      {"missing stream", R"({"streams":[{"values":[["1","x"]]}]})", json,
       "streams[0].stream: missing; at least one label pair is required per stream"},
      {"empty stream", R"({"streams":[{"stream":{},"values":[["1","x"]]}]})", json,
       "streams[0].stream: no labels"},
      {"labels an array", R"({"streams":[{"stream":["job","x"],"values":[]}]})", json,
       "streams[0].stream: expected an object of labels"},
      {"label value a number", R"({"streams":[{"stream":{"job":7},"values":[]}]})", json,
       "streams[0].stream.job: expected a string"},
      {"values an object", R"({"streams":[{"stream":{"job":"x"},"values":{"1":"x"}}]})", json,
       "streams[0].values: expected an array"},
      {"entry a string", R"({"streams":[{"stream":{"job":"x"},"values":["1 x"]}]})", json,
       "streams[0].values[0]: expected"},
      {"entry too long", R"({"streams":[{"stream":{"job":"x"},"values":[["1","x",{},4]]}]})", json,
       "streams[0].values[0]: expected"},
      {"timestamp not a number",
       R"({"streams":[{"stream":{"job":"x"},"values":[["yesterday","x"]]}]})", json,
       "streams[0].values[0][0]: the timestamp must be a string of Unix nanoseconds"},
      {"timestamp negative", R"({"streams":[{"stream":{"job":"x"},"values":[["-5","x"]]}]})", json,
       "streams[0].values[0][0]"},
      {"timestamp beyond int64",
       R"({"streams":[{"stream":{"job":"x"},"values":[["99999999999999999999","x"]]}]})", json,
       "streams[0].values[0][0]"},
      {"line a number", R"({"streams":[{"stream":{"job":"x"},"values":[["1",42]]}]})", json,
       "streams[0].values[0][1]: the line must be a string"},
      {"metadata an array", R"({"streams":[{"stream":{"job":"x"},"values":[["1","x",["a"]]]}]})",
       json, "streams[0].values[0][2]: structured metadata must be an object"},
      {"metadata value an object",
       R"({"streams":[{"stream":{"job":"x"},"values":[["1","x",{"user":{"id":1}}]]}]})", json,
       "streams[0].values[0][2].user: expected a string"},
      {"second stream bad",
       R"({"streams":[{"stream":{"job":"x"},"values":[["1","x"]]},{"stream":{"job":"y"},"values":[["1",null]]}]})",
       json, "streams[1].values[0][1]"},
  };
}

// Every malformed push gets 400 with a one-line message naming the problem and where, nothing of
// it enters the pipeline, and it is counted as invalid.
TEST_F(LogReceiversBadInputTest, EveryMalformedLokiPushGets400NamingTheProblem) {
  const std::vector<MalformedPush> cases = MalformedPushes();
  for (const MalformedPush& c : cases) {
    SCOPED_TRACE(c.name);
    core::HttpResponse r = Loki(c.body, c.content_type);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_THAT(r.body, HasSubstr(c.message));
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 1) << r.body;
    EXPECT_TRUE(core::IsValidUtf8(r.body));
  }
  EXPECT_TRUE(bus_.logs.empty());
  EXPECT_EQ(Metric("augur_ingest_requests",
                   {{"protocol", "loki"}, {"signal", "logs"}, {"outcome", "invalid"}}),
            static_cast<double>(cases.size()));
  // The same receiver still takes a good push afterwards.
  EXPECT_EQ(Loki(Snappy(GoodPush().SerializeAsString()), "application/x-protobuf").status, 204);
  EXPECT_EQ(bus_.logs.size(), 1u);
}

}  // namespace
}  // namespace augur::ingest
