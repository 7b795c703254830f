#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/simulator.h"

namespace augur::sim {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

TEST(GenerateTracePayloadsTest, SameSeedGivesTheSameBytes) {
  const std::vector<std::string> a = GenerateTracePayloads(500, 4, 512, 7, kStart);
  const std::vector<std::string> b = GenerateTracePayloads(500, 4, 512, 7, kStart);
  const std::vector<std::string> c = GenerateTracePayloads(500, 4, 512, 8, kStart);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(GenerateTracePayloadsTest, RequestsHoldTheAskedSpansFromManyResources) {
  const std::vector<std::string> payloads = GenerateTracePayloads(500, 3, 512, 1, kStart);
  ASSERT_EQ(payloads.size(), 3u);
  std::set<std::string> span_ids;
  for (const std::string& bytes : payloads) {
    ExportTraceServiceRequest request;
    ASSERT_TRUE(request.ParseFromString(bytes));
    int spans = 0, attributes = 0;
    std::set<std::string> services;
    for (const auto& rs : request.resource_spans()) {
      for (const auto& kv : rs.resource().attributes()) {
        if (kv.key() == "service.name") services.insert(kv.value().string_value());
      }
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          ++spans;
          attributes += span.attributes_size();
          EXPECT_EQ(span.trace_id().size(), 16u);
          EXPECT_EQ(span.span_id().size(), 8u);
          EXPECT_TRUE(span_ids.insert(span.span_id()).second);
          EXPECT_GE(span.start_time_unix_nano(), static_cast<uint64_t>(kStart));
          EXPECT_GT(span.end_time_unix_nano(), span.start_time_unix_nano());
        }
      }
    }
    EXPECT_EQ(spans, 512);
    EXPECT_GE(request.resource_spans_size(), 30);
    EXPECT_GE(services.size(), 20u);
    EXPECT_NEAR(static_cast<double>(attributes) / spans, 10, 2.5);
  }
}

TEST(GenerateTracePayloadsTest, InvalidArgumentsGiveNothing) {
  EXPECT_TRUE(GenerateTracePayloads(5, 1, 10, 1, kStart).empty());
  EXPECT_TRUE(GenerateTracePayloads(50, 0, 10, 1, kStart).empty());
  EXPECT_TRUE(GenerateTracePayloads(50, 1, 0, 1, kStart).empty());
}

}  // namespace
}  // namespace augur::sim
