// Spans (OTLP trace.proto) decoded into flat, view-based records.
//
// A SpanBatch is what one Export request carried. Its spans, resources and attributes live in flat
// vectors; strings are views into `storage`. Build it on one thread, then share it read-only
// (std::shared_ptr<const SpanBatch>) with the shards that process its spans.
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

// Values match OTLP's Span.SpanKind.
enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
inline constexpr int kSpanKindCount = 6;

// Values match OTLP's Status.StatusCode.
enum class StatusCode : uint8_t {
  kUnset = 0,
  kOk = 1,
  kError = 2,
};
inline constexpr int kStatusCodeCount = 3;

// "SPAN_KIND_SERVER", ...: the label values of the spanmetrics connector.
std::string_view SpanKindName(SpanKind kind);
// "STATUS_CODE_ERROR", ...
std::string_view StatusCodeName(StatusCode code);

struct Span {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero for a root span
  SpanKind kind = SpanKind::kUnspecified;
  StatusCode status_code = StatusCode::kUnset;
  uint32_t resource_index = 0;  // into SpanBatch::resources
  uint32_t flags = 0;
  core::TimeNs start_time_ns = 0;
  core::TimeNs end_time_ns = 0;
  std::string_view name;
  std::string_view status_message;
  AttributeRange attributes;  // in SpanBatch::attributes
  uint32_t event_count = 0;   // events are counted, not kept
  uint32_t link_count = 0;    // links are counted, not kept

  bool IsRoot() const { return IsZeroId(parent_span_id); }
  core::TimeNs DurationNs() const { return end_time_ns - start_time_ns; }
};

struct SpanBatch {
  std::vector<Resource> resources;
  std::vector<Span> spans;
  std::vector<KeyValue> attributes;  // pool for resources and spans
  BatchStorage storage;

  std::span<const KeyValue> AttributesOf(AttributeRange range) const {
    return model::AttributesOf(attributes, range);
  }
  const Resource& ResourceOf(const Span& span) const { return resources[span.resource_index]; }
};

}  // namespace augur::model
