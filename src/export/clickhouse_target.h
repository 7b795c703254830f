// ClickHouse over its HTTP interface (port 8123): the column store SigNoz, Coroot and Uptrace
// keep logs in. Before its first batch (and again after a failed one) Augur creates, if they do not
// exist, the database, a MergeTree table of log lines and, where the server supports it, a
// materialized per-(service, template, severity, minute) line count in a SummingMergeTree.
// Batches are `INSERT INTO db.table FORMAT JSONEachRow`. tests/integration/clickhouse/ runs this
// against a real clickhouse-server 18.16.
//
// The table uses only types ClickHouse 18.16 (Debian 12's clickhouse-server) has — no
// DateTime64, no Map, no LowCardinality:
//   timestamp DateTime, timestamp_ns UInt64, service String, severity String,
//   severity_number UInt8, template_id UInt32, template String, body String, trace_id String,
//   span_id String, attributes String (JSON object), resource String (JSON object)
//   ENGINE = MergeTree() PARTITION BY toDate(timestamp) ORDER BY (service, template_id, timestamp)
// trace_id and span_id are lowercase hex, "" when absent.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "export/log_exporter.h"
#include "export/log_target.h"

namespace augur::exporter {

struct ClickHouseExporterConfig {
  LogExporterConfig exporter = [] {
    LogExporterConfig c;
    c.endpoint = "http://127.0.0.1:8123";
    return c;
  }();
  std::string database = "augur";
  std::string table = "logs";
  bool template_counts = true;  // the materialized per-minute template counts

  absl::Status Validate() const;
};

class ClickHouseTarget final : public LogTarget {
 public:
  explicit ClickHouseTarget(ClickHouseExporterConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return "clickhouse"; }
  std::vector<SetupCall> Setup() const override;
  HttpCall Encode(std::span<const model::MinedLogRecord* const> records) const override;
  // As the default, except 404: ClickHouse's answer when the database or table does not exist
  // (dropped while Augur runs). The exporter sets them up again before it retries, so the batch
  // is stored, not dropped.
  Verdict Judge(const core::HttpResponse& response, size_t records) const override;

  // The JSONEachRow line of one record (with its newline), for tests.
  static void AppendRow(const model::MinedLogRecord& record, std::string* out);

 private:
  ClickHouseExporterConfig config_;
};

}  // namespace augur::exporter
