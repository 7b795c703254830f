#include "export/elasticsearch_target.h"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "export/json_text.h"

namespace augur::exporter {
namespace {

std::tm UtcOf(core::TimeNs t) {
  const std::time_t seconds =
      static_cast<std::time_t>(std::max<core::TimeNs>(0, t) / core::kNsPerSecond);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

// RFC 3339 with nanoseconds, as Elasticsearch's date_nanos takes it.
void AppendTimestamp(core::TimeNs t, std::string* out) {
  t = std::max<core::TimeNs>(0, t);
  const std::tm tm = UtcOf(t);
  fmt::format_to(std::back_inserter(*out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 t % core::kNsPerSecond);
}

bool ValidIndexPrefix(std::string_view s) {
  if (s.empty() || s.size() > 200 || s[0] == '-' || s[0] == '_' || s[0] == '+') return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::Status ElasticsearchExporterConfig::Validate() const {
  if (absl::Status s = exporter.Validate("exporters.elasticsearch"); !s.ok()) return s;
  if (!ValidIndexPrefix(index_prefix)) {
    return absl::InvalidArgumentError(fmt::format(
        "exporters.elasticsearch.index_prefix: '{}' is not a valid index name (lowercase "
        "letters, digits, '-', '_', '.')",
        index_prefix));
  }
  return absl::OkStatus();
}

std::string ElasticsearchTarget::IndexFor(core::TimeNs t) const {
  const std::tm tm = UtcOf(t);
  return fmt::format("{}-{:04}.{:02}.{:02}", config_.index_prefix, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday);
}

HttpCall ElasticsearchTarget::Encode(std::span<const model::MinedLogRecord* const> records) const {
  HttpCall call;
  call.target = "/_bulk";
  call.headers = {{"Content-Type", "application/x-ndjson"}};
  std::string& out = call.body;
  out.reserve(records.size() * 600);
  for (const model::MinedLogRecord* rp : records) {
    const model::MinedLogRecord& r = *rp;
    out.append("{\"create\":{\"_index\":");
    AppendJsonString(IndexFor(r.time_ns), &out);
    out.append("}}\n{\"@timestamp\":");
    AppendTimestamp(r.time_ns, &out);
    out.append(",\"message\":");
    AppendJsonString(r.body, &out);
    out.append(",\"log\":{\"level\":");
    AppendJsonString(model::SeverityName(r.severity), &out);
    out.append("},\"service\":{\"name\":");
    AppendJsonString(r.service, &out);
    out.append("}");
    if (!model::IsZeroId(r.trace_id)) {
      fmt::format_to(std::back_inserter(out), ",\"trace\":{{\"id\":\"{}\"}}",
                     model::IdToHex(r.trace_id));
    }
    if (!model::IsZeroId(r.span_id)) {
      fmt::format_to(std::back_inserter(out), ",\"span\":{{\"id\":\"{}\"}}",
                     model::IdToHex(r.span_id));
    }
    fmt::format_to(std::back_inserter(out),
                   ",\"augur\":{{\"template_id\":{},\"template\":", r.template_id);
    AppendJsonString(r.template_text, &out);
    out.append("},\"attributes\":");
    AppendJsonAttributes(r.attributes, &out);
    out.append(",\"resource\":");
    AppendJsonAttributes(r.resource_attributes, &out);
    out.append("}\n");
  }
  return call;
}

Verdict ElasticsearchTarget::Judge(const core::HttpResponse& response, size_t records) const {
  if (response.status < 200 || response.status >= 300) {
    return LogTarget::Judge(response, records);
  }
  using nlohmann::json;
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  Verdict v;
  if (!body.is_object() || !body.value("errors", false)) return v;  // every item stored
  const json* items = body.contains("items") && body["items"].is_array() ? &body["items"] : nullptr;
  if (items == nullptr) return v;
  for (size_t i = 0; i < items->size() && i < records; ++i) {
    const json& item = (*items)[i];
    const json* result = nullptr;
    for (const char* action : {"create", "index"}) {
      if (item.is_object() && item.contains(action) && item[action].is_object()) {
        result = &item[action];
      }
    }
    if (result == nullptr) continue;
    const int status = result->value("status", 200);
    if (status >= 200 && status < 300) continue;
    if (status == 429 || status >= 500) {
      v.retry.push_back(static_cast<uint32_t>(i));
    } else {
      ++v.failed;
    }
    if (v.error.empty()) {
      v.error = fmt::format(
          "item {}: status {}: {}", i, status,
          core::TruncateUtf8(
              result->contains("error")
                  ? (*result)["error"].dump(-1, ' ', false, json::error_handler_t::replace)
                  : std::string(),
              300));
    }
  }
  return v;
}

}  // namespace augur::exporter
