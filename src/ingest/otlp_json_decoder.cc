// OTLP/JSON decoding into model batches (see otlp_decoder.h for the contract), on simdjson's DOM.
//
// OTLP/JSON is the protobuf JSON mapping with lowerCamelCase keys, hex trace and span ids and
// integer enums (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding). Accepted as
// well, as the OpenTelemetry Collector does: the proto's snake_case keys, enum names, 64-bit
// integers as strings or numbers, doubles as "NaN"/"Infinity"/"-Infinity". null means absent and
// unknown keys are ignored. The parsed document is retained in the batch's storage, so strings are
// views into it; decoded bytes values and the JSON text of nested values are adopted there.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "absl/strings/numbers.h"
#include "core/base64.h"
#include "core/json_text.h"
#include "ingest/decode_common.h"
#include "ingest/otlp_decoder.h"

namespace augur::ingest {
namespace {

using internal::CheckTime;
using internal::CountRejected;
using internal::ItemStatus;
using internal::Where;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// True when `key` is the field's lowerCamelCase or snake_case name.
bool Is(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}
bool Is(std::string_view key, std::string_view name) { return key == name; }

std::string_view TypeName(element e) {
  switch (e.type()) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

struct EnumName {
  std::string_view name;
  int32_t value;
};

constexpr EnumName kSpanKindNames[] = {
    {"SPAN_KIND_UNSPECIFIED", 0}, {"SPAN_KIND_INTERNAL", 1}, {"SPAN_KIND_SERVER", 2},
    {"SPAN_KIND_CLIENT", 3},      {"SPAN_KIND_PRODUCER", 4}, {"SPAN_KIND_CONSUMER", 5},
};
constexpr EnumName kStatusCodeNames[] = {
    {"STATUS_CODE_UNSET", 0},
    {"STATUS_CODE_OK", 1},
    {"STATUS_CODE_ERROR", 2},
};
constexpr EnumName kTemporalityNames[] = {
    {"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0},
    {"AGGREGATION_TEMPORALITY_DELTA", 1},
    {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2},
};
constexpr EnumName kSeverityNames[] = {
    {"SEVERITY_NUMBER_UNSPECIFIED", 0}, {"SEVERITY_NUMBER_TRACE", 1},
    {"SEVERITY_NUMBER_TRACE2", 2},      {"SEVERITY_NUMBER_TRACE3", 3},
    {"SEVERITY_NUMBER_TRACE4", 4},      {"SEVERITY_NUMBER_DEBUG", 5},
    {"SEVERITY_NUMBER_DEBUG2", 6},      {"SEVERITY_NUMBER_DEBUG3", 7},
    {"SEVERITY_NUMBER_DEBUG4", 8},      {"SEVERITY_NUMBER_INFO", 9},
    {"SEVERITY_NUMBER_INFO2", 10},      {"SEVERITY_NUMBER_INFO3", 11},
    {"SEVERITY_NUMBER_INFO4", 12},      {"SEVERITY_NUMBER_WARN", 13},
    {"SEVERITY_NUMBER_WARN2", 14},      {"SEVERITY_NUMBER_WARN3", 15},
    {"SEVERITY_NUMBER_WARN4", 16},      {"SEVERITY_NUMBER_ERROR", 17},
    {"SEVERITY_NUMBER_ERROR2", 18},     {"SEVERITY_NUMBER_ERROR3", 19},
    {"SEVERITY_NUMBER_ERROR4", 20},     {"SEVERITY_NUMBER_FATAL", 21},
    {"SEVERITY_NUMBER_FATAL2", 22},     {"SEVERITY_NUMBER_FATAL3", 23},
    {"SEVERITY_NUMBER_FATAL4", 24},
};

// Grows a vector geometrically to hold `more` elements.
template <typename T>
void ReserveMore(std::vector<T>* v, size_t more) {
  const size_t want = v->size() + more;
  if (want > v->capacity()) v->reserve(std::max(want, 2 * v->capacity()));
}

// A hex id of N bytes; "" means absent (left all zero). Returns false after rejecting the item.
template <size_t N>
bool ParseHexId(std::string_view hex, const char* field, std::array<uint8_t, N>* id,
                ItemStatus* item) {
  if (hex.empty()) return true;
  if (hex.size() != 2 * N) {
    item->Reject("{} is {} hex digits, want {}", field, hex.size(), 2 * N);
    return false;
  }
  if (!model::IdFromHex(hex, id)) {
    item->Reject("{} is not hex", field);
    return false;
  }
  return true;
}

class JsonDecoder {
 public:
  JsonDecoder(const DecodeLimits& limits, DecodeResult* result, std::vector<model::KeyValue>* pool,
              model::BatchStorage* storage)
      : limits_(limits),
        max_depth_(internal::EffectiveMaxDepth(limits)),
        result_(result),
        pool_(pool),
        storage_(storage) {}

  // InvalidArgument "invalid OTLP/JSON at <path>: <what>".
  absl::Status Error() const {
    if (path_.empty()) return absl::InvalidArgumentError("invalid OTLP/JSON: " + message_);
    return absl::InvalidArgumentError(
        fmt::format("invalid OTLP/JSON at {}: {}", path_.ToString(), message_));
  }

 protected:
  bool Fail(std::string message) {
    if (message_.empty()) message_ = std::move(message);
    return false;
  }
  bool WrongType(element e, std::string_view expected) {
    return Fail(fmt::format("expected {}, got {}", expected, TypeName(e)));
  }
  bool Unwind(std::string_view field, int64_t index = -1) {
    path_.Push(field, index);
    return false;
  }

  bool GetObject(element e, object* out) {
    return e.get_object().get(*out) == simdjson::SUCCESS || WrongType(e, "object");
  }
  bool GetArray(element e, array* out) {
    return e.get_array().get(*out) == simdjson::SUCCESS || WrongType(e, "array");
  }
  bool GetString(element e, std::string_view* out) {
    return e.get_string().get(*out) == simdjson::SUCCESS || WrongType(e, "string");
  }
  bool GetBool(element e, bool* out) {
    return e.get_bool().get(*out) == simdjson::SUCCESS || WrongType(e, "boolean");
  }

  // An unsigned 64-bit integer: a number or a decimal string.
  bool GetUint64(element e, uint64_t* out) {
    constexpr std::string_view kExpected = "unsigned integer (number or decimal string)";
    switch (e.type()) {
      case element_type::UINT64:
        return e.get_uint64().get(*out) == simdjson::SUCCESS || WrongType(e, kExpected);
      case element_type::INT64: {
        int64_t v = 0;
        if (e.get_int64().get(v) != simdjson::SUCCESS || v < 0) return WrongType(e, kExpected);
        *out = static_cast<uint64_t>(v);
        return true;
      }
      case element_type::DOUBLE: {
        double d = 0;
        if (e.get_double().get(d) != simdjson::SUCCESS) return WrongType(e, kExpected);
        if (!(d >= 0 && d < 18446744073709551616.0) || std::floor(d) != d) {
          return Fail(fmt::format("expected {}, got {}", kExpected, d));
        }
        *out = static_cast<uint64_t>(d);
        return true;
      }
      case element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s) != simdjson::SUCCESS) return WrongType(e, kExpected);
        if (!absl::SimpleAtoi(absl::string_view(s.data(), s.size()), out) || s.empty() ||
            s[0] == '-' || s[0] == '+') {
          return Fail(fmt::format("expected {}, got \"{}\"", kExpected, Clip(s)));
        }
        return true;
      }
      default:
        return WrongType(e, kExpected);
    }
  }

  // A signed 64-bit integer: a number or a decimal string.
  bool GetInt64(element e, int64_t* out) {
    constexpr std::string_view kExpected = "integer (number or decimal string)";
    switch (e.type()) {
      case element_type::INT64:
        return e.get_int64().get(*out) == simdjson::SUCCESS || WrongType(e, kExpected);
      case element_type::UINT64:
        return Fail(fmt::format("expected {}, got a number beyond int64", kExpected));
      case element_type::DOUBLE: {
        double d = 0;
        if (e.get_double().get(d) != simdjson::SUCCESS) return WrongType(e, kExpected);
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::floor(d) != d) {
          return Fail(fmt::format("expected {}, got {}", kExpected, d));
        }
        *out = static_cast<int64_t>(d);
        return true;
      }
      case element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s) != simdjson::SUCCESS) return WrongType(e, kExpected);
        if (s.empty() || s[0] == '+' ||
            !absl::SimpleAtoi(absl::string_view(s.data(), s.size()), out)) {
          return Fail(fmt::format("expected {}, got \"{}\"", kExpected, Clip(s)));
        }
        return true;
      }
      default:
        return WrongType(e, kExpected);
    }
  }

  bool GetUint32(element e, uint32_t* out) {
    uint64_t v;
    if (!GetUint64(e, &v)) return false;
    if (v > std::numeric_limits<uint32_t>::max()) {
      return Fail(fmt::format("{} is out of range for uint32", v));
    }
    *out = static_cast<uint32_t>(v);
    return true;
  }

  bool GetInt32(element e, int32_t* out) {
    int64_t v;
    if (!GetInt64(e, &v)) return false;
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return Fail(fmt::format("{} is out of range for int32", v));
    }
    *out = static_cast<int32_t>(v);
    return true;
  }

  // A double: a number, or a string holding a number, "NaN", "Infinity" or "-Infinity".
  bool GetDouble(element e, double* out) {
    constexpr std::string_view kExpected = "number (or \"NaN\", \"Infinity\", \"-Infinity\")";
    if (e.get_double().get(*out) == simdjson::SUCCESS) return true;
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return WrongType(e, kExpected);
    if (s == "NaN") {
      *out = std::numeric_limits<double>::quiet_NaN();
    } else if (s == "Infinity") {
      *out = std::numeric_limits<double>::infinity();
    } else if (s == "-Infinity") {
      *out = -std::numeric_limits<double>::infinity();
    } else if (s.empty() || !absl::SimpleAtod(absl::string_view(s.data(), s.size()), out) ||
               std::isnan(*out) || std::isinf(*out)) {
      // SimpleAtod also takes "nan" and "inf"; the JSON mapping spells them as above.
      return Fail(fmt::format("expected {}, got \"{}\"", kExpected, Clip(s)));
    }
    return true;
  }

  // An enum: its number, or its name from `names`. Numbers outside the known range are returned
  // as they are (open enums); the caller maps them.
  template <size_t N>
  bool GetEnum(element e, const EnumName (&names)[N], int64_t* out) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) {
      for (const EnumName& n : names) {
        if (n.name == s) {
          *out = n.value;
          return true;
        }
      }
      return Fail(fmt::format("unknown enum value \"{}\" (want a number or one of {}..{})", Clip(s),
                              names[0].name, names[N - 1].name));
    }
    if (e.type() == element_type::OBJECT || e.type() == element_type::ARRAY ||
        e.type() == element_type::BOOL) {
      return WrongType(e, "enum (integer or name)");
    }
    return GetInt64(e, out);
  }

  static std::string_view Clip(std::string_view s) { return s.substr(0, 64); }

  // "attributes": a list of KeyValue objects, kept up to max_attributes_per_item. `where` names
  // the list in rejection reasons.
  bool ParseAttributes(element e, const char* where, model::AttributeRange* range,
                       ItemStatus* status) {
    array list;
    if (!GetArray(e, &list)) return false;
    range->begin = static_cast<uint32_t>(pool_->size());
    uint32_t count = 0;
    int64_t index = 0;
    ReserveMore(pool_, std::min<size_t>(list.size(), limits_.max_attributes_per_item));
    for (element kv : list) {
      if (count < limits_.max_attributes_per_item) {
        if (!ParseKeyValue(kv, &pool_->emplace_back(), Where{where, index}, status)) {
          return Unwind("", index);
        }
        ++count;
      } else {
        ++result_->truncated_attributes;
      }
      ++index;
    }
    range->count = count;
    return true;
  }

  bool ParseKeyValue(element e, model::KeyValue* out, Where where, ItemStatus* status) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    element value;
    bool has_value = false;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "key")) {
        if (!GetString(v, &out->key)) return Unwind("key");
      } else if (Is(key, "value")) {
        value = v;
        has_value = true;
      }
    }
    if (!internal::IsValidUtf8Fast(out->key)) {
      status->Reject("invalid UTF-8 in {} key", internal::ToString(where));
    }
    if (has_value && !ParseAnyValue(value, &out->value, where, status)) return Unwind("value");
    return true;
  }

  // The fields of an AnyValue object; the last one of the oneof wins. Scalars land in `v`,
  // arrays and lists in `nested` (their "values" list, or null for an empty one).
  bool ReadAnyValue(element e, model::AnyValue* v, element* nested, bool* has_nested) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    for (auto [key, f] : obj) {
      if (f.is_null()) continue;
      if (Is(key, "stringValue", "string_value")) {
        if (!GetString(f, &v->str)) return Unwind("stringValue");
        v->type = model::ValueType::kString;
      } else if (Is(key, "boolValue", "bool_value")) {
        if (!GetBool(f, &v->bool_value)) return Unwind("boolValue");
        v->type = model::ValueType::kBool;
      } else if (Is(key, "intValue", "int_value")) {
        if (!GetInt64(f, &v->int_value)) return Unwind("intValue");
        v->type = model::ValueType::kInt;
      } else if (Is(key, "doubleValue", "double_value")) {
        if (!GetDouble(f, &v->double_value)) return Unwind("doubleValue");
        v->type = model::ValueType::kDouble;
      } else if (Is(key, "bytesValue", "bytes_value")) {
        std::string_view text;
        if (!GetString(f, &text)) return Unwind("bytesValue");
        std::optional<std::string> bytes = core::Base64Decode(text);
        if (!bytes) {
          Fail(fmt::format("expected base64, got \"{}\"", Clip(text)));
          return Unwind("bytesValue");
        }
        v->str = storage_->Adopt(std::move(*bytes));
        v->type = model::ValueType::kBytes;
      } else if (Is(key, "arrayValue", "array_value") || Is(key, "kvlistValue", "kvlist_value")) {
        const bool is_array = key[0] == 'a';
        const char* name = is_array ? "arrayValue" : "kvlistValue";
        object container;
        if (!GetObject(f, &container)) return Unwind(name);
        *has_nested = false;
        for (auto [ckey, cvalue] : container) {
          if (Is(ckey, "values") && !cvalue.is_null()) {
            array values;
            if (!GetArray(cvalue, &values)) {
              Unwind("values");
              return Unwind(name);
            }
            *nested = cvalue;
            *has_nested = true;
          }
        }
        v->type = is_array ? model::ValueType::kArray : model::ValueType::kKvList;
      }
    }
    return true;
  }

  // An attribute's value or a log body.
  bool ParseAnyValue(element e, model::AnyValue* out, Where where, ItemStatus* status) {
    model::AnyValue v;
    element nested;
    bool has_nested = false;
    if (!ReadAnyValue(e, &v, &nested, &has_nested)) return false;
    switch (v.type) {
      case model::ValueType::kString:
        if (!internal::IsValidUtf8Fast(v.str)) {
          status->Reject("invalid UTF-8 in {} value", internal::ToString(where));
          break;
        }
        v.str = internal::LimitString(v.str, limits_.max_attribute_value_bytes, result_);
        break;
      case model::ValueType::kBytes:
        v.str = internal::LimitBytes(v.str, limits_.max_attribute_value_bytes, result_);
        break;
      case model::ValueType::kArray:
      case model::ValueType::kKvList: {
        if (max_depth_ < 1) {
          RejectDepth(where, status);
          break;
        }
        std::string json;
        const bool is_array = v.type == model::ValueType::kArray;
        if (!AppendContainerJson(is_array, has_nested, nested, 1, where, status, &json)) {
          return Unwind(is_array ? "arrayValue" : "kvlistValue");
        }
        v.str = storage_->Adopt(std::move(json));
        break;
      }
      default:
        break;
    }
    *out = v;
    return true;
  }

  void RejectDepth(Where where, ItemStatus* status) {
    status->Reject("{} value nests deeper than max_nesting_depth {}", internal::ToString(where),
                   max_depth_);
  }

  // The JSON text of an array's or a list's values, the container being at `depth`.
  bool AppendContainerJson(bool is_array, bool has_values, element values, uint32_t depth,
                           Where where, ItemStatus* status, std::string* out) {
    out->push_back(is_array ? '[' : '{');
    if (has_values) {
      array list;
      if (!GetArray(values, &list)) return false;  // checked by ReadAnyValue already
      int64_t index = 0;
      for (element item : list) {
        if (index > 0) out->push_back(',');
        bool ok = is_array ? AppendValueJson(item, depth, where, status, out)
                           : AppendKeyValueJson(item, depth, where, status, out);
        if (!ok) {
          Unwind("values", index);
          return false;
        }
        ++index;
      }
    }
    out->push_back(is_array ? ']' : '}');
    return true;
  }

  bool AppendKeyValueJson(element e, uint32_t depth, Where where, ItemStatus* status,
                          std::string* out) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    std::string_view key;
    element value;
    bool has_value = false;
    for (auto [k, v] : obj) {
      if (v.is_null()) continue;
      if (Is(k, "key")) {
        if (!GetString(v, &key)) return Unwind("key");
      } else if (Is(k, "value")) {
        value = v;
        has_value = true;
      }
    }
    if (!internal::IsValidUtf8Fast(key)) {
      status->Reject("invalid UTF-8 in {} value", internal::ToString(where));
    }
    core::AppendJsonString(key, out);
    out->push_back(':');
    if (!has_value) {
      out->append("null");
      return true;
    }
    return AppendValueJson(value, depth, where, status, out) || Unwind("value");
  }

  // The JSON text of an AnyValue inside a container at `depth`.
  bool AppendValueJson(element e, uint32_t depth, Where where, ItemStatus* status,
                       std::string* out) {
    if (e.is_null()) {
      out->append("null");
      return true;
    }
    model::AnyValue v;
    element nested;
    bool has_nested = false;
    if (!ReadAnyValue(e, &v, &nested, &has_nested)) return false;
    switch (v.type) {
      case model::ValueType::kEmpty:
        out->append("null");
        return true;
      case model::ValueType::kString:
        if (!internal::IsValidUtf8Fast(v.str)) {
          status->Reject("invalid UTF-8 in {} value", internal::ToString(where));
        }
        core::AppendJsonString(
            internal::LimitString(v.str, limits_.max_attribute_value_bytes, result_), out);
        return true;
      case model::ValueType::kBool:
        internal::AppendJsonBool(v.bool_value, out);
        return true;
      case model::ValueType::kInt:
        internal::AppendJsonInt(v.int_value, out);
        return true;
      case model::ValueType::kDouble:
        internal::AppendJsonDouble(v.double_value, out);
        return true;
      case model::ValueType::kBytes:
        internal::AppendJsonBytes(
            internal::LimitBytes(v.str, limits_.max_attribute_value_bytes, result_), out);
        return true;
      case model::ValueType::kArray:
      case model::ValueType::kKvList:
        break;
    }
    const bool is_array = v.type == model::ValueType::kArray;
    if (depth + 1 > max_depth_) {
      RejectDepth(where, status);
      out->append("null");
      return true;
    }
    return AppendContainerJson(is_array, has_nested, nested, depth + 1, where, status, out) ||
           Unwind(is_array ? "arrayValue" : "kvlistValue");
  }

  // Resource{Spans,Metrics,Logs}: adds the resource, then calls
  // `parse_scope(element, scope_index, resource_index, resource_status)` for each element of the
  // scope list `scope_key`. The resource comes out again when none of its items was accepted.
  template <typename ParseScopeFn>
  bool ParseResourceItems(element e, std::vector<model::Resource>* resources,
                          std::string_view scope_camel, std::string_view scope_snake,
                          ParseScopeFn&& parse_scope) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    element resource_element, scopes_element;
    bool has_resource = false, has_scopes = false;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "resource")) {
        resource_element = v;
        has_resource = true;
      } else if (Is(key, scope_camel, scope_snake)) {
        scopes_element = v;
        has_scopes = true;
      } else if (Is(key, "schemaUrl", "schema_url")) {
        std::string_view ignored;
        if (!GetString(v, &ignored)) return Unwind("schemaUrl");
      }
    }
    const uint32_t resource_index = static_cast<uint32_t>(resources->size());
    const uint32_t attr_begin = static_cast<uint32_t>(pool_->size());
    ItemStatus resource_status(result_, nullptr);
    model::Resource resource;
    resource.attributes.begin = attr_begin;
    if (has_resource) {
      object robj;
      if (!GetObject(resource_element, &robj)) return Unwind("resource");
      for (auto [key, v] : robj) {
        if (v.is_null()) continue;
        if (Is(key, "attributes")) {
          pool_->resize(attr_begin);  // a repeated key replaces, as in the JSON mapping
          if (!ParseAttributes(v, "resource attributes", &resource.attributes, &resource_status)) {
            Unwind("attributes");
            return Unwind("resource");
          }
        } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
          uint32_t ignored;
          if (!GetUint32(v, &ignored)) {
            Unwind("droppedAttributesCount");
            return Unwind("resource");
          }
        }
      }
    }
    internal::SetServiceIdentity(model::AttributesOf(*pool_, resource.attributes), &resource);
    resources->push_back(resource);

    const uint64_t accepted_before = result_->accepted;
    if (has_scopes) {
      array scopes;
      if (!GetArray(scopes_element, &scopes)) return Unwind(scope_camel);
      int64_t scope_index = 0;
      for (element scope : scopes) {
        if (!parse_scope(scope, scope_index, resource_index, resource_status)) {
          return Unwind(scope_camel, scope_index);
        }
        ++scope_index;
      }
    }
    if (result_->accepted == accepted_before) {
      resources->pop_back();
      pool_->resize(attr_begin);
    }
    return true;
  }

  // ScopeSpans/ScopeMetrics/ScopeLogs: checks "scope" and "schemaUrl", then calls
  // `parse_item(element, item_index)` for each element of the item list.
  template <typename ParseItemFn>
  bool ParseScopeItems(element e, std::string_view items_camel, std::string_view items_snake,
                       ParseItemFn&& parse_item) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "scope")) {
        object scope;
        if (!GetObject(v, &scope)) return Unwind("scope");
      } else if (Is(key, "schemaUrl", "schema_url")) {
        std::string_view ignored;
        if (!GetString(v, &ignored)) return Unwind("schemaUrl");
      } else if (Is(key, items_camel, items_snake)) {
        array items;
        if (!GetArray(v, &items)) return Unwind(items_camel);
        int64_t index = 0;
        for (element item : items) {
          if (!parse_item(item, index)) return Unwind(items_camel, index);
          ++index;
        }
      }
    }
    return true;
  }

  // A list of objects that is counted, not kept (events, links, exemplars).
  bool CountObjects(element e, uint32_t* count) {
    array list;
    if (!GetArray(e, &list)) return false;
    int64_t index = 0;
    for (element item : list) {
      object obj;
      if (!GetObject(item, &obj)) return Unwind("", index);
      ++index;
    }
    *count = static_cast<uint32_t>(index);
    return true;
  }

  // Admits one more item of the request, or rejects it beyond max_items.
  bool AdmitItem(ItemStatus* item) {
    if (items_seen_++ < limits_.max_items) return true;
    item->Reject("beyond max_items {}", limits_.max_items);
    return false;
  }

  // Parses the document and its top-level list `camel`/`snake`, calling `parse(element, index)`
  // for each element.
  template <typename ParseFn>
  bool ParseTop(element root, std::string_view camel, std::string_view snake, ParseFn&& parse) {
    object obj;
    if (!GetObject(root, &obj)) return false;
    for (auto [key, v] : obj) {
      if (v.is_null() || !Is(key, camel, snake)) continue;
      array list;
      if (!GetArray(v, &list)) return Unwind(camel);
      int64_t index = 0;
      for (element item : list) {
        if (!parse(item, index)) return Unwind(camel, index);
        ++index;
      }
    }
    return true;
  }

  const DecodeLimits& limits_;
  const uint32_t max_depth_;
  DecodeResult* result_;
  std::vector<model::KeyValue>* pool_;
  model::BatchStorage* storage_;
  uint64_t items_seen_ = 0;
  std::string message_;
  internal::ErrorPath path_;
};

class TracesJsonDecoder : public JsonDecoder {
 public:
  TracesJsonDecoder(const DecodeLimits& limits, DecodeResult* result, model::SpanBatch* batch)
      : JsonDecoder(limits, result, &batch->attributes, &batch->storage), batch_(batch) {}

  bool Decode(element root) {
    return ParseTop(root, "resourceSpans", "resource_spans", [&](element rs, int64_t ri) {
      return ParseResourceItems(
          rs, &batch_->resources, "scopeSpans", "scope_spans",
          [&](element ss, int64_t si, uint32_t resource_index, const ItemStatus& resource_status) {
            return ParseScopeItems(ss, "spans", "spans", [&](element span, int64_t index) {
              ItemStatus item(result_, &resource_status);
              if (AdmitItem(&item)) {
                const size_t attr_mark = pool_->size();
                ReserveMore(&batch_->spans, 1);
                model::Span& s = batch_->spans.emplace_back();
                s.resource_index = resource_index;
                if (!ParseSpan(span, &s, &item)) return false;
                if (item.Rejected()) {
                  batch_->spans.pop_back();
                  pool_->resize(attr_mark);
                }
              }
              if (item.Rejected()) {
                CountRejected(
                    item,
                    [&] {
                      return fmt::format("resourceSpans[{}].scopeSpans[{}].spans[{}]", ri, si,
                                         index);
                    },
                    result_);
              } else {
                ++result_->accepted;
              }
              return true;
            });
          });
    });
  }

 private:
  bool ParseSpan(element e, model::Span* span, ItemStatus* item) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    std::string_view trace_id, span_id, parent_span_id, ignored;
    uint64_t start = 0, end = 0;
    int64_t enum_value;
    span->attributes.begin = static_cast<uint32_t>(pool_->size());
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      // Dispatch on the first letter, which both spellings of a key share, to compare each key
      // with two or three names rather than all of them.
      switch (key.empty() ? 0 : key[0]) {
        case 't':
          if (Is(key, "traceId", "trace_id")) {
            if (!GetString(v, &trace_id)) return Unwind("traceId");
          } else if (Is(key, "traceState", "trace_state")) {
            if (!GetString(v, &ignored)) return Unwind("traceState");
          }
          break;
        case 's':
          if (Is(key, "spanId", "span_id")) {
            if (!GetString(v, &span_id)) return Unwind("spanId");
          } else if (Is(key, "startTimeUnixNano", "start_time_unix_nano")) {
            if (!GetUint64(v, &start)) return Unwind("startTimeUnixNano");
          } else if (Is(key, "status")) {
            if (!ParseStatus(v, span)) return Unwind("status");
          }
          break;
        case 'p':
          if (Is(key, "parentSpanId", "parent_span_id")) {
            if (!GetString(v, &parent_span_id)) return Unwind("parentSpanId");
          }
          break;
        case 'n':
          if (Is(key, "name")) {
            if (!GetString(v, &span->name)) return Unwind("name");
          }
          break;
        case 'k':
          if (Is(key, "kind")) {
            if (!GetEnum(v, kSpanKindNames, &enum_value)) return Unwind("kind");
            span->kind = enum_value >= 0 && enum_value <= 5
                             ? static_cast<model::SpanKind>(enum_value)
                             : model::SpanKind::kUnspecified;
          }
          break;
        case 'e':
          if (Is(key, "endTimeUnixNano", "end_time_unix_nano")) {
            if (!GetUint64(v, &end)) return Unwind("endTimeUnixNano");
          } else if (Is(key, "events")) {
            if (!CountObjects(v, &span->event_count)) return Unwind("events");
          }
          break;
        case 'a':
          if (Is(key, "attributes")) {
            pool_->resize(span->attributes.begin);  // a repeated key replaces the list
            if (!ParseAttributes(v, "attributes", &span->attributes, item)) {
              return Unwind("attributes");
            }
          }
          break;
        case 'l':
          if (Is(key, "links")) {
            if (!CountObjects(v, &span->link_count)) return Unwind("links");
          }
          break;
        case 'f':
          if (Is(key, "flags")) {
            if (!GetUint32(v, &span->flags)) return Unwind("flags");
          }
          break;
        case 'd':
          if (Is(key, "droppedAttributesCount", "dropped_attributes_count") ||
              Is(key, "droppedEventsCount", "dropped_events_count") ||
              Is(key, "droppedLinksCount", "dropped_links_count")) {
            uint32_t dropped;
            if (!GetUint32(v, &dropped)) return Unwind(key);
          }
          break;
        default:
          break;
      }
    }
    if (trace_id.empty()) {
      item->Reject("trace_id is missing");
    } else if (ParseHexId(trace_id, "trace_id", &span->trace_id, item) &&
               model::IsZeroId(span->trace_id)) {
      item->Reject("trace_id is all zero");
    }
    if (span_id.empty()) {
      item->Reject("span_id is missing");
    } else if (ParseHexId(span_id, "span_id", &span->span_id, item) &&
               model::IsZeroId(span->span_id)) {
      item->Reject("span_id is all zero");
    }
    ParseHexId(parent_span_id, "parent_span_id", &span->parent_span_id, item);
    if (start == 0) item->Reject("start_time_unix_nano is zero");
    if (end == 0) item->Reject("end_time_unix_nano is zero");
    if (CheckTime(start, "start_time_unix_nano", item) &&
        CheckTime(end, "end_time_unix_nano", item) && end < start) {
      item->Reject("end_time_unix_nano {} is before start_time_unix_nano {}", end, start);
    }
    span->start_time_ns = static_cast<core::TimeNs>(start);
    span->end_time_ns = static_cast<core::TimeNs>(end);
    if (!internal::IsValidUtf8Fast(span->name)) item->Reject("invalid UTF-8 in name");
    if (!internal::IsValidUtf8Fast(span->status_message)) {
      item->Reject("invalid UTF-8 in status.message");
    }
    return true;
  }

  bool ParseStatus(element e, model::Span* span) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "message")) {
        if (!GetString(v, &span->status_message)) return Unwind("message");
      } else if (Is(key, "code")) {
        int64_t code;
        if (!GetEnum(v, kStatusCodeNames, &code)) return Unwind("code");
        span->status_code = code >= 0 && code <= 2 ? static_cast<model::StatusCode>(code)
                                                   : model::StatusCode::kUnset;
      }
    }
    return true;
  }

  model::SpanBatch* batch_;
};

class MetricsJsonDecoder : public JsonDecoder {
 public:
  MetricsJsonDecoder(const DecodeLimits& limits, DecodeResult* result, model::MetricBatch* batch)
      : JsonDecoder(limits, result, &batch->attributes, &batch->storage), batch_(batch) {}

  bool Decode(element root) {
    return ParseTop(root, "resourceMetrics", "resource_metrics", [&](element rm, int64_t ri) {
      return ParseResourceItems(
          rm, &batch_->resources, "scopeMetrics", "scope_metrics",
          [&](element sm, int64_t si, uint32_t resource_index, const ItemStatus& resource_status) {
            return ParseScopeItems(sm, "metrics", "metrics", [&](element metric, int64_t mi) {
              return ParseMetric(metric, MetricPath{ri, si, mi, nullptr}, resource_index,
                                 resource_status);
            });
          });
    });
  }

 private:
  struct MetricPath {
    int64_t resource, scope, metric;
    const char* data_field;
  };

  struct MetricContext {
    MetricPath path;
    uint32_t metric_index;
    model::MetricType type;
    const ItemStatus* metric_status;
  };

  bool ParseMetric(element e, MetricPath path, uint32_t resource_index,
                   const ItemStatus& resource_status) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    model::Metric metric;
    metric.resource_index = resource_index;
    element data;
    const char* data_field = nullptr;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "name")) {
        if (!GetString(v, &metric.name)) return Unwind("name");
      } else if (Is(key, "description")) {
        if (!GetString(v, &metric.description)) return Unwind("description");
      } else if (Is(key, "unit")) {
        if (!GetString(v, &metric.unit)) return Unwind("unit");
      } else if (Is(key, "gauge")) {
        metric.type = model::MetricType::kGauge;
        data_field = "gauge";
        data = v;
      } else if (Is(key, "sum")) {
        metric.type = model::MetricType::kSum;
        data_field = "sum";
        data = v;
      } else if (Is(key, "histogram")) {
        metric.type = model::MetricType::kHistogram;
        data_field = "histogram";
        data = v;
      } else if (Is(key, "exponentialHistogram", "exponential_histogram")) {
        metric.type = model::MetricType::kExponentialHistogram;
        data_field = "exponentialHistogram";
        data = v;
      } else if (Is(key, "summary")) {
        metric.type = model::MetricType::kSummary;
        data_field = "summary";
        data = v;
      } else if (Is(key, "metadata")) {
        array list;
        if (!GetArray(v, &list)) return Unwind("metadata");
      }
    }
    if (data_field == nullptr) return true;

    ItemStatus metric_status(result_, &resource_status);
    if (metric.name.empty()) metric_status.Reject("metric name is empty");
    if (!internal::IsValidUtf8Fast(metric.name)) {
      metric_status.Reject("invalid UTF-8 in metric name");
    }
    if (!internal::IsValidUtf8Fast(metric.description)) {
      metric_status.Reject("invalid UTF-8 in metric description");
    }
    if (!internal::IsValidUtf8Fast(metric.unit)) {
      metric_status.Reject("invalid UTF-8 in metric unit");
    }
    path.data_field = data_field;
    MetricContext ctx{path, static_cast<uint32_t>(batch_->metrics.size()), metric.type,
                      &metric_status};
    metric.points.begin = static_cast<uint32_t>(batch_->points.size());
    batch_->metrics.push_back(metric);
    if (!ParseMetricData(data, ctx)) return Unwind(data_field);
    model::Metric& done = batch_->metrics[ctx.metric_index];
    done.points.count = static_cast<uint32_t>(batch_->points.size()) - done.points.begin;
    if (done.points.count == 0) batch_->metrics.pop_back();
    return true;
  }

  bool ParseMetricData(element e, const MetricContext& ctx) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    const bool has_temporality = ctx.type == model::MetricType::kSum ||
                                 ctx.type == model::MetricType::kHistogram ||
                                 ctx.type == model::MetricType::kExponentialHistogram;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "dataPoints", "data_points")) {
        array points;
        if (!GetArray(v, &points)) return Unwind("dataPoints");
        ReserveMore(&batch_->points, points.size());
        int64_t index = 0;
        for (element point : points) {
          if (!ParsePoint(point, ctx, index)) return Unwind("dataPoints", index);
          ++index;
        }
      } else if (has_temporality && Is(key, "aggregationTemporality", "aggregation_temporality")) {
        int64_t t;
        if (!GetEnum(v, kTemporalityNames, &t)) return Unwind("aggregationTemporality");
        batch_->metrics[ctx.metric_index].temporality = t >= 0 && t <= 2
                                                            ? static_cast<model::Temporality>(t)
                                                            : model::Temporality::kUnspecified;
      } else if (ctx.type == model::MetricType::kSum && Is(key, "isMonotonic", "is_monotonic")) {
        if (!GetBool(v, &batch_->metrics[ctx.metric_index].is_monotonic)) {
          return Unwind("isMonotonic");
        }
      }
    }
    return true;
  }

  bool ParsePoint(element e, const MetricContext& ctx, int64_t point_index) {
    ItemStatus item(result_, ctx.metric_status);
    if (AdmitItem(&item)) {
      const size_t attr_mark = pool_->size(), counts_mark = batch_->bucket_counts.size(),
                   bounds_mark = batch_->explicit_bounds.size(),
                   quantiles_mark = batch_->quantiles.size();
      model::MetricPoint& point = batch_->points.emplace_back();
      point.metric_index = ctx.metric_index;
      point.attributes.begin = static_cast<uint32_t>(attr_mark);
      if (!ParsePointFields(e, ctx.type, &point, &item)) return false;
      if (item.Rejected()) {
        batch_->points.pop_back();
        pool_->resize(attr_mark);
        batch_->bucket_counts.resize(counts_mark);
        batch_->explicit_bounds.resize(bounds_mark);
        batch_->quantiles.resize(quantiles_mark);
      }
    }
    if (item.Rejected()) {
      CountRejected(
          item,
          [&] {
            return fmt::format("resourceMetrics[{}].scopeMetrics[{}].metrics[{}].{}.dataPoints[{}]",
                               ctx.path.resource, ctx.path.scope, ctx.path.metric,
                               ctx.path.data_field, point_index);
          },
          result_);
    } else {
      ++result_->accepted;
    }
    return true;
  }

  // A JSON list of unsigned integers appended to the bucket count pool.
  bool AppendCounts(element e, model::PoolRange* range) {
    array list;
    if (!GetArray(e, &list)) return false;
    // A repeated key replaces the earlier list (which is the pool's tail when it has entries).
    if (range->count > 0) batch_->bucket_counts.resize(range->begin);
    range->begin = static_cast<uint32_t>(batch_->bucket_counts.size());
    int64_t index = 0;
    for (element item : list) {
      uint64_t v;
      if (!GetUint64(item, &v)) return Unwind("", index);
      batch_->bucket_counts.push_back(v);
      ++index;
    }
    range->count = static_cast<uint32_t>(index);
    return true;
  }

  bool ParseBuckets(element e, int32_t* offset, model::PoolRange* range) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "offset")) {
        if (!GetInt32(v, offset)) return Unwind("offset");
      } else if (Is(key, "bucketCounts", "bucket_counts")) {
        if (!AppendCounts(v, range)) return Unwind("bucketCounts");
      }
    }
    return true;
  }

  bool ParsePointFields(element e, model::MetricType type, model::MetricPoint* point,
                        ItemStatus* item) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    uint64_t start = 0, time = 0;
    uint32_t ignored_count;
    const bool is_number = type == model::MetricType::kGauge || type == model::MetricType::kSum;
    const bool is_histogram = type == model::MetricType::kHistogram;
    const bool is_exponential = type == model::MetricType::kExponentialHistogram;
    const bool is_summary = type == model::MetricType::kSummary;
    if (is_summary) point->has_sum = true;  // a plain double in SummaryDataPoint
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "attributes")) {
        pool_->resize(point->attributes.begin);
        if (!ParseAttributes(v, "attributes", &point->attributes, item)) {
          return Unwind("attributes");
        }
      } else if (Is(key, "startTimeUnixNano", "start_time_unix_nano")) {
        if (!GetUint64(v, &start)) return Unwind("startTimeUnixNano");
      } else if (Is(key, "timeUnixNano", "time_unix_nano")) {
        if (!GetUint64(v, &time)) return Unwind("timeUnixNano");
      } else if (Is(key, "flags")) {
        if (!GetUint32(v, &point->flags)) return Unwind("flags");
      } else if (Is(key, "exemplars")) {
        if (!CountObjects(v, &ignored_count)) return Unwind("exemplars");
      } else if (is_number && Is(key, "asDouble", "as_double")) {
        if (!GetDouble(v, &point->value)) return Unwind("asDouble");
        point->is_int = false;
        point->int_value = 0;
      } else if (is_number && Is(key, "asInt", "as_int")) {
        if (!GetInt64(v, &point->int_value)) return Unwind("asInt");
        point->is_int = true;
        point->value = static_cast<double>(point->int_value);
      } else if (!is_number && Is(key, "count")) {
        if (!GetUint64(v, &point->count)) return Unwind("count");
      } else if (!is_number && Is(key, "sum")) {
        if (!GetDouble(v, &point->sum)) return Unwind("sum");
        point->has_sum = true;
      } else if ((is_histogram || is_exponential) && Is(key, "min")) {
        if (!GetDouble(v, &point->min)) return Unwind("min");
        point->has_min = true;
      } else if ((is_histogram || is_exponential) && Is(key, "max")) {
        if (!GetDouble(v, &point->max)) return Unwind("max");
        point->has_max = true;
      } else if (is_histogram && Is(key, "bucketCounts", "bucket_counts")) {
        if (!AppendCounts(v, &point->bucket_counts)) return Unwind("bucketCounts");
      } else if (is_histogram && Is(key, "explicitBounds", "explicit_bounds")) {
        array list;
        if (!GetArray(v, &list)) return Unwind("explicitBounds");
        auto& bounds = batch_->explicit_bounds;
        if (point->explicit_bounds.count > 0) bounds.resize(point->explicit_bounds.begin);
        point->explicit_bounds.begin = static_cast<uint32_t>(bounds.size());
        int64_t index = 0;
        for (element b : list) {
          double d;
          if (!GetDouble(b, &d)) {
            Unwind("", index);
            return Unwind("explicitBounds");
          }
          bounds.push_back(d);
          ++index;
        }
        point->explicit_bounds.count = static_cast<uint32_t>(index);
      } else if (is_exponential && Is(key, "scale")) {
        if (!GetInt32(v, &point->scale)) return Unwind("scale");
      } else if (is_exponential && Is(key, "zeroCount", "zero_count")) {
        if (!GetUint64(v, &point->zero_count)) return Unwind("zeroCount");
      } else if (is_exponential && Is(key, "zeroThreshold", "zero_threshold")) {
        if (!GetDouble(v, &point->zero_threshold)) return Unwind("zeroThreshold");
      } else if (is_exponential && Is(key, "positive")) {
        if (!ParseBuckets(v, &point->positive_offset, &point->positive_counts)) {
          return Unwind("positive");
        }
      } else if (is_exponential && Is(key, "negative")) {
        if (!ParseBuckets(v, &point->negative_offset, &point->negative_counts)) {
          return Unwind("negative");
        }
      } else if (is_summary && Is(key, "quantileValues", "quantile_values")) {
        array list;
        if (!GetArray(v, &list)) return Unwind("quantileValues");
        auto& quantiles = batch_->quantiles;
        if (point->quantiles.count > 0) quantiles.resize(point->quantiles.begin);
        point->quantiles.begin = static_cast<uint32_t>(quantiles.size());
        int64_t index = 0;
        for (element q : list) {
          if (!ParseQuantile(q)) {
            Unwind("", index);
            return Unwind("quantileValues");
          }
          ++index;
        }
        point->quantiles.count = static_cast<uint32_t>(index);
      }
    }
    if (is_histogram) {
      const uint32_t n_counts = point->bucket_counts.count;
      const uint32_t n_bounds = point->explicit_bounds.count;
      if (n_counts != 0 && n_counts != n_bounds + 1) {
        item->Reject("{} bucket_counts for {} explicit_bounds, want {}", n_counts, n_bounds,
                     n_bounds + 1);
      }
      const double* bounds = batch_->explicit_bounds.data() + point->explicit_bounds.begin;
      for (uint32_t i = 1; i < n_bounds; ++i) {
        if (!(bounds[i - 1] < bounds[i])) {
          item->Reject("explicit_bounds are not strictly increasing at index {}", i);
          break;
        }
      }
    }
    if (time == 0) item->Reject("time_unix_nano is zero");
    CheckTime(start, "start_time_unix_nano", item);
    CheckTime(time, "time_unix_nano", item);
    point->start_time_ns = static_cast<core::TimeNs>(start);
    point->time_ns = static_cast<core::TimeNs>(time);
    return true;
  }

  bool ParseQuantile(element e) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    model::Quantile q;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "quantile")) {
        if (!GetDouble(v, &q.quantile)) return Unwind("quantile");
      } else if (Is(key, "value")) {
        if (!GetDouble(v, &q.value)) return Unwind("value");
      }
    }
    batch_->quantiles.push_back(q);
    return true;
  }

  model::MetricBatch* batch_;
};

class LogsJsonDecoder : public JsonDecoder {
 public:
  LogsJsonDecoder(const DecodeLimits& limits, DecodeResult* result, model::LogBatch* batch)
      : JsonDecoder(limits, result, &batch->attributes, &batch->storage), batch_(batch) {}

  bool Decode(element root) {
    return ParseTop(root, "resourceLogs", "resource_logs", [&](element rl, int64_t ri) {
      return ParseResourceItems(
          rl, &batch_->resources, "scopeLogs", "scope_logs",
          [&](element sl, int64_t si, uint32_t resource_index, const ItemStatus& resource_status) {
            return ParseScopeItems(
                sl, "logRecords", "log_records", [&](element rec, int64_t index) {
                  ItemStatus item(result_, &resource_status);
                  if (AdmitItem(&item)) {
                    const size_t attr_mark = pool_->size();
                    ReserveMore(&batch_->records, 1);
                    model::LogRecord& r = batch_->records.emplace_back();
                    r.resource_index = resource_index;
                    r.attributes.begin = static_cast<uint32_t>(attr_mark);
                    if (!ParseLogRecord(rec, &r, &item)) return false;
                    if (item.Rejected()) {
                      batch_->records.pop_back();
                      pool_->resize(attr_mark);
                    }
                  }
                  if (item.Rejected()) {
                    CountRejected(
                        item,
                        [&] {
                          return fmt::format("resourceLogs[{}].scopeLogs[{}].logRecords[{}]", ri,
                                             si, index);
                        },
                        result_);
                  } else {
                    ++result_->accepted;
                  }
                  return true;
                });
          });
    });
  }

 private:
  bool ParseLogRecord(element e, model::LogRecord* record, ItemStatus* item) {
    object obj;
    if (!GetObject(e, &obj)) return false;
    std::string_view trace_id, span_id;
    uint64_t time = 0, observed = 0;
    for (auto [key, v] : obj) {
      if (v.is_null()) continue;
      if (Is(key, "timeUnixNano", "time_unix_nano")) {
        if (!GetUint64(v, &time)) return Unwind("timeUnixNano");
      } else if (Is(key, "observedTimeUnixNano", "observed_time_unix_nano")) {
        if (!GetUint64(v, &observed)) return Unwind("observedTimeUnixNano");
      } else if (Is(key, "severityNumber", "severity_number")) {
        int64_t n;
        if (!GetEnum(v, kSeverityNames, &n)) return Unwind("severityNumber");
        record->severity_number = n >= 0 && n <= 24 ? static_cast<uint8_t>(n) : 0;
      } else if (Is(key, "severityText", "severity_text")) {
        if (!GetString(v, &record->severity_text)) return Unwind("severityText");
      } else if (Is(key, "body")) {
        record->body = model::AnyValue();
        if (!ParseAnyValue(v, &record->body, Where{"body"}, item)) return Unwind("body");
      } else if (Is(key, "attributes")) {
        pool_->resize(record->attributes.begin);
        if (!ParseAttributes(v, "attributes", &record->attributes, item)) {
          return Unwind("attributes");
        }
      } else if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
        uint32_t ignored;
        if (!GetUint32(v, &ignored)) return Unwind("droppedAttributesCount");
      } else if (Is(key, "flags")) {
        if (!GetUint32(v, &record->flags)) return Unwind("flags");
      } else if (Is(key, "traceId", "trace_id")) {
        if (!GetString(v, &trace_id)) return Unwind("traceId");
      } else if (Is(key, "spanId", "span_id")) {
        if (!GetString(v, &span_id)) return Unwind("spanId");
      } else if (Is(key, "eventName", "event_name")) {
        if (!GetString(v, &record->event_name)) return Unwind("eventName");
      }
    }
    ParseHexId(trace_id, "trace_id", &record->trace_id, item);
    ParseHexId(span_id, "span_id", &record->span_id, item);
    CheckTime(time, "time_unix_nano", item);
    CheckTime(observed, "observed_time_unix_nano", item);
    record->time_ns = static_cast<core::TimeNs>(time);
    record->observed_time_ns = static_cast<core::TimeNs>(observed);
    if (!internal::IsValidUtf8Fast(record->severity_text)) {
      item->Reject("invalid UTF-8 in severity_text");
    }
    if (!internal::IsValidUtf8Fast(record->event_name)) item->Reject("invalid UTF-8 in event_name");
    return true;
  }

  model::LogBatch* batch_;
};

// Parses `json`, keeps the document alive in `storage` and runs `Decoder` over it.
template <typename Decoder, typename Batch>
absl::Status Run(std::string_view json, const DecodeLimits& limits, Batch* batch,
                 DecodeResult* result) {
  *result = DecodeResult();
  // An empty body carries no items, as an empty protobuf request does.
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return absl::OkStatus();
  auto parser = std::make_shared<simdjson::dom::parser>();
  element root;
  simdjson::error_code error = parser->parse(json.data(), json.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        fmt::format("invalid JSON: {}", simdjson::error_message(error)));
  }
  batch->storage.Retain(std::move(parser));
  Decoder decoder(limits, result, batch);
  if (!decoder.Decode(root)) return decoder.Error();
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeTracesJson(std::string_view json, const DecodeLimits& limits,
                              model::SpanBatch* batch, DecodeResult* result) {
  return Run<TracesJsonDecoder>(json, limits, batch, result);
}

absl::Status DecodeMetricsJson(std::string_view json, const DecodeLimits& limits,
                               model::MetricBatch* batch, DecodeResult* result) {
  return Run<MetricsJsonDecoder>(json, limits, batch, result);
}

absl::Status DecodeLogsJson(std::string_view json, const DecodeLimits& limits,
                            model::LogBatch* batch, DecodeResult* result) {
  return Run<LogsJsonDecoder>(json, limits, batch, result);
}

}  // namespace augur::ingest
