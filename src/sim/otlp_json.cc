#include "sim/otlp_json.h"

#include <optional>
#include <string_view>

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "core/base64.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

void AppendHex(std::string_view bytes, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
}

// Rewrites the base64 values of the id fields as hex. The printer writes `"traceId":"..."` with
// no spaces; the same characters inside a string value would be escaped (\"), so a plain scan
// finds only real fields.
absl::StatusOr<std::string> HexIds(std::string_view json) {
  static constexpr std::string_view kKeys[] = {"\"traceId\":\"", "\"spanId\":\"",
                                               "\"parentSpanId\":\""};
  std::string out;
  out.reserve(json.size() + json.size() / 8);
  size_t i = 0;
  while (i < json.size()) {
    size_t next = std::string_view::npos;
    std::string_view key;
    for (std::string_view k : kKeys) {
      const size_t at = json.find(k, i);
      if (at < next) {
        next = at;
        key = k;
      }
    }
    if (next == std::string_view::npos) {
      out.append(json.substr(i));
      break;
    }
    const size_t value_begin = next + key.size();
    const size_t value_end = json.find('"', value_begin);
    if (value_end == std::string_view::npos) return absl::InternalError("OTLP/JSON: torn id field");
    out.append(json.substr(i, value_begin - i));
    std::optional<std::string> bytes =
        core::Base64Decode(json.substr(value_begin, value_end - value_begin));
    if (!bytes.has_value()) return absl::InternalError("OTLP/JSON: id is not base64");
    AppendHex(*bytes, out);
    i = value_end;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> ToOtlpJson(const google::protobuf::Message& request) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(request, &json, options);
  if (!status.ok()) {
    return absl::InternalError(Cat("OTLP/JSON encoding failed: ", status.ToString()));
  }
  return HexIds(json);
}

}  // namespace augur::sim
