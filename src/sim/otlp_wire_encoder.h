// Serializes generated spans, log records and instance metrics straight into the protobuf wire
// format of an Export*ServiceRequest, without building message objects: the simulator's fast path
// when nothing needs the request as a message (OTLP/gRPC and OTLP/HTTP protobuf without a
// recording). The bytes are exactly those the request builders' messages serialize to (same
// grouping by the resource an instance reports at the record's time, same field order), which
// tests check.
//
// Not thread-safe: one encoder per thread. The OtlpResources must outlive the encoder; buffers
// passed to Add need to live only for the call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "sim/export_payload.h"
#include "sim/otlp_resources.h"
#include "sim/telemetry_buffer.h"

namespace augur::sim {

// The framing all three requests share (Export*ServiceRequest.resource_* = 1; Resource* has
// resource = 1 and scope_* = 2; Scope* has scope = 1 and its records = 2): records grouped under
// the resource their instance reports at the record's time, in order of each group's first record.
class WireRequestFrame {
 public:
  explicit WireRequestFrame(const OtlpResources* resources);

  // Where to append the encoded records field of a record of `instance` at `t`.
  std::string& Records(uint32_t instance, core::TimeNs t);
  // The request so far, serialized; the frame starts a new one.
  std::string Finish();

 private:
  const OtlpResources* resources_;
  std::vector<std::string> resource_bytes_;  // per resource: serialized Resource
  std::vector<std::string> scope_bytes_;     // per instance: serialized InstrumentationScope
  std::vector<std::string> records_;         // per resource: its encoded records so far
  std::vector<uint32_t> instance_of_;        // per resource: the instance that reports it
  std::vector<uint32_t> order_;              // resources in order of first record
};

class TraceWireEncoder {
 public:
  explicit TraceWireEncoder(const OtlpResources* resources) : frame_(resources) {}

  void Add(const TelemetryBuffer& buffer, const SimSpan& span);
  uint64_t size() const { return spans_; }
  bool empty() const { return spans_ == 0; }
  // The request built so far (bytes of an ExportTraceServiceRequest); the encoder starts a new
  // one.
  ExportPayload Take();

 private:
  WireRequestFrame frame_;
  uint64_t spans_ = 0;
  uint64_t roots_ = 0;
};

class LogWireEncoder {
 public:
  explicit LogWireEncoder(const OtlpResources* resources) : frame_(resources) {}

  void Add(const TelemetryBuffer& buffer, const SimLogRecord& record);
  uint64_t size() const { return records_; }
  bool empty() const { return records_ == 0; }
  // The request built so far (bytes of an ExportLogsServiceRequest); the encoder starts a new one.
  ExportPayload Take();

 private:
  WireRequestFrame frame_;
  uint64_t records_ = 0;
};

class MetricWireEncoder {
 public:
  explicit MetricWireEncoder(const OtlpResources* resources) : frame_(resources) {}

  void Add(const SimInstanceMetrics& metrics);
  uint64_t size() const { return points_; }  // data points
  bool empty() const { return points_ == 0; }
  // The request built so far (bytes of an ExportMetricsServiceRequest); the encoder starts a new
  // one.
  ExportPayload Take();

 private:
  WireRequestFrame frame_;
  uint64_t points_ = 0;
};

}  // namespace augur::sim
