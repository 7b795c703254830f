// Turns generated spans, log records and instance metrics into OTLP Export requests: records are
// grouped by the resource their instance reports at the record's time
// (OtlpResources::ResourceIndexAt) into one ResourceSpans / ResourceLogs / ResourceMetrics (with
// that Resource and the instance's scope) per request, as a Collector's batch processor would send
// them.
//
// Not thread-safe: one builder per thread. The OtlpResources must outlive it; the buffers passed to
// Add need to live only for the call (everything is copied into the request's arena).
#pragma once

#include <cstdint>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/export_payload.h"
#include "sim/otlp_resources.h"
#include "sim/telemetry_buffer.h"

namespace augur::sim {

// A fresh arena sized for a request of a few hundred records.
std::unique_ptr<google::protobuf::Arena> NewRequestArena();

class TraceRequestBuilder {
 public:
  explicit TraceRequestBuilder(const OtlpResources* resources);

  void Add(const TelemetryBuffer& buffer, const SimSpan& span);
  uint64_t size() const { return payload_.items; }
  bool empty() const { return payload_.items == 0; }
  // The request built so far (an ExportTraceServiceRequest); the builder starts a new one.
  ExportPayload Take();

 private:
  void Reset();

  const OtlpResources* resources_;
  ExportPayload payload_;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* request_ = nullptr;
  std::vector<opentelemetry::proto::trace::v1::ScopeSpans*> by_resource_;
  std::vector<uint32_t> touched_;  // resources with an entry in by_resource_
};

class LogRequestBuilder {
 public:
  explicit LogRequestBuilder(const OtlpResources* resources);

  void Add(const TelemetryBuffer& buffer, const SimLogRecord& record);
  uint64_t size() const { return payload_.items; }
  bool empty() const { return payload_.items == 0; }
  // The request built so far (an ExportLogsServiceRequest); the builder starts a new one.
  ExportPayload Take();

 private:
  void Reset();

  const OtlpResources* resources_;
  ExportPayload payload_;
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest* request_ = nullptr;
  std::vector<opentelemetry::proto::logs::v1::ScopeLogs*> by_resource_;
  std::vector<uint32_t> touched_;
};

class MetricRequestBuilder {
 public:
  explicit MetricRequestBuilder(const OtlpResources* resources);

  void Add(const SimInstanceMetrics& metrics);
  uint64_t size() const { return payload_.items; }  // data points
  bool empty() const { return payload_.items == 0; }
  // The request built so far (an ExportMetricsServiceRequest); the builder starts a new one.
  ExportPayload Take();

 private:
  void Reset();

  const OtlpResources* resources_;
  ExportPayload payload_;
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest* request_ = nullptr;
  std::vector<opentelemetry::proto::metrics::v1::ScopeMetrics*> by_resource_;
  std::vector<uint32_t> touched_;
};

}  // namespace augur::sim
