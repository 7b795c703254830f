// The log exporters Augur runs, built from configuration (all off by default): ClickHouse, Loki
// and Elasticsearch, each a LogExporter with its own queue and sender thread. The derive shards
// hand every mined batch to Offer(), which passes it to each enabled exporter without blocking.
//
// Adding a store: its LogTarget and config struct in this folder, and one entry in the table in
// log_exporters.cc.
//
// Thread-safe: Offer() from any thread; Start() and Stop() from the controlling thread.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "core/self_metrics.h"
#include "export/clickhouse_target.h"
#include "export/elasticsearch_target.h"
#include "export/log_exporter.h"
#include "export/loki_target.h"

namespace augur::exporter {

struct ExportersConfig {
  ClickHouseExporterConfig clickhouse;
  LokiExporterConfig loki;
  ElasticsearchExporterConfig elasticsearch;

  absl::Status Validate() const;
  bool any_enabled() const;
};

class LogExporters {
 public:
  LogExporters(const ExportersConfig& config, core::SelfMetrics* metrics);
  ~LogExporters();

  absl::Status Start();
  void Offer(const std::shared_ptr<const model::MinedLogBatch>& batch);
  void Stop(core::TimeNs drain_ns = 5 * core::kNsPerSecond);

  bool empty() const { return exporters_.empty(); }
  size_t size() const { return exporters_.size(); }

 private:
  std::vector<std::unique_ptr<LogExporter>> exporters_;
};

}  // namespace augur::exporter
