#include "sim/trace_generator.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "sim/traffic.h"

namespace augur::sim {
namespace {

// 2026-01-07 (a Wednesday) 12:00 UTC.
constexpr core::TimeNs kWednesdayNoon = 1'767'787'200LL * core::kNsPerSecond;
// 2026-01-11 (a Sunday) 03:00 UTC: the weekly trough of the traffic.
constexpr core::TimeNs kSundayNight = 1'768'100'400LL * core::kNsPerSecond;

const Fleet& SharedFleet() {
  static const Fleet* fleet = [] {
    FleetOptions options;
    options.services = 500;
    options.seed = 1;
    return new Fleet(*Fleet::Build(options));
  }();
  return *fleet;
}

std::string_view AttributeString(const TelemetryBuffer& b, const SimSpan& s, std::string_view key) {
  for (uint32_t i = 0; i < s.attributes_count; ++i) {
    const SimAttribute& a = b.attributes[s.attributes_begin + i];
    if (a.key == key && a.type == SimAttribute::Type::kString) return a.string_value;
  }
  return {};
}

bool HasAttribute(const TelemetryBuffer& b, const SimSpan& s, std::string_view key) {
  for (uint32_t i = 0; i < s.attributes_count; ++i) {
    if (b.attributes[s.attributes_begin + i].key == key) return true;
  }
  return false;
}

struct TraceCheck {
  int traces = 0;
  int spans = 0;
  int root_errors = 0;
  int server_spans = 0;
  int server_errors = 0;
  size_t attributes = 0;
  std::map<int, int> depth_histogram;
};

// Checks the structure of one trace (spans [begin, end) of `b`) and accumulates statistics.
void CheckTrace(const Fleet& fleet, const TelemetryBuffer& b, size_t begin, size_t end,
                TraceCheck& stats) {
  absl::flat_hash_map<model::SpanId, const SimSpan*, absl::Hash<model::SpanId>> by_id;
  int roots = 0;
  const SimSpan* root = nullptr;
  for (size_t i = begin; i < end; ++i) {
    const SimSpan& s = b.spans[i];
    EXPECT_EQ(s.trace_id, b.spans[begin].trace_id);
    EXPECT_FALSE(model::IsZeroId(s.span_id));
    EXPECT_TRUE(by_id.emplace(s.span_id, &s).second) << "duplicate span id";
    EXPECT_LT(s.start_ns, s.end_ns) << s.name;
    if (model::IsZeroId(s.parent_span_id)) {
      ++roots;
      root = &s;
    }
    stats.attributes += s.attributes_count;
  }
  ASSERT_EQ(roots, 1);
  EXPECT_FALSE(model::IsZeroId(root->trace_id));
  EXPECT_EQ(root->kind, SimSpanKind::kServer);
  EXPECT_TRUE(fleet.services[fleet.instances[root->instance].service].entry);
  stats.root_errors += root->error;

  absl::flat_hash_map<const SimSpan*, int> children_of_client;
  for (size_t i = begin; i < end; ++i) {
    const SimSpan& s = b.spans[i];
    if (&s == root) continue;
    auto it = by_id.find(s.parent_span_id);
    ASSERT_NE(it, by_id.end()) << "orphan span " << s.name;
    const SimSpan& parent = *it->second;
    const int service = fleet.instances[s.instance].service;
    const int parent_service = fleet.instances[parent.instance].service;
    switch (s.kind) {
      case SimSpanKind::kServer:
        // A SERVER span is the child of its caller's CLIENT span, in another service, with the
        // same operation name; the client span includes the network time on both sides.
        EXPECT_EQ(parent.kind, SimSpanKind::kClient);
        EXPECT_NE(service, parent_service);
        EXPECT_EQ(s.name, parent.name);
        EXPECT_GT(s.start_ns, parent.start_ns);
        if (AttributeString(b, parent, "error.type") != "timeout") {
          EXPECT_LT(s.end_ns, parent.end_ns);
        }
        ++children_of_client[&parent];
        break;
      case SimSpanKind::kConsumer:
        EXPECT_EQ(parent.kind, SimSpanKind::kProducer);
        EXPECT_NE(service, parent_service);
        EXPECT_GE(s.start_ns, parent.end_ns);  // processed after it was published
        break;
      case SimSpanKind::kClient:
      case SimSpanKind::kProducer:
      case SimSpanKind::kInternal:
        // Outgoing work happens inside the same service's SERVER or CONSUMER span.
        EXPECT_TRUE(parent.kind == SimSpanKind::kServer || parent.kind == SimSpanKind::kConsumer);
        EXPECT_EQ(s.instance, parent.instance);
        EXPECT_GE(s.start_ns, parent.start_ns);
        EXPECT_LE(s.end_ns, parent.end_ns) << s.name << " in " << parent.name;
        break;
    }
    if (s.kind == SimSpanKind::kServer || s.kind == SimSpanKind::kConsumer) {
      ++stats.server_spans;
      stats.server_errors += s.error;
    }
  }
  ++stats.server_spans;
  stats.server_errors += root->error;
  // Every CLIENT span has a SERVER span on the other side, unless it calls an uninstrumented
  // peer, which it then names.
  for (size_t i = begin; i < end; ++i) {
    const SimSpan& s = b.spans[i];
    if (s.kind != SimSpanKind::kClient) continue;
    const bool to_peer = HasAttribute(b, s, "peer.service");
    EXPECT_EQ(children_of_client.contains(&s), !to_peer) << s.name;
    if (to_peer) {
      const std::string_view peer = AttributeString(b, s, "peer.service");
      EXPECT_GE(fleet.FindPeer(peer), 0) << peer;
      EXPECT_EQ(fleet.FindService(peer), -1);
    }
  }
  // Depth: services on the longest chain of SERVER/CONSUMER spans.
  std::function<int(const SimSpan*)> depth = [&](const SimSpan* s) {
    int d = 0;
    const SimSpan* p = s;
    while (p != nullptr) {
      if (p->kind == SimSpanKind::kServer || p->kind == SimSpanKind::kConsumer) ++d;
      if (model::IsZeroId(p->parent_span_id)) break;
      p = by_id[p->parent_span_id];
    }
    return d;
  };
  int max_depth = 0;
  for (size_t i = begin; i < end; ++i) max_depth = std::max(max_depth, depth(&b.spans[i]));
  ++stats.depth_histogram[max_depth];
  ++stats.traces;
  stats.spans += static_cast<int>(end - begin);
}

TEST(TraceGeneratorTest, TracesAreWellFormed) {
  const Fleet& fleet = SharedFleet();
  TraceGenerator generator(&fleet, nullptr, 11);
  TelemetryBuffer buffer;
  TraceCheck stats;
  for (int i = 0; i < 3000; ++i) {
    const size_t begin = buffer.spans.size();
    const TraceSummary summary =
        generator.Generate(kWednesdayNoon + i * 10 * core::kNsPerMillisecond, 1.0, buffer);
    ASSERT_EQ(summary.spans, static_cast<int>(buffer.spans.size() - begin));
    for (size_t k = begin; k < buffer.spans.size(); ++k) {
      ASSERT_LE(buffer.spans[k].end_ns, summary.end_ns);
    }
    CheckTrace(fleet, buffer, begin, buffer.spans.size(), stats);
    if (buffer.spans.size() > 100'000) buffer.Clear();
  }
  const double spans_per_trace = static_cast<double>(stats.spans) / stats.traces;
  const double attributes_per_span = static_cast<double>(stats.attributes) / stats.spans;
  const double root_error_rate = static_cast<double>(stats.root_errors) / stats.traces;
  const double server_error_rate = static_cast<double>(stats.server_errors) / stats.server_spans;
  std::cout << "spans/trace=" << spans_per_trace << " (model " << fleet.spans_per_trace
            << ") attributes/span=" << attributes_per_span << " root errors=" << root_error_rate
            << " server-span errors=" << server_error_rate << "\ntrace depth:";
  for (auto [d, n] : stats.depth_histogram) std::cout << " " << d << ":" << n;
  std::cout << "\n";
  EXPECT_NEAR(spans_per_trace, fleet.spans_per_trace, 0.2 * fleet.spans_per_trace);
  EXPECT_GE(attributes_per_span, 7);
  EXPECT_LE(attributes_per_span, 12);
  EXPECT_GE(root_error_rate, 0.001);
  EXPECT_LE(root_error_rate, 0.03);
  EXPECT_GE(server_error_rate, 0.0005);
  EXPECT_LE(server_error_rate, 0.01);
}

TEST(TraceGeneratorTest, SameSeedSameTraces) {
  const Fleet& fleet = SharedFleet();
  TraceGenerator a(&fleet, nullptr, 5), b(&fleet, nullptr, 5), c(&fleet, nullptr, 6);
  TelemetryBuffer ba, bb, bc;
  for (int i = 0; i < 200; ++i) {
    const core::TimeNs t = kWednesdayNoon + i * core::kNsPerMillisecond;
    a.Generate(t, 1.0, ba);
    b.Generate(t, 1.0, bb);
    c.Generate(t, 1.0, bc);
  }
  ASSERT_EQ(ba.spans.size(), bb.spans.size());
  for (size_t i = 0; i < ba.spans.size(); ++i) {
    EXPECT_EQ(ba.spans[i].trace_id, bb.spans[i].trace_id);
    EXPECT_EQ(ba.spans[i].span_id, bb.spans[i].span_id);
    EXPECT_EQ(ba.spans[i].name, bb.spans[i].name);
    EXPECT_EQ(ba.spans[i].start_ns, bb.spans[i].start_ns);
    EXPECT_EQ(ba.spans[i].end_ns, bb.spans[i].end_ns);
  }
  EXPECT_NE(ba.spans[0].trace_id, bc.spans[0].trace_id);
}

TEST(TraceGeneratorTest, UsesSemanticConventionAttributes) {
  const Fleet& fleet = SharedFleet();
  TraceGenerator generator(&fleet, nullptr, 3);
  TelemetryBuffer buffer;
  for (int i = 0; i < 500; ++i) generator.Generate(kWednesdayNoon + i, 1.0, buffer);
  absl::flat_hash_set<std::string> keys;
  for (const SimAttribute& a : buffer.attributes) keys.insert(std::string(a.key));
  for (const char* key : {"http.request.method",
                          "http.route",
                          "http.response.status_code",
                          "url.path",
                          "url.full",
                          "server.address",
                          "server.port",
                          "network.peer.address",
                          "rpc.system",
                          "rpc.service",
                          "rpc.method",
                          "rpc.grpc.status_code",
                          "db.system",
                          "db.name",
                          "db.statement",
                          "messaging.system",
                          "messaging.destination.name",
                          "peer.service",
                          "user_agent.original",
                          "client.address"}) {
    EXPECT_TRUE(keys.contains(key)) << key;
  }
  // Every kind of span shows up.
  std::set<SimSpanKind> kinds;
  for (const SimSpan& s : buffer.spans) kinds.insert(s.kind);
  EXPECT_EQ(kinds.size(), 5u);
}

// At the default rate, even at the weekly trough, every one of the 500 services emits spans
// within 30 simulated seconds.
TEST(TraceGeneratorTest, EveryServiceEmitsWithinThirtySecondsAtDefaults) {
  const Fleet& fleet = SharedFleet();
  for (core::TimeNs start : {kSundayNight, kWednesdayNoon}) {
    const TrafficShape traffic(100, 1);
    ArrivalProcess arrivals(&traffic, start, 1);
    TraceGenerator generator(&fleet, nullptr, 1);
    TelemetryBuffer buffer;
    std::vector<bool> seen(fleet.services.size(), false);
    int traces = 0;
    for (core::TimeNs t = arrivals.Next(); t < start + 30 * core::kNsPerSecond;
         t = arrivals.Next()) {
      buffer.Clear();
      generator.Generate(t, traffic.Multiplier(t), buffer);
      for (const SimSpan& s : buffer.spans) seen[fleet.instances[s.instance].service] = true;
      ++traces;
    }
    for (size_t v = 0; v < seen.size(); ++v) {
      EXPECT_TRUE(seen[v]) << fleet.services[v].name << " silent after " << traces << " traces";
    }
  }
}

TEST(TraceGeneratorTest, RecordsInstanceLoad) {
  const Fleet& fleet = SharedFleet();
  TraceGenerator generator(&fleet, nullptr, 3);
  std::vector<InstanceLoad> load(fleet.instances.size());
  generator.set_instance_load(&load);
  TelemetryBuffer buffer;
  for (int i = 0; i < 200; ++i) generator.Generate(kWednesdayNoon + i, 1.0, buffer);
  uint64_t server_spans = 0, requests = 0;
  for (const SimSpan& s : buffer.spans) {
    server_spans += s.kind == SimSpanKind::kServer || s.kind == SimSpanKind::kConsumer;
  }
  for (const InstanceLoad& l : load) {
    requests += l.requests;
    EXPECT_LE(l.busy_ns, l.latency_ns);
  }
  EXPECT_EQ(requests, server_spans);
}

}  // namespace
}  // namespace augur::sim
