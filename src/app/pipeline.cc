#include "app/pipeline.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <spdlog/spdlog.h>

#include "core/hash.h"

namespace augur::app {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

core::TimeNs WallNs() { return core::Clock::Real().NowNs(); }

std::chrono::milliseconds UntilMs(core::TimeNs deadline) {
  core::TimeNs left = deadline - WallNs();
  return std::chrono::milliseconds(std::max<core::TimeNs>(0, left / core::kNsPerMillisecond));
}

void RaiseTo(std::atomic<core::TimeNs>& value, core::TimeNs t) {
  core::TimeNs seen = value.load(std::memory_order_relaxed);
  while (t > seen && !value.compare_exchange_weak(seen, t, std::memory_order_relaxed)) {
  }
}

// Counts finished shard tasks; shared with the tasks so a caller that gave up waiting leaves
// nothing dangling.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  int remaining = 0;
};

}  // namespace

absl::Status PipelineConfig::Validate() const {
  if (shards < 0 || shards > 256) {
    return absl::InvalidArgumentError("pipeline.shards must be between 0 (one per core) and 256");
  }
  if (queue_units < 1024) {
    return absl::InvalidArgumentError("pipeline.queue_units must be at least 1024");
  }
  if (flush_interval_ns < core::kNsPerMillisecond) {
    return absl::InvalidArgumentError("pipeline.flush_interval must be at least 1ms");
  }
  if (idle_expiry_ns < flush_interval_ns) {
    return absl::InvalidArgumentError("pipeline.idle_expiry must be at least the flush interval");
  }
  if (series.max_series_per_service < 1) {
    return absl::InvalidArgumentError("limits.max_series_per_service must be at least 1");
  }
  if (series.series_idle_timeout_ns < derive.window_ns) {
    return absl::InvalidArgumentError("pipeline.series_idle_timeout must be at least one window");
  }
  return derive.Validate();
}

int PipelineConfig::ResolvedShards() const {
  if (shards > 0) return shards;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Pipeline::Pipeline(PipelineConfig config, core::SelfMetrics* metrics)
    : config_(std::move(config)), metrics_(metrics) {
  const int n = config_.ResolvedShards();
  config_.series.window_ns = config_.derive.window_ns;
  config_.series.latency_bounds_ms = config_.derive.latency_bounds_ms;
  config_.series.graph_bounds_s = config_.derive.graph.bounds_s;
  config_.series.stage1_shards = n;
  bus_ = std::make_unique<bus::LocalBus>(
      bus::LocalBusOptions{.derive_shards = n,
                           .series_shards = n,
                           .derive_queue_units = config_.queue_units,
                           .series_queue_units = config_.queue_units},
      metrics);
  for (int i = 0; i < n; ++i) {
    derive_.push_back(std::make_unique<derive::DeriveShard>(config_.derive, n, metrics));
    series_.push_back(std::make_unique<detect::SeriesTable>(config_.series, metrics));
  }
  series_count_ = std::make_unique<std::atomic<size_t>[]>(n);
  series_bytes_ = std::make_unique<std::atomic<size_t>[]>(n);
  auto sum = [n](const std::atomic<size_t>* values) {
    size_t total = 0;
    for (int i = 0; i < n; ++i) total += values[i].load(std::memory_order_relaxed);
    return static_cast<double>(total);
  };
  gauges_.push_back(metrics->AddCallbackGauge(
      "augur_series_active", "Span-metric series held (refreshed each second).",
      {{"kind", "span_metrics"}}, [this, sum] { return sum(series_count_.get()); }));
  gauges_.push_back(metrics->AddCallbackGauge(
      "augur_series_memory_bytes",
      "Bytes held by the series tables (refreshed each second; estimate from their layout).", {},
      [this, sum] { return sum(series_bytes_.get()); }));
}

Pipeline::~Pipeline() { Drain(); }

absl::Status Pipeline::Start() {
  if (auto s = config_.Validate(); !s.ok()) return s;
  running_ = true;
  for (size_t i = 0; i < series_.size(); ++i) {
    series_threads_.emplace_back([this, i] { RunSeriesShard(static_cast<int>(i)); });
  }
  for (size_t i = 0; i < derive_.size(); ++i) {
    derive_threads_.emplace_back([this, i] { RunDeriveShard(static_cast<int>(i)); });
  }
  spdlog::info("pipeline started: {} derive and {} series shards", derive_.size(), series_.size());
  return absl::OkStatus();
}

void Pipeline::Drain() {
  if (!running_.load() || draining_.exchange(true)) return;
  bus_->CloseDerive();
  for (auto& t : derive_threads_) t.join();
  bus_->CloseSeries();
  for (auto& t : series_threads_) t.join();
  running_ = false;
  spdlog::info("pipeline drained");
}

void Pipeline::FlushDerive(int index, derive::DeriveShard& shard, bool expire_all) {
  std::vector<model::PartialBatch> out = shard.Flush(expire_all);
  for (size_t j = 0; j < out.size(); ++j) {
    out[j].source_shard = index;
    bus_->PushPartials(static_cast<int>(j), std::move(out[j]));
  }
}

void Pipeline::RunDeriveShard(int index) {
  auto& queue = bus_->derive_queue(index);
  derive::DeriveShard& shard = *derive_[index];
  core::TimeNs next_flush = WallNs() + config_.flush_interval_ns;
  core::TimeNs last_data = WallNs();
  while (true) {
    bus::DeriveMessage message;
    bool control = false;
    if (queue.Pop(&message, &control, UntilMs(next_flush))) {
      std::visit(Overloaded{
                     [&](bus::SpanWork& w) { shard.ConsumeSpans(*w.batch, w.indices); },
                     [&](bus::LogWork& w) { shard.ConsumeLogs(*w.batch, w.indices); },
                     [&](bus::ShardTask& task) { task(); },
                 },
                 message.payload);
      if (!control) {
        queue.Release(message.units);
        last_data = WallNs();
        RaiseTo(max_watermark_, shard.watermark());
        RaiseTo(max_latest_, shard.latest_event_time());
      }
    } else if (queue.closed() && queue.Empty()) {
      break;
    }
    core::TimeNs now = WallNs();
    if (now >= next_flush || shard.WindowAdvanced()) {
      bool idle = queue.Empty();
      // An idle shard holds nothing older than what the others have seen: let its watermark
      // follow theirs so stage 2 is not held back by it.
      if (idle) shard.AdvanceWatermark(max_watermark_.load(std::memory_order_relaxed));
      FlushDerive(index, shard, idle && now - last_data >= config_.idle_expiry_ns);
      next_flush = now + config_.flush_interval_ns;
    }
  }
  FlushDerive(index, shard, /*expire_all=*/true);
}

void Pipeline::RunSeriesShard(int index) {
  auto& queue = bus_->series_queue(index);
  detect::SeriesTable& table = *series_[index];
  core::TimeNs next_expiry = WallNs() + core::kNsPerSecond;
  while (true) {
    bus::SeriesMessage message;
    bool control = false;
    if (queue.Pop(&message, &control, UntilMs(next_expiry))) {
      std::visit(Overloaded{
                     [&](model::PartialBatch& b) { table.ConsumePartials(b); },
                     [&](bus::MetricWork& w) { table.ConsumeMetrics(*w.batch, w.indices); },
                     [&](bus::ShardTask& task) { task(); },
                 },
                 message.payload);
      if (!control) queue.Release(message.units);
    } else if (queue.closed() && queue.Empty()) {
      break;
    }
    if (WallNs() >= next_expiry) {
      table.ExpireIdle(table.watermark());
      series_count_[index].store(table.span_metric_series(), std::memory_order_relaxed);
      series_bytes_[index].store(table.MemoryBytes(), std::memory_order_relaxed);
      next_expiry = WallNs() + core::kNsPerSecond;
    }
  }
}

void Pipeline::ForEachSeriesShard(const std::function<void(int shard, detect::SeriesTable&)>& fn,
                                  int only) {
  std::vector<int> shards;
  for (int j = 0; j < static_cast<int>(series_.size()); ++j) {
    if (only < 0 || j == only) shards.push_back(j);
  }
  if (!running_.load() || draining_.load()) {
    // The shard threads are gone (or going): their state is only read here, after they stopped.
    if (!running_.load()) {
      for (int j : shards) fn(j, *series_[j]);
    }
    return;
  }
  auto latch = std::make_shared<Latch>();
  latch->remaining = static_cast<int>(shards.size());
  auto shared_fn = std::make_shared<std::function<void(int, detect::SeriesTable&)>>(fn);
  for (int shard : shards) {
    detect::SeriesTable* table = series_[shard].get();
    bus_->series_queue(shard).PushControl(
        bus::SeriesMessage{.payload = bus::ShardTask([latch, shared_fn, table, shard] {
                             (*shared_fn)(shard, *table);
                             std::lock_guard lock(latch->mu);
                             if (--latch->remaining == 0) latch->cv.notify_all();
                           })});
  }
  std::unique_lock lock(latch->mu);
  if (!latch->cv.wait_for(lock, std::chrono::seconds(30), [&] { return latch->remaining == 0; })) {
    spdlog::warn("series shards did not answer a query within 30s");
  }
}

core::TimeNs Pipeline::Now() {
  core::TimeNs t = max_latest_.load(std::memory_order_relaxed);
  return t == derive::kNoWatermark ? WallNs() : t;
}

std::vector<detect::ServiceSummary> Pipeline::Services(core::TimeNs now) {
  std::vector<std::vector<detect::ServiceSummary>> parts(series_.size());
  ForEachSeriesShard([&](int j, detect::SeriesTable& t) { t.CollectServices(now, &parts[j]); });
  std::vector<detect::ServiceSummary> out;
  for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::optional<std::vector<detect::OperationSummary>> Pipeline::Operations(std::string_view service,
                                                                          core::TimeNs now) {
  const int owner = core::ShardOf(service, static_cast<int>(series_.size()));
  std::vector<detect::OperationSummary> ops;
  bool found = false;
  ForEachSeriesShard(
      [&](int, detect::SeriesTable& t) { found = t.CollectOperations(service, now, &ops); }, owner);
  if (!found) return std::nullopt;
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) {
    return std::tie(a.span_name, a.kind) < std::tie(b.span_name, b.kind);
  });
  return ops;
}

std::vector<detect::EdgeSummary> Pipeline::Edges(core::TimeNs now) {
  std::vector<std::vector<detect::EdgeSummary>> parts(series_.size());
  ForEachSeriesShard([&](int j, detect::SeriesTable& t) { t.CollectEdges(now, &parts[j]); });
  std::vector<detect::EdgeSummary> out;
  for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.client, a.server, a.connection_type) <
           std::tie(b.client, b.server, b.connection_type);
  });
  return out;
}

void Pipeline::WriteMetrics(core::Exposition* out) {
  std::vector<core::Exposition> parts(series_.size());
  ForEachSeriesShard([&](int j, detect::SeriesTable& t) { t.WriteExposition(&parts[j]); });
  for (auto& p : parts) out->Merge(std::move(p));
  metrics_->WriteTo(out);
}

}  // namespace augur::app
