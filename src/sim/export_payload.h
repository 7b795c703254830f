// One OTLP Export request ready to send: the message (an ExportTraceServiceRequest,
// ExportMetricsServiceRequest or ExportLogsServiceRequest) on its own arena, with the counts the
// simulator reports once the receiver accepts it. Move-only; owned by whoever is sending it.
#pragma once

#include <cstdint>
#include <memory>

#include <google/protobuf/arena.h>
#include <google/protobuf/message.h>

namespace augur::sim {

enum class Signal : uint8_t { kTraces, kMetrics, kLogs };

struct ExportPayload {
  Signal signal = Signal::kTraces;
  std::unique_ptr<google::protobuf::Arena> arena;
  google::protobuf::Message* message = nullptr;  // allocated on `arena`
  uint64_t items = 0;                            // spans, metric data points or log records
  uint64_t roots = 0;                            // root spans (traces) among the spans
};

}  // namespace augur::sim
