#include "derive/derive_shard.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/hash.h"

namespace augur::derive {

absl::Status DeriveConfig::Validate() const {
  if (window_ns < core::kNsPerSecond) {
    return absl::InvalidArgumentError("pipeline.window must be at least 1s");
  }
  if (allowed_lateness_ns < 0) {
    return absl::InvalidArgumentError("pipeline.allowed_lateness must not be negative");
  }
  auto check_bounds = [](const std::vector<double>& bounds, std::string_view key) -> absl::Status {
    if (bounds.empty() || bounds.size() > model::kMaxLatencyBounds) {
      return absl::InvalidArgumentError(
          fmt::format("{} must have 1 to {} bounds", key, model::kMaxLatencyBounds));
    }
    for (size_t i = 1; i < bounds.size(); ++i) {
      if (!(bounds[i] > bounds[i - 1])) {
        return absl::InvalidArgumentError(fmt::format("{} must be strictly increasing", key));
      }
    }
    return absl::OkStatus();
  };
  if (auto s = check_bounds(latency_bounds_ms, "span_metrics.buckets_ms"); !s.ok()) return s;
  if (auto s = check_bounds(graph.bounds_s, "service_graph.buckets_s"); !s.ok()) return s;
  if (graph.pairing_ttl_ns <= 0) {
    return absl::InvalidArgumentError("service_graph.pairing_ttl must be positive");
  }
  return absl::OkStatus();
}

DeriveShard::DeriveShard(const DeriveConfig& config, int stage2_shards, core::SelfMetrics* metrics,
                         const core::Clock* clock)
    : config_(config),
      stage2_shards_(stage2_shards),
      clock_(clock),
      services_(config.max_services, "overflow_service"),
      span_metrics_(config.latency_bounds_ms, config.max_span_names),
      graph_(config.graph, &services_) {
  spans_total_ = metrics->GetCounter("augur_derive_spans", "Spans turned into RED and graph data.");
  late_spans_total_ = metrics->GetCounter(
      "augur_derive_late_spans",
      "Spans older than the watermark minus the allowed lateness: in totals, in no window.");
  logs_total_ = metrics->GetCounter("augur_derive_log_records", "Log records counted.");
  late_logs_total_ = metrics->GetCounter("augur_derive_late_log_records",
                                         "Log records later than the allowed lateness.");
}

core::TimeNs DeriveShard::WindowOf(core::TimeNs t) const {
  if (watermark_ != kNoWatermark && t < watermark_ - config_.allowed_lateness_ns) {
    return model::kLateWindow;
  }
  return core::FloorTo(t, config_.window_ns);
}

void DeriveShard::ConsumeSpans(const model::SpanBatch& batch, std::span<const uint32_t> indices) {
  if (indices.empty()) return;
  // Service ids per resource, resolved once per batch.
  scratch_service_ids_.assign(batch.resources.size(), UINT32_MAX);
  scratch_times_.clear();
  uint64_t late = 0;
  for (uint32_t i : indices) {
    const model::Span& span = batch.spans[i];
    uint32_t& service_id = scratch_service_ids_[span.resource_index];
    if (service_id == UINT32_MAX)
      service_id = ServiceId(batch.resources[span.resource_index].service_name);
    core::TimeNs window = WindowOf(span.end_time_ns);
    late += window == model::kLateWindow ? 1 : 0;
    span_metrics_.Add(service_id, span, window);
    graph_.Add(batch, span, service_id, window);
    scratch_times_.push_back(span.end_time_ns);
  }
  auto mid = scratch_times_.begin() + static_cast<ptrdiff_t>(scratch_times_.size() / 2);
  std::nth_element(scratch_times_.begin(), mid, scratch_times_.end());
  const core::TimeNs median = *mid;
  watermark_ = std::max(watermark_, median);
  // After nth_element everything past `mid` is >= the median: the latest plausible end time is
  // among them.
  for (auto it = mid; it != scratch_times_.end(); ++it) {
    if (*it <= median + config_.allowed_lateness_ns) latest_ = std::max(latest_, *it);
  }
  spans_total_->Add(indices.size());
  if (late > 0) late_spans_total_->Add(late);
}

void DeriveShard::ConsumeLogs(const model::LogBatch& batch, std::span<const uint32_t> indices) {
  uint64_t late = 0;
  for (uint32_t i : indices) {
    const model::LogRecord& record = batch.records[i];
    core::TimeNs t = record.EventTimeNs();
    if (t == 0) t = clock_->NowNs();
    core::TimeNs window = WindowOf(t);
    late += window == model::kLateWindow ? 1 : 0;
    uint32_t service_id = ServiceId(batch.resources[record.resource_index].service_name);
    logs_.Add(service_id, model::SeverityOf(record.severity_number), window);
  }
  logs_total_->Add(indices.size());
  if (late > 0) late_logs_total_->Add(late);
}

bool DeriveShard::WindowAdvanced() const {
  return watermark_ != kNoWatermark &&
         core::FloorTo(watermark_, config_.window_ns) != flushed_window_;
}

std::vector<model::PartialBatch> DeriveShard::Flush(bool expire_all) {
  if (watermark_ != kNoWatermark || expire_all) graph_.Expire(watermark_, expire_all);
  std::vector<model::PartialBatch> out(stage2_shards_);
  auto route = [this](std::string_view service) { return core::ShardOf(service, stage2_shards_); };
  span_metrics_.Flush(services_, route, &out);
  graph_.Flush(route, &out);
  logs_.Flush(services_, route, &out);
  for (model::PartialBatch& b : out) {
    b.watermark =
        watermark_ == kNoWatermark ? kNoWatermark : watermark_ - config_.allowed_lateness_ns;
  }
  if (watermark_ != kNoWatermark) flushed_window_ = core::FloorTo(watermark_, config_.window_ns);
  return out;
}

}  // namespace augur::derive
