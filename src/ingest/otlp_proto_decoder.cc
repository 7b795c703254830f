// OTLP protobuf decoding straight from the wire format into model batches (see otlp_decoder.h for
// the contract). Field numbers are those of proto/opentelemetry/proto/**.proto.
//
// Each message is one loop over its tags with a switch on the whole tag (field number and wire
// type), so the expected case is one compare; anything else goes to WireReader::SkipField, which
// skips unknown fields and rejects known fields of the wrong wire type. Strings become views into
// the request. Items are appended to the batch as they are read and removed again (with their
// attributes and pool entries) when they turn out invalid.
//
// Deviations from full protobuf merge semantics, none of which an OTLP exporter produces: when a
// singular message field (a metric's data, an exponential histogram's buckets, an AnyValue's
// array) occurs more than once the last occurrence wins instead of the occurrences being merged;
// repeated resource fields do have their attributes concatenated.
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/json_text.h"
#include "ingest/decode_common.h"
#include "ingest/otlp_decoder.h"
#include "ingest/proto_wire.h"

namespace augur::ingest {
namespace {

using internal::CheckTime;
using internal::CountRejected;
using internal::FieldSet;
using internal::ItemStatus;
using internal::kI32;
using internal::kI64;
using internal::kLen;
using internal::kVarint;
using internal::MakeTag;
using internal::Where;
using internal::WireCursor;
using internal::WireReader;

// Grows `v` once for the items a request of this size probably holds, so decoding a typical
// request does not reallocate; `bytes_per_item` errs low, `cap` bounds what one request can claim.
template <typename T>
void ReserveFor(std::vector<T>* v, size_t request_bytes, size_t bytes_per_item, size_t cap) {
  size_t want = request_bytes / bytes_per_item + 1;
  if (want > cap) want = cap;
  if (v->capacity() - v->size() < want) v->reserve(v->size() + want);
}

// Decoding state shared by the three signals: the reader, limits, result, and the batch's
// attribute pool and storage.
class ProtoDecoder {
 public:
  ProtoDecoder(std::string_view bytes, const DecodeLimits& limits, DecodeResult* result,
               std::vector<model::KeyValue>* pool, model::BatchStorage* storage)
      : reader_(bytes),
        limits_(limits),
        max_depth_(internal::EffectiveMaxDepth(limits)),
        result_(result),
        pool_(pool),
        storage_(storage),
        request_bytes_(bytes.size()) {}

  absl::Status Error() const { return reader_.Error(); }

 protected:
  // The value of an AnyValue message as read, before limits and nesting are applied: scalars in
  // `value`, the payload of an array or key-value list in `nested`.
  struct RawValue {
    model::AnyValue value;
    WireCursor nested{nullptr, nullptr};
  };

  bool NextTag(WireCursor* c, uint64_t* tag, const uint8_t** tag_at) {
    *tag_at = c->p;
    return reader_.ReadTag(c, tag);
  }

  // One `attributes` element of an item or a resource: kept while fewer than
  // max_attributes_per_item, counted as truncated after that. `where` names it in reasons.
  bool ParseAttribute(WireCursor* c, const char* path_field, const char* where, uint32_t* count,
                      int64_t* index, ItemStatus* status) {
    WireCursor kv;
    if (!reader_.ReadLen(c, &kv)) return reader_.Unwind(path_field, *index);
    if (*count < limits_.max_attributes_per_item) {
      if (!ParseKeyValue(kv, &pool_->emplace_back(), Where{where, *index}, status)) {
        return reader_.Unwind(path_field, *index);
      }
      ++*count;
    } else {
      ++result_->truncated_attributes;
    }
    ++*index;
    return true;
  }

  // KeyValue. With `out` null only the structure is checked (attributes of events, links, scopes
  // and exemplars, which are not kept); `status` is then null too.
  bool ParseKeyValue(WireCursor c, model::KeyValue* out, Where where, ItemStatus* status) {
    std::string_view key;
    WireCursor value{nullptr, nullptr};
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &key)) return reader_.Unwind("key");
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &value)) return reader_.Unwind("value");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
      }
    }
    if (out == nullptr) {
      return value.p == nullptr || ParseAnyValue(value, nullptr, where, nullptr) ||
             reader_.Unwind("value");
    }
    if (!internal::IsValidUtf8Fast(key)) {
      status->Reject("invalid UTF-8 in {} key", internal::ToString(where));
    }
    out->key = key;
    if (value.p != nullptr && !ParseAnyValue(value, &out->value, where, status)) {
      return reader_.Unwind("value");
    }
    return true;
  }

  // AnyValue fields; the last one of the oneof wins, as in protobuf.
  bool ReadAnyValue(WireCursor c, RawValue* raw) {
    model::AnyValue& v = raw->value;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t bits = 0;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &v.str)) return reader_.Unwind("string_value");
          v.type = model::ValueType::kString;
          break;
        case MakeTag(2, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("bool_value");
          v.type = model::ValueType::kBool;
          v.bool_value = bits != 0;
          break;
        case MakeTag(3, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("int_value");
          v.type = model::ValueType::kInt;
          v.int_value = static_cast<int64_t>(bits);
          break;
        case MakeTag(4, kI64):
          if (!reader_.ReadDouble(&c, &v.double_value)) return reader_.Unwind("double_value");
          v.type = model::ValueType::kDouble;
          break;
        case MakeTag(5, kLen):
          if (!reader_.ReadLen(&c, &raw->nested)) return reader_.Unwind("array_value");
          v.type = model::ValueType::kArray;
          break;
        case MakeTag(6, kLen):
          if (!reader_.ReadLen(&c, &raw->nested)) return reader_.Unwind("kvlist_value");
          v.type = model::ValueType::kKvList;
          break;
        case MakeTag(7, kLen):
          if (!reader_.ReadLen(&c, &v.str)) return reader_.Unwind("bytes_value");
          v.type = model::ValueType::kBytes;
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 4, 5, 6, 7}), tag_at)) return false;
      }
    }
    return true;
  }

  // An AnyValue that is exactly one string, int, bool or double field, as SDKs write nearly all
  // attribute values. Returns false for anything else, which then takes the general path.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool TryScalarValue(WireCursor c, model::AnyValue* out) {
    const ptrdiff_t size = c.end - c.p;
    if (size < 2) return false;
    const uint8_t tag = c.p[0];
    if (tag == MakeTag(1, kLen)) {
      const uint8_t len = c.p[1];
      if (len >= 0x80 || len != size - 2) return false;
      std::string_view str(reinterpret_cast<const char*>(c.p + 2), len);
      if (!internal::IsValidUtf8Fast(str)) return false;
      out->type = model::ValueType::kString;
      out->str = internal::LimitString(str, limits_.max_attribute_value_bytes, result_);
      return true;
    }
    if (tag == MakeTag(3, kVarint) || tag == MakeTag(2, kVarint)) {
      uint64_t v = 0;
      int i = 1;
      bool terminated = false;
      for (int shift = 0; i < size && i <= 10; ++i, shift += 7) {
        v |= uint64_t{c.p[i] & 0x7Fu} << shift;
        if (c.p[i] < 0x80) {
          terminated = true;
          break;
        }
      }
      if (!terminated || i != size - 1) return false;
      if (tag == MakeTag(3, kVarint)) {
        out->type = model::ValueType::kInt;
        out->int_value = static_cast<int64_t>(v);
      } else {
        out->type = model::ValueType::kBool;
        out->bool_value = v != 0;
      }
      return true;
    }
    if (tag == MakeTag(4, kI64) && size == 9) {
      out->type = model::ValueType::kDouble;
      std::memcpy(&out->double_value, c.p + 1, 8);
      return true;
    }
    return false;
  }

  // An attribute's value or a log body. Null `out`: structure only.
  bool ParseAnyValue(WireCursor c, model::AnyValue* out, Where where, ItemStatus* status) {
    if (out != nullptr && TryScalarValue(c, out)) return true;
    RawValue raw;
    if (!ReadAnyValue(c, &raw)) return false;
    model::AnyValue& v = raw.value;
    switch (v.type) {
      case model::ValueType::kString:
        if (out == nullptr) break;
        if (!internal::IsValidUtf8Fast(v.str)) {
          status->Reject("invalid UTF-8 in {} value", internal::ToString(where));
          break;
        }
        v.str = internal::LimitString(v.str, limits_.max_attribute_value_bytes, result_);
        break;
      case model::ValueType::kBytes:
        if (out != nullptr) {
          v.str = internal::LimitBytes(v.str, limits_.max_attribute_value_bytes, result_);
        }
        break;
      case model::ValueType::kArray:
      case model::ValueType::kKvList: {
        if (max_depth_ < 1) {
          if (status != nullptr) RejectDepth(where, status);
          break;
        }
        std::string json;
        bool ok = v.type == model::ValueType::kArray
                      ? AppendArrayJson(raw.nested, 1, where, status, out ? &json : nullptr)
                      : AppendKvListJson(raw.nested, 1, where, status, out ? &json : nullptr);
        if (!ok) {
          return reader_.Unwind(v.type == model::ValueType::kArray ? "array_value"
                                                                   : "kvlist_value");
        }
        if (out != nullptr) v.str = storage_->Adopt(std::move(json));
        break;
      }
      default:
        break;
    }
    if (out != nullptr) *out = v;
    return true;
  }

  void RejectDepth(Where where, ItemStatus* status) {
    status->Reject("{} value nests deeper than max_nesting_depth {}", internal::ToString(where),
                   max_depth_);
  }

  // Appends the JSON text of an AnyValue inside a container at `depth` (1 for an attribute's own
  // array or list). Null `out`: structure only, and then `status` is null too.
  bool AppendValueJson(WireCursor c, uint32_t depth, Where where, ItemStatus* status,
                       std::string* out) {
    RawValue raw;
    if (!ReadAnyValue(c, &raw)) return false;
    const model::AnyValue& v = raw.value;
    switch (v.type) {
      case model::ValueType::kEmpty:
        if (out) out->append("null");
        return true;
      case model::ValueType::kString:
        if (out == nullptr) return true;
        if (!internal::IsValidUtf8Fast(v.str)) {
          status->Reject("invalid UTF-8 in {} value", internal::ToString(where));
        }
        core::AppendJsonString(
            internal::LimitString(v.str, limits_.max_attribute_value_bytes, result_), out);
        return true;
      case model::ValueType::kBool:
        if (out) internal::AppendJsonBool(v.bool_value, out);
        return true;
      case model::ValueType::kInt:
        if (out) internal::AppendJsonInt(v.int_value, out);
        return true;
      case model::ValueType::kDouble:
        if (out) internal::AppendJsonDouble(v.double_value, out);
        return true;
      case model::ValueType::kBytes:
        if (out) {
          internal::AppendJsonBytes(
              internal::LimitBytes(v.str, limits_.max_attribute_value_bytes, result_), out);
        }
        return true;
      case model::ValueType::kArray:
      case model::ValueType::kKvList:
        break;
    }
    const bool is_array = v.type == model::ValueType::kArray;
    if (depth + 1 > max_depth_) {
      // Too deep: not descended into, so hostile nesting cannot exhaust the stack.
      if (status != nullptr) RejectDepth(where, status);
      if (out) out->append("null");
      return true;
    }
    bool ok = is_array ? AppendArrayJson(raw.nested, depth + 1, where, status, out)
                       : AppendKvListJson(raw.nested, depth + 1, where, status, out);
    return ok || reader_.Unwind(is_array ? "array_value" : "kvlist_value");
  }

  // ArrayValue as a JSON array.
  bool AppendArrayJson(WireCursor c, uint32_t depth, Where where, ItemStatus* status,
                       std::string* out) {
    if (out) out->push_back('[');
    int64_t index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      if (tag == MakeTag(1, kLen)) {
        WireCursor value;
        if (!reader_.ReadLen(&c, &value)) return reader_.Unwind("values", index);
        if (out && index > 0) out->push_back(',');
        if (!AppendValueJson(value, depth, where, status, out)) {
          return reader_.Unwind("values", index);
        }
        ++index;
      } else if (!reader_.SkipField(&c, tag, FieldSet({1}), tag_at)) {
        return false;
      }
    }
    if (out) out->push_back(']');
    return true;
  }

  // KeyValueList as a JSON object.
  bool AppendKvListJson(WireCursor c, uint32_t depth, Where where, ItemStatus* status,
                        std::string* out) {
    if (out) out->push_back('{');
    int64_t index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      if (tag == MakeTag(1, kLen)) {
        WireCursor kv;
        if (!reader_.ReadLen(&c, &kv)) return reader_.Unwind("values", index);
        if (out && index > 0) out->push_back(',');
        if (!AppendKeyValueJson(kv, depth, where, status, out)) {
          return reader_.Unwind("values", index);
        }
        ++index;
      } else if (!reader_.SkipField(&c, tag, FieldSet({1}), tag_at)) {
        return false;
      }
    }
    if (out) out->push_back('}');
    return true;
  }

  bool AppendKeyValueJson(WireCursor c, uint32_t depth, Where where, ItemStatus* status,
                          std::string* out) {
    std::string_view key;
    WireCursor value{nullptr, nullptr};
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &key)) return reader_.Unwind("key");
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &value)) return reader_.Unwind("value");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
      }
    }
    if (out) {
      if (!internal::IsValidUtf8Fast(key)) {
        status->Reject("invalid UTF-8 in {} value", internal::ToString(where));
      }
      core::AppendJsonString(key, out);
      out->push_back(':');
    }
    if (value.p == nullptr) {
      if (out) out->append("null");
      return true;
    }
    return AppendValueJson(value, depth, where, status, out) || reader_.Unwind("value");
  }

  // Resource: its attributes go to the pool (several resource fields concatenate); invalid ones
  // reject `status`, and with it every item of the resource.
  bool ParseResource(WireCursor c, uint32_t* count, int64_t* index, ItemStatus* status) {
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t ignored;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!ParseAttribute(&c, "attributes", "resource attributes", count, index, status)) {
            return false;
          }
          break;
        case MakeTag(2, kVarint):
          if (!reader_.ReadVarint(&c, &ignored)) return reader_.Unwind("dropped_attributes_count");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
      }
    }
    return true;
  }

  // The whole request: `resource_field` (field 1, repeated) entries, each decoded by
  // ParseResourceItems with `parse_scope(scope, resource_index_in_request, scope_index,
  // resource_index, resource_status)` for its scope entries.
  template <typename ParseScopeFn>
  bool DecodeRequest(std::vector<model::Resource>* resources, const char* resource_field,
                     const char* scope_field, ParseScopeFn&& parse_scope) {
    WireCursor c = reader_.Whole();
    int64_t index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      if (tag == MakeTag(1, kLen)) {
        WireCursor resource;
        if (!reader_.ReadLen(&c, &resource)) return reader_.Unwind(resource_field, index);
        auto parse_one_scope = [&](WireCursor scope, int64_t scope_index, uint32_t resource_index,
                                   const ItemStatus& resource_status) {
          return parse_scope(scope, index, scope_index, resource_index, resource_status);
        };
        if (!ParseResourceItems(resource, resources, parse_one_scope, scope_field)) {
          return reader_.Unwind(resource_field, index);
        }
        ++index;
      } else if (!reader_.SkipField(&c, tag, FieldSet({1}), tag_at)) {
        return false;
      }
    }
    return true;
  }

  // Resource{Spans,Metrics,Logs}: adds the resource to `resources`, then calls
  // `parse_scope(cursor, scope_index, resource_index, resource_status)` for every field 2 (the
  // scope list). The resource comes out again when none of its items was accepted.
  template <typename ParseScopeFn>
  bool ParseResourceItems(WireCursor c, std::vector<model::Resource>* resources,
                          ParseScopeFn&& parse_scope, const char* scope_field) {
    const uint32_t resource_index = static_cast<uint32_t>(resources->size());
    const uint32_t attr_begin = static_cast<uint32_t>(pool_->size());
    uint32_t attr_count = 0;
    int64_t attr_index = 0;
    ItemStatus resource_status(result_, nullptr);
    // Pass 1: the resource, wherever it is in the message, and the framing of everything.
    WireCursor scan = c;
    while (!scan.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&scan, &tag, &tag_at)) return false;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&scan, &field)) return reader_.Unwind("resource");
          if (!ParseResource(field, &attr_count, &attr_index, &resource_status)) {
            return reader_.Unwind("resource");
          }
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&scan, &field)) return false;
          break;
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&scan, &field)) return reader_.Unwind("schema_url");
          break;
        default:
          if (!reader_.SkipField(&scan, tag, FieldSet({1, 2, 3}), tag_at)) return false;
      }
    }
    model::Resource& resource = resources->emplace_back();
    resource.attributes = model::AttributeRange{attr_begin, attr_count};
    internal::SetServiceIdentity(model::AttributesOf(*pool_, resource.attributes), &resource);

    // Pass 2: the scopes; the framing is known to be sound.
    const uint64_t accepted_before = result_->accepted;
    int64_t scope_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      if (tag == MakeTag(2, kLen)) {
        WireCursor scope;
        if (!reader_.ReadLen(&c, &scope)) return false;
        if (!parse_scope(scope, scope_index, resource_index, resource_status)) {
          return reader_.Unwind(scope_field, scope_index);
        }
        ++scope_index;
      } else if (!reader_.SkipField(&c, tag, 0, tag_at)) {
        return false;
      }
    }
    if (result_->accepted == accepted_before) {
      resources->pop_back();
      pool_->resize(attr_begin);
    }
    return true;
  }

  // InstrumentationScope: not kept, structure checked.
  bool ParseScope(WireCursor c) {
    int64_t attr_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      WireCursor field;
      uint64_t ignored;
      switch (tag) {
        case MakeTag(1, kLen):
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &field)) return false;
          break;
        case MakeTag(3, kLen):
          if (!CheckAttribute(&c, "attributes", &attr_index)) return false;
          break;
        case MakeTag(4, kVarint):
          if (!reader_.ReadVarint(&c, &ignored)) return false;
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 4}), tag_at)) return false;
      }
    }
    return true;
  }

  // A KeyValue that is not kept; structure checked.
  bool CheckAttribute(WireCursor* c, const char* path_field, int64_t* index) {
    WireCursor kv;
    if (!reader_.ReadLen(c, &kv) ||
        !ParseKeyValue(kv, nullptr, Where{path_field, *index}, nullptr)) {
      return reader_.Unwind(path_field, *index);
    }
    ++*index;
    return true;
  }

  // Admits one more item of the request, or rejects it beyond max_items.
  bool AdmitItem(ItemStatus* item) {
    if (items_seen_++ < limits_.max_items) return true;
    item->Reject("beyond max_items {}", limits_.max_items);
    return false;
  }

  WireReader reader_;
  const DecodeLimits& limits_;
  const uint32_t max_depth_;
  DecodeResult* result_;
  std::vector<model::KeyValue>* pool_;
  model::BatchStorage* storage_;
  const size_t request_bytes_;
  uint64_t items_seen_ = 0;
};

class TracesDecoder : public ProtoDecoder {
 public:
  TracesDecoder(std::string_view bytes, const DecodeLimits& limits, DecodeResult* result,
                model::SpanBatch* batch)
      : ProtoDecoder(bytes, limits, result, &batch->attributes, &batch->storage), batch_(batch) {}

  bool Decode() {
    // A span with ~10 attributes is 400-600 bytes on the wire.
    ReserveFor(&batch_->spans, request_bytes_, 256, limits_.max_items);
    ReserveFor(pool_, request_bytes_, 40, size_t{limits_.max_items} * 16);
    return DecodeRequest(&batch_->resources, "resource_spans", "scope_spans",
                         [this](auto&&... args) { return ParseScopeSpans(args...); });
  }

 private:
  bool ParseScopeSpans(WireCursor c, int64_t resource_index_in_request, int64_t scope_index,
                       uint32_t resource_index, const ItemStatus& resource_status) {
    int64_t span_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseScope(field)) return reader_.Unwind("scope");
          break;
        case MakeTag(2, kLen): {
          if (!reader_.ReadLen(&c, &field)) return reader_.Unwind("spans", span_index);
          ItemStatus item(result_, &resource_status);
          auto path = [&] {
            return fmt::format("resource_spans[{}].scope_spans[{}].spans[{}]",
                               resource_index_in_request, scope_index, span_index);
          };
          if (AdmitItem(&item)) {
            const size_t attr_mark = pool_->size();
            model::Span& span = batch_->spans.emplace_back();
            span.resource_index = resource_index;
            if (!ParseSpan(field, &span, &item)) return reader_.Unwind("spans", span_index);
            if (item.Rejected()) {
              batch_->spans.pop_back();
              pool_->resize(attr_mark);
            }
          }
          if (item.Rejected()) {
            CountRejected(item, path, result_);
          } else {
            ++result_->accepted;
          }
          ++span_index;
          break;
        }
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &field)) return reader_.Unwind("schema_url");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3}), tag_at)) return false;
      }
    }
    return true;
  }

  bool ParseSpan(WireCursor c, model::Span* span, ItemStatus* item) {
    std::string_view trace_id, span_id, parent_span_id, ignored_view;
    uint64_t start = 0, end = 0, varint;
    uint32_t attr_count = 0;
    int64_t attr_index = 0, event_index = 0, link_index = 0;
    span->attributes.begin = static_cast<uint32_t>(pool_->size());
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &trace_id)) return reader_.Unwind("trace_id");
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &span_id)) return reader_.Unwind("span_id");
          break;
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &ignored_view)) return reader_.Unwind("trace_state");
          break;
        case MakeTag(4, kLen):
          if (!reader_.ReadLen(&c, &parent_span_id)) return reader_.Unwind("parent_span_id");
          break;
        case MakeTag(5, kLen):
          if (!reader_.ReadLen(&c, &span->name)) return reader_.Unwind("name");
          break;
        case MakeTag(6, kVarint):
          if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("kind");
          // Open enum: a kind from a newer OTLP is kept as unspecified.
          span->kind =
              varint <= 5 ? static_cast<model::SpanKind>(varint) : model::SpanKind::kUnspecified;
          break;
        case MakeTag(7, kI64):
          if (!reader_.ReadFixed64(&c, &start)) return reader_.Unwind("start_time_unix_nano");
          break;
        case MakeTag(8, kI64):
          if (!reader_.ReadFixed64(&c, &end)) return reader_.Unwind("end_time_unix_nano");
          break;
        case MakeTag(9, kLen):
          if (!ParseAttribute(&c, "attributes", "attributes", &attr_count, &attr_index, item)) {
            return false;
          }
          break;
        case MakeTag(10, kVarint):
          if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("dropped_attributes_count");
          break;
        case MakeTag(11, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseEvent(field)) {
            return reader_.Unwind("events", event_index);
          }
          ++event_index;
          break;
        case MakeTag(12, kVarint):
          if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("dropped_events_count");
          break;
        case MakeTag(13, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseLink(field)) {
            return reader_.Unwind("links", link_index);
          }
          ++link_index;
          break;
        case MakeTag(14, kVarint):
          if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("dropped_links_count");
          break;
        case MakeTag(15, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseStatus(field, span)) {
            return reader_.Unwind("status");
          }
          break;
        case MakeTag(16, kI32):
          if (!reader_.ReadFixed32(&c, &span->flags)) return reader_.Unwind("flags");
          break;
        default:
          if (!reader_.SkipField(&c, tag,
                                 FieldSet({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
                                 tag_at)) {
            return false;
          }
      }
    }
    span->attributes.count = attr_count;
    span->event_count = static_cast<uint32_t>(event_index);
    span->link_count = static_cast<uint32_t>(link_index);

    if (trace_id.size() != 16) {
      item->Reject("trace_id is {} bytes, want 16", trace_id.size());
    } else {
      std::memcpy(span->trace_id.data(), trace_id.data(), 16);
      if (model::IsZeroId(span->trace_id)) item->Reject("trace_id is all zero");
    }
    if (span_id.size() != 8) {
      item->Reject("span_id is {} bytes, want 8", span_id.size());
    } else {
      std::memcpy(span->span_id.data(), span_id.data(), 8);
      if (model::IsZeroId(span->span_id)) item->Reject("span_id is all zero");
    }
    if (parent_span_id.size() == 8) {
      std::memcpy(span->parent_span_id.data(), parent_span_id.data(), 8);
    } else if (!parent_span_id.empty()) {
      item->Reject("parent_span_id is {} bytes, want 0 or 8", parent_span_id.size());
    }
    if (start == 0) item->Reject("start_time_unix_nano is zero");
    if (end == 0) item->Reject("end_time_unix_nano is zero");
    if (CheckTime(start, "start_time_unix_nano", item) &&
        CheckTime(end, "end_time_unix_nano", item)) {
      if (end < start) {
        item->Reject("end_time_unix_nano {} is before start_time_unix_nano {}", end, start);
      }
    }
    span->start_time_ns = static_cast<core::TimeNs>(start);
    span->end_time_ns = static_cast<core::TimeNs>(end);
    if (!internal::IsValidUtf8Fast(span->name)) item->Reject("invalid UTF-8 in name");
    if (!internal::IsValidUtf8Fast(span->status_message)) {
      item->Reject("invalid UTF-8 in status.message");
    }
    return true;
  }

  bool ParseStatus(WireCursor c, model::Span* span) {
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t code;
      switch (tag) {
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &span->status_message)) return reader_.Unwind("message");
          break;
        case MakeTag(3, kVarint):
          if (!reader_.ReadVarint(&c, &code)) return reader_.Unwind("code");
          span->status_code =
              code <= 2 ? static_cast<model::StatusCode>(code) : model::StatusCode::kUnset;
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({2, 3}), tag_at)) return false;
      }
    }
    return true;
  }

  // Span.Event: counted, not kept.
  bool ParseEvent(WireCursor c) {
    int64_t attr_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t ignored;
      std::string_view view;
      switch (tag) {
        case MakeTag(1, kI64):
          if (!reader_.ReadFixed64(&c, &ignored)) return reader_.Unwind("time_unix_nano");
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &view)) return reader_.Unwind("name");
          break;
        case MakeTag(3, kLen):
          if (!CheckAttribute(&c, "attributes", &attr_index)) return false;
          break;
        case MakeTag(4, kVarint):
          if (!reader_.ReadVarint(&c, &ignored)) return reader_.Unwind("dropped_attributes_count");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 4}), tag_at)) return false;
      }
    }
    return true;
  }

  // Span.Link: counted, not kept.
  bool ParseLink(WireCursor c) {
    int64_t attr_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t ignored;
      uint32_t ignored32;
      std::string_view view;
      switch (tag) {
        case MakeTag(1, kLen):
        case MakeTag(2, kLen):
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &view)) return false;
          break;
        case MakeTag(4, kLen):
          if (!CheckAttribute(&c, "attributes", &attr_index)) return false;
          break;
        case MakeTag(5, kVarint):
          if (!reader_.ReadVarint(&c, &ignored)) return false;
          break;
        case MakeTag(6, kI32):
          if (!reader_.ReadFixed32(&c, &ignored32)) return false;
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 4, 5, 6}), tag_at)) return false;
      }
    }
    return true;
  }

  model::SpanBatch* batch_;
};

class MetricsDecoder : public ProtoDecoder {
 public:
  MetricsDecoder(std::string_view bytes, const DecodeLimits& limits, DecodeResult* result,
                 model::MetricBatch* batch)
      : ProtoDecoder(bytes, limits, result, &batch->attributes, &batch->storage), batch_(batch) {}

  bool Decode() {
    ReserveFor(&batch_->points, request_bytes_, 64, limits_.max_items);
    return DecodeRequest(&batch_->resources, "resource_metrics", "scope_metrics",
                         [this](auto&&... args) { return ParseScopeMetrics(args...); });
  }

 private:
  // Names the metric whose points are being decoded, for rejection reasons.
  struct MetricContext {
    int64_t resource_index_in_request;
    int64_t scope_index;
    int64_t metric_index_in_scope;
    const char* data_field;  // "gauge", "sum", ...
    uint32_t metric_index;   // in batch_->metrics
    model::MetricType type;
    const ItemStatus* metric_status;
  };

  // Pool sizes before a point, to take a rejected point's entries out again.
  struct PoolMarks {
    size_t attributes, bucket_counts, explicit_bounds, quantiles;
  };

  PoolMarks Marks() const {
    return PoolMarks{pool_->size(), batch_->bucket_counts.size(), batch_->explicit_bounds.size(),
                     batch_->quantiles.size()};
  }

  void Rollback(const PoolMarks& marks) {
    pool_->resize(marks.attributes);
    batch_->bucket_counts.resize(marks.bucket_counts);
    batch_->explicit_bounds.resize(marks.explicit_bounds);
    batch_->quantiles.resize(marks.quantiles);
  }

  bool ParseScopeMetrics(WireCursor c, int64_t resource_index_in_request, int64_t scope_index,
                         uint32_t resource_index, const ItemStatus& resource_status) {
    int64_t metric_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseScope(field)) return reader_.Unwind("scope");
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &field) ||
              !ParseMetric(field, resource_index_in_request, scope_index, metric_index,
                           resource_index, resource_status)) {
            return reader_.Unwind("metrics", metric_index);
          }
          ++metric_index;
          break;
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &field)) return reader_.Unwind("schema_url");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3}), tag_at)) return false;
      }
    }
    return true;
  }

  bool ParseMetric(WireCursor c, int64_t resource_index_in_request, int64_t scope_index,
                   int64_t metric_index_in_scope, uint32_t resource_index,
                   const ItemStatus& resource_status) {
    std::string_view name, description, unit;
    uint64_t data_tag = 0;
    WireCursor data{nullptr, nullptr};
    int64_t metadata_index = 0;
    // Pass 1: descriptor fields, wherever they are, and the data field.
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &name)) return reader_.Unwind("name");
          break;
        case MakeTag(2, kLen):
          if (!reader_.ReadLen(&c, &description)) return reader_.Unwind("description");
          break;
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &unit)) return reader_.Unwind("unit");
          break;
        case MakeTag(5, kLen):
        case MakeTag(7, kLen):
        case MakeTag(9, kLen):
        case MakeTag(10, kLen):
        case MakeTag(11, kLen):
          data_tag = tag;
          if (!reader_.ReadLen(&c, &data)) return false;
          break;
        case MakeTag(12, kLen):
          if (!CheckAttribute(&c, "metadata", &metadata_index)) return false;
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 5, 7, 9, 10, 11, 12}), tag_at)) {
            return false;
          }
      }
    }
    if (data_tag == 0) return true;  // no data, no points

    ItemStatus metric_status(result_, &resource_status);
    if (name.empty()) metric_status.Reject("metric name is empty");
    if (!internal::IsValidUtf8Fast(name)) metric_status.Reject("invalid UTF-8 in metric name");
    if (!internal::IsValidUtf8Fast(description)) {
      metric_status.Reject("invalid UTF-8 in metric description");
    }
    if (!internal::IsValidUtf8Fast(unit)) metric_status.Reject("invalid UTF-8 in metric unit");

    MetricContext ctx{resource_index_in_request,
                      scope_index,
                      metric_index_in_scope,
                      nullptr,
                      static_cast<uint32_t>(batch_->metrics.size()),
                      model::MetricType::kGauge,
                      &metric_status};
    switch (data_tag >> 3) {
      case 5:
        ctx.type = model::MetricType::kGauge;
        ctx.data_field = "gauge";
        break;
      case 7:
        ctx.type = model::MetricType::kSum;
        ctx.data_field = "sum";
        break;
      case 9:
        ctx.type = model::MetricType::kHistogram;
        ctx.data_field = "histogram";
        break;
      case 10:
        ctx.type = model::MetricType::kExponentialHistogram;
        ctx.data_field = "exponential_histogram";
        break;
      default:
        ctx.type = model::MetricType::kSummary;
        ctx.data_field = "summary";
        break;
    }
    model::Metric& metric = batch_->metrics.emplace_back();
    metric.name = name;
    metric.description = description;
    metric.unit = unit;
    metric.type = ctx.type;
    metric.resource_index = resource_index;
    metric.points.begin = static_cast<uint32_t>(batch_->points.size());
    if (!ParseMetricData(data, ctx)) return reader_.Unwind(ctx.data_field);
    model::Metric& done = batch_->metrics[ctx.metric_index];
    done.points.count = static_cast<uint32_t>(batch_->points.size()) - done.points.begin;
    if (done.points.count == 0) batch_->metrics.pop_back();
    return true;
  }

  // Gauge, Sum, Histogram, ExponentialHistogram or Summary.
  bool ParseMetricData(WireCursor c, const MetricContext& ctx) {
    const bool has_temporality = ctx.type == model::MetricType::kSum ||
                                 ctx.type == model::MetricType::kHistogram ||
                                 ctx.type == model::MetricType::kExponentialHistogram;
    const bool has_monotonic = ctx.type == model::MetricType::kSum;
    const uint64_t known =
        FieldSet({1}) | (has_temporality ? FieldSet({2}) : 0) | (has_monotonic ? FieldSet({3}) : 0);
    int64_t point_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t varint;
      if (tag == MakeTag(1, kLen)) {
        WireCursor point;
        if (!reader_.ReadLen(&c, &point) || !ParsePoint(point, ctx, point_index)) {
          return reader_.Unwind("data_points", point_index);
        }
        ++point_index;
      } else if (has_temporality && tag == MakeTag(2, kVarint)) {
        if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("aggregation_temporality");
        batch_->metrics[ctx.metric_index].temporality =
            varint <= 2 ? static_cast<model::Temporality>(varint)
                        : model::Temporality::kUnspecified;
      } else if (has_monotonic && tag == MakeTag(3, kVarint)) {
        if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("is_monotonic");
        batch_->metrics[ctx.metric_index].is_monotonic = varint != 0;
      } else if (!reader_.SkipField(&c, tag, known, tag_at)) {
        return false;
      }
    }
    return true;
  }

  bool ParsePoint(WireCursor c, const MetricContext& ctx, int64_t point_index) {
    ItemStatus item(result_, ctx.metric_status);
    auto path = [&] {
      return fmt::format("resource_metrics[{}].scope_metrics[{}].metrics[{}].{}.data_points[{}]",
                         ctx.resource_index_in_request, ctx.scope_index, ctx.metric_index_in_scope,
                         ctx.data_field, point_index);
    };
    if (AdmitItem(&item)) {
      const PoolMarks marks = Marks();
      model::MetricPoint& point = batch_->points.emplace_back();
      point.metric_index = ctx.metric_index;
      point.attributes.begin = static_cast<uint32_t>(pool_->size());
      uint64_t start = 0, time = 0;
      bool ok = false;
      switch (ctx.type) {
        case model::MetricType::kGauge:
        case model::MetricType::kSum:
          ok = ParseNumberPoint(c, &point, &start, &time, &item);
          break;
        case model::MetricType::kHistogram:
          ok = ParseHistogramPoint(c, &point, &start, &time, &item);
          break;
        case model::MetricType::kExponentialHistogram:
          ok = ParseExponentialPoint(c, &point, &start, &time, &item);
          break;
        case model::MetricType::kSummary:
          ok = ParseSummaryPoint(c, &point, &start, &time, &item);
          break;
      }
      if (!ok) return false;
      if (time == 0) item.Reject("time_unix_nano is zero");
      CheckTime(start, "start_time_unix_nano", &item);
      CheckTime(time, "time_unix_nano", &item);
      point.start_time_ns = static_cast<core::TimeNs>(start);
      point.time_ns = static_cast<core::TimeNs>(time);
      if (item.Rejected()) {
        batch_->points.pop_back();
        Rollback(marks);
      }
    }
    if (item.Rejected()) {
      CountRejected(item, path, result_);
    } else {
      ++result_->accepted;
    }
    return true;
  }

  // Fields every point type has at the same numbers: start (2) and time (3).
  bool ParseTimes(WireCursor* c, uint64_t tag, uint64_t* start, uint64_t* time) {
    if (tag == MakeTag(2, kI64)) {
      return reader_.ReadFixed64(c, start) || reader_.Unwind("start_time_unix_nano");
    }
    return reader_.ReadFixed64(c, time) || reader_.Unwind("time_unix_nano");
  }

  bool ParseNumberPoint(WireCursor c, model::MetricPoint* point, uint64_t* start, uint64_t* time,
                        ItemStatus* item) {
    uint32_t attr_count = 0;
    int64_t attr_index = 0, exemplar_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t bits = 0;
      switch (tag) {
        case MakeTag(7, kLen):
          if (!ParseAttribute(&c, "attributes", "attributes", &attr_count, &attr_index, item)) {
            return false;
          }
          break;
        case MakeTag(2, kI64):
        case MakeTag(3, kI64):
          if (!ParseTimes(&c, tag, start, time)) return false;
          break;
        case MakeTag(4, kI64):
          if (!reader_.ReadDouble(&c, &point->value)) return reader_.Unwind("as_double");
          point->is_int = false;
          point->int_value = 0;
          break;
        case MakeTag(6, kI64):
          if (!reader_.ReadFixed64(&c, &bits)) return reader_.Unwind("as_int");
          point->is_int = true;
          point->int_value = static_cast<int64_t>(bits);
          point->value = static_cast<double>(point->int_value);
          break;
        case MakeTag(5, kLen):
          if (!CheckExemplar(&c, &exemplar_index)) return false;
          break;
        case MakeTag(8, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("flags");
          point->flags = static_cast<uint32_t>(bits);
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({2, 3, 4, 5, 6, 7, 8}), tag_at)) return false;
      }
    }
    point->attributes.count = attr_count;
    return true;
  }

  bool ParseHistogramPoint(WireCursor c, model::MetricPoint* point, uint64_t* start, uint64_t* time,
                           ItemStatus* item) {
    uint32_t attr_count = 0;
    int64_t attr_index = 0, exemplar_index = 0;
    auto& counts = batch_->bucket_counts;
    auto& bounds = batch_->explicit_bounds;
    point->bucket_counts.begin = static_cast<uint32_t>(counts.size());
    point->explicit_bounds.begin = static_cast<uint32_t>(bounds.size());
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t bits = 0;
      switch (tag) {
        case MakeTag(9, kLen):
          if (!ParseAttribute(&c, "attributes", "attributes", &attr_count, &attr_index, item)) {
            return false;
          }
          break;
        case MakeTag(2, kI64):
        case MakeTag(3, kI64):
          if (!ParseTimes(&c, tag, start, time)) return false;
          break;
        case MakeTag(4, kI64):
          if (!reader_.ReadFixed64(&c, &point->count)) return reader_.Unwind("count");
          break;
        case MakeTag(5, kI64):
          if (!reader_.ReadDouble(&c, &point->sum)) return reader_.Unwind("sum");
          point->has_sum = true;
          break;
        case MakeTag(6, kI64):
          if (!reader_.ReadFixed64(&c, &bits)) return reader_.Unwind("bucket_counts");
          counts.push_back(bits);
          break;
        case MakeTag(6, kLen):
          if (!ReadPackedFixed64(&c, &counts)) return reader_.Unwind("bucket_counts");
          break;
        case MakeTag(7, kI64):
          if (!reader_.ReadFixed64(&c, &bits)) return reader_.Unwind("explicit_bounds");
          bounds.push_back(std::bit_cast<double>(bits));
          break;
        case MakeTag(7, kLen):
          if (!ReadPackedDouble(&c, &bounds)) return reader_.Unwind("explicit_bounds");
          break;
        case MakeTag(8, kLen):
          if (!CheckExemplar(&c, &exemplar_index)) return false;
          break;
        case MakeTag(10, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("flags");
          point->flags = static_cast<uint32_t>(bits);
          break;
        case MakeTag(11, kI64):
          if (!reader_.ReadDouble(&c, &point->min)) return reader_.Unwind("min");
          point->has_min = true;
          break;
        case MakeTag(12, kI64):
          if (!reader_.ReadDouble(&c, &point->max)) return reader_.Unwind("max");
          point->has_max = true;
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), tag_at)) {
            return false;
          }
      }
    }
    point->attributes.count = attr_count;
    point->bucket_counts.count = static_cast<uint32_t>(counts.size()) - point->bucket_counts.begin;
    point->explicit_bounds.count =
        static_cast<uint32_t>(bounds.size()) - point->explicit_bounds.begin;
    const uint32_t n_counts = point->bucket_counts.count;
    const uint32_t n_bounds = point->explicit_bounds.count;
    if (n_counts != 0 && n_counts != n_bounds + 1) {
      item->Reject("{} bucket_counts for {} explicit_bounds, want {}", n_counts, n_bounds,
                   n_bounds + 1);
    }
    for (uint32_t i = 1; i < n_bounds; ++i) {
      // Written so that NaN bounds fail too.
      if (!(bounds[point->explicit_bounds.begin + i - 1] <
            bounds[point->explicit_bounds.begin + i])) {
        item->Reject("explicit_bounds are not strictly increasing at index {}", i);
        break;
      }
    }
    return true;
  }

  bool ParseExponentialPoint(WireCursor c, model::MetricPoint* point, uint64_t* start,
                             uint64_t* time, ItemStatus* item) {
    uint32_t attr_count = 0;
    int64_t attr_index = 0, exemplar_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t bits = 0;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!ParseAttribute(&c, "attributes", "attributes", &attr_count, &attr_index, item)) {
            return false;
          }
          break;
        case MakeTag(2, kI64):
        case MakeTag(3, kI64):
          if (!ParseTimes(&c, tag, start, time)) return false;
          break;
        case MakeTag(4, kI64):
          if (!reader_.ReadFixed64(&c, &point->count)) return reader_.Unwind("count");
          break;
        case MakeTag(5, kI64):
          if (!reader_.ReadDouble(&c, &point->sum)) return reader_.Unwind("sum");
          point->has_sum = true;
          break;
        case MakeTag(6, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("scale");
          point->scale = ZigZag32(bits);
          break;
        case MakeTag(7, kI64):
          if (!reader_.ReadFixed64(&c, &point->zero_count)) return reader_.Unwind("zero_count");
          break;
        case MakeTag(8, kLen):
          if (!reader_.ReadLen(&c, &field) ||
              !ParseBuckets(field, &point->positive_offset, &point->positive_counts)) {
            return reader_.Unwind("positive");
          }
          break;
        case MakeTag(9, kLen):
          if (!reader_.ReadLen(&c, &field) ||
              !ParseBuckets(field, &point->negative_offset, &point->negative_counts)) {
            return reader_.Unwind("negative");
          }
          break;
        case MakeTag(10, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("flags");
          point->flags = static_cast<uint32_t>(bits);
          break;
        case MakeTag(11, kLen):
          if (!CheckExemplar(&c, &exemplar_index)) return false;
          break;
        case MakeTag(12, kI64):
          if (!reader_.ReadDouble(&c, &point->min)) return reader_.Unwind("min");
          point->has_min = true;
          break;
        case MakeTag(13, kI64):
          if (!reader_.ReadDouble(&c, &point->max)) return reader_.Unwind("max");
          point->has_max = true;
          break;
        case MakeTag(14, kI64):
          if (!reader_.ReadDouble(&c, &point->zero_threshold)) {
            return reader_.Unwind("zero_threshold");
          }
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}),
                                 tag_at)) {
            return false;
          }
      }
    }
    point->attributes.count = attr_count;
    return true;
  }

  static int32_t ZigZag32(uint64_t bits) {
    const uint32_t n = static_cast<uint32_t>(bits);
    return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1));
  }

  // ExponentialHistogramDataPoint.Buckets; a repeated occurrence replaces the earlier one.
  bool ParseBuckets(WireCursor c, int32_t* offset, model::PoolRange* range) {
    auto& counts = batch_->bucket_counts;
    const uint32_t begin = static_cast<uint32_t>(counts.size());
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t bits = 0;
      switch (tag) {
        case MakeTag(1, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("offset");
          *offset = ZigZag32(bits);
          break;
        case MakeTag(2, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("bucket_counts");
          counts.push_back(bits);
          break;
        case MakeTag(2, kLen): {
          WireCursor packed;
          if (!reader_.ReadLen(&c, &packed)) return reader_.Unwind("bucket_counts");
          while (!packed.Done()) {
            if (!reader_.ReadVarint(&packed, &bits)) return reader_.Unwind("bucket_counts");
            counts.push_back(bits);
          }
          break;
        }
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
      }
    }
    *range = model::PoolRange{begin, static_cast<uint32_t>(counts.size()) - begin};
    return true;
  }

  bool ParseSummaryPoint(WireCursor c, model::MetricPoint* point, uint64_t* start, uint64_t* time,
                         ItemStatus* item) {
    uint32_t attr_count = 0;
    int64_t attr_index = 0, quantile_index = 0;
    point->quantiles.begin = static_cast<uint32_t>(batch_->quantiles.size());
    point->has_sum = true;  // a plain double in SummaryDataPoint
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      uint64_t bits = 0;
      WireCursor field;
      switch (tag) {
        case MakeTag(7, kLen):
          if (!ParseAttribute(&c, "attributes", "attributes", &attr_count, &attr_index, item)) {
            return false;
          }
          break;
        case MakeTag(2, kI64):
        case MakeTag(3, kI64):
          if (!ParseTimes(&c, tag, start, time)) return false;
          break;
        case MakeTag(4, kI64):
          if (!reader_.ReadFixed64(&c, &point->count)) return reader_.Unwind("count");
          break;
        case MakeTag(5, kI64):
          if (!reader_.ReadDouble(&c, &point->sum)) return reader_.Unwind("sum");
          break;
        case MakeTag(6, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseQuantile(field)) {
            return reader_.Unwind("quantile_values", quantile_index);
          }
          ++quantile_index;
          break;
        case MakeTag(8, kVarint):
          if (!reader_.ReadVarint(&c, &bits)) return reader_.Unwind("flags");
          point->flags = static_cast<uint32_t>(bits);
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({2, 3, 4, 5, 6, 7, 8}), tag_at)) return false;
      }
    }
    point->attributes.count = attr_count;
    point->quantiles.count =
        static_cast<uint32_t>(batch_->quantiles.size()) - point->quantiles.begin;
    return true;
  }

  bool ParseQuantile(WireCursor c) {
    model::Quantile q;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      switch (tag) {
        case MakeTag(1, kI64):
          if (!reader_.ReadDouble(&c, &q.quantile)) return reader_.Unwind("quantile");
          break;
        case MakeTag(2, kI64):
          if (!reader_.ReadDouble(&c, &q.value)) return reader_.Unwind("value");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
      }
    }
    batch_->quantiles.push_back(q);
    return true;
  }

  // Exemplar: not kept, structure checked.
  bool CheckExemplar(WireCursor* outer, int64_t* index) {
    WireCursor c;
    if (!reader_.ReadLen(outer, &c)) return reader_.Unwind("exemplars", *index);
    int64_t attr_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return reader_.Unwind("exemplars", *index);
      uint64_t bits = 0;
      std::string_view view;
      bool ok = true;
      switch (tag) {
        case MakeTag(7, kLen):
          ok = CheckAttribute(&c, "filtered_attributes", &attr_index);
          break;
        case MakeTag(2, kI64):
        case MakeTag(3, kI64):
        case MakeTag(6, kI64):
          ok = reader_.ReadFixed64(&c, &bits);
          break;
        case MakeTag(4, kLen):
        case MakeTag(5, kLen):
          ok = reader_.ReadLen(&c, &view);
          break;
        default:
          ok = reader_.SkipField(&c, tag, FieldSet({2, 3, 4, 5, 6, 7}), tag_at);
      }
      if (!ok) return reader_.Unwind("exemplars", *index);
    }
    ++*index;
    return true;
  }

  bool ReadPackedFixed64(WireCursor* c, std::vector<uint64_t>* out) {
    WireCursor packed;
    if (!reader_.ReadLen(c, &packed)) return false;
    const size_t bytes = static_cast<size_t>(packed.end - packed.p);
    if (bytes % 8 != 0) {
      return reader_.Fail(packed.p,
                          fmt::format("packed fixed64 length {} is not a multiple of 8", bytes));
    }
    if (bytes == 0) return true;  // memcpy must not see an empty vector's null data()
    const size_t old_size = out->size();
    out->resize(old_size + bytes / 8);
    std::memcpy(out->data() + old_size, packed.p, bytes);
    return true;
  }

  bool ReadPackedDouble(WireCursor* c, std::vector<double>* out) {
    WireCursor packed;
    if (!reader_.ReadLen(c, &packed)) return false;
    const size_t bytes = static_cast<size_t>(packed.end - packed.p);
    if (bytes % 8 != 0) {
      return reader_.Fail(packed.p,
                          fmt::format("packed double length {} is not a multiple of 8", bytes));
    }
    if (bytes == 0) return true;  // memcpy must not see an empty vector's null data()
    const size_t old_size = out->size();
    out->resize(old_size + bytes / 8);
    std::memcpy(out->data() + old_size, packed.p, bytes);
    return true;
  }

  model::MetricBatch* batch_;
};

class LogsDecoder : public ProtoDecoder {
 public:
  LogsDecoder(std::string_view bytes, const DecodeLimits& limits, DecodeResult* result,
              model::LogBatch* batch)
      : ProtoDecoder(bytes, limits, result, &batch->attributes, &batch->storage), batch_(batch) {}

  bool Decode() {
    ReserveFor(&batch_->records, request_bytes_, 128, limits_.max_items);
    ReserveFor(pool_, request_bytes_, 64, size_t{limits_.max_items} * 16);
    return DecodeRequest(&batch_->resources, "resource_logs", "scope_logs",
                         [this](auto&&... args) { return ParseScopeLogs(args...); });
  }

 private:
  bool ParseScopeLogs(WireCursor c, int64_t resource_index_in_request, int64_t scope_index,
                      uint32_t resource_index, const ItemStatus& resource_status) {
    int64_t record_index = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseScope(field)) return reader_.Unwind("scope");
          break;
        case MakeTag(2, kLen): {
          if (!reader_.ReadLen(&c, &field)) return reader_.Unwind("log_records", record_index);
          ItemStatus item(result_, &resource_status);
          auto path = [&] {
            return fmt::format("resource_logs[{}].scope_logs[{}].log_records[{}]",
                               resource_index_in_request, scope_index, record_index);
          };
          if (AdmitItem(&item)) {
            const size_t attr_mark = pool_->size();
            model::LogRecord& record = batch_->records.emplace_back();
            record.resource_index = resource_index;
            if (!ParseLogRecord(field, &record, &item)) {
              return reader_.Unwind("log_records", record_index);
            }
            if (item.Rejected()) {
              batch_->records.pop_back();
              pool_->resize(attr_mark);
            }
          }
          if (item.Rejected()) {
            CountRejected(item, path, result_);
          } else {
            ++result_->accepted;
          }
          ++record_index;
          break;
        }
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &field)) return reader_.Unwind("schema_url");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3}), tag_at)) return false;
      }
    }
    return true;
  }

  bool ParseLogRecord(WireCursor c, model::LogRecord* record, ItemStatus* item) {
    std::string_view trace_id, span_id;
    uint64_t time = 0, observed = 0, varint;
    uint32_t attr_count = 0;
    int64_t attr_index = 0;
    record->attributes.begin = static_cast<uint32_t>(pool_->size());
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at;
      if (!NextTag(&c, &tag, &tag_at)) return false;
      WireCursor field;
      switch (tag) {
        case MakeTag(1, kI64):
          if (!reader_.ReadFixed64(&c, &time)) return reader_.Unwind("time_unix_nano");
          break;
        case MakeTag(11, kI64):
          if (!reader_.ReadFixed64(&c, &observed)) {
            return reader_.Unwind("observed_time_unix_nano");
          }
          break;
        case MakeTag(2, kVarint):
          if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("severity_number");
          // Open enum: a number outside the defined 0..24 is kept as unspecified.
          record->severity_number = varint <= 24 ? static_cast<uint8_t>(varint) : 0;
          break;
        case MakeTag(3, kLen):
          if (!reader_.ReadLen(&c, &record->severity_text)) return reader_.Unwind("severity_text");
          break;
        case MakeTag(5, kLen):
          record->body = model::AnyValue();
          if (!reader_.ReadLen(&c, &field) ||
              !ParseAnyValue(field, &record->body, Where{"body"}, item)) {
            return reader_.Unwind("body");
          }
          break;
        case MakeTag(6, kLen):
          if (!ParseAttribute(&c, "attributes", "attributes", &attr_count, &attr_index, item)) {
            return false;
          }
          break;
        case MakeTag(7, kVarint):
          if (!reader_.ReadVarint(&c, &varint)) return reader_.Unwind("dropped_attributes_count");
          break;
        case MakeTag(8, kI32):
          if (!reader_.ReadFixed32(&c, &record->flags)) return reader_.Unwind("flags");
          break;
        case MakeTag(9, kLen):
          if (!reader_.ReadLen(&c, &trace_id)) return reader_.Unwind("trace_id");
          break;
        case MakeTag(10, kLen):
          if (!reader_.ReadLen(&c, &span_id)) return reader_.Unwind("span_id");
          break;
        case MakeTag(12, kLen):
          if (!reader_.ReadLen(&c, &record->event_name)) return reader_.Unwind("event_name");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12}), tag_at)) {
            return false;
          }
      }
    }
    record->attributes.count = attr_count;
    if (trace_id.size() == 16) {
      std::memcpy(record->trace_id.data(), trace_id.data(), 16);
    } else if (!trace_id.empty()) {
      item->Reject("trace_id is {} bytes, want 0 or 16", trace_id.size());
    }
    if (span_id.size() == 8) {
      std::memcpy(record->span_id.data(), span_id.data(), 8);
    } else if (!span_id.empty()) {
      item->Reject("span_id is {} bytes, want 0 or 8", span_id.size());
    }
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

template <typename Decoder, typename Batch>
absl::Status Run(std::string_view bytes, const DecodeLimits& limits, Batch* batch,
                 DecodeResult* result) {
  *result = DecodeResult();
  Decoder decoder(bytes, limits, result, batch);
  if (!decoder.Decode()) return decoder.Error();
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeTracesProto(std::string_view bytes, const DecodeLimits& limits,
                               model::SpanBatch* batch, DecodeResult* result) {
  return Run<TracesDecoder>(bytes, limits, batch, result);
}

absl::Status DecodeMetricsProto(std::string_view bytes, const DecodeLimits& limits,
                                model::MetricBatch* batch, DecodeResult* result) {
  return Run<MetricsDecoder>(bytes, limits, batch, result);
}

absl::Status DecodeLogsProto(std::string_view bytes, const DecodeLimits& limits,
                             model::LogBatch* batch, DecodeResult* result) {
  return Run<LogsDecoder>(bytes, limits, batch, result);
}

}  // namespace augur::ingest
