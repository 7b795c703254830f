#include "derive/trace_evidence.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "derive/service_graph.h"
#include "model/span_batch_builder.h"

namespace augur::derive {
namespace {

using model::MakeSpanId;
using model::MakeTraceId;
using model::SpanKind;
using model::StatusCode;

constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;
constexpr core::TimeNs kMs = core::kNsPerMillisecond;

struct Node {
  uint64_t requests = 0;
  double own_ms = 0;
  uint64_t origins = 0;
  uint64_t wire_calls = 0;
  double wire_ms = 0;
};

class TraceEvidenceTest : public ::testing::Test {
 protected:
  TraceEvidenceTest()
      : services_(1000, "overflow_service"),
        graph_(ServiceGraphConfig{}, &services_),
        evidence_(TraceEvidenceConfig{}, model::kDefaultLatencyBoundsMs, &services_) {}

  void AddAll(model::SpanBatchBuilder& b) {
    for (const model::Span& s : b.batch().spans) {
      const uint32_t service = services_.Intern(b.batch().resources[s.resource_index].service_name);
      const uint32_t peer = s.kind == SpanKind::kClient ? graph_.PeerOf(b.batch(), s) : 0;
      evidence_.Add(s, service, peer, kT0);
    }
  }

  std::map<std::string, Node> Flush(core::TimeNs watermark, bool all = false) {
    evidence_.Expire(watermark, all);
    std::vector<model::PartialBatch> out(1);
    evidence_.Flush([](std::string_view) { return 0; }, &out);
    std::map<std::string, Node> nodes;
    for (const model::TracePartial& p : out[0].traces) {
      Node& n = nodes[p.service];
      n.requests += p.requests;
      n.own_ms += p.own_sum_ms;
      n.origins += p.error_origins;
      n.wire_calls += p.wire_calls;
      n.wire_ms += p.wire_sum_ms;
    }
    return nodes;
  }

  Interner services_;
  ServiceGraphBuilder graph_;
  TraceEvidenceBuilder evidence_;
};

// frontend GET / [0, 100] -> client [10, 70] -> cart server [15, 65] (-> redis client [20, 60]);
// frontend also does 20 ms of internal work with a 10 ms call to the currency peer inside it.
void Checkout(model::SpanBatchBuilder& b, uint64_t trace_seed, StatusCode cart_status,
              StatusCode redis_status, bool cart_answers = true) {
  const uint32_t front = b.AddResource("frontend");
  const uint32_t cart = b.AddResource("cart");
  const auto trace = MakeTraceId(trace_seed);
  const StatusCode front_status =
      cart_status == StatusCode::kError || redis_status == StatusCode::kError || !cart_answers
          ? StatusCode::kError
          : StatusCode::kUnset;
  b.AddSpan(front, "GET /", SpanKind::kServer, trace, MakeSpanId(1), {}, kT0, kT0 + 100 * kMs,
            front_status);
  b.AddSpan(front, "GET cart", SpanKind::kClient, trace, MakeSpanId(2), MakeSpanId(1),
            kT0 + 10 * kMs, kT0 + 70 * kMs, front_status, {{"server.address", "cart"}});
  b.AddSpan(front, "render", SpanKind::kInternal, trace, MakeSpanId(5), MakeSpanId(1),
            kT0 + 75 * kMs, kT0 + 95 * kMs);
  b.AddSpan(front, "Convert", SpanKind::kClient, trace, MakeSpanId(6), MakeSpanId(5),
            kT0 + 80 * kMs, kT0 + 90 * kMs, StatusCode::kUnset, {{"peer.service", "currency"}});
  if (!cart_answers) return;
  b.AddSpan(cart, "GET /cart", SpanKind::kServer, trace, MakeSpanId(3), MakeSpanId(2),
            kT0 + 15 * kMs, kT0 + 65 * kMs, cart_status);
  b.AddSpan(cart, "HGETALL", SpanKind::kClient, trace, MakeSpanId(4), MakeSpanId(3), kT0 + 20 * kMs,
            kT0 + 60 * kMs, redis_status, {{"db.system", "redis"}});
}

TEST_F(TraceEvidenceTest, OwnTimeExcludesRemoteCallsAndWireTimeGoesToTheCallee) {
  model::SpanBatchBuilder b;
  Checkout(b, 1, StatusCode::kUnset, StatusCode::kUnset);
  AddAll(b);
  EXPECT_TRUE(Flush(kT0 + 100 * kMs).empty());  // still waiting for late children
  auto nodes = Flush(kT0 + core::kNsPerMinute);
  // frontend: 100 ms less the 60 ms cart call and the 10 ms currency call inside "render".
  EXPECT_EQ(nodes["frontend"].requests, 1u);
  EXPECT_DOUBLE_EQ(nodes["frontend"].own_ms, 30);
  EXPECT_EQ(nodes["cart"].requests, 1u);
  EXPECT_DOUBLE_EQ(nodes["cart"].own_ms, 10);  // 50 ms less the 40 ms redis call
  EXPECT_EQ(nodes["cart"].wire_calls, 1u);
  EXPECT_DOUBLE_EQ(nodes["cart"].wire_ms, 10);  // the client saw 60 ms, the server 50 ms
  EXPECT_EQ(nodes["redis"].requests, 1u);       // a peer: its calls are its requests
  EXPECT_DOUBLE_EQ(nodes["redis"].own_ms, 40);
  EXPECT_DOUBLE_EQ(nodes["currency"].own_ms, 10);
  EXPECT_EQ(evidence_.pending(), 0u);
}

TEST_F(TraceEvidenceTest, ErrorsOriginateWhereNoChildErred) {
  model::SpanBatchBuilder b;
  Checkout(b, 1, StatusCode::kError, StatusCode::kUnset);  // cart's own bug
  Checkout(b, 2, StatusCode::kError, StatusCode::kError);  // redis failed under cart
  Checkout(b, 3, StatusCode::kUnset, StatusCode::kUnset, /*cart_answers=*/false);  // cart down
  AddAll(b);
  auto nodes = Flush(0, /*all=*/true);
  EXPECT_EQ(nodes["cart"].origins, 2u);  // its bug, and the call nothing answered
  EXPECT_EQ(nodes["redis"].origins, 1u);
  EXPECT_EQ(nodes["frontend"].origins, 0u);
}

}  // namespace
}  // namespace augur::derive
