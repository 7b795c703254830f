// Log record counts per (service, template, severity) and event-time window, with one example
// line each, between two flushes of a derive shard. Owned by one derive shard; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/time.h"
#include "core/utf8.h"
#include "derive/interner.h"
#include "model/log_record.h"
#include "model/partials.h"

namespace augur::derive {

class LogCounter {
 public:
  // Counts one line; the first line of a key in a flush interval is its example, cut to
  // `max_example_bytes` on a code point boundary (`line` is valid UTF-8).
  void Add(uint32_t service_id, uint32_t template_id, model::Severity severity,
           core::TimeNs window_start, std::string_view line, size_t max_example_bytes) {
    Value& v = counts_[Key{service_id, template_id, severity, window_start}];
    if (v.count++ == 0) v.example = std::string(core::TruncateUtf8(line, max_example_bytes));
  }

  // Moves the counts into partials for the stage-2 shard route(service) picks; describe(service,
  // partial) fills in the template's text and first-seen times (and may canonicalise its id).
  template <typename Route, typename Describe>
  void Flush(const Interner& services, Route route, Describe describe,
             std::vector<model::PartialBatch>* out) {
    for (auto& [key, value] : counts_) {
      std::string_view service = services.Get(key.service_id);
      model::LogPartial& p = (*out)[route(service)].logs.emplace_back();
      p.service = std::string(service);
      p.template_id = key.template_id;
      p.severity = key.severity;
      p.window_start = key.window_start;
      p.count = value.count;
      p.example = std::move(value.example);
      describe(service, &p);
    }
    counts_.clear();
  }

  size_t size() const { return counts_.size(); }

 private:
  struct Key {
    uint32_t service_id;
    uint32_t template_id;
    model::Severity severity;
    core::TimeNs window_start;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.service_id, k.template_id, k.severity, k.window_start);
    }
  };
  struct Value {
    uint64_t count = 0;
    std::string example;
  };
  absl::flat_hash_map<Key, Value> counts_;
};

}  // namespace augur::derive
