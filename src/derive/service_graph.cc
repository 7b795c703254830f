#include "derive/service_graph.h"

namespace augur::derive {
namespace {

bool IsClientSide(model::SpanKind kind) {
  return kind == model::SpanKind::kClient || kind == model::SpanKind::kProducer;
}

bool IsServerSide(model::SpanKind kind) {
  return kind == model::SpanKind::kServer || kind == model::SpanKind::kConsumer;
}

double Seconds(core::TimeNs ns) {
  return static_cast<double>(ns) / static_cast<double>(core::kNsPerSecond);
}

}  // namespace

ServiceGraphBuilder::ServiceGraphBuilder(ServiceGraphConfig config, Interner* services)
    : config_(std::move(config)), services_(services), user_id_(services->Intern(kUserNode)) {}

std::string_view ServiceGraphBuilder::ConnectionTypeName(ConnectionType type) {
  switch (type) {
    case ConnectionType::kDirect:
      return "";
    case ConnectionType::kDatabase:
      return "database";
    case ConnectionType::kMessaging:
      return "messaging_system";
    case ConnectionType::kVirtual:
      return "virtual_node";
  }
  return "";
}

uint32_t ServiceGraphBuilder::PeerOf(const model::SpanBatch& batch, const model::Span& span) {
  auto attributes = batch.AttributesOf(span.attributes);
  for (const std::string& key : config_.peer_attributes) {
    std::string_view value = model::FindStringAttribute(attributes, key);
    if (!value.empty()) return services_->Intern(value);
  }
  return 0;
}

bool ServiceGraphBuilder::IsDatabaseCall(const model::SpanBatch& batch,
                                         const model::Span& span) const {
  auto attributes = batch.AttributesOf(span.attributes);
  for (const std::string& key : config_.database_attributes) {
    if (!model::FindStringAttribute(attributes, key).empty()) return true;
  }
  return false;
}

uint32_t ServiceGraphBuilder::Add(const model::SpanBatch& batch, const model::Span& span,
                                  uint32_t service_id, core::TimeNs window_start) {
  const bool failed = span.status_code == model::StatusCode::kError;
  const double duration_s = Seconds(span.DurationNs());
  const bool client_side = IsClientSide(span.kind);
  const uint32_t peer = client_side ? PeerOf(batch, span) : 0;

  if (span.kind == model::SpanKind::kClient && peer != 0 && IsDatabaseCall(batch, span)) {
    Emit(service_id, peer, ConnectionType::kDatabase, window_start, failed, duration_s, -1);
    return peer;
  }
  if (IsServerSide(span.kind) && span.IsRoot()) {
    Emit(user_id_, service_id, ConnectionType::kVirtual, window_start, failed, -1, duration_s);
    return peer;
  }
  if (!client_side && !IsServerSide(span.kind)) return peer;

  PendingKey key{span.trace_id, client_side ? span.span_id : span.parent_span_id};
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (pending_.size() >= config_.max_pending) {
      dropped_[SideCount{service_id, client_side, ConnectionType::kDirect}] += 1;
      return peer;
    }
    Pending p;
    p.event_time = span.end_time_ns;
    p.window_start = window_start;
    p.messaging =
        span.kind == model::SpanKind::kProducer || span.kind == model::SpanKind::kConsumer;
    if (client_side) {
      p.has_client = true;
      p.client = service_id;
      p.client_failed = failed;
      p.client_duration_s = duration_s;
      p.peer = peer;
    } else {
      p.has_server = true;
      p.server = service_id;
      p.server_failed = failed;
      p.server_duration_s = duration_s;
    }
    pending_.emplace(key, p);
    return peer;
  }

  Pending& p = it->second;
  if (client_side == p.has_client) {
    // A second span claiming the same side (duplicate delivery): the first one stands.
    return peer;
  }
  if (client_side) {
    p.client = service_id;
    p.client_failed = failed;
    p.client_duration_s = duration_s;
    p.window_start = window_start;  // requests count in the client's window
  } else {
    p.server = service_id;
    p.server_failed = failed;
    p.server_duration_s = duration_s;
  }
  ConnectionType type = p.messaging || span.kind == model::SpanKind::kProducer ||
                                span.kind == model::SpanKind::kConsumer
                            ? ConnectionType::kMessaging
                            : ConnectionType::kDirect;
  Emit(p.client, p.server, type, p.window_start, p.client_failed || p.server_failed,
       p.client_duration_s, p.server_duration_s);
  pending_.erase(it);
  return peer;
}

void ServiceGraphBuilder::Emit(uint32_t client, uint32_t server, ConnectionType type,
                               core::TimeNs window_start, bool failed, double client_duration_s,
                               double server_duration_s) {
  EdgeKey key{client, server, type, window_start};
  auto [it, inserted] = edge_index_.try_emplace(key, static_cast<uint32_t>(edges_.size()));
  if (inserted) {
    edges_.emplace_back();
    edge_keys_.push_back(key);
  }
  model::EdgePartial& e = edges_[it->second];
  e.count += 1;
  e.failed += failed ? 1 : 0;
  if (client_duration_s >= 0) {
    e.client_count += 1;
    e.client_sum_s += client_duration_s;
    e.client_buckets[model::BucketIndex(config_.bounds_s, client_duration_s)] += 1;
  }
  if (server_duration_s >= 0) {
    e.server_count += 1;
    e.server_sum_s += server_duration_s;
    e.server_buckets[model::BucketIndex(config_.bounds_s, server_duration_s)] += 1;
  }
}

void ServiceGraphBuilder::ExpireOne(const Pending& p) {
  if (p.has_client) {
    if (p.peer != 0) {
      Emit(p.client, p.peer, p.messaging ? ConnectionType::kMessaging : ConnectionType::kVirtual,
           p.window_start, p.client_failed, p.client_duration_s, -1);
    } else {
      unpaired_[SideCount{p.client, true, ConnectionType::kDirect}] += 1;
    }
  } else {
    // The caller is not instrumented (or its span was lost): the request came from outside.
    Emit(user_id_, p.server, ConnectionType::kVirtual, p.window_start, p.server_failed, -1,
         p.server_duration_s);
  }
}

void ServiceGraphBuilder::Expire(core::TimeNs watermark, bool all) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (all || it->second.event_time < watermark - config_.pairing_ttl_ns) {
      ExpireOne(it->second);
      pending_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace augur::derive
