#include "export/log_exporters.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace augur::exporter {

absl::Status ExportersConfig::Validate() const {
  if (absl::Status s = clickhouse.Validate(); !s.ok()) return s;
  if (absl::Status s = loki.Validate(); !s.ok()) return s;
  return elasticsearch.Validate();
}

bool ExportersConfig::any_enabled() const {
  return clickhouse.exporter.enabled || loki.exporter.enabled || elasticsearch.exporter.enabled;
}

LogExporters::LogExporters(const ExportersConfig& config, core::SelfMetrics* metrics) {
  struct Entry {
    const LogExporterConfig& exporter;
    std::function<std::unique_ptr<LogTarget>()> make;
  };
  const Entry entries[] = {
      {config.clickhouse.exporter,
       [&] { return std::make_unique<ClickHouseTarget>(config.clickhouse); }},
      {config.loki.exporter, [] { return std::make_unique<LokiTarget>(); }},
      {config.elasticsearch.exporter,
       [&] { return std::make_unique<ElasticsearchTarget>(config.elasticsearch); }},
  };
  for (const Entry& e : entries) {
    if (!e.exporter.enabled) continue;
    exporters_.push_back(std::make_unique<LogExporter>(e.exporter, e.make(), metrics));
  }
}

LogExporters::~LogExporters() { Stop(0); }

absl::Status LogExporters::Start() {
  for (auto& e : exporters_) {
    if (absl::Status s = e->Start(); !s.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("exporters.{}: {}", e->name(), std::string(s.message())));
    }
    spdlog::info("exporting logs to {}", e->name());
  }
  return absl::OkStatus();
}

void LogExporters::Offer(const std::shared_ptr<const model::MinedLogBatch>& batch) {
  for (auto& e : exporters_) e->Offer(batch);
}

void LogExporters::Stop(core::TimeNs drain_ns) {
  for (auto& e : exporters_) e->Stop(drain_ns);
}

}  // namespace augur::exporter
