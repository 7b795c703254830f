// The embedded bus: bounded in-process queues, one per shard of each stage.
//
// Spans go to derive shard hash(trace_id) % N (a whole trace on one shard, for graph pairing);
// log records to derive shard hash(service) % N; metric points to series shard
// hash(service) % M. A batch is reserved on every shard it touches before any part is pushed, so
// it is enqueued whole or refused whole.
//
// Thread-safe. Consumers (the shard threads) pop from derive_queue(i) and series_queue(j).
#pragma once

#include <memory>
#include <vector>

#include "bus/bus.h"
#include "bus/messages.h"
#include "bus/shard_queue.h"
#include "core/self_metrics.h"

namespace augur::bus {

struct LocalBusOptions {
  int derive_shards = 1;
  int series_shards = 1;
  size_t derive_queue_units = 1 << 18;  // spans and log records queued per derive shard
  size_t series_queue_units = 1 << 18;  // partials and metric points queued per series shard
  size_t max_queue_items = 16384;       // messages per queue (<= 65534)
};

class LocalBus final : public Bus {
 public:
  LocalBus(LocalBusOptions options, core::SelfMetrics* metrics);
  ~LocalBus() override;

  absl::Status PublishSpans(std::shared_ptr<const model::SpanBatch> batch) override;
  absl::Status PublishMetrics(std::shared_ptr<const model::MetricBatch> batch) override;
  absl::Status PublishLogs(std::shared_ptr<const model::LogBatch> batch) override;

  // Stage 1 -> stage 2: waits while the series queue is full (backpressure reaches the receivers
  // through the derive queues). Returns false only when the queue is closed.
  bool PushPartials(int series_shard, model::PartialBatch batch);

  ShardQueue<DeriveMessage>& derive_queue(int i) { return *derive_[i]; }
  ShardQueue<SeriesMessage>& series_queue(int i) { return *series_[i]; }
  int derive_shards() const { return static_cast<int>(derive_.size()); }
  int series_shards() const { return static_cast<int>(series_.size()); }

  // Refuses further publishing (shutdown); queued work stays to be drained.
  void CloseDerive();
  void CloseSeries();

 private:
  template <typename Queue, typename Message>
  absl::Status PublishParts(std::vector<std::unique_ptr<Queue>>& queues,
                            std::vector<Message>& parts, std::string_view what);

  LocalBusOptions options_;
  std::vector<std::unique_ptr<ShardQueue<DeriveMessage>>> derive_;
  std::vector<std::unique_ptr<ShardQueue<SeriesMessage>>> series_;
  core::Counter* refused_total_;
  std::vector<std::unique_ptr<core::SelfMetrics::CallbackHandle>> gauges_;
};

}  // namespace augur::bus
