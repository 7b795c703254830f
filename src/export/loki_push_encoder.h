// Encodes mined log records as a Loki push request (logproto.PushRequest, proto/loki/push.proto),
// the protobuf before snappy compression. One stream per (service, severity, template id) in the
// order streams first appear, with the labels
//   {service_name="cart", severity="ERROR", template="12"}
// and its entries in time order (stable), each with the record's body as the line and its
// trace_id / span_id (hex) as structured metadata when present. Fields at their defaults are
// omitted, as protobuf serialisers do, so the bytes equal libprotobuf's for the same message.
#pragma once

#include <span>
#include <string>

#include "model/mined_log.h"

namespace augur::exporter {

std::string EncodeLokiPush(std::span<const model::MinedLogRecord* const> records);

// `{name="value", ...}` with values escaped as Loki parses them (\\, \", \n).
std::string LokiLabelString(std::span<const std::pair<std::string_view, std::string_view>> labels);

}  // namespace augur::exporter
