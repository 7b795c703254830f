// A log record after stage 1 has mined it, as the log exporters take it: owned strings (the
// exporters' queues outlive the request the record came in), its service, severity and template.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "model/ids.h"
#include "model/log_record.h"
#include "model/partials.h"

namespace augur::model {

struct MinedLogAttribute {
  std::string key;
  std::string value;  // AnyValue::ToString()
  bool json = false;  // `value` is JSON text (a number, bool, array or object), not a string
};

struct MinedLogRecord {
  core::TimeNs time_ns = 0;  // event time; stamped with the arrival time when the record had none
  std::string service;
  Severity severity = Severity::kUnspecified;
  std::string severity_text;  // as sent, else SeverityName(severity)
  uint32_t template_id = kOverflowTemplateId;
  std::string template_text;
  std::string body;  // the body as text (AnyValue::ToString for non-strings)
  TraceId trace_id{};
  SpanId span_id{};
  std::vector<MinedLogAttribute> attributes;           // the record's own attributes
  std::vector<MinedLogAttribute> resource_attributes;  // its resource's (Loki: stream labels)
};

// What a derive shard hands the exporters after mining one batch; shared read-only by them.
using MinedLogBatch = std::vector<MinedLogRecord>;

}  // namespace augur::model
