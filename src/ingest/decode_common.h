// Pieces the OTLP protobuf and JSON decoders share: per-item rejection bookkeeping, value limits,
// the resource's service identity, the path of a whole-request error, and the compact JSON text
// that nested AnyValue arrays and key-value lists become (model::AnyValue::str).
//
// Private to src/ingest/; not thread-safe objects, one per decode call.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/utf8.h"
#include "ingest/otlp_decoder.h"
#include "model/attributes.h"
#include "model/resource.h"

namespace augur::ingest::internal {

// Recursion bound whatever DecodeLimits::max_nesting_depth says: nested values are decoded by
// recursion, and a decoder must not run out of stack on hostile input.
inline constexpr uint32_t kMaxNestingDepthCap = 64;

inline uint32_t EffectiveMaxDepth(const DecodeLimits& limits) {
  return limits.max_nesting_depth < kMaxNestingDepthCap ? limits.max_nesting_depth
                                                        : kMaxNestingDepthCap;
}

// core::IsValidUtf8 behind an inline all-ASCII check: nearly every string on the wire is short
// ASCII, which this settles with a few overlapping word loads and one branch.
inline bool IsValidUtf8Fast(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t bits = 0;
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      bits |= word;
    }
    uint64_t last;
    std::memcpy(&last, p + n - 8, 8);
    bits |= last;
  } else if (n >= 4) {
    uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    bits = first | last;
  } else {
    for (size_t i = 0; i < n; ++i) bits |= static_cast<unsigned char>(p[i]);
  }
  return (bits & 0x8080808080808080ULL) == 0 || core::IsValidUtf8(s);
}

// A valid UTF-8 string cut to `max_bytes` on a code point boundary; counts the cut.
inline std::string_view LimitString(std::string_view s, uint32_t max_bytes, DecodeResult* result) {
  if (s.size() <= max_bytes) return s;
  ++result->truncated_values;
  return core::TruncateUtf8(s, max_bytes);
}

// Bytes cut to `max_bytes`; counts the cut.
inline std::string_view LimitBytes(std::string_view s, uint32_t max_bytes, DecodeResult* result) {
  if (s.size() <= max_bytes) return s;
  ++result->truncated_values;
  return s.substr(0, max_bytes);
}

// Names an attribute (or a body) in rejection reasons: "attributes[2]", "body".
struct Where {
  const char* field;
  int64_t index = -1;  // -1: not a list element
};
std::string ToString(Where where);

// Whether the item being decoded (a span, a data point, a log record) goes into the batch, and if
// not, why. An item also fails when its parent (resource, metric) failed. Reasons are formatted
// only while the request has no first error yet, so a request full of bad items stays cheap.
class ItemStatus {
 public:
  ItemStatus(const DecodeResult* result, const ItemStatus* parent)
      : result_(result), parent_(parent) {}

  bool Rejected() const { return rejected_ || (parent_ != nullptr && parent_->Rejected()); }

  // Keeps the first reason.
  template <typename... Args>
  void Reject(fmt::format_string<Args...> format, Args&&... args) {
    if (rejected_) return;
    rejected_ = true;
    if (result_->first_error.empty()) reason_ = fmt::format(format, std::forward<Args>(args)...);
  }

  std::string_view Reason() const {
    if (rejected_) return reason_;
    return parent_ != nullptr ? parent_->Reason() : std::string_view();
  }

 private:
  const DecodeResult* result_;
  const ItemStatus* parent_;
  bool rejected_ = false;
  std::string reason_;
};

// Checks an OTLP time (fixed64 nanoseconds) that must fit core::TimeNs; rejects the item
// otherwise.
bool CheckTime(uint64_t t, const char* field, ItemStatus* item);

// Counts a rejected item and keeps the request's first reason as "<path>: <reason>". `path` is
// called only when that reason is still to be recorded.
template <typename PathFn>
void CountRejected(const ItemStatus& item, PathFn&& path, DecodeResult* result) {
  ++result->rejected;
  if (!result->first_error.empty()) return;
  std::string_view reason = item.Reason();
  result->first_error = path();
  result->first_error += ": ";
  result->first_error += reason.empty() ? std::string_view("rejected") : reason;
}

// Sets service_name (kUnknownService unless a non-empty string), namespace, version and instance
// id from the first string attribute of each name.
void SetServiceIdentity(std::span<const model::KeyValue> attributes, model::Resource* resource);

// Where a whole-request error happened, collected innermost-first while a decoder unwinds, so the
// happy path pays nothing for it.
class ErrorPath {
 public:
  void Push(std::string_view field, int64_t index = -1) { elements_.emplace_back(field, index); }
  // Outermost first: "resource_spans[0].scope_spans[1].spans[3]". An element with an empty
  // field is a bare index into the list named by the element outside it.
  std::string ToString() const;
  bool empty() const { return elements_.empty(); }

 private:
  std::vector<std::pair<std::string_view, int64_t>> elements_;
};

// Compact JSON text of nested values, as both decoders write it: strings escaped
// (core::AppendJsonString), integers as numbers, doubles in shortest round-trip form ("NaN",
// "Infinity", "-Infinity" as strings), bytes as base64 strings, empty values as null.
void AppendJsonInt(int64_t v, std::string* out);
void AppendJsonDouble(double v, std::string* out);
void AppendJsonBool(bool v, std::string* out);
void AppendJsonBytes(std::string_view bytes, std::string* out);

}  // namespace augur::ingest::internal
