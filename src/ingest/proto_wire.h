// Reading the protobuf wire format (https://protobuf.dev/programming-guides/encoding/) straight
// from untrusted bytes, for the OTLP decoders. No message objects: a decoder walks each message's
// tags itself and pulls fields out as views.
//
// Every read is bounds-checked against the end of the enclosing message. A failed read records
// what went wrong and the offset in the request, and returns false; the decoder then returns false
// up its call chain, each level adding its field to the error path (ErrorPath), so the success path
// pays nothing for error reporting. One WireReader per decode call; not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "ingest/decode_common.h"

namespace augur::ingest::internal {

enum WireType : uint32_t {
  kVarint = 0,
  kI64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kI32 = 5,
};

constexpr uint64_t MakeTag(uint32_t field, WireType wire_type) {
  return uint64_t{field} << 3 | wire_type;
}

// The set of field numbers (< 64) a message defines: one of them with an unexpected wire type
// makes the request malformed, while unknown fields are skipped.
constexpr uint64_t FieldSet(std::initializer_list<uint32_t> fields) {
  uint64_t set = 0;
  for (uint32_t f : fields) set |= uint64_t{1} << f;
  return set;
}

// The bytes of one message, or of one length-delimited field: [p, end). Reads advance p.
struct WireCursor {
  const uint8_t* p = nullptr;
  const uint8_t* end = nullptr;

  bool Done() const { return p >= end; }
  std::string_view View() const {
    return std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p));
  }
};

class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : base_(reinterpret_cast<const uint8_t*>(bytes.data())), size_(bytes.size()) {}

  WireCursor Whole() const { return WireCursor{base_, base_ + size_}; }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadVarint(WireCursor* c, uint64_t* out) {
    if (ABSL_PREDICT_TRUE(c->p < c->end && *c->p < 0x80)) {
      *out = *c->p++;
      return true;
    }
    const uint8_t* next = ReadVarintSlow(c->p, c->end, out);
    if (ABSL_PREDICT_FALSE(next == nullptr)) return false;
    c->p = next;
    return true;
  }

  // A tag; whether its field number and wire type are acceptable is left to SkipField, which
  // every message loop calls for the tags it does not know.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadTag(WireCursor* c, uint64_t* tag) {
    if (!ReadVarint(c, tag)) return false;
    if (ABSL_PREDICT_FALSE(*tag > 0xFFFFFFFFu)) return Fail(c->p, "tag exceeds 32 bits");
    return true;
  }

  // A length-delimited field's payload.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadLen(WireCursor* c, WireCursor* out) {
    const uint8_t* at = c->p;
    uint64_t len;
    if (!ReadVarint(c, &len)) return false;
    if (ABSL_PREDICT_FALSE(len > static_cast<uint64_t>(c->end - c->p))) {
      return FailLength(at, len, static_cast<uint64_t>(c->end - c->p));
    }
    out->p = c->p;
    c->p += len;
    out->end = c->p;
    return true;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadLen(WireCursor* c, std::string_view* out) {
    WireCursor field;
    if (!ReadLen(c, &field)) return false;
    *out = field.View();
    return true;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadFixed64(WireCursor* c, uint64_t* out) {
    if (ABSL_PREDICT_FALSE(c->end - c->p < 8)) return Fail(c->p, "truncated 64-bit field");
    std::memcpy(out, c->p, 8);  // little-endian host, as the wire
    c->p += 8;
    return true;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadDouble(WireCursor* c, double* out) {
    uint64_t bits = 0;
    if (!ReadFixed64(c, &bits)) return false;
    std::memcpy(out, &bits, 8);
    return true;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadFixed32(WireCursor* c, uint32_t* out) {
    if (ABSL_PREDICT_FALSE(c->end - c->p < 4)) return Fail(c->p, "truncated 32-bit field");
    std::memcpy(out, c->p, 4);
    c->p += 4;
    return true;
  }

  // Skips the field whose tag was just read from `tag_at`. Malformed: field number 0, groups
  // (deprecated, never used by OTLP), wire types 6 and 7, and a field of `known_fields` (it has a
  // wire type its message does not declare, or the caller would have handled it).
  bool SkipField(WireCursor* c, uint64_t tag, uint64_t known_fields, const uint8_t* tag_at);

  // Records a malformed-input error at `at`; returns false.
  bool Fail(const uint8_t* at, std::string message);
  bool FailLength(const uint8_t* at, uint64_t len, uint64_t remaining);

  // Adds a path element while unwinding from an error; returns false.
  bool Unwind(std::string_view field, int64_t index = -1) {
    path_.Push(field, index);
    return false;
  }

  // InvalidArgument "malformed protobuf: <what> at offset <n> (<path>)".
  absl::Status Error() const;

 private:
  const uint8_t* ReadVarintSlow(const uint8_t* p, const uint8_t* end, uint64_t* out);

  const uint8_t* base_;
  size_t size_;
  std::string message_;
  uint64_t offset_ = 0;
  ErrorPath path_;
};

}  // namespace augur::ingest::internal
