#include "derive/span_metrics.h"

namespace augur::derive {

SpanMetricsAggregator::SpanMetricsAggregator(std::vector<double> bounds_ms, size_t max_names)
    : bounds_ms_(std::move(bounds_ms)), names_(max_names, "overflow_operation") {}

void SpanMetricsAggregator::Add(uint32_t service_id, const model::Span& span,
                                core::TimeNs window_start) {
  Key key{service_id, names_.Intern(span.name), span.kind, span.status_code, window_start};
  auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(accumulators_.size()));
  if (inserted) accumulators_.push_back(Accumulator{.key = key});
  Accumulator& acc = accumulators_[it->second];
  double duration_ms =
      static_cast<double>(span.DurationNs()) / static_cast<double>(core::kNsPerMillisecond);
  acc.count += 1;
  acc.sum_ms += duration_ms;
  acc.buckets[model::BucketIndex(bounds_ms_, duration_ms)] += 1;
}

}  // namespace augur::derive
