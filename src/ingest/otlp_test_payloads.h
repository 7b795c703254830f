// Realistic OTLP Export requests built with the generated protobuf classes, for the decoder tests,
// the decoder benchmark and the fuzz seed corpus. Test support only: links libprotobuf, which the
// decoders themselves never use.
#pragma once

#include <cstdint>
#include <string>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace augur::ingest {

// `spans` spans spread over `resources` services of an e-commerce fleet (service.name,
// service.version, host.name, k8s pod, ...), each span with 10 HTTP/RPC attributes, random 16- and
// 8-byte ids, mixed kinds, some errors and events. Deterministic for a given `seed`.
opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest SampleTraceRequest(
    int resources, int spans, uint32_t seed);

// For each of `resources` services, `metrics_per_type` metrics of each of the five types (gauge,
// sum, histogram, exponential histogram, summary), each with `points_per_metric` points carrying
// 3 attributes.
opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest SampleMetricsRequest(
    int resources, int metrics_per_type, int points_per_metric, uint32_t seed);

// `records` log records over `resources` services: a log line body, severity, 5 attributes, and
// trace context on most records.
opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest SampleLogsRequest(
    int resources, int records, uint32_t seed);

// OTLP/JSON of `message`: protobuf's JSON mapping (enum names, 64-bit integers as strings, bytes
// as base64) with trace and span ids rewritten to hex as OTLP requires. lowerCamelCase keys, or
// the proto's snake_case names when `proto_field_names`.
std::string ToOtlpJson(const google::protobuf::Message& message, bool proto_field_names = false);

}  // namespace augur::ingest
