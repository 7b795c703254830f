// Loki's push API (POST <endpoint>/loki/api/v1/push): each batch as a snappy-compressed
// logproto.PushRequest (loki_push_encoder.h), labels service_name, severity and template (the
// template id), the body as the line, trace and span ids as structured metadata. Loki answers
// 204; 429 and 5xx are retried.
#pragma once

#include "export/log_exporter.h"
#include "export/log_target.h"

namespace augur::exporter {

struct LokiExporterConfig {
  LogExporterConfig exporter = [] {
    LogExporterConfig c;
    c.endpoint = "http://127.0.0.1:3100";
    return c;
  }();

  absl::Status Validate() const { return exporter.Validate("exporters.loki"); }
};

class LokiTarget final : public LogTarget {
 public:
  std::string_view name() const override { return "loki"; }
  HttpCall Encode(std::span<const model::MinedLogRecord* const> records) const override;
};

}  // namespace augur::exporter
