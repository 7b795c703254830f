// Log record counts per (service, severity) and event-time window: the first thing derived from
// logs (log templates come later). Owned by one derive shard; not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/time.h"
#include "derive/interner.h"
#include "model/log_record.h"
#include "model/partials.h"

namespace augur::derive {

class LogCounter {
 public:
  void Add(uint32_t service_id, model::Severity severity, core::TimeNs window_start) {
    counts_[Key{service_id, severity, window_start}] += 1;
  }

  template <typename Route>
  void Flush(const Interner& services, Route route, std::vector<model::PartialBatch>* out) {
    for (const auto& [key, count] : counts_) {
      std::string_view service = services.Get(key.service_id);
      model::LogCountPartial& p = (*out)[route(service)].logs.emplace_back();
      p.service = std::string(service);
      p.severity = key.severity;
      p.window_start = key.window_start;
      p.count = count;
    }
    counts_.clear();
  }

 private:
  struct Key {
    uint32_t service_id;
    model::Severity severity;
    core::TimeNs window_start;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.service_id, k.severity, k.window_start);
    }
  };
  absl::flat_hash_map<Key, uint64_t> counts_;
};

}  // namespace augur::derive
