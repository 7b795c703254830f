#include "bus/local_bus.h"

#include <thread>

#include <fmt/format.h>

#include "core/hash.h"

namespace augur::bus {

LocalBus::LocalBus(LocalBusOptions options, core::SelfMetrics* metrics) : options_(options) {
  for (int i = 0; i < options.derive_shards; ++i) {
    derive_.push_back(std::make_unique<ShardQueue<DeriveMessage>>(options.derive_queue_units,
                                                                  options.max_queue_items));
  }
  for (int i = 0; i < options.series_shards; ++i) {
    series_.push_back(std::make_unique<ShardQueue<SeriesMessage>>(options.series_queue_units,
                                                                  options.max_queue_items));
  }
  refused_total_ = metrics->GetCounter("augur_bus_refused_batches",
                                       "Batches refused because a shard queue was full or closed.");
  auto add_gauges = [&](auto& queues, std::string_view stage) {
    for (size_t i = 0; i < queues.size(); ++i) {
      auto* q = queues[i].get();
      core::OwnedLabels labels = {{"stage", std::string(stage)}, {"shard", std::to_string(i)}};
      gauges_.push_back(metrics->AddCallbackGauge(
          "augur_bus_queue_units", "Units (spans, records, points, partials) queued or in work.",
          labels, [q] { return static_cast<double>(q->units_in_use()); }));
      gauges_.push_back(metrics->AddCallbackGauge(
          "augur_bus_queue_capacity_units", "Capacity of a shard queue in units.", labels,
          [q] { return static_cast<double>(q->capacity_units()); }));
    }
  };
  add_gauges(derive_, "derive");
  add_gauges(series_, "series");
}

LocalBus::~LocalBus() = default;

template <typename Queue, typename Message>
absl::Status LocalBus::PublishParts(std::vector<std::unique_ptr<Queue>>& queues,
                                    std::vector<Message>& parts, std::string_view what) {
  size_t reserved = 0;
  for (; reserved < parts.size(); ++reserved) {
    if (parts[reserved].units == 0) continue;
    if (!queues[reserved]->TryReserve(parts[reserved].units)) break;
  }
  if (reserved < parts.size()) {
    for (size_t i = 0; i < reserved; ++i) {
      if (parts[i].units > 0) queues[i]->CancelReservation(parts[i].units);
    }
    refused_total_->Add();
    bool closed = queues[reserved]->closed();
    return absl::UnavailableError(
        closed ? fmt::format("shutting down: not accepting {}", what)
               : fmt::format("pipeline full: {} queue of shard {} is at capacity, retry later",
                             what, reserved));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].units > 0) queues[i]->PushReserved(std::move(parts[i]));
  }
  return absl::OkStatus();
}

absl::Status LocalBus::PublishSpans(std::shared_ptr<const model::SpanBatch> batch) {
  if (batch->spans.empty()) return absl::OkStatus();
  const int n = derive_shards();
  std::vector<DeriveMessage> parts(n);
  std::vector<SpanWork> work(n);
  for (uint32_t i = 0; i < batch->spans.size(); ++i) {
    int shard =
        static_cast<int>(model::HashTraceId(batch->spans[i].trace_id) % static_cast<uint64_t>(n));
    work[shard].indices.push_back(i);
  }
  for (int s = 0; s < n; ++s) {
    parts[s].units = work[s].indices.size();
    if (parts[s].units == 0) continue;
    work[s].batch = batch;
    parts[s].payload = std::move(work[s]);
  }
  return PublishParts(derive_, parts, "spans");
}

absl::Status LocalBus::PublishLogs(std::shared_ptr<const model::LogBatch> batch) {
  if (batch->records.empty()) return absl::OkStatus();
  const int n = derive_shards();
  std::vector<DeriveMessage> parts(n);
  std::vector<LogWork> work(n);
  std::vector<int> shard_of_resource(batch->resources.size());
  for (size_t r = 0; r < batch->resources.size(); ++r) {
    shard_of_resource[r] = core::ShardOf(batch->resources[r].service_name, n);
  }
  for (uint32_t i = 0; i < batch->records.size(); ++i) {
    work[shard_of_resource[batch->records[i].resource_index]].indices.push_back(i);
  }
  for (int s = 0; s < n; ++s) {
    parts[s].units = work[s].indices.size();
    if (parts[s].units == 0) continue;
    work[s].batch = batch;
    parts[s].payload = std::move(work[s]);
  }
  return PublishParts(derive_, parts, "log records");
}

absl::Status LocalBus::PublishMetrics(std::shared_ptr<const model::MetricBatch> batch) {
  if (batch->points.empty()) return absl::OkStatus();
  const int n = series_shards();
  std::vector<SeriesMessage> parts(n);
  std::vector<MetricWork> work(n);
  std::vector<int> shard_of_resource(batch->resources.size());
  for (size_t r = 0; r < batch->resources.size(); ++r) {
    shard_of_resource[r] = core::ShardOf(batch->resources[r].service_name, n);
  }
  for (uint32_t i = 0; i < batch->points.size(); ++i) {
    const model::Metric& metric = batch->metrics[batch->points[i].metric_index];
    work[shard_of_resource[metric.resource_index]].indices.push_back(i);
  }
  for (int s = 0; s < n; ++s) {
    parts[s].units = work[s].indices.size();
    if (parts[s].units == 0) continue;
    work[s].batch = batch;
    parts[s].payload = std::move(work[s]);
  }
  return PublishParts(series_, parts, "metric points");
}

bool LocalBus::PushPartials(int series_shard, model::PartialBatch batch) {
  auto& q = *series_[series_shard];
  size_t units = batch.Size() + 1;
  auto backoff = std::chrono::microseconds(50);
  while (!q.TryReserve(units)) {
    if (q.closed()) return false;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::microseconds(5000));
  }
  q.PushReserved(SeriesMessage{.payload = std::move(batch), .units = units});
  return true;
}

void LocalBus::CloseDerive() {
  for (auto& q : derive_) q->Close();
}

void LocalBus::CloseSeries() {
  for (auto& q : series_) q->Close();
}

}  // namespace augur::bus
