#include "derive/span_metrics.h"

#include <gtest/gtest.h>

#include "model/span_batch_builder.h"

namespace augur::derive {
namespace {

using model::SpanKind;
using model::StatusCode;

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;

TEST(SpanMetricsAggregatorTest, CountsAndBucketsPerSeriesAndWindow) {
  SpanMetricsAggregator agg(model::kDefaultLatencyBoundsMs, 1000);
  Interner services(100, "overflow_service");
  uint32_t cart = services.Intern("cart");
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("cart");
  auto ms = core::kNsPerMillisecond;
  // Durations 1 ms, 3 ms, 3 ms (OK), 120 ms (ERROR), 20000 ms (+Inf bucket).
  b.AddSpan(r, "GET /cart", SpanKind::kServer, model::MakeTraceId(1), model::MakeSpanId(1), {}, kT0,
            kT0 + 1 * ms);
  b.AddSpan(r, "GET /cart", SpanKind::kServer, model::MakeTraceId(2), model::MakeSpanId(2), {}, kT0,
            kT0 + 3 * ms);
  b.AddSpan(r, "GET /cart", SpanKind::kServer, model::MakeTraceId(3), model::MakeSpanId(3), {}, kT0,
            kT0 + 3 * ms);
  b.AddSpan(r, "GET /cart", SpanKind::kServer, model::MakeTraceId(4), model::MakeSpanId(4), {}, kT0,
            kT0 + 120 * ms, StatusCode::kError);
  b.AddSpan(r, "GET /cart", SpanKind::kServer, model::MakeTraceId(5), model::MakeSpanId(5), {}, kT0,
            kT0 + 20000 * ms);
  for (const model::Span& s : b.batch().spans) agg.Add(cart, s, 100);
  EXPECT_EQ(agg.pending(), 2u);  // (UNSET) and (ERROR)

  std::vector<model::PartialBatch> out(2);
  agg.Flush(
      services, [](std::string_view) { return 1; }, &out);
  EXPECT_EQ(agg.pending(), 0u);
  ASSERT_TRUE(out[0].red.empty());
  ASSERT_EQ(out[1].red.size(), 2u);
  const model::RedPartial* ok = &out[1].red[0];
  const model::RedPartial* err = &out[1].red[1];
  if (ok->status == StatusCode::kError) std::swap(ok, err);
  EXPECT_EQ(ok->service, "cart");
  EXPECT_EQ(ok->span_name, "GET /cart");
  EXPECT_EQ(ok->kind, SpanKind::kServer);
  EXPECT_EQ(ok->window_start, 100);
  EXPECT_EQ(ok->count, 4u);
  EXPECT_DOUBLE_EQ(ok->sum_ms, 1 + 3 + 3 + 20000);
  EXPECT_EQ(ok->buckets[0], 1u);   // <= 2 ms
  EXPECT_EQ(ok->buckets[1], 2u);   // <= 4 ms
  EXPECT_EQ(ok->buckets[16], 1u);  // +Inf
  EXPECT_EQ(err->count, 1u);
  EXPECT_EQ(err->buckets[7], 1u);  // <= 200 ms
}

TEST(SpanMetricsAggregatorTest, SeparatesWindowsAndKinds) {
  SpanMetricsAggregator agg(model::kDefaultLatencyBoundsMs, 1000);
  Interner services(100, "overflow_service");
  uint32_t s = services.Intern("svc");
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  b.AddSpan(r, "op", SpanKind::kServer, model::MakeTraceId(1), model::MakeSpanId(1), {}, kT0,
            kT0 + 1);
  b.AddSpan(r, "op", SpanKind::kClient, model::MakeTraceId(1), model::MakeSpanId(2), {}, kT0,
            kT0 + 1);
  agg.Add(s, b.batch().spans[0], 0);
  agg.Add(s, b.batch().spans[0], 10);
  agg.Add(s, b.batch().spans[1], 10);
  EXPECT_EQ(agg.pending(), 3u);
}

TEST(SpanMetricsAggregatorTest, BoundsDistinctNamesPerFlush) {
  SpanMetricsAggregator agg(model::kDefaultLatencyBoundsMs, 2);
  Interner services(100, "overflow_service");
  uint32_t s = services.Intern("svc");
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  for (int i = 0; i < 5; ++i) {
    b.AddSpan(r, "GET /user/" + std::to_string(i), SpanKind::kServer, model::MakeTraceId(i + 1),
              model::MakeSpanId(i + 1), {}, kT0, kT0 + 1);
  }
  for (const auto& span : b.batch().spans) agg.Add(s, span, 0);
  std::vector<model::PartialBatch> out(1);
  agg.Flush(
      services, [](std::string_view) { return 0; }, &out);
  uint64_t overflow = 0;
  for (const auto& p : out[0].red) {
    if (p.span_name == "overflow_operation") overflow = p.count;
  }
  EXPECT_EQ(out[0].red.size(), 3u);
  EXPECT_EQ(overflow, 3u);
}

}  // namespace
}  // namespace augur::derive
