// Evidence from whole traces, per node and window (model::TracePartial): where errors originate,
// how much time a service spends on its own, and how long calls into it spend on the wire. These
// separate a broken service from the services that only suffer from it: a caller of a failing
// service fails too, but its errors come from its child spans; a caller of a slow service is slow
// too, but its own time is unchanged.
//
// Every span waits (keyed by trace and span id) until `ttl_ns` of event time has passed since the
// latest end time among it and its children, then counts:
//  - SERVER and CONSUMER spans are requests of their service; their own time is their duration
//    less the remote calls (CLIENT and PRODUCER spans) under them, directly or through INTERNAL
//    spans (which hand their remote time up when they expire, before their parent);
//  - an erroring span none of whose children erred is where the error originated: its own
//    service's for SERVER, CONSUMER and INTERNAL spans; for a CLIENT span, the callee's (the
//    service of its SERVER child, which answered fine: a timeout or the network), or the peer its
//    attributes name when nothing answered (a database or a service that is down);
//  - a CLIENT span with a SERVER child spent its duration less the child's on the wire, counted for
//    the callee; a CLIENT span that names a peer and has no child is a request of that peer, its
//    duration the peer's own time.
// Spans beyond `max_pending` are not tracked (counted as dropped).
//
// Owned by one derive shard (all spans of a trace reach it); not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/time.h"
#include "derive/interner.h"
#include "model/partials.h"
#include "model/span.h"

namespace augur::derive {

struct TraceEvidenceConfig {
  core::TimeNs ttl_ns = 10 * core::kNsPerSecond;
  size_t max_pending = 400'000;
};

class TraceEvidenceBuilder {
 public:
  // `services` interns node names; it must outlive the builder. `bounds_ms` are the latency
  // histogram's upper bounds.
  TraceEvidenceBuilder(TraceEvidenceConfig config, std::vector<double> bounds_ms,
                       Interner* services);

  // Adds a span of `service_id`; `peer_id` is the peer its attributes name (client spans; 0 if
  // none). It counts in `window_start` (or nowhere when model::kLateWindow).
  void Add(const model::Span& span, uint32_t service_id, uint32_t peer_id,
           core::TimeNs window_start);
  // Counts the spans whose wait is over at `watermark` (every one when `all`).
  void Expire(core::TimeNs watermark, bool all);

  // Appends one partial per node and window to out[route(node name)], then forgets them.
  template <typename Route>
  void Flush(Route route, std::vector<model::PartialBatch>* out);

  size_t pending() const { return pending_.size(); }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Key {
    model::TraceId trace_id;
    model::SpanId span_id;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), model::HashTraceId(k.trace_id),
                        std::string_view(reinterpret_cast<const char*>(k.span_id.data()), 8));
    }
  };
  struct Entry {
    core::TimeNs event_time = 0;  // latest end among the span and its children seen so far
    core::TimeNs window_start = 0;
    model::SpanId parent{};
    uint32_t service = 0;
    uint32_t peer = 0;
    uint32_t callee = UINT32_MAX;  // service of a SERVER child
    double duration_ms = 0;
    double remote_ms = 0;  // remote calls under it (directly or through internal spans)
    double callee_ms = 0;  // its SERVER child's duration
    model::SpanKind kind = model::SpanKind::kUnspecified;
    bool seen = false;  // the span itself arrived (not only its children)
    bool error = false;
    bool child_error = false;
  };
  struct NodeWindow {
    uint32_t node;
    core::TimeNs window_start;
    bool operator==(const NodeWindow&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const NodeWindow& k) {
      return H::combine(std::move(h), k.node, k.window_start);
    }
  };

  void Count(const Key& key, const Entry& e);
  model::TracePartial& Partial(uint32_t node, core::TimeNs window_start);

  TraceEvidenceConfig config_;
  std::vector<double> bounds_ms_;
  Interner* services_;
  absl::flat_hash_map<Key, Entry> pending_;
  absl::flat_hash_map<NodeWindow, size_t> index_;  // into partials_
  std::vector<model::TracePartial> partials_;      // names filled at flush
  std::vector<uint32_t> partial_nodes_;
  std::vector<std::pair<core::TimeNs, Key>> due_;  // Expire's scratch, kept for its capacity
  uint64_t dropped_ = 0;
};

template <typename Route>
void TraceEvidenceBuilder::Flush(Route route, std::vector<model::PartialBatch>* out) {
  for (size_t i = 0; i < partials_.size(); ++i) {
    model::TracePartial& p = partials_[i];
    p.service = std::string(services_->Get(partial_nodes_[i]));
    (*out)[route(p.service)].traces.push_back(std::move(p));
  }
  partials_.clear();
  partial_nodes_.clear();
  index_.clear();
}

}  // namespace augur::derive
