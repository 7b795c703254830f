// Stable hashing for routing keys to shards. Stable means the same on every run and machine, so a
// key maps to the same shard (and, distributed, to the same Kafka partition) everywhere; absl::Hash
// is not guaranteed to be.
#pragma once

#include <cstdint>
#include <string_view>

namespace augur::core {

// FNV-1a over the bytes, finished with the MurmurHash3 fmix64 avalanche so that low bits are
// usable.
constexpr uint64_t StableHash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The shard in [0, shards) that owns `key`.
constexpr int ShardOf(std::string_view key, int shards) {
  return static_cast<int>(StableHash(key) % static_cast<uint64_t>(shards));
}

}  // namespace augur::core
