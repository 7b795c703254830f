#include "ingest/loki_push_receiver.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include "core/gzip.h"
#include "loki/push.pb.h"

namespace augur::ingest {
namespace {

class FakeBus : public bus::Bus {
 public:
  absl::Status PublishSpans(std::shared_ptr<const model::SpanBatch>) override {
    return absl::OkStatus();
  }
  absl::Status PublishMetrics(std::shared_ptr<const model::MetricBatch>) override {
    return absl::OkStatus();
  }
  absl::Status PublishLogs(std::shared_ptr<const model::LogBatch> batch) override {
    if (full) return absl::UnavailableError("pipeline full: retry later");
    logs.push_back(std::move(batch));
    return absl::OkStatus();
  }
  bool full = false;
  std::vector<std::shared_ptr<const model::LogBatch>> logs;
};

class LokiPushReceiverTest : public ::testing::Test {
 protected:
  LokiPushReceiverTest() : ingester_(Config(), &bus_, &metrics_), receiver_(&ingester_) {}

  static OtlpReceiverConfig Config() {
    OtlpReceiverConfig c;
    c.max_request_bytes = 64 << 10;
    c.limits.max_items = 1000;
    return c;
  }

  core::HttpResponse Push(std::string body, std::string content_type, std::string encoding = "") {
    core::HttpRequest r;
    r.method = "POST";
    r.path = r.target = std::string(LokiPushReceiver::kPath);
    r.headers.emplace_back("Content-Type", content_type);
    if (!encoding.empty()) r.headers.emplace_back("Content-Encoding", encoding);
    *r.body = std::move(body);
    core::HttpResponse response;
    receiver_.Handle(r, &response);
    return response;
  }

  static std::string Snappy(const std::string& raw) {
    std::string out;
    snappy::Compress(raw.data(), raw.size(), &out);
    return out;
  }

  static std::string Request(int entries, std::string labels = R"({service_name="cart"})") {
    logproto::PushRequest req;
    auto* s = req.add_streams();
    s->set_labels(labels);
    for (int i = 0; i < entries; ++i) {
      auto* e = s->add_entries();
      e->mutable_timestamp()->set_seconds(1'700'000'000 + i);
      e->set_line("line " + std::to_string(i));
    }
    return req.SerializeAsString();
  }

  double Requests(std::string_view outcome) {
    return metrics_.Value(
        "augur_ingest_requests",
        {{"protocol", "loki"}, {"signal", "logs"}, {"outcome", std::string(outcome)}});
  }

  core::SelfMetrics metrics_;
  FakeBus bus_;
  OtlpIngester ingester_;
  LokiPushReceiver receiver_;
};

TEST_F(LokiPushReceiverTest, TakesSnappyProtobufAndAnswers204) {
  core::HttpResponse r = Push(Snappy(Request(3)), "application/x-protobuf");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  ASSERT_EQ(bus_.logs.size(), 1u);
  EXPECT_EQ(bus_.logs[0]->records.size(), 3u);
  EXPECT_EQ(bus_.logs[0]->resources[0].service_name, "cart");
  EXPECT_EQ(bus_.logs[0]->records[2].body.str, "line 2");
  EXPECT_EQ(Requests("ok"), 1);
  EXPECT_EQ(metrics_.Value("augur_ingest_items_accepted", {{"signal", "logs"}}), 3);
}

TEST_F(LokiPushReceiverTest, TakesGzippedJson) {
  const std::string json =
      R"({"streams":[{"stream":{"service_name":"cart"},"values":[["1700000000000000000","hi"]]}]})";
  EXPECT_EQ(Push(core::Gzip(json), "application/json; charset=utf-8", "gzip").status, 204);
  EXPECT_EQ(Push(json, "application/json").status, 204);
  ASSERT_EQ(bus_.logs.size(), 2u);
  EXPECT_EQ(bus_.logs[0]->records[0].body.str, "hi");
}

TEST_F(LokiPushReceiverTest, MalformedPushesGet400WithAMessage) {
  core::HttpResponse r = Push("not snappy at all", "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("snappy"), std::string::npos) << r.body;
  r = Push(Snappy("\x0a\x05\x0a\x03{a"), "application/x-protobuf");  // truncated message
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("malformed protobuf"), std::string::npos) << r.body;
  r = Push(Snappy(Request(1, R"({foo="bar")")), "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("streams[0].labels"), std::string::npos) << r.body;
  r = Push(R"({"streams":[{"stream":{"job":"x"},"values":[["soon","x"]]}]})", "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Unix nanoseconds"), std::string::npos) << r.body;
  r = Push("\x1f\x8b garbage", "application/json", "gzip");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(bus_.logs.empty());
  EXPECT_EQ(Requests("invalid"), 5);
}

TEST_F(LokiPushReceiverTest, LimitsTypesAndAFullPipeline) {
  EXPECT_EQ(Push(std::string(65 << 10, 'x'), "application/json").status, 413);
  EXPECT_EQ(Push(Snappy(Request(1001)), "application/x-protobuf").status, 413);
  // A small body that inflates past the limit.
  EXPECT_EQ(Push(Snappy(std::string(1 << 20, 'a')), "application/x-protobuf").status, 413);
  EXPECT_EQ(Push(core::Gzip(std::string(1 << 20, ' ')), "application/json", "gzip").status, 413);
  EXPECT_EQ(Requests("too_large"), 4);
  EXPECT_EQ(Push("{}", "text/plain").status, 415);
  EXPECT_EQ(Push("{}", "application/json", "br").status, 415);
  bus_.full = true;
  core::HttpResponse r = Push(Snappy(Request(2)), "application/x-protobuf");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_EQ(Requests("refused"), 1);
}

}  // namespace
}  // namespace augur::ingest
