#include "export/clickhouse_target.h"

#include <fmt/format.h>

#include "core/http.h"
#include "core/utf8.h"
#include "export/json_text.h"

namespace augur::exporter {
namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// A query as the `query` parameter of ClickHouse's HTTP interface.
std::string QueryTarget(std::string_view query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "/?query=";
  for (char ch : query) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

SetupCall Query(std::string what, std::string sql, bool optional = false) {
  SetupCall s;
  s.what = std::move(what);
  s.call.target = "/";
  s.call.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  s.call.body = std::move(sql);
  s.optional = optional;
  return s;
}

}  // namespace

absl::Status ClickHouseExporterConfig::Validate() const {
  if (absl::Status s = exporter.Validate("exporters.clickhouse"); !s.ok()) return s;
  if (!IsIdentifier(database)) {
    return absl::InvalidArgumentError(
        fmt::format("exporters.clickhouse.database: '{}' is not a plain identifier", database));
  }
  if (!IsIdentifier(table)) {
    return absl::InvalidArgumentError(
        fmt::format("exporters.clickhouse.table: '{}' is not a plain identifier", table));
  }
  return absl::OkStatus();
}

std::vector<SetupCall> ClickHouseTarget::Setup() const {
  const std::string& db = config_.database;
  const std::string& table = config_.table;
  std::vector<SetupCall> calls;
  calls.push_back(Query(fmt::format("create database {}", db),
                        fmt::format("CREATE DATABASE IF NOT EXISTS `{}`", db)));
  calls.push_back(Query(fmt::format("create table {}.{}", db, table),
                        fmt::format("CREATE TABLE IF NOT EXISTS `{}`.`{}` (\n"
                                    "  timestamp DateTime,\n"
                                    "  timestamp_ns UInt64,\n"
                                    "  service String,\n"
                                    "  severity String,\n"
                                    "  severity_number UInt8,\n"
                                    "  template_id UInt32,\n"
                                    "  template String,\n"
                                    "  body String,\n"
                                    "  trace_id String,\n"
                                    "  span_id String,\n"
                                    "  attributes String,\n"
                                    "  resource String\n"
                                    ") ENGINE = MergeTree()\n"
                                    "PARTITION BY toDate(timestamp)\n"
                                    "ORDER BY (service, template_id, timestamp)",
                                    db, table)));
  if (config_.template_counts) {
    // Optional: a server without materialized views still takes the lines.
    calls.push_back(
        Query(fmt::format("create materialized view {}.{}_template_counts", db, table),
              fmt::format("CREATE MATERIALIZED VIEW IF NOT EXISTS `{0}`.`{1}_template_counts`\n"
                          "ENGINE = SummingMergeTree()\n"
                          "PARTITION BY toDate(minute)\n"
                          "ORDER BY (service, template_id, severity, minute)\n"
                          "AS SELECT toStartOfMinute(timestamp) AS minute, service, template_id, "
                          "severity, count() AS lines\n"
                          "FROM `{0}`.`{1}` GROUP BY minute, service, template_id, severity",
                          db, table),
              /*optional=*/true));
  }
  return calls;
}

void ClickHouseTarget::AppendRow(const model::MinedLogRecord& r, std::string* out) {
  const core::TimeNs t = std::max<core::TimeNs>(0, r.time_ns);
  fmt::format_to(std::back_inserter(*out),
                 "{{\"timestamp\":{},\"timestamp_ns\":{},\"service\":", t / core::kNsPerSecond, t);
  AppendJsonString(r.service, out);
  out->append(",\"severity\":");
  AppendJsonString(model::SeverityName(r.severity), out);
  fmt::format_to(std::back_inserter(*out), ",\"severity_number\":{},\"template_id\":{},",
                 model::SeverityNumberOf(r.severity), r.template_id);
  out->append("\"template\":");
  AppendJsonString(r.template_text, out);
  out->append(",\"body\":");
  AppendJsonString(r.body, out);
  out->append(",\"trace_id\":\"");
  if (!model::IsZeroId(r.trace_id)) out->append(model::IdToHex(r.trace_id));
  out->append("\",\"span_id\":\"");
  if (!model::IsZeroId(r.span_id)) out->append(model::IdToHex(r.span_id));
  out->append("\",\"attributes\":");
  out->append(JsonAttributesText(r.attributes));
  out->append(",\"resource\":");
  out->append(JsonAttributesText(r.resource_attributes));
  out->append("}\n");
}

HttpCall ClickHouseTarget::Encode(std::span<const model::MinedLogRecord* const> records) const {
  HttpCall call;
  call.target = QueryTarget(
      fmt::format("INSERT INTO `{}`.`{}` FORMAT JSONEachRow", config_.database, config_.table));
  call.headers = {{"Content-Type", "application/x-ndjson"}};
  call.body.reserve(records.size() * 512);
  for (const model::MinedLogRecord* r : records) AppendRow(*r, &call.body);
  return call;
}

Verdict ClickHouseTarget::Judge(const core::HttpResponse& response, size_t records) const {
  if (response.status != 404) return LogTarget::Judge(response, records);
  Verdict v;
  v.error =
      fmt::format("HTTP 404 (set up the table again): {}", core::TruncateUtf8(response.body, 300));
  v.retry.resize(records);
  for (size_t i = 0; i < records; ++i) v.retry[i] = static_cast<uint32_t>(i);
  return v;
}

}  // namespace augur::exporter
