// Decoders of Loki push requests (POST /loki/api/v1/push, as Promtail, Grafana Agent and Alloy
// send them) into log batches, the boundary between untrusted bytes and the pipeline like the
// OTLP decoders (otlp_decoder.h): they never throw, never crash on input, and bound everything
// by DecodeLimits.
//
//  - DecodeLokiPushProto: a logproto.PushRequest (proto/loki/push.proto) — the bytes after the
//    snappy block decompression the receiver does;
//  - DecodeLokiPushJson: {"streams": [{"stream": {"label": "value", ...},
//                                      "values": [["<unix ns>", "line", {metadata}?], ...]}]}.
//
// Each stream becomes one model::Resource whose attributes are its labels; its service is the
// first non-empty label of service_name, service, app, job (else unknown_service). Each entry
// becomes a model::LogRecord: its time, its line as a string body, its structured metadata as
// attributes. Severity comes from the metadata, else the labels: level, severity, detected_level
// (model::SeverityFromText; severity_text keeps the value). A trace_id / span_id (or traceID,
// traceId, spanID, spanId) of 32 / 16 hex digits in the metadata becomes the record's ids.
//
// Failures: a malformed request (bad protobuf, invalid JSON, a label string that is not
// `{name="value", ...}`, a stream without labels — Loki refuses those too —, a timestamp that is
// not a Unix nanosecond integer or out of range) returns InvalidArgument naming the problem and
// where ("streams[0].labels: ..."); more than
// `max_items` entries returns ResourceExhausted. Lines are cut to max_attribute_value_bytes and
// labels beyond max_attributes_per_item dropped, both counted as truncations; bytes that are not
// UTF-8 in lines, labels and metadata become U+FFFD (Loki keeps such lines; so does Augur).
//
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ingest/otlp_decoder.h"
#include "model/log_record.h"

namespace augur::ingest {

absl::Status DecodeLokiPushProto(std::string_view bytes, const DecodeLimits& limits,
                                 model::LogBatch* batch, DecodeResult* result);
absl::Status DecodeLokiPushJson(std::string_view json, const DecodeLimits& limits,
                                model::LogBatch* batch, DecodeResult* result);

// Parses a Loki stream selector of equality matchers, `{name="value", ...}` (values quoted and
// escaped as Go strings: \" \\ \n \t \r \uXXXX), as a PushRequest's labels string holds it.
absl::Status ParseLokiLabels(std::string_view text,
                             std::vector<std::pair<std::string, std::string>>* labels);

}  // namespace augur::ingest
