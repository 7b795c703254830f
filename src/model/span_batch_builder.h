// Builds SpanBatches in code, copying strings into the batch's storage. For tests and benchmarks
// that need spans without going through a decoder.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "model/span.h"

namespace augur::model {

class SpanBatchBuilder {
 public:
  // Adds a resource for `service` and returns its index.
  uint32_t AddResource(std::string_view service) {
    Resource r;
    r.service_name = batch_.storage.Copy(service);
    batch_.resources.push_back(r);
    return static_cast<uint32_t>(batch_.resources.size() - 1);
  }

  // Adds a string attribute to resource `resource` (added last: its attributes stay contiguous).
  void AddResourceAttribute(uint32_t resource, std::string_view key, std::string_view value) {
    Resource& r = batch_.resources[resource];
    if (r.attributes.count == 0)
      r.attributes.begin = static_cast<uint32_t>(batch_.attributes.size());
    KeyValue kv;
    kv.key = batch_.storage.Copy(key);
    kv.value.type = ValueType::kString;
    kv.value.str = batch_.storage.Copy(value);
    batch_.attributes.push_back(kv);
    ++r.attributes.count;
  }

  // Adds a span; `attributes` are string-valued.
  Span& AddSpan(uint32_t resource, std::string_view name, SpanKind kind, TraceId trace, SpanId id,
                SpanId parent, core::TimeNs start_ns, core::TimeNs end_ns,
                StatusCode status = StatusCode::kUnset,
                const std::vector<std::pair<std::string_view, std::string_view>>& attributes = {}) {
    Span s;
    s.trace_id = trace;
    s.span_id = id;
    s.parent_span_id = parent;
    s.kind = kind;
    s.status_code = status;
    s.resource_index = resource;
    s.start_time_ns = start_ns;
    s.end_time_ns = end_ns;
    s.name = batch_.storage.Copy(name);
    s.attributes.begin = static_cast<uint32_t>(batch_.attributes.size());
    for (const auto& [k, v] : attributes) {
      KeyValue kv;
      kv.key = batch_.storage.Copy(k);
      kv.value.type = ValueType::kString;
      kv.value.str = batch_.storage.Copy(v);
      batch_.attributes.push_back(kv);
    }
    s.attributes.count = static_cast<uint32_t>(attributes.size());
    batch_.spans.push_back(s);
    return batch_.spans.back();
  }

  SpanBatch& batch() { return batch_; }
  SpanBatch Take() { return std::move(batch_); }

  // All span indices, for consumers that take a subset.
  std::vector<uint32_t> AllIndices() const {
    std::vector<uint32_t> out(batch_.spans.size());
    for (uint32_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
  }

 private:
  SpanBatch batch_;
};

inline TraceId MakeTraceId(uint64_t n) {
  TraceId id{};
  for (int i = 0; i < 8; ++i) id[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  id[0] = 1;
  return id;
}

inline SpanId MakeSpanId(uint64_t n) {
  SpanId id{};
  for (int i = 0; i < 8; ++i) id[7 - i] = static_cast<uint8_t>(n >> (8 * i));
  return id;
}

}  // namespace augur::model
