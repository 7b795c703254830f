#include "ingest/proto_wire.h"

#include <fmt/format.h>

namespace augur::ingest::internal {

const uint8_t* WireReader::ReadVarintSlow(const uint8_t* p, const uint8_t* end, uint64_t* out) {
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (p + i >= end) {
      Fail(p, "truncated varint");
      return nullptr;
    }
    uint64_t byte = p[i];
    result |= (byte & 0x7F) << (7 * i);
    if (byte < 0x80) {
      *out = result;
      return p + i + 1;
    }
  }
  Fail(p, "varint longer than 10 bytes");
  return nullptr;
}

bool WireReader::SkipField(WireCursor* c, uint64_t tag, uint64_t known_fields,
                           const uint8_t* tag_at) {
  const uint64_t field = tag >> 3;
  const uint32_t wire_type = tag & 7;
  if (field == 0) return Fail(tag_at, "field number 0");
  if (field < 64 && (known_fields >> field & 1) != 0) {
    return Fail(tag_at, fmt::format("field {} has unexpected wire type {}", field, wire_type));
  }
  switch (wire_type) {
    case kVarint: {
      uint64_t ignored;
      return ReadVarint(c, &ignored);
    }
    case kI64: {
      uint64_t ignored;
      return ReadFixed64(c, &ignored);
    }
    case kLen: {
      WireCursor ignored;
      return ReadLen(c, &ignored);
    }
    case kI32: {
      uint32_t ignored;
      return ReadFixed32(c, &ignored);
    }
    case kStartGroup:
    case kEndGroup:
      return Fail(tag_at, fmt::format("group (wire type {}) in field {}", wire_type, field));
    default:
      return Fail(tag_at, fmt::format("invalid wire type {} in field {}", wire_type, field));
  }
}

bool WireReader::Fail(const uint8_t* at, std::string message) {
  // Keep the innermost failure: it is the one that says what is wrong.
  if (message_.empty()) {
    message_ = std::move(message);
    offset_ = static_cast<uint64_t>(at - base_);
  }
  return false;
}

bool WireReader::FailLength(const uint8_t* at, uint64_t len, uint64_t remaining) {
  return Fail(at, fmt::format("length {} exceeds remaining {} bytes", len, remaining));
}

absl::Status WireReader::Error() const {
  std::string text = fmt::format("malformed protobuf: {} at offset {}", message_, offset_);
  if (!path_.empty()) fmt::format_to(std::back_inserter(text), " ({})", path_.ToString());
  return absl::InvalidArgumentError(text);
}

}  // namespace augur::ingest::internal
