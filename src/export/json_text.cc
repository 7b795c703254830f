#include "export/json_text.h"

#include "core/utf8.h"

namespace augur::exporter {
namespace {

void AppendEscaped(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  if (core::IsValidUtf8(s)) {
    AppendEscaped(s, out);
  } else {
    AppendEscaped(core::SanitizeUtf8(s), out);
  }
  out->push_back('"');
}

void AppendJsonAttributes(std::span<const model::MinedLogAttribute> attributes, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const model::MinedLogAttribute& a : attributes) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(a.key, out);
    out->push_back(':');
    if (a.json && !a.value.empty()) {
      out->append(a.value);
    } else {
      AppendJsonString(a.value, out);
    }
  }
  out->push_back('}');
}

std::string JsonAttributesText(std::span<const model::MinedLogAttribute> attributes) {
  std::string object;
  AppendJsonAttributes(attributes, &object);
  std::string out;
  out.reserve(object.size() + 8);
  AppendJsonString(object, &out);
  return out;
}

}  // namespace augur::exporter
