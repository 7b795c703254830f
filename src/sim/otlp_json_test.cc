#include "sim/otlp_json.h"

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "model/ids.h"
#include "sim/otlp_request_builder.h"
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

}  // namespace
}  // namespace augur::sim
