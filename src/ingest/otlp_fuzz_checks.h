// What the OTLP decoder fuzz targets check on every input that decodes: the batch holds exactly
// the accepted items, every index and range is in bounds, every limit holds, every kept item passed
// validation, and every view can be read (so the sanitizers catch views into freed memory).
// A violation traps, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/utf8.h"
#include "ingest/otlp_decoder.h"

namespace augur::ingest::fuzz {

inline void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Limits small enough that fuzzed inputs reach every truncation and rejection path.
inline DecodeLimits SmallLimits() {
  DecodeLimits limits;
  limits.max_items = 5;
  limits.max_attributes_per_item = 3;
  limits.max_attribute_value_bytes = 8;
  limits.max_nesting_depth = 2;
  return limits;
}

// Reads every byte of `s`; the result feeds a volatile sink so it cannot be optimized away.
inline void Touch(std::string_view s) {
  unsigned sum = 0;
  for (char c : s) sum += static_cast<unsigned char>(c);
  static volatile unsigned sink;
  sink = sum;
}

inline void CheckString(std::string_view s) {
  Touch(s);
  Check(core::IsValidUtf8(s));
}

inline void CheckValue(const model::AnyValue& v, const DecodeLimits& limits) {
  Touch(v.str);
  switch (v.type) {
    case model::ValueType::kString:
      Check(v.str.size() <= limits.max_attribute_value_bytes);
      Check(core::IsValidUtf8(v.str));
      break;
    case model::ValueType::kBytes:
      Check(v.str.size() <= limits.max_attribute_value_bytes);
      break;
    case model::ValueType::kArray:
    case model::ValueType::kKvList:
      Check(!v.str.empty());
      Check(core::IsValidUtf8(v.str));
      break;
    default:
      break;
  }
}

template <typename Batch>
void CheckAttributes(const Batch& batch, model::AttributeRange range, const DecodeLimits& limits) {
  Check(uint64_t{range.begin} + range.count <= batch.attributes.size());
  Check(range.count <= limits.max_attributes_per_item);
  for (const model::KeyValue& kv : batch.AttributesOf(range)) {
    CheckString(kv.key);
    CheckValue(kv.value, limits);
  }
}

template <typename Batch>
void CheckResources(const Batch& batch, const DecodeLimits& limits) {
  for (const model::Resource& r : batch.resources) {
    CheckAttributes(batch, r.attributes, limits);
    Check(!r.service_name.empty());
    Touch(r.service_namespace);
    Touch(r.service_version);
    Touch(r.service_instance_id);
  }
}

inline void CheckResult(const DecodeResult& result, size_t items, const DecodeLimits& limits) {
  Check(result.accepted == items);
  Check(result.accepted <= limits.max_items);
  Check((result.rejected == 0) == result.first_error.empty());
}

inline void CheckSpans(const model::SpanBatch& batch, const DecodeResult& result,
                       const DecodeLimits& limits) {
  CheckResult(result, batch.spans.size(), limits);
  CheckResources(batch, limits);
  for (const model::Span& s : batch.spans) {
    Check(s.resource_index < batch.resources.size());
    Check(!model::IsZeroId(s.trace_id));
    Check(!model::IsZeroId(s.span_id));
    Check(s.start_time_ns > 0 && s.end_time_ns >= s.start_time_ns);
    Check(static_cast<uint8_t>(s.kind) < model::kSpanKindCount);
    Check(static_cast<uint8_t>(s.status_code) < model::kStatusCodeCount);
    CheckString(s.name);
    CheckString(s.status_message);
    CheckAttributes(batch, s.attributes, limits);
  }
}

inline void CheckRange(model::PoolRange range, size_t pool_size) {
  Check(uint64_t{range.begin} + range.count <= pool_size);
}

inline void CheckMetrics(const model::MetricBatch& batch, const DecodeResult& result,
                         const DecodeLimits& limits) {
  CheckResult(result, batch.points.size(), limits);
  CheckResources(batch, limits);
  uint64_t points = 0;
  for (const model::Metric& m : batch.metrics) {
    Check(m.resource_index < batch.resources.size());
    Check(!m.name.empty());
    CheckString(m.name);
    CheckString(m.description);
    CheckString(m.unit);
    Check(m.points.count > 0);
    CheckRange(m.points, batch.points.size());
    points += m.points.count;
  }
  Check(points == batch.points.size());
  for (size_t i = 0; i < batch.points.size(); ++i) {
    const model::MetricPoint& p = batch.points[i];
    Check(p.metric_index < batch.metrics.size());
    const model::Metric& m = batch.metrics[p.metric_index];
    Check(i >= m.points.begin && i < m.points.begin + m.points.count);
    Check(p.time_ns > 0 && p.start_time_ns >= 0);
    CheckAttributes(batch, p.attributes, limits);
    CheckRange(p.bucket_counts, batch.bucket_counts.size());
    CheckRange(p.explicit_bounds, batch.explicit_bounds.size());
    CheckRange(p.positive_counts, batch.bucket_counts.size());
    CheckRange(p.negative_counts, batch.bucket_counts.size());
    CheckRange(p.quantiles, batch.quantiles.size());
    if (m.type == model::MetricType::kHistogram) {
      Check(p.bucket_counts.count == 0 || p.bucket_counts.count == p.explicit_bounds.count + 1);
      for (uint32_t k = 1; k < p.explicit_bounds.count; ++k) {
        Check(batch.explicit_bounds[p.explicit_bounds.begin + k - 1] <
              batch.explicit_bounds[p.explicit_bounds.begin + k]);
      }
    }
  }
}

inline void CheckLogs(const model::LogBatch& batch, const DecodeResult& result,
                      const DecodeLimits& limits) {
  CheckResult(result, batch.records.size(), limits);
  CheckResources(batch, limits);
  for (const model::LogRecord& r : batch.records) {
    Check(r.resource_index < batch.resources.size());
    Check(r.time_ns >= 0 && r.observed_time_ns >= 0);
    Check(r.severity_number <= 24);
    CheckString(r.severity_text);
    CheckString(r.event_name);
    CheckValue(r.body, limits);
    CheckAttributes(batch, r.attributes, limits);
  }
}

// Runs `decode` over `data` with the default and the small limits and checks what it produced.
template <typename Batch, typename DecodeFn, typename CheckFn>
void DecodeAndCheck(const uint8_t* data, size_t size, DecodeFn decode, CheckFn check) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const DecodeLimits& limits : {DecodeLimits(), SmallLimits()}) {
    Batch batch;
    DecodeResult result;
    absl::Status status = decode(bytes, limits, &batch, &result);
    if (status.ok()) {
      check(batch, result, limits);
    } else {
      Check(status.code() == absl::StatusCode::kInvalidArgument);
      Check(!status.message().empty());
    }
  }
}

}  // namespace augur::ingest::fuzz
