#include "export/json_text.h"

#include "core/json_text.h"
#include "core/utf8.h"

namespace augur::exporter {

void AppendJsonString(std::string_view s, std::string* out) {
  if (core::IsValidUtf8(s)) {
    core::AppendJsonString(s, out);
  } else {
    core::AppendJsonString(core::SanitizeUtf8(s), out);
  }
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
