#include "app/pipeline.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/status_util.h"

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

// Watermark alignment: a derive shard this far (event time) ahead of the slowest one waits for it,
// at most kMaxAlignWait of wall time at a stretch. Stage 2 keeps 90 s of recent windows per
// series and closes them 30 s (the allowed lateness) behind the slowest shard's watermark, so a
// shard running minutes ahead (a replay faster than real time, one shard's queue longer than
// another's) would overwrite windows before they close and leave them empty.
constexpr core::TimeNs kMaxDeriveSkewNs = 10 * core::kNsPerSecond;
constexpr auto kMaxAlignWait = std::chrono::milliseconds(200);

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
  if (checkpoint_interval_ns < core::kNsPerSecond) {
    return absl::InvalidArgumentError("detection.checkpoint_interval must be at least 1s");
  }
  if (auto s = series.detection.Validate(); !s.ok()) return s;
  if (auto s = series.logs.Validate(); !s.ok()) return s;
  if (auto s = exporters.Validate(); !s.ok()) return s;
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
  if (config_.exporters.any_enabled()) {
    exporters_ = std::make_unique<exporter::LogExporters>(config_.exporters, metrics);
  }
  for (int i = 0; i < n; ++i) {
    derive_.push_back(std::make_unique<derive::DeriveShard>(config_.derive, n, metrics));
    if (exporters_ != nullptr) {
      exporter::LogExporters* exporters = exporters_.get();
      derive_.back()->SetLogSink(
          [exporters](std::shared_ptr<const model::MinedLogBatch> b) { exporters->Offer(b); });
    }
    detect::SeriesTableConfig series = config_.series;
    series.shard_index = i;
    series_.push_back(std::make_unique<detect::SeriesTable>(series, metrics));
  }
  if (!config_.data_dir.empty()) {
    store_ = std::make_unique<store::CheckpointStore>(config_.data_dir);
  }
  if (config_.incidents.enabled) {
    IncidentEngineConfig ic = config_.incidents;
    if (ic.db_path.empty() && !config_.data_dir.empty()) {
      ic.db_path = config_.data_dir + "/incidents.db";
    }
    incidents_ = std::make_unique<IncidentEngine>(std::move(ic), metrics);
    IncidentEngine* engine = incidents_.get();
    for (auto& table : series_) {
      table->models().SetEventSink([engine](const detect::AnomalyEvent& e) { engine->OnEvent(e); });
      table->SetChangeSink([engine](const model::ChangeEvent& c) { engine->OnChange(c); });
    }
  }
  series_count_ = std::make_unique<std::atomic<size_t>[]>(n);
  series_watermark_ = std::make_unique<std::atomic<core::TimeNs>[]>(n);
  derive_watermark_ = std::make_unique<std::atomic<core::TimeNs>[]>(n);
  for (int i = 0; i < n; ++i) derive_watermark_[i].store(derive::kNoWatermark);
  for (int i = 0; i < n; ++i) series_watermark_[i].store(INT64_MIN, std::memory_order_relaxed);
  series_bytes_ = std::make_unique<std::atomic<size_t>[]>(n);
  miner_bytes_ = std::make_unique<std::atomic<size_t>[]>(n);
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
  gauges_.push_back(metrics->AddCallbackGauge(
      "augur_derive_log_miner_memory_bytes",
      "Bytes held by the log template miners of the derive shards (refreshed each flush).", {},
      [this, sum] { return sum(miner_bytes_.get()); }));
}

Pipeline::~Pipeline() { Drain(); }

absl::Status Pipeline::Start() {
  if (auto s = config_.Validate(); !s.ok()) return s;
  if (store_ != nullptr) {
    if (auto s = store_->Open(); !s.ok()) return s;
    if (auto s = LoadState(); !s.ok()) return s;
  }
  if (exporters_ != nullptr) {
    if (auto s = exporters_->Start(); !s.ok()) return s;
  }
  if (incidents_ != nullptr) {
    auto graph = [this] {
      std::vector<rca::GraphEdge> edges;
      for (detect::EdgeSummary& e : Edges(Now())) {
        edges.push_back(
            rca::GraphEdge{std::move(e.client), std::move(e.server), std::move(e.connection_type)});
      }
      return edges;
    };
    // Event time as far as every series shard has scored: events up to it have all been raised.
    incidents_->SetCpuPeakLookup([this](const std::string& service, rca::CpuSignal signal,
                                        core::TimeNs from,
                                        core::TimeNs to) -> std::optional<rca::CpuRise> {
      std::vector<detect::AnomalyEvent> best(series_.size());
      std::vector<double> excess(series_.size(), 0);
      for (detect::AnomalyEvent& b : best) b.peak_score = -1;
      const int shard = core::ShardOf(service, static_cast<int>(series_.size()));
      ForEachSeriesShard(
          [&](int j, detect::SeriesTable& t) {
            const bool use = signal != rca::CpuSignal::kThrottling;
            const bool runs = signal != rca::CpuSignal::kUse;
            t.models().PeakAbove(
                service, use ? rca::IsCpuUseFamily : rca::IsCpuThrottlingFamily, from, to,
                rca::RankerConfig{}.neighbour_min_score, rca::RankerConfig{}.neighbour_min_points,
                runs ? detect::SeriesModels::kShiftPoints : 0, &best[j], &excess[j]);
          },
          shard);
      auto it = std::max_element(best.begin(), best.end(), [](const auto& a, const auto& b) {
        return a.peak_score < b.peak_score;
      });
      if (it == best.end() || it->peak_score < 0) return std::nullopt;
      return rca::CpuRise{*it, *std::max_element(excess.begin(), excess.end())};
    });
    auto now = [this] {
      core::TimeNs lowest = INT64_MAX;
      for (size_t i = 0; i < series_.size(); ++i) {
        lowest = std::min(lowest, series_watermark_[i].load(std::memory_order_acquire));
      }
      return lowest;
    };
    if (auto s = incidents_->Start(graph, now); !s.ok()) return s;
  }
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
  // Every mined batch has been offered: the exporters send what they hold, for a while.
  if (exporters_ != nullptr) exporters_->Stop(5 * core::kNsPerSecond);
  bus_->CloseSeries();
  for (auto& t : series_threads_) t.join();
  running_ = false;
  if (incidents_ != nullptr) incidents_->Stop();
  if (store_ != nullptr) {
    for (size_t i = 0; i < series_.size(); ++i) SaveShard(static_cast<int>(i), /*sync=*/true);
    for (size_t i = 0; i < derive_.size(); ++i) SaveLogShard(static_cast<int>(i), /*sync=*/true);
    store_->Flush();
  }
  spdlog::info("pipeline drained");
}

namespace {

std::string CheckpointName(int shard) { return fmt::format("models/shard-{:03}.ckpt", shard); }
std::string LogCheckpointName(int shard) { return fmt::format("logs/shard-{:03}.ckpt", shard); }

}  // namespace

void Pipeline::SaveShard(int index, bool sync) {
  std::string bytes;
  series_[index]->models().Save(&bytes);
  if (sync) {
    if (absl::Status s = store_->Write(CheckpointName(index), bytes); !s.ok()) {
      spdlog::error("checkpoint of shard {}: {}", index, core::MessageOf(s));
    }
  } else {
    store_->WriteAsync(CheckpointName(index), std::move(bytes));
  }
}

void Pipeline::SaveLogShard(int index, bool sync) {
  std::string bytes;
  derive_[index]->log_miners().Save(&bytes);
  if (sync) {
    if (absl::Status s = store_->Write(LogCheckpointName(index), bytes); !s.ok()) {
      spdlog::error("log template checkpoint of shard {}: {}", index, core::MessageOf(s));
    }
  } else {
    store_->WriteAsync(LogCheckpointName(index), std::move(bytes));
  }
}

void Pipeline::Checkpoint() {
  if (store_ == nullptr) return;
  if (running_.load() && !draining_.load()) {
    ForEachSeriesShard([this](int j, detect::SeriesTable&) { SaveShard(j, /*sync=*/false); });
    ForEachDeriveShard([this](int i, derive::DeriveShard&) { SaveLogShard(i, /*sync=*/false); });
  } else {
    for (size_t i = 0; i < series_.size(); ++i) SaveShard(static_cast<int>(i), /*sync=*/true);
    for (size_t i = 0; i < derive_.size(); ++i) SaveLogShard(static_cast<int>(i), /*sync=*/true);
  }
  store_->Flush();
}

void Pipeline::LoadLogTemplates() {
  const int n = static_cast<int>(derive_.size());
  size_t files = 0;
  for (const std::string& name : store_->List("logs")) {
    if (!name.ends_with(".ckpt")) continue;
    absl::StatusOr<std::string> bytes = store_->Read(name);
    absl::StatusOr<std::vector<std::string>> parts =
        bytes.ok() ? derive::ServiceLogMiners::SplitCheckpoint(*bytes, n) : bytes.status();
    if (!parts.ok()) {
      // A damaged checkpoint costs new template ids, not the start.
      spdlog::warn("ignoring log template checkpoint {}: {}", name,
                   core::MessageOf(parts.status()));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      if (absl::Status s = derive_[i]->log_miners().Restore((*parts)[i]); !s.ok()) {
        spdlog::warn("ignoring part of log template checkpoint {}: {}", name, core::MessageOf(s));
      }
    }
    ++files;
    int index = -1;
    if (std::sscanf(name.c_str(), "logs/shard-%d.ckpt", &index) == 1 && index >= n) {
      store_->Remove(name);
    }
  }
  if (files > 0) spdlog::info("resumed log templates from {} checkpoint file(s)", files);
}

absl::Status Pipeline::LoadState() {
  const int n = static_cast<int>(series_.size());
  size_t files = 0;
  for (const std::string& name : store_->List("models")) {
    if (!name.ends_with(".ckpt")) continue;
    absl::StatusOr<std::string> bytes = store_->Read(name);
    absl::StatusOr<std::vector<std::string>> parts =
        bytes.ok() ? detect::SeriesModels::SplitCheckpoint(*bytes, n) : bytes.status();
    if (!parts.ok()) {
      // A damaged checkpoint costs relearning, not the start.
      spdlog::warn("ignoring checkpoint {}: {}", name, core::MessageOf(parts.status()));
      continue;
    }
    for (int j = 0; j < n; ++j) {
      if (absl::Status s = series_[j]->models().Restore((*parts)[j]); !s.ok()) {
        spdlog::warn("ignoring part of checkpoint {}: {}", name, core::MessageOf(s));
      }
    }
    ++files;
    // Files of shards that no longer exist are folded into the current ones at the next save.
    int index = -1;
    if (std::sscanf(name.c_str(), "models/shard-%d.ckpt", &index) == 1 && index >= n) {
      store_->Remove(name);
    }
  }
  if (files > 0) spdlog::info("resumed models from {} checkpoint file(s)", files);
  LoadLogTemplates();

  std::lock_guard lock(user_mu_);
  using nlohmann::json;
  if (absl::StatusOr<std::string> mutes = store_->Read("mutes.json"); mutes.ok()) {
    json list = json::parse(*mutes, nullptr, false);
    for (const json& m : list.is_array() ? list : json::array()) {
      absl::StatusOr<core::LabelSelector> selector =
          core::LabelSelector::Parse(m.value("match", std::string()));
      if (!selector.ok()) continue;
      detect::Mute mute{m.value("id", uint64_t{0}), std::move(*selector),
                        m.value("until_unix_nano", core::TimeNs{0}), m.value("comment", "")};
      next_mute_id_ = std::max(next_mute_id_, mute.id + 1);
      api_mutes_.push_back(std::move(mute));
    }
  }
  if (absl::StatusOr<std::string> rules = store_->Read("sensitivity.json"); rules.ok()) {
    json list = json::parse(*rules, nullptr, false);
    for (const json& r : list.is_array() ? list : json::array()) {
      absl::StatusOr<core::LabelSelector> selector =
          core::LabelSelector::Parse(r.value("match", std::string()));
      if (selector.ok()) {
        api_sensitivity_.push_back({std::move(*selector), r.value("sensitivity", 1.0)});
      }
    }
  }
  BroadcastUserState();
  return absl::OkStatus();
}

void Pipeline::PersistUserState() {
  if (store_ == nullptr) return;
  using nlohmann::json;
  json mutes = json::array();
  for (const detect::Mute& m : api_mutes_) {
    mutes.push_back(json{{"id", m.id},
                         {"match", m.selector.text()},
                         {"until_unix_nano", m.until_ns},
                         {"comment", m.comment}});
  }
  store_->WriteAsync("mutes.json", mutes.dump(2));
  json rules = json::array();
  for (const detect::SensitivityRule& r : api_sensitivity_) {
    rules.push_back(json{{"match", r.selector.text()}, {"sensitivity", r.sensitivity}});
  }
  store_->WriteAsync("sensitivity.json", rules.dump(2));
}

void Pipeline::BroadcastUserState() {
  std::vector<detect::SensitivityRule> rules = api_sensitivity_;
  for (const auto& r : config_.series.detection.sensitivity) rules.push_back(r);
  std::vector<detect::Mute> mutes = api_mutes_;
  auto apply = [&](int, detect::SeriesTable& t) {
    t.models().SetApiMutes(mutes);
    t.models().SetSensitivityRules(rules);
  };
  if (running_.load()) {
    ForEachSeriesShard(apply);
  } else {
    for (size_t j = 0; j < series_.size(); ++j) apply(static_cast<int>(j), *series_[j]);
  }
}

std::vector<detect::AnomalyEvent> Pipeline::Anomalies(const detect::EventFilter& filter) {
  std::vector<std::vector<detect::AnomalyEvent>> parts(series_.size());
  ForEachSeriesShard(
      [&](int j, detect::SeriesTable& t) { t.models().CollectEvents(filter, &parts[j]); });
  std::vector<detect::AnomalyEvent> out;
  for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
  return out;
}

std::vector<detect::SeriesSnapshot> Pipeline::Series(const core::LabelSelector& selector,
                                                     size_t limit) {
  std::vector<std::vector<detect::SeriesSnapshot>> parts(series_.size());
  ForEachSeriesShard(
      [&](int j, detect::SeriesTable& t) { t.models().CollectSeries(selector, limit, &parts[j]); });
  std::vector<detect::SeriesSnapshot> out;
  for (auto& p : parts) {
    for (auto& s : p) {
      if (out.size() < limit) out.push_back(std::move(s));
    }
  }
  return out;
}

bool Pipeline::Feedback(uint64_t event_id) {
  // Event ids carry their shard in the low byte.
  const int shard = static_cast<int>(event_id & 0xff);
  if (shard >= static_cast<int>(series_.size())) return false;
  bool found = false;
  ForEachSeriesShard([&](int, detect::SeriesTable& t) { found = t.models().Feedback(event_id); },
                     shard);
  return found;
}

std::vector<detect::Mute> Pipeline::Mutes() {
  std::lock_guard lock(user_mu_);
  const core::TimeNs now = core::Clock::Real().NowNs();
  std::erase_if(api_mutes_,
                [&](const detect::Mute& m) { return m.until_ns != 0 && m.until_ns <= now; });
  std::vector<detect::Mute> out = config_.series.detection.mutes;
  out.insert(out.end(), api_mutes_.begin(), api_mutes_.end());
  return out;
}

detect::Mute Pipeline::AddMute(core::LabelSelector selector, core::TimeNs until_ns,
                               std::string comment) {
  std::lock_guard lock(user_mu_);
  detect::Mute mute{next_mute_id_++, std::move(selector), until_ns, std::move(comment)};
  api_mutes_.push_back(mute);
  PersistUserState();
  BroadcastUserState();
  return mute;
}

bool Pipeline::RemoveMute(uint64_t id) {
  std::lock_guard lock(user_mu_);
  auto it = std::find_if(api_mutes_.begin(), api_mutes_.end(),
                         [id](const detect::Mute& m) { return m.id == id; });
  if (it == api_mutes_.end()) return false;
  api_mutes_.erase(it);
  PersistUserState();
  BroadcastUserState();
  return true;
}

std::vector<detect::SensitivityRule> Pipeline::SensitivityRules() {
  std::lock_guard lock(user_mu_);
  return api_sensitivity_;
}

void Pipeline::SetSensitivityRules(std::vector<detect::SensitivityRule> rules) {
  std::lock_guard lock(user_mu_);
  api_sensitivity_ = std::move(rules);
  PersistUserState();
  BroadcastUserState();
}

void Pipeline::FlushDerive(int index, derive::DeriveShard& shard, bool expire_all) {
  std::vector<model::PartialBatch> out = shard.Flush(expire_all);
  for (const model::ChangeEvent& c : shard.TakeChanges()) {
    if (incidents_ != nullptr) incidents_->OnChange(c);
  }
  for (const model::Placement& p : shard.TakePlacements()) {
    if (incidents_ != nullptr) incidents_->OnPlacement(p);
  }
  for (size_t j = 0; j < out.size(); ++j) {
    out[j].source_shard = index;
    bus_->PushPartials(static_cast<int>(j), std::move(out[j]));
  }
}

bool Pipeline::AheadOfSlowestDerive(int index) const {
  const core::TimeNs own = derive_watermark_[index].load(std::memory_order_relaxed);
  if (own == derive::kNoWatermark) return false;
  core::TimeNs slowest = own;
  for (size_t i = 0; i < derive_.size(); ++i) {
    const core::TimeNs w = derive_watermark_[i].load(std::memory_order_relaxed);
    if (w != derive::kNoWatermark) slowest = std::min(slowest, w);
  }
  return own > slowest + kMaxDeriveSkewNs;
}

void Pipeline::RunDeriveShard(int index) {
  auto& queue = bus_->derive_queue(index);
  derive::DeriveShard& shard = *derive_[index];
  core::TimeNs next_flush = WallNs() + config_.flush_interval_ns;
  core::TimeNs last_data = WallNs();
  core::TimeNs next_checkpoint = WallNs() + config_.checkpoint_interval_ns;
  while (true) {
    if (!queue.closed() && AheadOfSlowestDerive(index)) {
      const auto until = std::chrono::steady_clock::now() + kMaxAlignWait;
      while (AheadOfSlowestDerive(index) && !queue.closed() &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
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
        derive_watermark_[index].store(shard.watermark(), std::memory_order_relaxed);
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
      if (idle) {
        shard.AdvanceWatermark(max_watermark_.load(std::memory_order_relaxed));
        derive_watermark_[index].store(shard.watermark(), std::memory_order_relaxed);
      }
      FlushDerive(index, shard, idle && now - last_data >= config_.idle_expiry_ns);
      miner_bytes_[index].store(shard.log_miners().MemoryBytes(), std::memory_order_relaxed);
      next_flush = now + config_.flush_interval_ns;
    }
    if (store_ != nullptr && now >= next_checkpoint) {
      SaveLogShard(index, /*sync=*/false);  // serialised here, written by the store's thread
      next_checkpoint = now + config_.checkpoint_interval_ns;
    }
  }
  // Drained: nothing older is pending here either; the others need not wait for this shard.
  derive_watermark_[index].store(derive::kNoWatermark, std::memory_order_relaxed);
  shard.AdvanceWatermark(max_watermark_.load(std::memory_order_relaxed));
  FlushDerive(index, shard, /*expire_all=*/true);
}

void Pipeline::RunSeriesShard(int index) {
  auto& queue = bus_->series_queue(index);
  detect::SeriesTable& table = *series_[index];
  core::TimeNs next_expiry = WallNs() + core::kNsPerSecond;
  core::TimeNs next_checkpoint = WallNs() + config_.checkpoint_interval_ns;
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
      // After the events this message raised were handed to the correlator.
      series_watermark_[index].store(table.watermark(), std::memory_order_release);
    } else if (queue.closed() && queue.Empty()) {
      break;
    }
    if (WallNs() >= next_expiry) {
      table.ExpireIdle(table.watermark());
      series_count_[index].store(table.span_metric_series(), std::memory_order_relaxed);
      series_bytes_[index].store(table.MemoryBytes(), std::memory_order_relaxed);
      next_expiry = WallNs() + core::kNsPerSecond;
    }
    if (store_ != nullptr && WallNs() >= next_checkpoint) {
      SaveShard(index, /*sync=*/false);  // serialised here, written by the store's thread
      next_checkpoint = WallNs() + config_.checkpoint_interval_ns;
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

void Pipeline::ForEachDeriveShard(const std::function<void(int shard, derive::DeriveShard&)>& fn) {
  if (!running_.load() || draining_.load()) {
    if (!running_.load()) {
      for (size_t i = 0; i < derive_.size(); ++i) fn(static_cast<int>(i), *derive_[i]);
    }
    return;
  }
  auto latch = std::make_shared<Latch>();
  latch->remaining = static_cast<int>(derive_.size());
  auto shared_fn = std::make_shared<std::function<void(int, derive::DeriveShard&)>>(fn);
  for (size_t i = 0; i < derive_.size(); ++i) {
    derive::DeriveShard* shard = derive_[i].get();
    const int index = static_cast<int>(i);
    bus_->derive_queue(index).PushControl(
        bus::DeriveMessage{.payload = bus::ShardTask([latch, shared_fn, shard, index] {
                             (*shared_fn)(index, *shard);
                             std::lock_guard lock(latch->mu);
                             if (--latch->remaining == 0) latch->cv.notify_all();
                           })});
  }
  std::unique_lock lock(latch->mu);
  if (!latch->cv.wait_for(lock, std::chrono::seconds(30), [&] { return latch->remaining == 0; })) {
    spdlog::warn("derive shards did not answer within 30s");
  }
}

std::vector<detect::LogTemplateSummary> Pipeline::LogTemplates(std::string_view service) {
  std::vector<detect::LogTemplateSummary> out;
  if (service.empty()) {
    std::vector<std::vector<detect::LogTemplateSummary>> parts(series_.size());
    ForEachSeriesShard(
        [&](int j, detect::SeriesTable& t) { t.CollectLogTemplates("", &parts[j]); });
    for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
  } else {
    const int owner = core::ShardOf(service, static_cast<int>(series_.size()));
    ForEachSeriesShard([&](int, detect::SeriesTable& t) { t.CollectLogTemplates(service, &out); },
                       owner);
  }
  return out;
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

namespace augur::app {

std::vector<nlohmann::json> Pipeline::Incidents(const store::IncidentQuery& query) {
  return incidents_ != nullptr ? incidents_->List(query) : std::vector<nlohmann::json>{};
}

std::optional<nlohmann::json> Pipeline::Incident(uint64_t id) {
  return incidents_ != nullptr ? incidents_->Get(id) : std::nullopt;
}

}  // namespace augur::app
