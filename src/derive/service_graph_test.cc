#include "derive/service_graph.h"

#include <gtest/gtest.h>

#include <map>

#include "model/span_batch_builder.h"

namespace augur::derive {
namespace {

using model::MakeSpanId;
using model::MakeTraceId;
using model::SpanKind;
using model::StatusCode;

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;
constexpr core::TimeNs kMs = core::kNsPerMillisecond;

struct EdgeResult {
  uint64_t count = 0;
  uint64_t failed = 0;
  uint64_t client_count = 0;
  uint64_t server_count = 0;
  double client_sum_s = 0;
  double server_sum_s = 0;
};

class ServiceGraphTest : public ::testing::Test {
 protected:
  ServiceGraphTest()
      : services_(1000, "overflow_service"), graph_(ServiceGraphConfig{}, &services_) {}

  void AddAll(model::SpanBatchBuilder& b) {
    for (const model::Span& s : b.batch().spans) {
      graph_.Add(b.batch(), s, services_.Intern(b.batch().resources[s.resource_index].service_name),
                 0);
    }
  }

  // key: "client->server[type]"
  std::map<std::string, EdgeResult> Flush(std::vector<model::UnpairedPartial>* unpaired = nullptr) {
    std::vector<model::PartialBatch> out(1);
    graph_.Flush([](std::string_view) { return 0; }, &out);
    std::map<std::string, EdgeResult> edges;
    for (const auto& e : out[0].edges) {
      auto& r = edges[e.client + "->" + e.server + "[" + e.connection_type + "]"];
      r.count += e.count;
      r.failed += e.failed;
      r.client_count += e.client_count;
      r.server_count += e.server_count;
      r.client_sum_s += e.client_sum_s;
      r.server_sum_s += e.server_sum_s;
    }
    if (unpaired != nullptr) *unpaired = out[0].unpaired;
    return edges;
  }

  Interner services_;
  ServiceGraphBuilder graph_;
};

TEST_F(ServiceGraphTest, PairsClientWithServerChildAcrossServices) {
  model::SpanBatchBuilder b;
  uint32_t front = b.AddResource("frontend");
  uint32_t cart = b.AddResource("cart");
  auto trace = MakeTraceId(7);
  b.AddSpan(front, "GET /", SpanKind::kServer, trace, MakeSpanId(1), {}, kT0, kT0 + 50 * kMs);
  b.AddSpan(front, "GET cart", SpanKind::kClient, trace, MakeSpanId(2), MakeSpanId(1),
            kT0 + 5 * kMs, kT0 + 35 * kMs);
  b.AddSpan(cart, "GET /cart", SpanKind::kServer, trace, MakeSpanId(3), MakeSpanId(2),
            kT0 + 7 * kMs, kT0 + 32 * kMs, StatusCode::kError);
  AddAll(b);
  EXPECT_EQ(graph_.pending(), 0u);
  auto edges = Flush();
  ASSERT_EQ(edges.count("frontend->cart[]"), 1u);
  const EdgeResult& e = edges["frontend->cart[]"];
  EXPECT_EQ(e.count, 1u);
  EXPECT_EQ(e.failed, 1u);  // the server span failed
  EXPECT_NEAR(e.client_sum_s, 0.030, 1e-9);
  EXPECT_NEAR(e.server_sum_s, 0.025, 1e-9);
  // The root server span is a request from outside.
  EXPECT_EQ(edges["user->frontend[virtual_node]"].count, 1u);
}

TEST_F(ServiceGraphTest, PairsWhenTheServerSpanArrivesFirst) {
  model::SpanBatchBuilder first;
  uint32_t cart = first.AddResource("cart");
  auto trace = MakeTraceId(8);
  first.AddSpan(cart, "GET /cart", SpanKind::kServer, trace, MakeSpanId(3), MakeSpanId(2), kT0,
                kT0 + 10 * kMs);
  AddAll(first);
  EXPECT_EQ(graph_.pending(), 1u);
  model::SpanBatchBuilder second;
  uint32_t front = second.AddResource("frontend");
  second.AddSpan(front, "GET cart", SpanKind::kClient, trace, MakeSpanId(2), MakeSpanId(1), kT0,
                 kT0 + 12 * kMs);
  AddAll(second);
  EXPECT_EQ(graph_.pending(), 0u);
  auto edges = Flush();
  EXPECT_EQ(edges["frontend->cart[]"].count, 1u);
  EXPECT_EQ(edges["frontend->cart[]"].failed, 0u);
}

TEST_F(ServiceGraphTest, DatabaseCallsBecomeDatabaseEdgesAtOnce) {
  model::SpanBatchBuilder b;
  uint32_t orders = b.AddResource("orders");
  b.AddSpan(orders, "SELECT orders", SpanKind::kClient, MakeTraceId(1), MakeSpanId(1),
            MakeSpanId(9), kT0, kT0 + 3 * kMs, StatusCode::kUnset,
            {{"db.system", "postgresql"}, {"server.address", "pg-0"}});
  AddAll(b);
  EXPECT_EQ(graph_.pending(), 0u);
  auto edges = Flush();
  EXPECT_EQ(edges["orders->postgresql[database]"].count, 1u);
  EXPECT_EQ(edges["orders->postgresql[database]"].server_count, 0u);
}

TEST_F(ServiceGraphTest, UnpairedClientWithPeerBecomesVirtualNodeAfterTtl) {
  model::SpanBatchBuilder b;
  uint32_t pay = b.AddResource("payment");
  b.AddSpan(pay, "POST /charge", SpanKind::kClient, MakeTraceId(1), MakeSpanId(1), MakeSpanId(9),
            kT0, kT0 + 80 * kMs, StatusCode::kError, {{"peer.service", "card-gateway"}});
  b.AddSpan(pay, "GET /status", SpanKind::kClient, MakeTraceId(2), MakeSpanId(2), MakeSpanId(9),
            kT0, kT0 + 80 * kMs);  // no peer attribute: unpaired
  AddAll(b);
  EXPECT_EQ(graph_.pending(), 2u);
  graph_.Expire(kT0 + 5 * core::kNsPerSecond, false);  // within ttl: still waiting
  EXPECT_EQ(graph_.pending(), 2u);
  graph_.Expire(kT0 + 11 * core::kNsPerSecond, false);
  EXPECT_EQ(graph_.pending(), 0u);
  std::vector<model::UnpairedPartial> unpaired;
  auto edges = Flush(&unpaired);
  EXPECT_EQ(edges["payment->card-gateway[virtual_node]"].count, 1u);
  EXPECT_EQ(edges["payment->card-gateway[virtual_node]"].failed, 1u);
  uint64_t client_unpaired = 0;
  for (const auto& u : unpaired) {
    if (u.client == "payment") client_unpaired += u.unpaired;
  }
  EXPECT_EQ(client_unpaired, 1u);  // the call without a peer attribute
}

TEST_F(ServiceGraphTest, ProducerAndConsumerFormAMessagingEdge) {
  model::SpanBatchBuilder b;
  uint32_t checkout = b.AddResource("checkout");
  uint32_t email = b.AddResource("email");
  auto trace = MakeTraceId(3);
  b.AddSpan(checkout, "publish orders", SpanKind::kProducer, trace, MakeSpanId(1), MakeSpanId(9),
            kT0, kT0 + kMs);
  b.AddSpan(email, "consume orders", SpanKind::kConsumer, trace, MakeSpanId(2), MakeSpanId(1),
            kT0 + 5 * kMs, kT0 + 9 * kMs);
  AddAll(b);
  auto edges = Flush();
  EXPECT_EQ(edges["checkout->email[messaging_system]"].count, 1u);
}

TEST_F(ServiceGraphTest, DropsAndCountsWhenTheStoreIsFull) {
  ServiceGraphConfig config;
  config.max_pending = 2;
  ServiceGraphBuilder small(config, &services_);
  model::SpanBatchBuilder b;
  uint32_t s = b.AddResource("svc");
  for (int i = 0; i < 5; ++i) {
    b.AddSpan(s, "call", SpanKind::kClient, MakeTraceId(i + 1), MakeSpanId(1), MakeSpanId(9), kT0,
              kT0 + kMs);
  }
  for (const auto& span : b.batch().spans) small.Add(b.batch(), span, services_.Intern("svc"), 0);
  EXPECT_EQ(small.pending(), 2u);
  std::vector<model::PartialBatch> out(1);
  small.Flush([](std::string_view) { return 0; }, &out);
  uint64_t dropped = 0;
  for (const auto& u : out[0].unpaired) dropped += u.dropped;
  EXPECT_EQ(dropped, 3u);
}

TEST_F(ServiceGraphTest, DuplicateSpanDoesNotDoubleCount) {
  model::SpanBatchBuilder b;
  uint32_t a = b.AddResource("a");
  uint32_t c = b.AddResource("b");
  auto trace = MakeTraceId(5);
  b.AddSpan(a, "call", SpanKind::kClient, trace, MakeSpanId(1), MakeSpanId(9), kT0, kT0 + kMs);
  b.AddSpan(a, "call", SpanKind::kClient, trace, MakeSpanId(1), MakeSpanId(9), kT0, kT0 + kMs);
  b.AddSpan(c, "serve", SpanKind::kServer, trace, MakeSpanId(2), MakeSpanId(1), kT0, kT0 + kMs);
  AddAll(b);
  auto edges = Flush();
  EXPECT_EQ(edges["a->b[]"].count, 1u);
}

}  // namespace
}  // namespace augur::derive
