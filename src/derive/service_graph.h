// The service dependency graph from spans, as the OpenTelemetry Collector's servicegraph connector
// defines it: a CLIENT span and the SERVER span whose parent it is (or PRODUCER and CONSUMER) form
// one request on the edge client service -> server service. Edges carry request and failed
// counts and latency histograms as the client and as the server saw them.
//
// Spans wait in a bounded store for their counterpart. They expire after `pairing_ttl_ns` of event
// time; a client span that expires unpaired becomes an edge to a virtual node named by its peer
// attributes (an uninstrumented database, cache or external API), a server span one from the
// virtual node "user" (its caller is not instrumented); a client span without peer attributes is
// counted as unpaired. Calls with a database attribute become "database" edges at once. A server
// span with no parent (an entry point) is an edge from the virtual node "user". When the store is
// full, new spans are dropped from pairing and counted.
//
// Owned by one derive shard (all spans of a trace reach the same shard); not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/time.h"
#include "derive/interner.h"
#include "model/partials.h"
#include "model/span.h"

namespace augur::derive {

struct ServiceGraphConfig {
  std::vector<double> bounds_s = {0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2,
                                  0.4,   0.8,   1,     1.4,   2,    5,    10,  15};
  core::TimeNs pairing_ttl_ns = 10 * core::kNsPerSecond;
  size_t max_pending = 200'000;
  // The first of these attributes found on an unpaired client span names its virtual peer.
  std::vector<std::string> peer_attributes = {"peer.service", "db.system", "server.address",
                                              "net.peer.name"};
  // A client span with any of these is a database call.
  std::vector<std::string> database_attributes = {"db.system", "db.system.name"};
};

inline constexpr std::string_view kUserNode = "user";

class ServiceGraphBuilder {
 public:
  // `services` interns client, server and peer names; it must outlive the builder.
  ServiceGraphBuilder(ServiceGraphConfig config, Interner* services);

  // Adds a span of service `service_id` whose edge contributions count in `window_start`.
  // Returns the peer a client-side span's attributes name (PeerOf; 0 if none or not client-side),
  // looked up once for the graph and whoever else needs it.
  uint32_t Add(const model::SpanBatch& batch, const model::Span& span, uint32_t service_id,
               core::TimeNs window_start);

  // Expires spans that waited past the ttl: `watermark` is the shard's event time; `all` expires
  // every waiting span (shutdown, or an idle pipeline).
  void Expire(core::TimeNs watermark, bool all);

  // Appends partials (edges, unpaired and dropped counts) to out[route(server or client name)],
  // then forgets them. Edges are routed by their server node.
  template <typename Route>
  void Flush(Route route, std::vector<model::PartialBatch>* out);

  size_t pending() const { return pending_.size(); }

  // The virtual peer a client span names by its peer attributes (interned), 0 if none.
  uint32_t PeerOf(const model::SpanBatch& batch, const model::Span& span);

 private:
  enum class ConnectionType : uint8_t { kDirect, kDatabase, kMessaging, kVirtual };
  static std::string_view ConnectionTypeName(ConnectionType type);

  struct PendingKey {
    model::TraceId trace_id;
    model::SpanId span_id;  // the client span's id (= the server span's parent id)
    bool operator==(const PendingKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const PendingKey& k) {
      return H::combine(std::move(h), model::HashTraceId(k.trace_id),
                        std::string_view(reinterpret_cast<const char*>(k.span_id.data()), 8));
    }
  };
  struct Pending {
    core::TimeNs event_time = 0;
    core::TimeNs window_start = 0;
    uint32_t client = 0;  // service ids
    uint32_t server = 0;
    uint32_t peer = 0;  // virtual peer of a client span, 0 if none
    double client_duration_s = 0;
    double server_duration_s = 0;
    bool has_client = false;
    bool has_server = false;
    bool client_failed = false;
    bool server_failed = false;
    bool messaging = false;
  };
  struct EdgeKey {
    uint32_t client;
    uint32_t server;
    ConnectionType type;
    core::TimeNs window_start;
    bool operator==(const EdgeKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const EdgeKey& k) {
      return H::combine(std::move(h), k.client, k.server, k.type, k.window_start);
    }
  };
  struct SideCount {
    uint32_t service;
    bool is_client;
    ConnectionType type;
    bool operator==(const SideCount&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const SideCount& k) {
      return H::combine(std::move(h), k.service, k.is_client, k.type);
    }
  };

  // Records one request on an edge. Durations < 0 mean that side is unknown.
  void Emit(uint32_t client, uint32_t server, ConnectionType type, core::TimeNs window_start,
            bool failed, double client_duration_s, double server_duration_s);
  void ExpireOne(const Pending& p);
  bool IsDatabaseCall(const model::SpanBatch& batch, const model::Span& span) const;

  ServiceGraphConfig config_;
  Interner* services_;
  uint32_t user_id_;
  absl::flat_hash_map<PendingKey, Pending> pending_;
  absl::flat_hash_map<EdgeKey, uint32_t> edge_index_;  // into edges_
  std::vector<model::EdgePartial> edges_;              // names filled at flush
  std::vector<EdgeKey> edge_keys_;
  absl::flat_hash_map<SideCount, uint64_t> unpaired_;
  absl::flat_hash_map<SideCount, uint64_t> dropped_;
};

template <typename Route>
void ServiceGraphBuilder::Flush(Route route, std::vector<model::PartialBatch>* out) {
  for (size_t i = 0; i < edges_.size(); ++i) {
    model::EdgePartial& e = edges_[i];
    const EdgeKey& k = edge_keys_[i];
    e.client = std::string(services_->Get(k.client));
    e.server = std::string(services_->Get(k.server));
    e.connection_type = std::string(ConnectionTypeName(k.type));
    e.window_start = k.window_start;
    (*out)[route(e.server)].edges.push_back(std::move(e));
  }
  edges_.clear();
  edge_keys_.clear();
  edge_index_.clear();
  auto flush_sides = [&](absl::flat_hash_map<SideCount, uint64_t>& counts, bool dropped) {
    for (const auto& [side, n] : counts) {
      std::string name(services_->Get(side.service));
      model::UnpairedPartial p;
      p.connection_type = std::string(ConnectionTypeName(side.type));
      (side.is_client ? p.client : p.server) = name;
      (dropped ? p.dropped : p.unpaired) = n;
      (*out)[route(name)].unpaired.push_back(std::move(p));
    }
    counts.clear();
  };
  flush_sides(unpaired_, false);
  flush_sides(dropped_, true);
}

}  // namespace augur::derive
