#include "derive/trace_evidence.h"

#include <algorithm>

namespace augur::derive {
namespace {

double Ms(core::TimeNs ns) { return static_cast<double>(ns) / core::kNsPerMillisecond; }

bool IsRemoteCall(model::SpanKind kind) {
  return kind == model::SpanKind::kClient || kind == model::SpanKind::kProducer;
}
bool IsRequest(model::SpanKind kind) {
  return kind == model::SpanKind::kServer || kind == model::SpanKind::kConsumer;
}

}  // namespace

TraceEvidenceBuilder::TraceEvidenceBuilder(TraceEvidenceConfig config,
                                           std::vector<double> bounds_ms, Interner* services)
    : config_(config), bounds_ms_(std::move(bounds_ms)), services_(services) {}

void TraceEvidenceBuilder::Add(const model::Span& span, uint32_t service_id, uint32_t peer_id,
                               core::TimeNs window_start) {
  const bool error = span.status_code == model::StatusCode::kError;
  const double duration_ms = Ms(std::max<core::TimeNs>(0, span.DurationNs()));
  auto slot = [&](const model::SpanId& id) -> Entry* {
    Key key{span.trace_id, id};
    auto it = pending_.find(key);
    if (it != pending_.end()) return &it->second;
    if (pending_.size() >= config_.max_pending) {
      ++dropped_;
      return nullptr;
    }
    return &pending_[key];
  };
  if (Entry* e = slot(span.span_id)) {
    e->seen = true;
    e->event_time = std::max(e->event_time, span.end_time_ns);
    e->window_start = window_start;
    e->parent = span.parent_span_id;
    e->service = service_id;
    e->peer = peer_id;
    e->duration_ms = duration_ms;
    e->kind = span.kind;
    e->error = error;
  }
  if (span.IsRoot()) return;
  if (Entry* p = slot(span.parent_span_id)) {
    p->event_time = std::max(p->event_time, span.end_time_ns);
    p->child_error |= error;
    if (IsRemoteCall(span.kind)) p->remote_ms += duration_ms;
    if (IsRequest(span.kind)) {
      p->callee = service_id;
      p->callee_ms = duration_ms;
    }
  }
}

void TraceEvidenceBuilder::Expire(core::TimeNs watermark, bool all) {
  // Children end before their parents: counting in order of event time hands an internal span's
  // remote time to its parent before the parent counts.
  due_.clear();
  for (const auto& [key, e] : pending_) {
    if (all || e.event_time < watermark - config_.ttl_ns) due_.emplace_back(e.event_time, key);
  }
  std::sort(due_.begin(), due_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [t, key] : due_) {
    auto it = pending_.find(key);  // every due key is pending: only this loop erases
    const Entry e = it->second;
    pending_.erase(it);
    Count(key, e);
  }
}

model::TracePartial& TraceEvidenceBuilder::Partial(uint32_t node, core::TimeNs window_start) {
  auto [it, inserted] = index_.try_emplace(NodeWindow{node, window_start}, partials_.size());
  if (inserted) {
    partials_.emplace_back().window_start = window_start;
    partial_nodes_.push_back(node);
  }
  return partials_[it->second];
}

void TraceEvidenceBuilder::Count(const Key& key, const Entry& e) {
  if (!e.seen) return;  // only children arrived: the span itself is elsewhere or lost
  const bool late = e.window_start == model::kLateWindow;
  const bool origin = e.error && !e.child_error;
  auto own = [&](uint32_t node, double ms) {
    model::TracePartial& p = Partial(node, e.window_start);
    p.requests += 1;
    p.own_sum_ms += ms;
    p.own_buckets[model::BucketIndex(bounds_ms_, ms)] += 1;
  };
  auto originated = [&](uint32_t node) { Partial(node, e.window_start).error_origins += 1; };

  if (!IsRequest(e.kind) && !IsRemoteCall(e.kind) && !model::IsZeroId(e.parent)) {
    // Internal work: its remote calls count against its parent's own time.
    auto parent = pending_.find(Key{key.trace_id, e.parent});
    if (parent != pending_.end()) parent->second.remote_ms += e.remote_ms;
  }
  if (late) return;
  if (IsRequest(e.kind)) {
    own(e.service, std::max(0.0, e.duration_ms - e.remote_ms));
    if (origin) originated(e.service);
  } else if (e.kind == model::SpanKind::kClient && e.callee != UINT32_MAX) {
    const double wire = std::max(0.0, e.duration_ms - e.callee_ms);
    model::TracePartial& p = Partial(e.callee, e.window_start);
    p.wire_calls += 1;
    p.wire_sum_ms += wire;
    p.wire_buckets[model::BucketIndex(bounds_ms_, wire)] += 1;
    if (origin) p.error_origins += 1;
  } else if (e.kind == model::SpanKind::kClient && e.peer != 0) {
    own(e.peer, e.duration_ms);
    if (origin) originated(e.peer);
  } else if (origin) {
    originated(e.service);
  }
}

}  // namespace augur::derive
