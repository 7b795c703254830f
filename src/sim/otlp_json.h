// OTLP/JSON encoding of an Export request: the protobuf JSON mapping (lowerCamelCase field names)
// with OTLP's deviations: trace and span ids as lowercase hex rather than base64, and enums as
// integers. 64-bit integers are written as JSON strings, which OTLP/JSON receivers accept.
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"

namespace augur::sim {

absl::StatusOr<std::string> ToOtlpJson(const google::protobuf::Message& request);

}  // namespace augur::sim
