// Trace and span identifiers as fixed-size byte arrays (OTLP: 16 and 8 bytes).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace augur::model {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

template <size_t N>
bool IsZeroId(const std::array<uint8_t, N>& id) {
  for (uint8_t b : id) {
    if (b != 0) return false;
  }
  return true;
}

// A well-mixed hash of a trace id. W3C trace ids are random, but not every producer's are, so the
// bytes are finished with the MurmurHash3 fmix64 avalanche: every bit of the result depends on
// every bit of the id, and `hash % shards` spreads sequential ids.
inline uint64_t HashTraceId(const TraceId& id) {
  uint64_t lo, hi;
  std::memcpy(&lo, id.data(), 8);
  std::memcpy(&hi, id.data() + 8, 8);
  uint64_t h = lo ^ (hi * 0x9E3779B97F4A7C15ULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Lowercase hex, as OTLP/JSON writes ids.
template <size_t N>
std::string IdToHex(const std::array<uint8_t, N>& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[id[i] >> 4];
    out[2 * i + 1] = kDigits[id[i] & 0xF];
  }
  return out;
}

// Parses case-insensitive hex of exactly 2*N digits. Returns false on any other input.
template <size_t N>
bool IdFromHex(std::string_view hex, std::array<uint8_t, N>* id) {
  if (hex.size() != 2 * N) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < N; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*id)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace augur::model
