#include "derive/derive_shard.h"

#include <algorithm>
#include <cmath>

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
  return logs.Validate();
}

DeriveShard::DeriveShard(const DeriveConfig& config, int stage2_shards, core::SelfMetrics* metrics,
                         const core::Clock* clock)
    : config_(config),
      stage2_shards_(stage2_shards),
      clock_(clock),
      services_(config.max_services, "overflow_service"),
      span_metrics_(config.latency_bounds_ms, config.max_span_names),
      graph_(config.graph, &services_),
      trace_evidence_(config.trace_evidence, config.latency_bounds_ms, &services_),
      miners_(config.logs) {
  spans_total_ = metrics->GetCounter("augur_derive_spans", "Spans turned into RED and graph data.");
  late_spans_total_ = metrics->GetCounter(
      "augur_derive_late_spans",
      "Spans older than the watermark minus the allowed lateness: in totals, in no window.");
  logs_total_ = metrics->GetCounter("augur_derive_log_records", "Log records counted.");
  late_logs_total_ = metrics->GetCounter("augur_derive_late_log_records",
                                         "Log records later than the allowed lateness.");
  log_overflow_total_ = metrics->GetCounter(
      "augur_derive_log_overflow_lines",
      "Log lines without a template: their service is beyond logs.max_services on its "
      "shard, or its miner holds logs.max_templates templates.");
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
    if (service_id == UINT32_MAX) {
      const model::Resource& resource = batch.resources[span.resource_index];
      service_id = ServiceId(resource.service_name);
      if (!resource.service_version.empty()) {
        NoteVersion(resource.service_name, resource.service_version, span.start_time_ns);
      }
      NotePlacement(batch, resource);
    }
    core::TimeNs window = WindowOf(span.end_time_ns);
    late += window == model::kLateWindow ? 1 : 0;
    span_metrics_.Add(service_id, span, window);
    const uint32_t peer = graph_.Add(batch, span, service_id, window);
    trace_evidence_.Add(span, service_id, span.kind == model::SpanKind::kClient ? peer : 0, window);
    scratch_times_.push_back(span.end_time_ns);
  }
  AdvanceFromScratchTimes();
  spans_total_->Add(indices.size());
  if (late > 0) late_spans_total_->Add(late);
}

void DeriveShard::NoteVersion(std::string_view service, std::string_view version, core::TimeNs t) {
  auto it = versions_.find(absl::string_view(service.data(), service.size()));
  if (it == versions_.end()) {
    if (versions_.size() >= config_.max_services) return;
    versions_.emplace(std::string(service), std::vector<std::string>{std::string(version)});
    return;
  }
  std::vector<std::string>& seen = it->second;
  if (seen.back() == version) return;
  auto known = std::find(seen.begin(), seen.end(), version);
  if (known != seen.end()) {
    // A version seen before (replicas of two versions during a rollout, or a rollback): the
    // most recent, no new change.
    std::rotate(known, known + 1, seen.end());
    return;
  }
  changes_.push_back(model::ChangeEvent{t, std::string(service), "deploy",
                                        fmt::format("version {} -> {}", seen.back(), version)});
  seen.emplace_back(version);
  if (seen.size() > kMaxVersions) seen.erase(seen.begin());
}

void DeriveShard::NotePlacement(const model::SpanBatch& batch, const model::Resource& resource) {
  const auto attributes = batch.AttributesOf(resource.attributes);
  std::string_view host = model::FindStringAttribute(attributes, "k8s.node.name");
  if (host.empty()) host = model::FindStringAttribute(attributes, "host.name");
  if (host.empty() || placements_seen_.size() >= kMaxPlacements) return;
  // Seen once per batch and resource: the key is built in a kept buffer, copied only when new.
  placement_key_.assign(resource.service_name).append(1, '\x1f').append(host);
  if (placements_seen_.contains(placement_key_)) return;
  placements_seen_.insert(placement_key_);
  placements_.push_back(model::Placement{std::string(resource.service_name), std::string(host)});
}

void DeriveShard::AdvanceFromScratchTimes() {
  if (scratch_times_.empty()) return;
  auto mid = scratch_times_.begin() + static_cast<ptrdiff_t>(scratch_times_.size() / 2);
  std::nth_element(scratch_times_.begin(), mid, scratch_times_.end());
  const core::TimeNs median = *mid;
  watermark_ = std::max(watermark_, median);
  // After nth_element everything past `mid` is >= the median: the latest plausible time is among
  // them.
  for (auto it = mid; it != scratch_times_.end(); ++it) {
    if (*it <= median + config_.allowed_lateness_ns) latest_ = std::max(latest_, *it);
  }
}

namespace {

void CopyAttributes(std::span<const model::KeyValue> attributes,
                    std::vector<model::MinedLogAttribute>* out) {
  out->reserve(attributes.size());
  for (const model::KeyValue& kv : attributes) {
    // Numbers, bools, arrays and lists are JSON text already (but NaN and infinities are not).
    const model::ValueType type = kv.value.type;
    const bool json = type == model::ValueType::kBool || type == model::ValueType::kInt ||
                      type == model::ValueType::kArray || type == model::ValueType::kKvList ||
                      (type == model::ValueType::kDouble && std::isfinite(kv.value.double_value));
    out->push_back(model::MinedLogAttribute{std::string(kv.key), kv.value.ToString(), json});
  }
}

}  // namespace

void DeriveShard::ConsumeLogs(const model::LogBatch& batch, std::span<const uint32_t> indices) {
  if (indices.empty()) return;
  scratch_service_ids_.assign(batch.resources.size(), UINT32_MAX);
  scratch_miners_.assign(batch.resources.size(), nullptr);
  scratch_times_.clear();
  std::shared_ptr<model::MinedLogBatch> mined;
  if (log_sink_) {
    mined = std::make_shared<model::MinedLogBatch>();
    mined->reserve(indices.size());
  }
  const size_t max_example = config_.logs.max_example_bytes;
  std::string scratch_body;
  uint64_t late = 0;
  for (uint32_t i : indices) {
    const model::LogRecord& record = batch.records[i];
    core::TimeNs t = record.EventTimeNs();
    if (t != 0) {
      scratch_times_.push_back(t);
    } else {
      t = clock_->NowNs();
    }
    const core::TimeNs window = WindowOf(t);
    late += window == model::kLateWindow ? 1 : 0;
    const model::Resource& resource = batch.resources[record.resource_index];
    uint32_t& service_id = scratch_service_ids_[record.resource_index];
    if (service_id == UINT32_MAX) {
      service_id = ServiceId(resource.service_name);
      scratch_miners_[record.resource_index] = miners_.Get(services_.Get(service_id), t);
    }
    model::Severity severity = model::SeverityOf(record.severity_number);
    if (severity == model::Severity::kUnspecified && !record.severity_text.empty()) {
      severity = model::SeverityFromText(record.severity_text);
    }
    std::string_view line;
    switch (record.body.type) {
      case model::ValueType::kString:
        line = record.body.str;
        break;
      case model::ValueType::kEmpty:
        break;
      default:
        scratch_body = record.body.ToString();
        line = scratch_body;
        break;
    }
    ServiceLogMiners::Service* miner = scratch_miners_[record.resource_index];
    const uint32_t template_id = miners_.Learn(miner, line, t, severity);
    logs_.Add(service_id, template_id, severity, window, line, max_example);
    if (mined != nullptr) {
      model::MinedLogRecord& m = mined->emplace_back();
      m.time_ns = t;
      m.service = std::string(services_.Get(service_id));
      m.severity = severity;
      m.severity_text = record.severity_text.empty() ? std::string(model::SeverityName(severity))
                                                     : std::string(record.severity_text);
      m.template_id = template_id;
      m.template_text = miner != nullptr ? std::string(miner->miner.TemplateText(template_id))
                                         : std::string("<overflow>");
      m.body = std::string(line);
      m.trace_id = record.trace_id;
      m.span_id = record.span_id;
      CopyAttributes(batch.AttributesOf(record.attributes), &m.attributes);
      CopyAttributes(batch.AttributesOf(resource.attributes), &m.resource_attributes);
    }
  }
  AdvanceFromScratchTimes();
  logs_total_->Add(indices.size());
  if (late > 0) late_logs_total_->Add(late);
  if (const uint64_t overflow = miners_.overflow_lines(); overflow > overflow_reported_) {
    log_overflow_total_->Add(overflow - overflow_reported_);
    overflow_reported_ = overflow;
  }
  if (mined != nullptr) log_sink_(std::move(mined));
}

bool DeriveShard::WindowAdvanced() const {
  return watermark_ != kNoWatermark &&
         core::FloorTo(watermark_, config_.window_ns) != flushed_window_;
}

std::vector<model::PartialBatch> DeriveShard::Flush(bool expire_all) {
  if (watermark_ != kNoWatermark || expire_all) {
    graph_.Expire(watermark_, expire_all);
    trace_evidence_.Expire(watermark_, expire_all);
  }
  std::vector<model::PartialBatch> out(stage2_shards_);
  auto route = [this](std::string_view service) { return core::ShardOf(service, stage2_shards_); };
  span_metrics_.Flush(services_, route, &out);
  graph_.Flush(route, &out);
  trace_evidence_.Flush(route, &out);
  logs_.Flush(
      services_, route,
      [this](std::string_view service, model::LogPartial* p) {
        const ServiceLogMiners::Service* s = miners_.Find(service);
        if (s == nullptr) {
          p->template_text = "<overflow>";
          return;
        }
        p->service_first_seen_ns = s->first_seen_ns;
        if (p->template_id == model::kOverflowTemplateId) {
          p->template_text = s->miner.TemplateText(p->template_id);
          return;
        }
        // A template merged into an older one since the line was counted goes on as that one.
        p->template_id = s->miner.Canonical(p->template_id);
        p->template_text = s->miner.TemplateText(p->template_id);
        if (p->template_id < s->templates.size()) {
          p->template_first_seen_ns = s->templates[p->template_id].first_seen_ns;
          p->template_first_severity = s->templates[p->template_id].first_severity;
        }
      },
      &out);
  for (model::PartialBatch& b : out) {
    b.watermark =
        watermark_ == kNoWatermark ? kNoWatermark : watermark_ - config_.allowed_lateness_ns;
  }
  if (watermark_ != kNoWatermark) flushed_window_ = core::FloorTo(watermark_, config_.window_ns);
  return out;
}

}  // namespace augur::derive
