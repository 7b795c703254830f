// One OTLP Export request ready to send: the message (an ExportTraceServiceRequest,
// ExportMetricsServiceRequest or ExportLogsServiceRequest) on its own arena, or the request
// already serialized (the wire encoders' fast path), with the counts the simulator reports once
// the receiver accepts it. Move-only; owned by whoever is sending it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <google/protobuf/arena.h>
#include <google/protobuf/message.h>

namespace augur::sim {

enum class Signal : uint8_t { kTraces, kMetrics, kLogs };

// How a request is made: protobuf messages (which OTLP/JSON and recordings need), or written
// straight to the protobuf wire format (otlp_wire_encoder.h).
enum class RequestEncoding : uint8_t { kMessages, kWire };

struct ExportPayload {
  Signal signal = Signal::kTraces;
  std::unique_ptr<google::protobuf::Arena> arena;
  google::protobuf::Message* message = nullptr;  // allocated on `arena`; null when `bytes` is set
  std::string bytes;                             // the request serialized, when no message
  uint64_t items = 0;                            // spans, metric data points or log records
  uint64_t roots = 0;                            // root spans (traces) among the spans
};

}  // namespace augur::sim
