// Stage 1 of the pipeline for one shard: spans (keyed by trace id, so a whole trace lands here)
// and log records (keyed by service) become partial aggregates — RED per span-metrics series,
// service-graph edges, log counts per template — per event-time window, handed to stage 2 at each
// Flush().
//
// Logs: every record's body (a string body as it is, other values as AnyValue::ToString) is mined
// into a template id by its service's miner (ServiceLogMiners); counts go to stage 2 per (service,
// template, severity, window) with the template's text and one example line. When a log sink is
// set, each mined batch is also handed to it (the exporters), without waiting.
//
// Event time: the shard's watermark is the highest median event time of the span batches (end
// times) and log batches (record times) it has consumed (a median, so a few items with wrong
// clocks cannot drag it). A span or record more than `allowed_lateness_ns` before the watermark
// is late: it still counts in cumulative totals but in no window, and is counted in
// augur_derive_late_spans_total / augur_derive_late_log_records_total.
//
// Owned by one shard thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "core/self_metrics.h"
#include "core/time.h"
#include "derive/interner.h"
#include "derive/log_counter.h"
#include "derive/service_graph.h"
#include "derive/service_log_miners.h"
#include "derive/span_metrics.h"
#include "derive/trace_evidence.h"
#include "model/change.h"
#include "model/log_record.h"
#include "model/mined_log.h"
#include "model/partials.h"
#include "model/span.h"

namespace augur::derive {

inline constexpr core::TimeNs kNoWatermark = INT64_MIN;

struct DeriveConfig {
  core::TimeNs window_ns = 10 * core::kNsPerSecond;
  core::TimeNs allowed_lateness_ns = 30 * core::kNsPerSecond;
  std::vector<double> latency_bounds_ms = model::kDefaultLatencyBoundsMs;
  ServiceGraphConfig graph;
  TraceEvidenceConfig trace_evidence;
  size_t max_services = 100'000;      // distinct service and peer names per shard
  size_t max_span_names = 1'000'000;  // distinct span names per flush interval per shard
  LogMiningConfig logs;

  absl::Status Validate() const;
};

// Takes a mined batch off a derive shard's thread; must not block (exporters drop when full).
using MinedLogSink = std::function<void(std::shared_ptr<const model::MinedLogBatch>)>;

class DeriveShard {
 public:
  // `clock` stamps log records that carry no time at all.
  DeriveShard(const DeriveConfig& config, int stage2_shards, core::SelfMetrics* metrics,
              const core::Clock* clock = &core::Clock::Real());

  void ConsumeSpans(const model::SpanBatch& batch, std::span<const uint32_t> indices);
  void ConsumeLogs(const model::LogBatch& batch, std::span<const uint32_t> indices);

  // Where mined records go besides stage 2 (the exporters); none by default.
  void SetLogSink(MinedLogSink sink) { log_sink_ = std::move(sink); }
  ServiceLogMiners& log_miners() { return miners_; }
  const ServiceLogMiners& log_miners() const { return miners_; }

  // Moves what was aggregated since the last flush into one PartialBatch per stage-2 shard (empty
  // ones included: they carry the watermark). Waiting graph spans older than the ttl expire first;
  // `expire_all` expires every one (shutdown or idle).
  std::vector<model::PartialBatch> Flush(bool expire_all);

  // The shard's event time, kNoWatermark before any span.
  core::TimeNs watermark() const { return watermark_; }
  // The latest span end time seen, ignoring spans that end more than the allowed lateness after
  // their batch's median (clock outliers); kNoWatermark before any span. "Now" for recent views.
  core::TimeNs latest_event_time() const { return latest_; }
  // Lets an idle shard move its watermark up to the pipeline's (nothing older is pending here).
  void AdvanceWatermark(core::TimeNs t) { watermark_ = std::max(watermark_, t); }
  // True when event time entered a new window since the last flush: flushing then keeps partials
  // from lagging when telemetry is replayed faster than real time.
  bool WindowAdvanced() const;
  size_t pending_pairs() const { return graph_.pending(); }
  // Deploys seen since the last call: a service's spans carry a `service.version` it has not
  // shown before (kMaxVersions remembered per service; the first version seen is no change).
  std::vector<model::ChangeEvent> TakeChanges() { return std::move(changes_); }
  static constexpr size_t kMaxVersions = 8;
  // (service, host) pairs seen for the first time since the last call (model::Placement); at most
  // kMaxPlacements pairs are remembered per shard.
  std::vector<model::Placement> TakePlacements() { return std::move(placements_); }
  static constexpr size_t kMaxPlacements = 200'000;

 private:
  core::TimeNs WindowOf(core::TimeNs t) const;
  uint32_t ServiceId(std::string_view name) { return services_.Intern(name); }
  // Raises the watermark to the median of scratch_times_ and `latest_` to the latest plausible
  // time among them.
  void AdvanceFromScratchTimes();
  void NoteVersion(std::string_view service, std::string_view version, core::TimeNs t);
  void NotePlacement(const model::SpanBatch& batch, const model::Resource& resource);

  DeriveConfig config_;
  int stage2_shards_;
  const core::Clock* clock_;
  core::TimeNs watermark_ = kNoWatermark;
  core::TimeNs latest_ = kNoWatermark;
  core::TimeNs flushed_window_ = kNoWatermark;
  Interner services_;
  SpanMetricsAggregator span_metrics_;
  ServiceGraphBuilder graph_;
  TraceEvidenceBuilder trace_evidence_;
  LogCounter logs_;
  ServiceLogMiners miners_;
  MinedLogSink log_sink_;
  std::vector<core::TimeNs> scratch_times_;
  std::vector<uint32_t> scratch_service_ids_;
  std::vector<ServiceLogMiners::Service*> scratch_miners_;
  uint64_t overflow_reported_ = 0;
  // Versions seen per service, most recent last; bounded by config_.max_services.
  absl::flat_hash_map<std::string, std::vector<std::string>> versions_;
  std::vector<model::ChangeEvent> changes_;
  absl::flat_hash_set<std::string> placements_seen_;  // "service\x1fhost"
  std::string placement_key_;                         // NotePlacement's scratch
  std::vector<model::Placement> placements_;

  core::Counter* spans_total_;
  core::Counter* late_spans_total_;
  core::Counter* logs_total_;
  core::Counter* late_logs_total_;
  core::Counter* log_overflow_total_;
};

}  // namespace augur::derive
