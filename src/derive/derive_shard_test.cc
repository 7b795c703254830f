#include "derive/derive_shard.h"

#include <gtest/gtest.h>

#include <map>

#include "core/hash.h"
#include "model/span_batch_builder.h"

namespace augur::derive {
namespace {

using model::MakeSpanId;
using model::MakeTraceId;
using model::SpanKind;

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;
constexpr core::TimeNs kS = core::kNsPerSecond;

class FixedClock : public core::Clock {
 public:
  core::TimeNs NowNs() const override { return now; }
  core::TimeNs now = kT0;
};

uint64_t TotalRed(const std::vector<model::PartialBatch>& out, bool late_only) {
  uint64_t n = 0;
  for (const auto& b : out) {
    for (const auto& p : b.red) {
      if (!late_only || p.window_start == model::kLateWindow) n += p.count;
    }
  }
  return n;
}

TEST(DeriveShardTest, WindowsFollowEventTimeAndLateSpansAreCounted) {
  core::SelfMetrics metrics;
  DeriveConfig config;  // 10 s windows, 30 s lateness
  DeriveShard shard(config, 3, &metrics);

  model::SpanBatchBuilder live;
  uint32_t r = live.AddResource("svc");
  for (int i = 0; i < 5; ++i) {
    live.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(i + 1), MakeSpanId(1), {}, kT0 + 100 * kS,
                 kT0 + 100 * kS + 5);
  }
  shard.ConsumeSpans(live.batch(), live.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 100 * kS + 5);

  // 20 s behind the watermark: within lateness. 90 s behind: late.
  model::SpanBatchBuilder old;
  uint32_t r2 = old.AddResource("svc");
  old.AddSpan(r2, "op", SpanKind::kServer, MakeTraceId(10), MakeSpanId(1), {}, kT0 + 80 * kS,
              kT0 + 80 * kS + 1);
  old.AddSpan(r2, "op", SpanKind::kServer, MakeTraceId(11), MakeSpanId(1), {}, kT0 + 10 * kS,
              kT0 + 10 * kS + 1);
  shard.ConsumeSpans(old.batch(), old.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 100 * kS + 5);  // older data does not move it back

  auto out = shard.Flush(false);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(TotalRed(out, false), 7u);
  EXPECT_EQ(TotalRed(out, true), 1u);
  EXPECT_EQ(metrics.Value("augur_derive_spans"), 7);
  EXPECT_EQ(metrics.Value("augur_derive_late_spans"), 1);
  // Everything for "svc" goes to its stage-2 shard, and every batch carries the watermark.
  int owner = core::ShardOf("svc", 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].red.empty(), i != owner);
    EXPECT_EQ(out[i].watermark, kT0 + 100 * kS + 5 - config.allowed_lateness_ns);
  }
  // Windows are aligned to 10 s of event time.
  for (const auto& p : out[owner].red) {
    if (p.window_start != model::kLateWindow) EXPECT_EQ(p.window_start % (10 * kS), 0);
  }
}

TEST(DeriveShardTest, AFewSpansWithAFutureClockDoNotMoveTheWatermark) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  for (int i = 0; i < 9; ++i) {
    b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(i + 1), MakeSpanId(1), {}, kT0, kT0 + 1);
  }
  b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(99), MakeSpanId(1), {}, kT0 + 3600 * kS,
            kT0 + 3600 * kS + 1);
  shard.ConsumeSpans(b.batch(), b.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 1);
  EXPECT_EQ(shard.latest_event_time(), kT0 + 1);
}

TEST(DeriveShardTest, LatestEventTimeIsTheNewestPlausibleSpan) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  // Ends at +1..+5 s and +11, +12 s: the median is +4 s, the latest +12 s.
  int i = 0;
  for (int end_s : {1, 2, 3, 4, 5, 11, 12}) {
    b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(++i), MakeSpanId(1), {}, kT0,
              kT0 + end_s * kS);
  }
  shard.ConsumeSpans(b.batch(), b.AllIndices());
  EXPECT_EQ(shard.watermark(), kT0 + 4 * kS);
  EXPECT_EQ(shard.latest_event_time(), kT0 + 12 * kS);
}

TEST(DeriveShardTest, WindowAdvancedAfterEventTimeCrossesABoundary) {
  core::SelfMetrics metrics;
  DeriveShard shard(DeriveConfig{}, 1, &metrics);
  EXPECT_FALSE(shard.WindowAdvanced());
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  b.AddSpan(r, "op", SpanKind::kServer, MakeTraceId(1), MakeSpanId(1), {}, kT0, kT0 + 1);
  shard.ConsumeSpans(b.batch(), b.AllIndices());
  EXPECT_TRUE(shard.WindowAdvanced());
  shard.Flush(false);
  EXPECT_FALSE(shard.WindowAdvanced());
  model::SpanBatchBuilder later;
  uint32_t r2 = later.AddResource("svc");
  later.AddSpan(r2, "op", SpanKind::kServer, MakeTraceId(2), MakeSpanId(1), {}, kT0 + 15 * kS,
                kT0 + 15 * kS);
  shard.ConsumeSpans(later.batch(), later.AllIndices());
  EXPECT_TRUE(shard.WindowAdvanced());
}

TEST(DeriveShardTest, CountsLogsBySeverityAndStampsUntimedRecords) {
  core::SelfMetrics metrics;
  FixedClock clock;
  DeriveShard shard(DeriveConfig{}, 1, &metrics, &clock);
  model::LogBatch logs;
  model::Resource res;
  res.service_name = "cart";
  logs.resources.push_back(res);
  for (uint8_t sev : {9, 9, 17, 0}) {
    model::LogRecord rec;
    rec.severity_number = sev;
    rec.time_ns = sev == 0 ? 0 : kT0 + 3 * kS;
    logs.records.push_back(rec);
  }
  shard.ConsumeLogs(logs, std::vector<uint32_t>{0, 1, 2, 3});
  auto out = shard.Flush(false);
  std::map<model::Severity, uint64_t> by_severity;
  for (const auto& p : out[0].logs) {
    by_severity[p.severity] += p.count;
    EXPECT_EQ(p.service, "cart");
    EXPECT_EQ(p.window_start, kT0);
  }
  EXPECT_EQ(by_severity[model::Severity::kInfo], 2u);
  EXPECT_EQ(by_severity[model::Severity::kError], 1u);
  EXPECT_EQ(by_severity[model::Severity::kUnspecified], 1u);
}

TEST(DeriveConfigTest, RejectsBadBuckets) {
  DeriveConfig config;
  config.latency_bounds_ms = {5, 3};
  EXPECT_EQ(config.Validate().message(), "span_metrics.buckets_ms must be strictly increasing");
  config.latency_bounds_ms = {};
  EXPECT_FALSE(config.Validate().ok());
  EXPECT_TRUE(DeriveConfig{}.Validate().ok());
}

}  // namespace
}  // namespace augur::derive
