#include "model/attributes.h"

#include <cmath>

#include <fmt/format.h>

#include "core/base64.h"

namespace augur::model {

std::string AnyValue::ToString() const {
  switch (type) {
    case ValueType::kEmpty:
      return "";
    case ValueType::kString:
    case ValueType::kArray:
    case ValueType::kKvList:
      return std::string(str);
    case ValueType::kBool:
      return bool_value ? "true" : "false";
    case ValueType::kInt:
      return fmt::format("{}", int_value);
    case ValueType::kDouble:
      if (std::isnan(double_value)) return "NaN";
      if (std::isinf(double_value)) return double_value > 0 ? "Infinity" : "-Infinity";
      return fmt::format("{}", double_value);
    case ValueType::kBytes:
      return core::Base64Encode(str);
  }
  return "";
}

const AnyValue* FindAttribute(std::span<const KeyValue> attributes, std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

std::string_view FindStringAttribute(std::span<const KeyValue> attributes, std::string_view key) {
  const AnyValue* v = FindAttribute(attributes, key);
  return v != nullptr && v->type == ValueType::kString ? v->str : std::string_view();
}

}  // namespace augur::model
