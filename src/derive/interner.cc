#include "derive/interner.h"

namespace augur::derive {

Interner::Interner(size_t max_entries, std::string overflow_name) : max_entries_(max_entries) {
  strings_.push_back(std::move(overflow_name));
}

uint32_t Interner::Intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  if (size() >= max_entries_) return kOverflowId;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  const std::string& stored = strings_.emplace_back(s);
  ids_.emplace(stored, id);
  return id;
}

void Interner::Clear() {
  ids_.clear();
  strings_.resize(1);
}

}  // namespace augur::derive
