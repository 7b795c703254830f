// Log records (OTLP logs.proto) decoded into flat, view-based records.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "model/attributes.h"
#include "model/batch_storage.h"
#include "model/ids.h"
#include "model/resource.h"

namespace augur::model {

struct LogRecord {
  core::TimeNs time_ns = 0;           // when the event occurred; 0 if unknown
  core::TimeNs observed_time_ns = 0;  // when a collector saw it; 0 if unknown
  uint8_t severity_number = 0;        // OTLP SeverityNumber, 0..24
  std::string_view severity_text;
  AnyValue body;
  AttributeRange attributes;  // in LogBatch::attributes
  TraceId trace_id{};         // all zero when absent
  SpanId span_id{};           // all zero when absent
  uint32_t resource_index = 0;
  uint32_t flags = 0;
  std::string_view event_name;

  // Event time: the record's own time, else when it was observed.
  core::TimeNs EventTimeNs() const { return time_ns != 0 ? time_ns : observed_time_ns; }
};

// Severity classes of the OpenTelemetry log data model (SeverityNumber ranges of 4).
enum class Severity : uint8_t { kUnspecified, kTrace, kDebug, kInfo, kWarn, kError, kFatal };
Severity SeverityOf(uint8_t severity_number);
// "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", or "UNSPECIFIED".
std::string_view SeverityName(Severity severity);
// The severity a level word names, case-insensitively: trace, debug (dbg), info (information,
// notice), warn (warning), error (err), fatal (critical, crit, panic, alert, emerg, emergency);
// kUnspecified for anything else. What Loki's level labels and OTLP severity_text hold.
Severity SeverityFromText(std::string_view text);
// The OTLP SeverityNumber of a severity class's first level (INFO -> 9); 0 for kUnspecified.
uint8_t SeverityNumberOf(Severity severity);

struct LogBatch {
  std::vector<Resource> resources;
  std::vector<LogRecord> records;
  std::vector<KeyValue> attributes;  // pool for resources and records
  BatchStorage storage;

  std::span<const KeyValue> AttributesOf(AttributeRange range) const {
    return model::AttributesOf(attributes, range);
  }
};

}  // namespace augur::model
