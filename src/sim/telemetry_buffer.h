// Generated spans, log records and instance metrics before they are encoded as OTLP. Spans and
// log records: flat vectors of small records
// whose strings are views, either into the Fleet (names, routes, statements) or into the buffer's
// own arena (ids in URLs, log lines). Encoding groups them by instance into Export requests.
//
// A buffer is filled by one generator on one thread and then read by one encoder; Clear() keeps
// the capacity, so a pooled buffer stops allocating after warm-up.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "model/ids.h"

namespace augur::sim {

struct SimAttribute {
  enum class Type : uint8_t { kString, kInt, kDouble, kBool };

  std::string_view key;
  Type type = Type::kString;
  std::string_view string_value;
  union {
    int64_t int_value = 0;  // also kBool
    double double_value;
  };
};

// OTLP Span.SpanKind values.
enum class SimSpanKind : uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5
};

struct SimSpan {
  model::TraceId trace_id{};
  model::SpanId span_id{};
  model::SpanId parent_span_id{};  // zero for the root
  uint32_t instance = 0;           // into Fleet::instances: the span's resource
  SimSpanKind kind = SimSpanKind::kInternal;
  bool error = false;  // Status ERROR, else UNSET
  std::string_view name;
  std::string_view status_message;
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;
  uint32_t attributes_begin = 0;  // into TelemetryBuffer::attributes
  uint32_t attributes_count = 0;
};

struct SimLogRecord {
  core::TimeNs time_ns = 0;
  uint32_t instance = 0;
  uint8_t severity_number = 9;  // OTLP SeverityNumber: 5 DEBUG, 9 INFO, 13 WARN, 17 ERROR
  std::string_view severity_text = "INFO";
  std::string_view body;
  bool in_span = false;  // trace_id and span_id are set
  model::TraceId trace_id{};
  model::SpanId span_id{};
  uint32_t attributes_begin = 0;
  uint32_t attributes_count = 0;
};

// One instance's runtime metrics at one report (RuntimeMetrics; the metrics are described
// there): what the message builder and the wire encoder both write, seven data points.
inline constexpr int kRuntimeMetricsPerInstance = 7;
struct SimInstanceMetrics {
  uint32_t instance = 0;
  core::TimeNs start_ns = 0;  // cumulative metrics count from here
  core::TimeNs time_ns = 0;
  double cpu_utilization = 0;
  double cpu_time_s = 0;
  double throttling_ratio = 0;
  int64_t memory_bytes = 0;
  bool java = false;  // jvm.gc.duration with the G1 young collection's attributes
  uint64_t gc_count = 0;
  double gc_sum_s = 0;
  std::span<const uint64_t> gc_bucket_counts;  // cumulative, one more than the bounds
  std::span<const double> gc_bounds_s;
  int64_t queue_depth = 0;
  int64_t requests_total = 0;
};

class TelemetryBuffer {
 public:
  TelemetryBuffer() = default;
  TelemetryBuffer(const TelemetryBuffer&) = delete;
  TelemetryBuffer& operator=(const TelemetryBuffer&) = delete;

  std::vector<SimSpan> spans;
  std::vector<SimLogRecord> logs;
  std::vector<SimAttribute> attributes;  // pool for spans and logs

  // Copies `s` into the buffer's arena; the view lives until Clear().
  std::string_view Store(std::string_view s);

  // Attribute appenders; `key` and a string `value` must outlive the buffer's contents (string
  // literals, Fleet strings, or views from Store()).
  void AddString(std::string_view key, std::string_view value) {
    SimAttribute& a = attributes.emplace_back();
    a.key = key;
    a.type = SimAttribute::Type::kString;
    a.string_value = value;
  }
  void AddInt(std::string_view key, int64_t value) {
    SimAttribute& a = attributes.emplace_back();
    a.key = key;
    a.type = SimAttribute::Type::kInt;
    a.int_value = value;
  }
  void AddDouble(std::string_view key, double value) {
    SimAttribute& a = attributes.emplace_back();
    a.key = key;
    a.type = SimAttribute::Type::kDouble;
    a.double_value = value;
  }
  void AddBool(std::string_view key, bool value) {
    SimAttribute& a = attributes.emplace_back();
    a.key = key;
    a.type = SimAttribute::Type::kBool;
    a.int_value = value;
  }

  void Clear();
  // Bytes held by the arena and vectors, for bounding pools.
  size_t MemoryBytes() const;

 private:
  static constexpr size_t kChunkBytes = 16 << 10;

  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> chunk_sizes_;
  size_t chunk_ = 0;  // index of the chunk being filled
  size_t used_ = 0;   // bytes used in it
};

}  // namespace augur::sim
