// Decoders of OTLP Export requests (protobuf wire format and OTLP/JSON) into model batches.
//
// They are the boundary between untrusted bytes and the pipeline: they never throw, never crash on
// input, and bound everything by DecodeLimits. Two kinds of failure:
//  - The request as a whole cannot be decoded (truncated or malformed protobuf, invalid JSON, a
//    field of the wrong type): the function returns InvalidArgument with a message that names the
//    problem and where it is, e.g. "malformed protobuf: length 912 exceeds remaining 40 bytes at
//    offset 1204 (resource_spans[0].scope_spans[0].spans[3].attributes[2])". The batch must be
//    discarded.
//  - Individual items are invalid (a trace_id that is not 16 bytes, an all-zero span_id, invalid
//    UTF-8 in a string, end before start, a zero timestamp, nesting deeper than allowed, more
//    items than allowed): those items are left out of the batch and counted in
//    DecodeResult::rejected, with the first reason in DecodeResult::first_error; the rest is
//    decoded (OTLP partial success).
// Over-long attribute lists and values are truncated, not rejected, and counted.
//
// Strings in the batch are views: for protobuf into `bytes`, which the caller must keep alive as
// long as the batch (normally by batch->storage.Retain(body) before or after decoding); for JSON
// into the parsed document, which the decoder retains in batch->storage itself.
//
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "model/log_record.h"
#include "model/metric.h"
#include "model/span.h"

namespace augur::ingest {

struct DecodeLimits {
  uint32_t max_items = 100'000;               // spans, data points or log records per request
  uint32_t max_attributes_per_item = 128;     // per span, data point, log record, resource
  uint32_t max_attribute_value_bytes = 4096;  // string and bytes values, log bodies included
  uint32_t max_nesting_depth = 16;            // of AnyValue arrays and key-value lists
};

struct DecodeResult {
  uint64_t accepted = 0;              // items now in the batch
  uint64_t rejected = 0;              // items left out as invalid
  std::string first_error;            // the first rejected item and why; "" if none
  uint64_t truncated_attributes = 0;  // attributes dropped beyond max_attributes_per_item
  uint64_t truncated_values = 0;      // values cut to max_attribute_value_bytes
};

// ExportTraceServiceRequest (equivalently TracesData).
absl::Status DecodeTracesProto(std::string_view bytes, const DecodeLimits& limits,
                               model::SpanBatch* batch, DecodeResult* result);
// ExportMetricsServiceRequest (equivalently MetricsData).
absl::Status DecodeMetricsProto(std::string_view bytes, const DecodeLimits& limits,
                                model::MetricBatch* batch, DecodeResult* result);
// ExportLogsServiceRequest (equivalently LogsData).
absl::Status DecodeLogsProto(std::string_view bytes, const DecodeLimits& limits,
                             model::LogBatch* batch, DecodeResult* result);

// OTLP/JSON (the protobuf JSON mapping with OTLP's deviations: hex trace and span ids, integer
// enums). Also accepted, as the OpenTelemetry Collector does: snake_case keys, enum names, 64-bit
// integers as strings or numbers.
absl::Status DecodeTracesJson(std::string_view json, const DecodeLimits& limits,
                              model::SpanBatch* batch, DecodeResult* result);
absl::Status DecodeMetricsJson(std::string_view json, const DecodeLimits& limits,
                               model::MetricBatch* batch, DecodeResult* result);
absl::Status DecodeLogsJson(std::string_view json, const DecodeLimits& limits,
                            model::LogBatch* batch, DecodeResult* result);

}  // namespace augur::ingest
