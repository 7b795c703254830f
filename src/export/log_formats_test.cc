// The payloads of the log exporters for a fixed input, against golden files in
// testdata/export/ (Loki and Elasticsearch are not packaged here, so their formats are checked
// against the documented ones this way; ClickHouse also has a real-server integration test).
// AUGUR_UPDATE_GOLDEN=1 rewrites the files after an intended change.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <snappy.h>
#include <nlohmann/json.hpp>

#include "export/clickhouse_target.h"
#include "export/elasticsearch_target.h"
#include "export/json_text.h"
#include "export/loki_push_encoder.h"
#include "export/loki_target.h"
#include "loki/push.pb.h"

namespace augur::exporter {
namespace {

using nlohmann::json;

constexpr core::TimeNs kT0 = 1'795'255'200'123'456'789;  // 2026-11-21T10:00:00.123456789Z

model::MinedLogBatch Input() {
  model::MinedLogBatch batch;
  model::MinedLogRecord r;
  r.time_ns = kT0 + 2 * core::kNsPerSecond;
  r.service = "checkout";
  r.severity = model::Severity::kError;
  r.severity_text = "ERROR";
  r.template_id = 12;
  r.template_text = "Payment for order <*> failed: <*>";
  r.body = "Payment for order 991 failed: \"card declined\"\n\tretry=no é";
  r.trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  r.span_id = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
  r.attributes = {
      {"order.id", "991", false}, {"amount", "12.5", true}, {"tags", "[\"a\",1]", true}};
  r.resource_attributes = {{"service.name", "checkout", false}, {"host.name", "node-1", false}};
  batch.push_back(r);

  model::MinedLogRecord earlier = r;  // same stream, earlier: Loki sorts it first
  earlier.time_ns = kT0;
  earlier.body = "Payment for order 990 failed: timeout";
  earlier.attributes.clear();
  earlier.span_id = {};
  batch.push_back(earlier);

  model::MinedLogRecord info;
  info.time_ns = kT0 + 86'400 * core::kNsPerSecond;  // the next day: another index
  info.service = "cart";
  info.severity = model::Severity::kInfo;
  info.severity_text = "info";
  info.template_id = 0;
  info.template_text = "Cart <*> updated";
  info.body = "Cart 7 updated";
  batch.push_back(info);
  return batch;
}

std::vector<const model::MinedLogRecord*> Pointers(const model::MinedLogBatch& batch) {
  std::vector<const model::MinedLogRecord*> out;
  for (const auto& r : batch) out.push_back(&r);
  return out;
}

std::string GoldenPath(std::string_view name) {
  return std::string(AUGUR_TESTDATA_DIR) + "/export/" + std::string(name);
}

// Compares `actual` with the golden file, or rewrites it when AUGUR_UPDATE_GOLDEN is set.
void ExpectGolden(std::string_view name, const std::string& actual) {
  const std::string path = GoldenPath(name);
  if (std::getenv("AUGUR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with AUGUR_UPDATE_GOLDEN=1)";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(actual, golden.str()) << "payload differs from " << path;
}

TEST(LogFormatsTest, LokiPushProtobuf) {
  const model::MinedLogBatch input = Input();
  const std::string bytes = EncodeLokiPush(Pointers(input));
  ExpectGolden("loki_push.golden", bytes);

  // It is a logproto.PushRequest as Loki reads it...
  logproto::PushRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  ASSERT_EQ(req.streams_size(), 2);
  const auto& s = req.streams(0);
  EXPECT_EQ(s.labels(), R"({service_name="checkout", severity="ERROR", template="12"})");
  ASSERT_EQ(s.entries_size(), 2);
  EXPECT_EQ(s.entries(0).line(), "Payment for order 990 failed: timeout");  // time order
  EXPECT_EQ(s.entries(0).timestamp().seconds(), kT0 / core::kNsPerSecond);
  EXPECT_EQ(s.entries(0).timestamp().nanos(), kT0 % core::kNsPerSecond);
  ASSERT_EQ(s.entries(1).structuredmetadata_size(), 2);
  EXPECT_EQ(s.entries(1).structuredmetadata(0).name(), "trace_id");
  EXPECT_EQ(s.entries(1).structuredmetadata(0).value(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(s.entries(1).structuredmetadata(1).value(), "a1a2a3a4a5a6a7a8");
  EXPECT_EQ(req.streams(1).labels(), R"({service_name="cart", severity="INFO", template="0"})");
  // ...and byte for byte what libprotobuf writes for that message.
  EXPECT_EQ(req.SerializeAsString(), bytes);

  // The exporter sends it snappy-compressed (block format).
  LokiTarget target;
  HttpCall call = target.Encode(Pointers(input));
  EXPECT_EQ(call.target, "/loki/api/v1/push");
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(call.body.data(), call.body.size(), &raw));
  EXPECT_EQ(raw, bytes);
  EXPECT_EQ(LokiLabelString(
                std::vector<std::pair<std::string_view, std::string_view>>{{"a", "x\"y\\z\nw"}}),
            R"({a="x\"y\\z\nw"})");
}

TEST(LogFormatsTest, ElasticsearchBulkNdjson) {
  const model::MinedLogBatch input = Input();
  ElasticsearchExporterConfig config;
  ElasticsearchTarget target(config);
  HttpCall call = target.Encode(Pointers(input));
  EXPECT_EQ(call.target, "/_bulk");
  EXPECT_EQ(core::FindHeader(call.headers, "Content-Type"), "application/x-ndjson");
  ExpectGolden("elasticsearch_bulk.golden", call.body);

  // Action and document lines alternate; every line is JSON; the index is daily.
  std::vector<json> lines;
  std::stringstream in(call.body);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0]["create"]["_index"], "augur-logs-2026.11.21");
  EXPECT_EQ(lines[4]["create"]["_index"], "augur-logs-2026.11.22");
  const json& doc = lines[1];
  EXPECT_EQ(doc["@timestamp"], "2026-11-21T10:00:02.123456789Z");
  EXPECT_EQ(doc["message"], input[0].body);
  EXPECT_EQ(doc["log"]["level"], "ERROR");
  EXPECT_EQ(doc["service"]["name"], "checkout");
  EXPECT_EQ(doc["trace"]["id"], "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(doc["augur"]["template_id"], 12);
  EXPECT_EQ(doc["attributes"]["amount"], 12.5);
  EXPECT_EQ(doc["attributes"]["tags"], json::parse(R"(["a",1])"));
  EXPECT_FALSE(lines[3].contains("span"));  // absent ids are left out
}

TEST(LogFormatsTest, ClickHouseJsonEachRow) {
  const model::MinedLogBatch input = Input();
  ClickHouseExporterConfig config;
  ClickHouseTarget target(config);
  HttpCall call = target.Encode(Pointers(input));
  EXPECT_EQ(call.target, "/?query=INSERT%20INTO%20%60augur%60.%60logs%60%20FORMAT%20JSONEachRow");
  ExpectGolden("clickhouse_rows.golden", call.body);
  std::stringstream in(call.body);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  json row = json::parse(line);
  EXPECT_EQ(row["timestamp"], (kT0 + 2 * core::kNsPerSecond) / core::kNsPerSecond);
  EXPECT_EQ(row["timestamp_ns"], kT0 + 2 * core::kNsPerSecond);
  EXPECT_EQ(row["template_id"], 12);
  EXPECT_EQ(row["severity_number"], 17);
  EXPECT_EQ(json::parse(row["attributes"].get<std::string>())["order.id"], "991");
  EXPECT_EQ(json::parse(row["resource"].get<std::string>())["host.name"], "node-1");
  // Setup: the database, the table, the optional per-minute counts.
  auto setup = target.Setup();
  ASSERT_EQ(setup.size(), 3u);
  EXPECT_NE(setup[1].call.body.find("ENGINE = MergeTree()"), std::string::npos);
  EXPECT_TRUE(setup[2].optional);
  EXPECT_NE(setup[2].call.body.find("SummingMergeTree"), std::string::npos);
}

TEST(LogFormatsTest, JsonTextIsAlwaysValid) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01 \xff end", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 \xef\xbf\xbd end\"");
  EXPECT_NO_THROW(json::parse(out));
}

}  // namespace
}  // namespace augur::exporter
