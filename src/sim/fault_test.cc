#include "sim/fault.h"

#include <memory>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "sim/fleet.h"
#include "sim/trace_generator.h"

namespace augur::sim {
namespace {

// 2026-01-07 (a Wednesday) 12:00 UTC.
constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;
constexpr core::TimeNs kSecond = core::kNsPerSecond;

const Fleet& SharedFleet() {
  static const Fleet* fleet = [] {
    FleetOptions options;
    options.services = 200;
    options.seed = 4;
    return new Fleet(*Fleet::Build(options));
  }();
  return *fleet;
}

int ServiceOf(const Fleet& fleet, const SimSpan& s) { return fleet.instances[s.instance].service; }

// Whether span `i` of [begin, end) has a SERVER/CONSUMER span of `service` below it (or is one).
bool Involves(const Fleet& fleet, const std::vector<SimSpan>& spans, size_t begin, size_t end,
              size_t i, int service) {
  if ((spans[i].kind == SimSpanKind::kServer || spans[i].kind == SimSpanKind::kConsumer) &&
      ServiceOf(fleet, spans[i]) == service) {
    return true;
  }
  for (size_t k = begin; k < end; ++k) {
    if (spans[k].parent_span_id == spans[i].span_id &&
        Involves(fleet, spans, begin, end, k, service)) {
      return true;
    }
  }
  return false;
}

TEST(FaultScheduleTest, ResolvesServicesAndPeersAndRejectsUnknownTargets) {
  const Fleet& fleet = SharedFleet();
  auto on_cart = std::make_shared<LatencyFault>("cart", kStart, kStart + kSecond, 2.0, 0);
  auto on_db = std::make_shared<LatencyFault>("postgresql", kStart, kStart + kSecond, 3.0, 0);
  absl::StatusOr<FaultSchedule> schedule = FaultSchedule::Create(fleet, {on_cart, on_db});
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  const int cart = fleet.FindService("cart");
  EXPECT_EQ(schedule->ServiceStateAt(cart, kStart).latency_multiplier, 2.0);
  EXPECT_EQ(schedule->ServiceStateAt(cart, kStart - 1).latency_multiplier, 1.0);
  EXPECT_EQ(schedule->ServiceStateAt(cart, kStart + kSecond).latency_multiplier, 1.0);
  EXPECT_TRUE(schedule->ServiceStateAt(fleet.FindService("checkout"), kStart).IsNormal());
  EXPECT_EQ(schedule->PeerStateAt(fleet.FindPeer("postgresql"), kStart).latency_multiplier, 3.0);

  auto unknown = std::make_shared<ErrorBurstFault>("no-such-service", kStart, kStart + 1, 0.5);
  EXPECT_EQ(FaultSchedule::Create(fleet, {unknown}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto empty = std::make_shared<ErrorBurstFault>("cart", kStart, kStart, 0.5);
  EXPECT_EQ(FaultSchedule::Create(fleet, {empty}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FaultScheduleTest, FaultsOnOneTargetCombine) {
  const Fleet& fleet = SharedFleet();
  auto a = std::make_shared<LatencyFault>("cart", kStart, kStart + kSecond, 2.0,
                                          10 * core::kNsPerMillisecond);
  auto b = std::make_shared<LatencyFault>("cart", kStart, kStart + kSecond, 3.0,
                                          5 * core::kNsPerMillisecond);
  auto c = std::make_shared<ErrorBurstFault>("cart", kStart, kStart + kSecond, 0.5, 503);
  auto d = std::make_shared<ErrorBurstFault>("cart", kStart, kStart + kSecond, 0.5, 503);
  const FaultSchedule schedule = *FaultSchedule::Create(fleet, {a, b, c, d});
  const ServiceState state = schedule.ServiceStateAt(fleet.FindService("cart"), kStart);
  EXPECT_DOUBLE_EQ(state.latency_multiplier, 6.0);
  EXPECT_EQ(state.added_latency_ns, 15 * core::kNsPerMillisecond);
  EXPECT_DOUBLE_EQ(state.error_probability, 0.75);
  EXPECT_EQ(state.error_http_status, 503);
  EXPECT_GT(state.queue_depth_add, 0);
}

// Same seed with and without an added-latency fault on `cart` during [20 s, 40 s): the random
// stream is the same, so the runs can be compared span by span. Only cart's spans and the spans
// that wait for cart change, and only inside the window.
TEST(LatencyFaultTest, SlowsOnlyItsServiceAndItsCallersInsideTheWindow) {
  const Fleet& fleet = SharedFleet();
  const int cart = fleet.FindService("cart");
  const core::TimeNs added = 200 * core::kNsPerMillisecond;
  const core::TimeNs t1 = kStart + 20 * kSecond, t2 = kStart + 40 * kSecond;
  const FaultSchedule schedule =
      *FaultSchedule::Create(fleet, {std::make_shared<LatencyFault>("cart", t1, t2, 1.0, added)});
  int cart_spans_in_window = 0, caller_spans_in_window = 0, unchanged_in_window = 0;
  uint64_t seed = 0;
  for (core::TimeNs t = kStart; t < kStart + 60 * kSecond; t += 20 * core::kNsPerMillisecond) {
    // A fresh pair per trace, so that one trace the fault reshapes (a timeout) cannot shift the
    // random stream of the next.
    TraceGenerator normal(&fleet, nullptr, ++seed), faulty(&fleet, &schedule, seed);
    TelemetryBuffer a, b;
    const TraceSummary sa = normal.Generate(t, 1.0, a);
    faulty.Generate(t, 1.0, b);
    ASSERT_EQ(a.spans.size(), b.spans.size());
    const bool before = sa.end_ns < t1;
    const bool after = t >= t2;
    const bool inside = t >= t1 && t < t2 - 5 * kSecond;
    for (size_t i = 0; i < a.spans.size(); ++i) {
      const SimSpan& x = a.spans[i];
      const SimSpan& y = b.spans[i];
      ASSERT_EQ(x.span_id, y.span_id);
      const core::TimeNs dx = x.end_ns - x.start_ns, dy = y.end_ns - y.start_ns;
      if (before || after) {
        EXPECT_EQ(x.start_ns, y.start_ns);
        EXPECT_EQ(x.end_ns, y.end_ns);
        continue;
      }
      if (!inside) continue;
      const bool involves_cart = Involves(fleet, a.spans, 0, a.spans.size(), i, cart);
      if (!involves_cart) {
        // Other work takes exactly as long as before (it may start later).
        EXPECT_EQ(dx, dy) << x.name;
        ++unchanged_in_window;
      } else if (ServiceOf(fleet, x) == cart && x.kind == SimSpanKind::kServer) {
        EXPECT_GE(dy - dx, added - core::kNsPerMillisecond) << x.name;
        ++cart_spans_in_window;
      } else if (x.kind == SimSpanKind::kClient) {
        // The caller's CLIENT span includes the added time.
        EXPECT_GE(dy - dx, added - core::kNsPerMillisecond) << x.name;
        ++caller_spans_in_window;
      } else {
        EXPECT_GE(dy, dx) << x.name;
      }
    }
  }
  EXPECT_GT(cart_spans_in_window, 100);
  EXPECT_GT(caller_spans_in_window, 100);
  EXPECT_GT(unchanged_in_window, 1000);
}

TEST(ErrorBurstFaultTest, FailsItsServiceInsideTheWindowAndPropagatesToCallers) {
  const Fleet& fleet = SharedFleet();
  const int currency = fleet.FindService("currency");
  const core::TimeNs t1 = kStart + 30 * kSecond, t2 = kStart + 60 * kSecond;
  const FaultSchedule schedule = *FaultSchedule::Create(
      fleet, {std::make_shared<ErrorBurstFault>("currency", t1, t2, 0.5, 503)});
  TraceGenerator generator(&fleet, &schedule, 2);

  struct Counts {
    int spans = 0;
    int errors = 0;
    double rate() const { return spans == 0 ? 0 : static_cast<double>(errors) / spans; }
  };
  Counts currency_in, currency_out, roots_in, roots_out, others_in;
  for (core::TimeNs t = kStart; t < kStart + 90 * kSecond; t += 20 * core::kNsPerMillisecond) {
    TelemetryBuffer b;
    generator.Generate(t, 1.0, b);
    const bool in = t >= t1 && t < t2;
    for (size_t i = 0; i < b.spans.size(); ++i) {
      const SimSpan& s = b.spans[i];
      if (s.kind != SimSpanKind::kServer) continue;
      Counts* c = nullptr;
      if (ServiceOf(fleet, s) == currency) {
        c = in ? &currency_in : &currency_out;
        if (in && s.error) {
          EXPECT_EQ(s.status_message, "service unavailable");
        }
      } else if (model::IsZeroId(s.parent_span_id)) {
        c = in ? &roots_in : &roots_out;
      } else if (in && !Involves(fleet, b.spans, 0, b.spans.size(), i, currency)) {
        c = &others_in;
      }
      if (c != nullptr) {
        ++c->spans;
        c->errors += s.error;
      }
    }
  }
  EXPECT_NEAR(currency_in.rate(), 0.5, 0.05);
  EXPECT_LT(currency_out.rate(), 0.01);
  // Callers fail more often during the burst, unrelated work does not.
  EXPECT_GT(roots_in.rate(), 5 * roots_out.rate() + 0.05);
  EXPECT_LT(others_in.rate(), 0.02);
  EXPECT_GT(others_in.spans, 1000);
}

TEST(PeerFaultTest, SlowsClientSpansToThePeerOnly) {
  const Fleet& fleet = SharedFleet();
  const int postgres = fleet.FindPeer("postgresql");
  const FaultSchedule schedule = *FaultSchedule::Create(
      fleet,
      {std::make_shared<LatencyFault>("postgresql", kStart, kStart + 3600 * kSecond, 10.0, 0)});
  int db_spans = 0, reshaped = 0;
  for (int i = 0; i < 300; ++i) {
    TraceGenerator normal(&fleet, nullptr, i), faulty(&fleet, &schedule, i);
    TelemetryBuffer a, b;
    const core::TimeNs t = kStart + i * 10 * core::kNsPerMillisecond;
    normal.Generate(t, 1.0, a);
    faulty.Generate(t, 1.0, b);
    if (a.spans.size() != b.spans.size()) {
      ++reshaped;  // a query ran into its timeout and failed the request
      continue;
    }
    for (size_t k = 0; k < a.spans.size(); ++k) {
      const SimSpan& x = a.spans[k];
      const SimSpan& y = b.spans[k];
      bool to_db = false;
      for (uint32_t j = 0; j < x.attributes_count; ++j) {
        const SimAttribute& attr = a.attributes[x.attributes_begin + j];
        to_db |= attr.key == "peer.service" && attr.string_value == fleet.peers[postgres].name;
      }
      if (to_db) {
        ++db_spans;
        // Ten times as slow, except where the statement timeout cut it off.
        const core::TimeNs dx = x.end_ns - x.start_ns, dy = y.end_ns - y.start_ns;
        EXPECT_TRUE(dy > 5 * dx || dy == 3 * kSecond) << x.name << " " << dx << " -> " << dy;
      } else if (x.kind == SimSpanKind::kClient && ServiceOf(fleet, x) == ServiceOf(fleet, y)) {
        // Calls to the cache are untouched.
        bool to_cache = false;
        for (uint32_t j = 0; j < x.attributes_count; ++j) {
          const SimAttribute& attr = a.attributes[x.attributes_begin + j];
          to_cache |= attr.key == "db.system" && attr.string_value == "redis";
        }
        if (to_cache) {
          EXPECT_EQ(y.end_ns - y.start_ns, x.end_ns - x.start_ns);
        }
      }
    }
  }
  EXPECT_GT(db_spans, 100);
  EXPECT_LT(reshaped, 10);
}

}  // namespace
}  // namespace augur::sim
