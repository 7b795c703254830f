#include "bus/local_bus.h"

#include <gtest/gtest.h>

#include <map>

#include "core/hash.h"
#include "model/span_batch_builder.h"

namespace augur::bus {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const model::SpanBatch> Spans(int traces, int spans_per_trace) {
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  for (int t = 0; t < traces; ++t) {
    for (int s = 0; s < spans_per_trace; ++s) {
      b.AddSpan(r, "op", model::SpanKind::kServer, model::MakeTraceId(t * 7919 + 13),
                model::MakeSpanId(s + 1), {}, 1, 2);
    }
  }
  return std::make_shared<const model::SpanBatch>(b.Take());
}

TEST(LocalBusTest, KeepsEachTraceOnOneShard) {
  core::SelfMetrics metrics;
  LocalBus bus(LocalBusOptions{.derive_shards = 3, .series_shards = 1}, &metrics);
  ASSERT_TRUE(bus.PublishSpans(Spans(50, 4)).ok());
  std::map<std::string, int> shard_of_trace;
  size_t total = 0;
  for (int s = 0; s < 3; ++s) {
    DeriveMessage m;
    bool control;
    while (bus.derive_queue(s).Pop(&m, &control, 0ms)) {
      const auto& work = std::get<SpanWork>(m.payload);
      EXPECT_EQ(m.units, work.indices.size());
      for (uint32_t i : work.indices) {
        std::string key = model::IdToHex(work.batch->spans[i].trace_id);
        auto [it, inserted] = shard_of_trace.emplace(key, s);
        EXPECT_EQ(it->second, s);
        ++total;
      }
    }
  }
  EXPECT_EQ(total, 200u);
  EXPECT_EQ(shard_of_trace.size(), 50u);
}

TEST(LocalBusTest, RefusesABatchWholeWhenOneShardIsFull) {
  core::SelfMetrics metrics;
  LocalBus bus(LocalBusOptions{.derive_shards = 2, .series_shards = 1, .derive_queue_units = 40},
               &metrics);
  ASSERT_TRUE(bus.PublishSpans(Spans(20, 1)).ok());
  size_t before0 = bus.derive_queue(0).units_in_use();
  size_t before1 = bus.derive_queue(1).units_in_use();
  // The next batch cannot fit on at least one shard: nothing of it may be enqueued anywhere.
  absl::Status s = bus.PublishSpans(Spans(200, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("pipeline full"), absl::string_view::npos);
  EXPECT_EQ(bus.derive_queue(0).units_in_use(), before0);
  EXPECT_EQ(bus.derive_queue(1).units_in_use(), before1);
  EXPECT_EQ(metrics.Value("augur_bus_refused_batches"), 1);
}

TEST(LocalBusTest, RoutesMetricPointsByService) {
  core::SelfMetrics metrics;
  LocalBus bus(LocalBusOptions{.derive_shards = 1, .series_shards = 4}, &metrics);
  auto batch = std::make_shared<model::MetricBatch>();
  for (std::string_view name : {"a", "b", "c", "d", "e"}) {
    model::Resource r;
    r.service_name = batch->storage.Copy(name);
    batch->resources.push_back(r);
    model::Metric m;
    m.resource_index = static_cast<uint32_t>(batch->resources.size() - 1);
    batch->metrics.push_back(m);
    model::MetricPoint p;
    p.metric_index = static_cast<uint32_t>(batch->metrics.size() - 1);
    batch->points.push_back(p);
  }
  ASSERT_TRUE(bus.PublishMetrics(batch).ok());
  size_t total = 0;
  for (int s = 0; s < 4; ++s) {
    SeriesMessage m;
    bool control;
    while (bus.series_queue(s).Pop(&m, &control, 0ms)) {
      const auto& work = std::get<MetricWork>(m.payload);
      for (uint32_t i : work.indices) {
        const auto& metric = work.batch->metrics[work.batch->points[i].metric_index];
        EXPECT_EQ(core::ShardOf(work.batch->resources[metric.resource_index].service_name, 4), s);
        ++total;
      }
    }
  }
  EXPECT_EQ(total, 5u);
}

TEST(LocalBusTest, RefusesAfterClose) {
  core::SelfMetrics metrics;
  LocalBus bus(LocalBusOptions{}, &metrics);
  bus.CloseDerive();
  absl::Status s = bus.PublishSpans(Spans(1, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("shutting down"), absl::string_view::npos);
}

}  // namespace
}  // namespace augur::bus

namespace augur::bus {
namespace {

TEST(LocalBusTest, SpreadsSequentialTraceIdsOverShards) {
  core::SelfMetrics metrics;
  LocalBus bus(LocalBusOptions{.derive_shards = 4, .series_shards = 1}, &metrics);
  model::SpanBatchBuilder b;
  uint32_t r = b.AddResource("svc");
  for (uint64_t t = 1; t <= 400; ++t) {
    b.AddSpan(r, "op", model::SpanKind::kServer, model::MakeTraceId(t), model::MakeSpanId(1), {}, 1,
              2);
  }
  ASSERT_TRUE(bus.PublishSpans(std::make_shared<const model::SpanBatch>(b.Take())).ok());
  for (int s = 0; s < 4; ++s) {
    // 100 expected per shard; a fair hash keeps every shard well away from empty.
    EXPECT_GT(bus.derive_queue(s).units_in_use(), 50u) << "shard " << s;
  }
}

}  // namespace
}  // namespace augur::bus
