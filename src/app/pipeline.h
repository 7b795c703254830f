// The embedded pipeline: the local bus, the derive shards (stage 1) and the series shards
// (stage 2), each shard a thread that alone owns its state.
//
// Threads: Start() and Drain() from the controlling thread; the Backend methods and bus() from any
// thread. Drain() stops accepting, processes everything queued, flushes stage 1 into stage 2, and
// joins the threads: after it returns, every acknowledged item is reflected in the series.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "api/backend.h"
#include "app/incident_engine.h"
#include "bus/local_bus.h"
#include "core/self_metrics.h"
#include "derive/derive_shard.h"
#include "detect/series_table.h"
#include "export/log_exporters.h"
#include "store/checkpoint_store.h"

namespace augur::app {

struct PipelineConfig {
  int shards = 0;                                       // per stage; 0 = one per CPU core
  size_t queue_units = 1 << 18;                         // per shard queue
  core::TimeNs flush_interval_ns = core::kNsPerSecond;  // wall time between stage-1 flushes
  // Wall time without data after which a derive shard expires every span waiting for pairing.
  core::TimeNs idle_expiry_ns = 10 * core::kNsPerSecond;
  derive::DeriveConfig derive;       // derive.logs configures the template miners
  detect::SeriesTableConfig series;  // series.detection the models, series.logs log anomalies
  exporter::ExportersConfig exporters;
  IncidentEngineConfig incidents;  // db_path is set from data_dir
  // Where checkpoints, mutes and API sensitivity rules live; "" keeps everything in memory.
  std::string data_dir = "./augur-data";
  core::TimeNs checkpoint_interval_ns = 5 * core::kNsPerMinute;  // wall time

  absl::Status Validate() const;
  int ResolvedShards() const;
};

class Pipeline final : public api::Backend {
 public:
  Pipeline(PipelineConfig config, core::SelfMetrics* metrics);
  ~Pipeline() override;  // Drain()s if still running.

  absl::Status Start();
  void Drain();

  bus::Bus* bus() { return bus_.get(); }

  core::TimeNs Now() override;
  std::vector<detect::ServiceSummary> Services(core::TimeNs now) override;
  std::optional<std::vector<detect::OperationSummary>> Operations(std::string_view service,
                                                                  core::TimeNs now) override;
  std::vector<detect::EdgeSummary> Edges(core::TimeNs now) override;
  void WriteMetrics(core::Exposition* out) override;
  bool Ready() override { return running_.load() && !draining_.load(); }

  std::vector<detect::AnomalyEvent> Anomalies(const detect::EventFilter& filter) override;
  std::vector<detect::SeriesSnapshot> Series(const core::LabelSelector& selector,
                                             size_t limit) override;
  bool Feedback(uint64_t event_id) override;
  std::vector<detect::Mute> Mutes() override;
  detect::Mute AddMute(core::LabelSelector selector, core::TimeNs until_ns,
                       std::string comment) override;
  bool RemoveMute(uint64_t id) override;
  std::vector<detect::SensitivityRule> SensitivityRules() override;
  void SetSensitivityRules(std::vector<detect::SensitivityRule> rules) override;
  std::vector<detect::LogTemplateSummary> LogTemplates(std::string_view service) override;
  std::vector<nlohmann::json> Incidents(const store::IncidentQuery& query) override;
  std::optional<nlohmann::json> Incident(uint64_t id) override;

  // The correlator (null when incidents are disabled); for tests and tools.
  IncidentEngine* incidents() { return incidents_.get(); }

  // Saves every shard's models and log templates now (on the shard threads while running); for
  // tests and tools.
  void Checkpoint();

  // Runs `fn` on every series shard's thread (or only on shard `only`) and waits. For queries.
  void ForEachSeriesShard(const std::function<void(int shard, detect::SeriesTable&)>& fn,
                          int only = -1);

 private:
  void RunDeriveShard(int index);
  // True when derive shard `index` is more than kMaxDeriveSkewNs of event time ahead of the
  // slowest derive shard that has data.
  bool AheadOfSlowestDerive(int index) const;
  void RunSeriesShard(int index);
  void FlushDerive(int index, derive::DeriveShard& shard, bool expire_all);
  absl::Status LoadState();
  void LoadLogTemplates();
  void SaveShard(int index, bool sync);
  // The log template miners of derive shard `index` (logs/shard-NNN.ckpt), from its thread or
  // after it stopped.
  void SaveLogShard(int index, bool sync);
  // Runs `fn` on every derive shard's thread and waits (at most 30 s).
  void ForEachDeriveShard(const std::function<void(int shard, derive::DeriveShard&)>& fn);
  void PersistUserState() ABSL_EXCLUSIVE_LOCKS_REQUIRED(user_mu_);
  void BroadcastUserState() ABSL_EXCLUSIVE_LOCKS_REQUIRED(user_mu_);

  PipelineConfig config_;
  core::SelfMetrics* metrics_;
  std::unique_ptr<bus::LocalBus> bus_;
  std::vector<std::unique_ptr<derive::DeriveShard>> derive_;
  std::vector<std::unique_ptr<detect::SeriesTable>> series_;
  std::vector<std::thread> derive_threads_;
  std::vector<std::thread> series_threads_;
  std::atomic<bool> running_{false};
  std::atomic<bool> draining_{false};
  // Highest derive-shard watermark (idle shards adopt it) and highest latest event time (Now()).
  std::atomic<core::TimeNs> max_watermark_{derive::kNoWatermark};
  std::atomic<core::TimeNs> max_latest_{derive::kNoWatermark};
  // Per series shard, refreshed by its thread each second: span-metric series and bytes held.
  std::unique_ptr<std::atomic<size_t>[]> series_count_;
  std::unique_ptr<std::atomic<size_t>[]> series_bytes_;
  // Per series shard, after each message: its event-time watermark (how far its models have
  // scored; INT64_MIN before every stage-1 shard reported). The correlator follows the lowest.
  std::unique_ptr<std::atomic<core::TimeNs>[]> series_watermark_;
  // Per derive shard: its watermark (kNoWatermark before its first span and after it drained).
  std::unique_ptr<std::atomic<core::TimeNs>[]> derive_watermark_;
  // Per derive shard, refreshed at each flush: bytes held by its log template miners.
  std::unique_ptr<std::atomic<size_t>[]> miner_bytes_;
  std::unique_ptr<exporter::LogExporters> exporters_;  // null when no exporter is enabled
  std::unique_ptr<IncidentEngine> incidents_;          // null when disabled
  std::vector<std::unique_ptr<core::SelfMetrics::CallbackHandle>> gauges_;

  std::unique_ptr<store::CheckpointStore> store_;
  // Mutes and sensitivity rules set through the API; pushed to every shard when they change.
  std::mutex user_mu_;
  std::vector<detect::Mute> api_mutes_ ABSL_GUARDED_BY(user_mu_);
  std::vector<detect::SensitivityRule> api_sensitivity_ ABSL_GUARDED_BY(user_mu_);
  uint64_t next_mute_id_ ABSL_GUARDED_BY(user_mu_) = 1;
};

}  // namespace augur::app
