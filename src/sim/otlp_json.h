// OTLP/JSON encoding of an Export request: the protobuf JSON mapping (lowerCamelCase field names)
// with OTLP's deviations: trace and span ids as lowercase hex rather than base64, and enums as
// integers. 64-bit integers are written as JSON strings, which OTLP/JSON receivers accept. And the
// way back, for replaying recorded requests.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace augur::sim {

// Export*ServiceRequests are written field by field (fast); other messages through protobuf's
// JSON printer.
absl::StatusOr<std::string> ToOtlpJson(const google::protobuf::Message& request);
// The same through protobuf's generic JSON printer, for any message (about ten times slower).
absl::StatusOr<std::string> ToOtlpJsonByReflection(const google::protobuf::Message& request);

// Parses OTLP/JSON into `request` (an Export*ServiceRequest): hex ids, integer or named enums,
// unknown fields ignored (as the OTLP specification asks of receivers). Fails with InvalidArgument
// naming the problem.
absl::Status FromOtlpJson(std::string_view json, google::protobuf::Message* request);

}  // namespace augur::sim
