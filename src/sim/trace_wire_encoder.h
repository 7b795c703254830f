// Serializes generated spans straight into the protobuf wire format of an
// ExportTraceServiceRequest, without building message objects: the fast path behind
// GenerateTracePayloads. The bytes are exactly those TraceRequestBuilder's message serializes to
// (same grouping by instance, same field order), which a test checks.
//
// Not thread-safe. The OtlpResources must outlive the encoder; buffers passed to Add need to live
// only for the call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/otlp_resources.h"
#include "sim/telemetry_buffer.h"

namespace augur::sim {

class TraceWireEncoder {
 public:
  explicit TraceWireEncoder(const OtlpResources* resources);

  void Add(const TelemetryBuffer& buffer, const SimSpan& span);
  uint64_t size() const { return spans_; }
  // The request so far, serialized; the encoder starts a new one.
  std::string Finish();

 private:
  std::vector<std::string> resource_bytes_;  // per instance: serialized Resource
  std::vector<std::string> scope_bytes_;     // per instance: serialized InstrumentationScope
  std::vector<std::string> spans_bytes_;     // per instance: its encoded `spans` fields so far
  std::vector<uint32_t> order_;              // instances in order of first span
  uint64_t spans_ = 0;
};

}  // namespace augur::sim
