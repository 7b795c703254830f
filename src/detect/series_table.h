// Stage 2 of the pipeline for one shard: the series this shard owns, keyed by service (so a
// service's span metrics, its inbound graph edges, its log counts and its ingested metrics live
// together, with its multi-signal model). Partials from stage 1 merge here into cumulative series
// (for /metrics) and recent windows (for the REST API). Each time the watermark closes an
// event-time window, every series yields that window's point to its models (SeriesModels):
// counters as rates, histograms as p95, ratios and latencies only when the window had enough
// requests.
//
// Log templates: per service a ServiceLogTemplates (template counts, and the log anomalies modelled
// on them: surging templates, new error templates, a rising share of errors).
//
// Bounds: at most `max_series_per_service` span-metric and ingested series per service (further
// span-metric series fold into span_name="overflow_operation"; further ingested series are
// dropped; both counted), and series idle for `series_idle_timeout_ns` of event time expire; log
// templates are bounded by LogDetectionConfig.
//
// Event time: each stage-1 shard reports a watermark with its partials; this table's watermark is
// the lowest of them, so it never runs ahead of data still in flight.
//
// Owned by one shard thread; every method runs there (queries arrive as tasks).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/exposition.h"
#include "core/self_metrics.h"
#include "core/time.h"
#include "detect/recent_windows.h"
#include "detect/series_models.h"
#include "detect/service_log_templates.h"
#include "model/change.h"
#include "model/metric.h"
#include "model/partials.h"
#include "model/span.h"

namespace augur::detect {

struct SeriesTableConfig {
  core::TimeNs window_ns = 10 * core::kNsPerSecond;
  std::vector<double> latency_bounds_ms = model::kDefaultLatencyBoundsMs;
  std::vector<double> graph_bounds_s = {0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2,
                                        0.4,   0.8,   1,     1.4,   2,    5,    10,  15};
  size_t max_series_per_service = 2000;
  core::TimeNs series_idle_timeout_ns = 5 * core::kNsPerMinute;
  int stage1_shards = 1;  // watermark sources
  int shard_index = 0;
  DetectionConfig detection;
  LogDetectionConfig logs;
};

// Rates and latency over a recent range of event time.
struct RecentStats {
  uint64_t count = 0;
  uint64_t errors = 0;
  double rate_per_s = 0;
  double error_ratio = 0;  // 0 when count is 0
  double p50_ms = 0;       // NaN when count is 0
  double p95_ms = 0;
  double p99_ms = 0;
};

struct ServiceSummary {
  std::string name;
  uint64_t spans_total = 0;     // every span of the service
  uint64_t requests_total = 0;  // SERVER and CONSUMER spans: the work the service was asked for
  uint64_t errors_total = 0;    // of those, with status ERROR
  size_t operations = 0;
  RecentStats last_1m;
  RecentStats last_5m;
  core::TimeNs last_seen_ns = 0;
};

struct OperationSummary {
  std::string span_name;
  model::SpanKind kind = model::SpanKind::kUnspecified;
  uint64_t calls_total = 0;
  uint64_t errors_total = 0;
  RecentStats last_1m;
  RecentStats last_5m;
};

struct EdgeSummary {
  std::string client;
  std::string server;
  std::string connection_type;
  uint64_t requests_total = 0;
  uint64_t failed_total = 0;
  RecentStats last_1m;  // latency as the client saw it (server-side for edges from "user")
  RecentStats last_5m;
};

class SeriesTable {
 public:
  SeriesTable(SeriesTableConfig config, core::SelfMetrics* metrics);
  ~SeriesTable();

  void ConsumePartials(const model::PartialBatch& batch);
  void ConsumeMetrics(const model::MetricBatch& batch, std::span<const uint32_t> point_indices);

  // The lowest watermark reported by the stage-1 shards (INT64_MIN until all have reported).
  core::TimeNs watermark() const { return watermark_; }
  // Removes series idle past the timeout relative to `now` (event time).
  void ExpireIdle(core::TimeNs now);

  void CollectServices(core::TimeNs now, std::vector<ServiceSummary>* out) const;
  // False when this shard does not hold `service`.
  bool CollectOperations(std::string_view service, core::TimeNs now,
                         std::vector<OperationSummary>* out) const;
  void CollectEdges(core::TimeNs now, std::vector<EdgeSummary>* out) const;
  void WriteExposition(core::Exposition* out) const;
  // The log templates of `service` ("" = every service this shard holds).
  void CollectLogTemplates(std::string_view service, std::vector<LogTemplateSummary>* out) const;

  size_t span_metric_series() const { return red_series_; }
  size_t MemoryBytes() const;

  // Called on the owning thread when a service restarts (its cumulative counters reset).
  using ChangeSink = std::function<void(const model::ChangeEvent&)>;
  void SetChangeSink(ChangeSink sink) { change_sink_ = std::move(sink); }

  SeriesModels& models() { return models_; }
  const SeriesModels& models() const { return models_; }

 private:
  struct Service;
  struct Operation;
  struct Edge;
  struct IngestedSeries;

  Service& GetService(std::string_view name);
  Operation* GetOperation(Service& service, std::string_view span_name, model::SpanKind kind,
                          model::StatusCode status);
  void AddRed(const model::RedPartial& p);
  void AddEdge(const model::EdgePartial& p);
  void AddIngested(const model::MetricBatch& batch, const model::MetricPoint& point);
  void NoteStart(Service& service, IngestedSeries& s, const model::MetricPoint& point);
  RecentStats Recent(const RecentWindows& windows, std::span<const double> bounds, double to_ms,
                     core::TimeNs now, core::TimeNs range) const;
  // Hands every series' point of each window the watermark has completed to the models.
  void CloseWindows();
  void CloseWindow(core::TimeNs start);
  void ModelIngested(Service& service, IngestedSeries& s);

  SeriesTableConfig config_;
  absl::flat_hash_map<std::string, std::unique_ptr<Service>> services_;
  std::vector<core::TimeNs> source_watermarks_;
  core::TimeNs watermark_ = INT64_MIN;
  core::TimeNs next_close_ = INT64_MIN;  // start of the next window to close
  // The earliest window with requests seen before the first close: windows before it are not
  // closed as empty (after a restart, the watermark's allowed lateness reaches back into the
  // downtime, and restored models would read it as traffic stopping).
  core::TimeNs first_window_ = INT64_MAX;
  size_t red_series_ = 0;
  SeriesModels models_;
  ChangeSink change_sink_;

  core::Counter* overflow_total_;
  core::Counter* ingested_dropped_total_;
  core::Counter* expired_total_;
  core::Counter* partials_total_;
  core::Counter* metric_points_total_;
  core::Counter* windows_skipped_total_;
  core::Counter* log_templates_dropped_total_;
};

}  // namespace augur::detect
