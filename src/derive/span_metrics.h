// RED metrics from spans, as the OpenTelemetry Collector's spanmetrics connector defines them: per
// (service_name, span_name, span_kind, status_code) a call count and a duration histogram in
// milliseconds. Stage 1 aggregates spans into partials per series and event-time window; stage 2
// merges them (see model/partials.h).
//
// Owned by one derive shard; not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/time.h"
#include "derive/interner.h"
#include "model/partials.h"
#include "model/span.h"

namespace augur::derive {

class SpanMetricsAggregator {
 public:
  // `bounds_ms`: histogram bucket upper bounds (at most model::kMaxLatencyBounds).
  // `max_names`: distinct span names held between two flushes before folding into "overflow".
  SpanMetricsAggregator(std::vector<double> bounds_ms, size_t max_names);

  // Counts `span` of service `service_id` (an id of the shard's service interner) in the window
  // starting at `window_start` (model::kLateWindow for late data).
  void Add(uint32_t service_id, const model::Span& span, core::TimeNs window_start);

  // Appends one partial per (series, window) added since the last flush to out[route(service)],
  // then forgets them. `services` resolves service ids; `route` maps a service name to its
  // stage-2 shard.
  template <typename Route>
  void Flush(const Interner& services, Route route, std::vector<model::PartialBatch>* out);

  size_t pending() const { return accumulators_.size(); }

 private:
  struct Key {
    uint32_t service_id;
    uint32_t name_id;
    model::SpanKind kind;
    model::StatusCode status;
    core::TimeNs window_start;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.service_id, k.name_id, k.kind, k.status, k.window_start);
    }
  };
  struct Accumulator {
    Key key;
    uint64_t count = 0;
    double sum_ms = 0;
    model::BucketCounts buckets{};
  };

  std::vector<double> bounds_ms_;
  Interner names_;
  absl::flat_hash_map<Key, uint32_t> index_;  // into accumulators_
  std::vector<Accumulator> accumulators_;
};

template <typename Route>
void SpanMetricsAggregator::Flush(const Interner& services, Route route,
                                  std::vector<model::PartialBatch>* out) {
  for (Accumulator& acc : accumulators_) {
    std::string_view service = services.Get(acc.key.service_id);
    model::RedPartial& p = (*out)[route(service)].red.emplace_back();
    p.service = std::string(service);
    p.span_name = std::string(names_.Get(acc.key.name_id));
    p.kind = acc.key.kind;
    p.status = acc.key.status;
    p.window_start = acc.key.window_start;
    p.count = acc.count;
    p.sum_ms = acc.sum_ms;
    p.buckets = acc.buckets;
  }
  accumulators_.clear();
  index_.clear();
  // Span names are only needed until the flush; clearing bounds the interner by what one flush
  // interval sees.
  names_.Clear();
}

}  // namespace augur::derive
