#include "ingest/decode_common.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "core/base64.h"

namespace augur::ingest::internal {

std::string ToString(Where where) {
  if (where.index < 0) return where.field;
  return fmt::format("{}[{}]", where.field, where.index);
}

bool CheckTime(uint64_t t, const char* field, ItemStatus* item) {
  if (t > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    item->Reject("{} {} is out of range", field, t);
    return false;
  }
  return true;
}

void SetServiceIdentity(std::span<const model::KeyValue> attributes, model::Resource* resource) {
  bool have_name = false, have_namespace = false, have_version = false, have_instance = false;
  for (const model::KeyValue& kv : attributes) {
    if (kv.value.type != model::ValueType::kString || kv.key.size() < 12 ||
        kv.key.substr(0, 8) != "service.") {
      continue;
    }
    std::string_view rest = kv.key.substr(8);
    if (rest == "name" && !have_name) {
      have_name = true;
      if (!kv.value.str.empty()) resource->service_name = kv.value.str;
    } else if (rest == "namespace" && !have_namespace) {
      have_namespace = true;
      resource->service_namespace = kv.value.str;
    } else if (rest == "version" && !have_version) {
      have_version = true;
      resource->service_version = kv.value.str;
    } else if (rest == "instance.id" && !have_instance) {
      have_instance = true;
      resource->service_instance_id = kv.value.str;
    }
  }
}

std::string ErrorPath::ToString() const {
  std::string out;
  for (auto it = elements_.rbegin(); it != elements_.rend(); ++it) {
    if (!out.empty() && !it->first.empty()) out += '.';
    out += it->first;
    if (it->second >= 0) fmt::format_to(std::back_inserter(out), "[{}]", it->second);
  }
  return out;
}

void AppendJsonInt(int64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

void AppendJsonDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, end);
  }
}

void AppendJsonBool(bool v, std::string* out) { out->append(v ? "true" : "false"); }

void AppendJsonBytes(std::string_view bytes, std::string* out) {
  out->push_back('"');
  out->append(core::Base64Encode(bytes));
  out->push_back('"');
}

}  // namespace augur::ingest::internal
