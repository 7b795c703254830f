// What reaches a log store when a record carries bytes that are not UTF-8 or a very long line:
// the receivers repair or refuse such bytes before mining, but an exporter must never be the place
// where one bad record costs a whole batch (a store refuses a body that is not valid JSON or a
// protobuf string that is not UTF-8).
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "export/clickhouse_target.h"
#include "export/elasticsearch_target.h"
#include "export/loki_push_encoder.h"
#include "loki/push.pb.h"

namespace augur::exporter {
namespace {

using nlohmann::json;

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

model::MinedLogBatch BadRecords() {
  model::MinedLogBatch batch;
  model::MinedLogRecord r;
  r.time_ns = 1'795'255'200'000'000'000;
  r.service = "cart\xff";
  r.severity = model::Severity::kWarn;
  r.template_id = 3;
  r.template_text = "user <*> sent \xc3\x28";
  r.body = "user 7 sent \xc3\x28 and \xed\xa0\x80 (a surrogate) and \xf0\x9f\x98";  // 3 bad runs
  r.attributes = {{"name\xfe", "m\xe9lanie", false}, {"ok", "fine", false}};
  r.resource_attributes = {{"host.name", "node-\x80", false}};
  batch.push_back(r);

  model::MinedLogRecord big;
  big.time_ns = r.time_ns + 1;
  big.service = "cart";
  big.template_id = 4;
  big.template_text = "<*>";
  // A long line of multi-byte characters, as a receiver hands it on after cutting it.
  for (int i = 0; i < 1365; ++i) big.body += "\xe2\x82\xac";  // 4095 bytes of euro signs
  batch.push_back(big);
  return batch;
}

std::vector<const model::MinedLogRecord*> Pointers(const model::MinedLogBatch& batch) {
  std::vector<const model::MinedLogRecord*> out;
  for (const auto& r : batch) out.push_back(&r);
  return out;
}

std::vector<json> JsonLines(const std::string& ndjson) {
  std::vector<json> lines;
  std::stringstream in(ndjson);
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(core::IsValidUtf8(line)) << line;
    lines.push_back(json::parse(line));  // throws, failing the test, on invalid JSON or UTF-8
  }
  return lines;
}

TEST(LogBadInputTest, ClickHouseRowsAreValidJsonWithRepairedText) {
  const model::MinedLogBatch input = BadRecords();
  ClickHouseTarget target{ClickHouseExporterConfig{}};
  const std::vector<json> rows = JsonLines(target.Encode(Pointers(input)).body);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["service"], "cart" + std::string(kReplacement));
  const std::string body = rows[0]["body"];
  EXPECT_TRUE(body.starts_with("user 7 sent " + std::string(kReplacement) + "("));
  EXPECT_NE(body.find("(a surrogate)"), std::string::npos);
  const json attributes = json::parse(rows[0]["attributes"].get<std::string>());
  EXPECT_EQ(attributes["name" + std::string(kReplacement)],
            "m" + std::string(kReplacement) + "lanie");
  EXPECT_EQ(attributes["ok"], "fine");
  EXPECT_EQ(json::parse(rows[0]["resource"].get<std::string>())["host.name"],
            "node-" + std::string(kReplacement));
  EXPECT_EQ(rows[1]["body"], input[1].body);  // valid multi-byte text passes unchanged
}

TEST(LogBadInputTest, ElasticsearchBulkLinesAreValidJson) {
  const model::MinedLogBatch input = BadRecords();
  ElasticsearchTarget target{ElasticsearchExporterConfig{}};
  const std::vector<json> lines = JsonLines(target.Encode(Pointers(input)).body);
  ASSERT_EQ(lines.size(), 4u);  // action, document, action, document
  EXPECT_EQ(lines[1]["service"]["name"], "cart" + std::string(kReplacement));
  EXPECT_TRUE(core::IsValidUtf8(lines[1]["message"].get<std::string>()));
  EXPECT_EQ(lines[3]["message"], input[1].body);
}

TEST(LogBadInputTest, LokiPushHasOnlyUtf8Strings) {
  const model::MinedLogBatch input = BadRecords();
  const std::string bytes = EncodeLokiPush(Pointers(input));
  logproto::PushRequest request;
  // proto3 strings: libprotobuf refuses a message whose strings are not UTF-8, as Loki does.
  ASSERT_TRUE(request.ParseFromString(bytes));
  ASSERT_EQ(request.streams_size(), 2);
  EXPECT_EQ(request.streams(0).labels(), "{service_name=\"cart" + std::string(kReplacement) +
                                             "\", severity=\"WARN\", template=\"3\"}");
  const std::string& line = request.streams(0).entries(0).line();
  EXPECT_TRUE(core::IsValidUtf8(line));
  EXPECT_TRUE(line.starts_with("user 7 sent " + std::string(kReplacement) + "("));
  EXPECT_EQ(request.streams(1).entries(0).line(), input[1].body);
  // Valid input is copied as it is, not re-encoded.
  const model::MinedLogBatch valid(input.begin() + 1, input.end());
  EXPECT_NE(EncodeLokiPush(Pointers(valid)).find(input[1].body), std::string::npos);
}

}  // namespace
}  // namespace augur::exporter
