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
#include <memory>
#include <utility>
#include <vector>

#include "core/time.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sim/export_payload.h"
#include "sim/otlp_resources.h"
#include "sim/telemetry_buffer.h"

namespace augur::sim {

// A fresh arena sized for a request of a few hundred records.
std::unique_ptr<google::protobuf::Arena> NewRequestArena();

// What the three builders share: the request on its own arena and, per resource, the scope entry
// its records go under, made on first use with that resource and the instance's scope.
template <typename Request, typename Scope>
class GroupedRequest {
 public:
  GroupedRequest(const OtlpResources* resources, Signal signal)
      : resources_(resources), signal_(signal), by_resource_(resources->resource_count(), nullptr) {
    Reset();
  }

  // The scope entry for a record of `instance` at `t` (a process's records carry the identity it
  // had at their time). `add_group(request)` adds the request's next Resource* group and returns
  // its resource and its new scope entry.
  template <typename AddGroup>
  Scope* ScopeFor(uint32_t instance, core::TimeNs t, AddGroup add_group) {
    const int resource = resources_->ResourceIndexAt(static_cast<int>(instance), t);
    Scope*& scope = by_resource_[resource];
    if (scope == nullptr) {
      auto [group_resource, group_scope] = add_group(request_);
      *group_resource = resources_->resource(resource);
      *group_scope->mutable_scope() = resources_->scope(static_cast<int>(instance));
      scope = group_scope;
      touched_.push_back(resource);
    }
    return scope;
  }
  ExportPayload& payload() { return payload_; }
  const ExportPayload& payload() const { return payload_; }
  // The request built so far; a new one starts.
  ExportPayload Take() {
    ExportPayload out = std::move(payload_);
    Reset();
    return out;
  }

 private:
  void Reset() {
    for (uint32_t i : touched_) by_resource_[i] = nullptr;
    touched_.clear();
    payload_ = ExportPayload{};
    payload_.signal = signal_;
    payload_.arena = NewRequestArena();
    request_ = google::protobuf::Arena::CreateMessage<Request>(payload_.arena.get());
    payload_.message = request_;
  }

  const OtlpResources* resources_;
  Signal signal_;
  ExportPayload payload_;
  Request* request_ = nullptr;
  std::vector<Scope*> by_resource_;
  std::vector<uint32_t> touched_;  // resources with an entry in by_resource_
};

class TraceRequestBuilder {
 public:
  explicit TraceRequestBuilder(const OtlpResources* resources)
      : request_(resources, Signal::kTraces) {}

  void Add(const TelemetryBuffer& buffer, const SimSpan& span);
  uint64_t size() const { return request_.payload().items; }
  bool empty() const { return size() == 0; }
  // The request built so far (an ExportTraceServiceRequest); the builder starts a new one.
  ExportPayload Take() { return request_.Take(); }

 private:
  GroupedRequest<opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest,
                 opentelemetry::proto::trace::v1::ScopeSpans>
      request_;
};

class LogRequestBuilder {
 public:
  explicit LogRequestBuilder(const OtlpResources* resources) : request_(resources, Signal::kLogs) {}

  void Add(const TelemetryBuffer& buffer, const SimLogRecord& record);
  uint64_t size() const { return request_.payload().items; }
  bool empty() const { return size() == 0; }
  // The request built so far (an ExportLogsServiceRequest); the builder starts a new one.
  ExportPayload Take() { return request_.Take(); }

 private:
  GroupedRequest<opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest,
                 opentelemetry::proto::logs::v1::ScopeLogs>
      request_;
};

class MetricRequestBuilder {
 public:
  explicit MetricRequestBuilder(const OtlpResources* resources)
      : request_(resources, Signal::kMetrics) {}

  void Add(const SimInstanceMetrics& metrics);
  uint64_t size() const { return request_.payload().items; }  // data points
  bool empty() const { return size() == 0; }
  // The request built so far (an ExportMetricsServiceRequest); the builder starts a new one.
  ExportPayload Take() { return request_.Take(); }

 private:
  GroupedRequest<opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest,
                 opentelemetry::proto::metrics::v1::ScopeMetrics>
      request_;
};

}  // namespace augur::sim
