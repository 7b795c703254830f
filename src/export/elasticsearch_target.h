// Elasticsearch's bulk API (POST <endpoint>/_bulk, NDJSON): each record a `create` of a document
// in the daily index <index_prefix>-YYYY.MM.DD (UTC, by the record's time), in ECS field names:
//   {"@timestamp": "2026-11-21T10:00:00.123456789Z", "message": "...",
//    "log": {"level": "ERROR"}, "service": {"name": "cart"},
//    "trace": {"id": "..."}, "span": {"id": "..."},             (when present)
//    "augur": {"template_id": 12, "template": "..."},
//    "attributes": {...}, "resource": {...}}
// deploy/elasticsearch/ holds the index template (mappings for these fields, attributes and
// resource as `flattened`) and the ILM policy to install once.
//
// Elasticsearch answers 200 even when some documents failed; Judge reads the per-item statuses:
// 429 and 5xx items are retried, other failed items are dropped and counted.
#pragma once

#include <string>

#include "export/log_exporter.h"
#include "export/log_target.h"

namespace augur::exporter {

struct ElasticsearchExporterConfig {
  LogExporterConfig exporter = [] {
    LogExporterConfig c;
    c.endpoint = "http://127.0.0.1:9200";
    return c;
  }();
  std::string index_prefix = "augur-logs";

  absl::Status Validate() const;
};

class ElasticsearchTarget final : public LogTarget {
 public:
  explicit ElasticsearchTarget(ElasticsearchExporterConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "elasticsearch"; }
  HttpCall Encode(std::span<const model::MinedLogRecord* const> records) const override;
  Verdict Judge(const core::HttpResponse& response, size_t records) const override;

  // "augur-logs-2026.11.21" for a time on that day (UTC).
  std::string IndexFor(core::TimeNs t) const;

 private:
  ElasticsearchExporterConfig config_;
};

}  // namespace augur::exporter
