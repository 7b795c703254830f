// Maps strings to small dense ids, so per-span work hashes each string once and then keys maps
// by integers. Bounded: past `max_entries` every new string gets kOverflowId. Owned by one shard;
// not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace augur::derive {

class Interner {
 public:
  static constexpr uint32_t kOverflowId = 0;

  // `overflow_name` is what kOverflowId stands for.
  Interner(size_t max_entries, std::string overflow_name);

  uint32_t Intern(std::string_view s);
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size() - 1; }
  // Forgets every string (ids handed out before become invalid).
  void Clear();

 private:
  size_t max_entries_;
  std::deque<std::string> strings_;  // deque: stable addresses for the map's keys
  absl::flat_hash_map<std::string_view, uint32_t> ids_;
};

}  // namespace augur::derive
