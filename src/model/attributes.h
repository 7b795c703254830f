// Attribute values as OTLP carries them (common.proto AnyValue / KeyValue), held as views into a
// batch's storage.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace augur::model {

enum class ValueType : uint8_t {
  kEmpty,
  kString,
  kBool,
  kInt,
  kDouble,
  kBytes,
  kArray,   // held as JSON text in `str`
  kKvList,  // held as JSON text in `str`
};

struct AnyValue {
  ValueType type = ValueType::kEmpty;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  // kString: the text; kBytes: the raw bytes; kArray/kKvList: compact JSON of the value
  // (arrays as JSON arrays, key-value lists as JSON objects, bytes inside as base64 strings).
  std::string_view str;

  // The value as a label would show it: strings as-is, numbers and bools in JSON form, bytes as
  // base64, arrays and lists as their JSON text, empty as "".
  std::string ToString() const;
};

struct KeyValue {
  std::string_view key;
  AnyValue value;
};

// A contiguous range [begin, begin + count) in a batch's attribute pool.
struct AttributeRange {
  uint32_t begin = 0;
  uint32_t count = 0;
};

// The attributes of `range` in `pool`.
inline std::span<const KeyValue> AttributesOf(std::span<const KeyValue> pool,
                                              AttributeRange range) {
  return pool.subspan(range.begin, range.count);
}

// The value of the first attribute named `key`, or nullptr.
const AnyValue* FindAttribute(std::span<const KeyValue> attributes, std::string_view key);

// The string value of attribute `key`, or "" when absent or not a string.
std::string_view FindStringAttribute(std::span<const KeyValue> attributes, std::string_view key);

}  // namespace augur::model
