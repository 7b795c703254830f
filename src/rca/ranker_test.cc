#include "rca/ranker.h"

#include <gtest/gtest.h>

#include "rca/rca_test_util.h"

namespace augur::rca {
namespace {

std::string Joined(const Candidate& c) {
  std::string all;
  for (const auto& e : c.evidence) all += e + "\n";
  return all;
}

TEST(RankerTest, TheDeepestAnomalousCalleeWithItsOwnEvidenceRanksFirst) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "frontend", "p95_latency_ms", kNoon + 20 * kSec),
      ServiceEvent(2, "checkout", "p95_latency_ms", kNoon + 10 * kSec),
      ServiceEvent(3, "payment", "p95_latency_ms", kNoon),
      ServiceEvent(4, "payment", "self_time_p95_ms", kNoon),
  };
  Ranker ranker;
  auto candidates = ranker.Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_GE(candidates.size(), 3u);
  EXPECT_EQ(candidates[0].service, "payment");
  EXPECT_GT(candidates[0].score, candidates[1].score);
  std::string evidence = Joined(candidates[0]);
  EXPECT_NE(evidence.find("its own signals: self_time_p95_ms of service \"payment\""),
            std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("called by 1 anomalous service: checkout"), std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("the first anomaly of the incident, at 12:00:00"), std::string::npos)
      << evidence;
  for (const Candidate& c : candidates) {
    EXPECT_GE(c.score, 0);
    EXPECT_LE(c.score, 1);
  }
}

// payment slowed without own-time evidence (too few requests to judge it); five minutes later
// cart, which has no symptom, was throttled: that came after, and does not outrank payment. Had
// it come with the first anomaly, it would have.
TEST(RankerTest, RuntimeEvidenceAloneThatBeganMinutesLaterCountsForLess) {
  auto rank = [](core::TimeNs throttled_at) {
    std::vector<detect::AnomalyEvent> events = {
        ServiceEvent(1, "frontend", "p95_latency_ms", kNoon + 20 * kSec),
        ServiceEvent(2, "checkout", "p95_latency_ms", kNoon + 10 * kSec),
        ServiceEvent(3, "payment", "p95_latency_ms", kNoon),
        RuntimeEvent(4, "cart", "container_cpu_throttling_ratio", throttled_at),
    };
    return Ranker().Rank(events, ShopGraph(), {}, kNoon);
  };
  auto score_of = [](const std::vector<Candidate>& candidates, const std::string& service) {
    for (const Candidate& c : candidates) {
      if (c.service == service) return c.score;
    }
    return -1.0;
  };
  const auto late = rank(kNoon + 5 * 60 * kSec);
  ASSERT_FALSE(late.empty());
  EXPECT_EQ(late[0].service, "payment");
  const auto at_once = rank(kNoon);
  EXPECT_EQ(at_once[0].service, "cart");
  EXPECT_LT(score_of(late, "cart"), score_of(at_once, "cart"));
}

TEST(RankerTest, AnUninstrumentedDatabaseIsNamedThroughItsCallersEdges) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "checkout", "error_ratio", kNoon + 15 * kSec),
      ServiceEvent(2, "payment", "error_ratio", kNoon + 5 * kSec),
      EdgeEvent(3, "payment", "postgresql", "error_ratio", kNoon),
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "postgresql");
  EXPECT_NE(Joined(candidates[0]).find("calls from \"payment\" to \"postgresql\""),
            std::string::npos)
      << Joined(candidates[0]);
}

TEST(RankerTest, ADeployShortlyBeforeTheIncidentTipsTheBalance) {
  // Two independent anomalous leaves under checkout, alike in every way but one deploy.
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "checkout", "error_ratio", kNoon + 5 * kSec),
      ServiceEvent(2, "payment", "error_ratio", kNoon),
      ServiceEvent(3, "cart", "error_ratio", kNoon),
  };
  std::vector<ChangeEvent> changes = {
      {kNoon - 60 * kSec, "cart", "deploy", "version 1.4.2 -> 1.5.0"},
      {kNoon - 3 * 3600 * kSec, "payment", "deploy", "version 2.0 -> 2.1"},  // too long ago
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), changes, kNoon);
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0].service, "cart");
  EXPECT_NE(Joined(candidates[0]).find("deploy: version 1.4.2 -> 1.5.0 at 11:59:00"),
            std::string::npos);
  EXPECT_EQ(Joined(candidates[1]).find("deploy"), std::string::npos);
}

TEST(RankerTest, ErrorsThatOriginateInACalleeOutweighItsCallersErrorLogs) {
  // checkout logs errors and fails; payment's traces show the errors start in its own spans.
  auto logs = ServiceEvent(3, "checkout", "rate", kNoon);
  logs.series =
      detect::SeriesRef{"logs", {{"service_name", "checkout"}, {"severity", "ERROR"}}, "rate"};
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "checkout", "error_ratio", kNoon),
      ServiceEvent(2, "payment", "error_ratio", kNoon + 10 * kSec),
      logs,
      ServiceEvent(4, "payment", "error_origin_rate", kNoon + 10 * kSec),
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0].service, "payment");
  EXPECT_NE(Joined(candidates[0]).find("its own signals: error_origin_rate"), std::string::npos)
      << Joined(candidates[0]);
}

TEST(RankerTest, MoreRequestsFromOutsideMakeTheEntryPointTheCause) {
  // A surge: everything downstream is busier and slower; only frontend's inbound rate from
  // "user" says where it came from.
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "checkout", "p95_latency_ms", kNoon),
      ServiceEvent(2, "payment", "p95_latency_ms", kNoon),
      ServiceEvent(3, "cart", "rate", kNoon),
      EdgeEvent(4, "user", "frontend", "rate", kNoon + 10 * kSec),
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "frontend");
  // A drop of outside requests is a symptom, not a cause.
  events[3].observed = 10;
  candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  EXPECT_NE(candidates[0].service, "frontend");
}

TEST(RankerTest, NoEventsNoCandidates) {
  EXPECT_TRUE(Ranker().Rank({}, ShopGraph(), {}, kNoon).empty());
}

// Cart slow by itself and throttled at noon (its own CPU flat), and checkout, its caller, slow
// after it: a node starved of CPU, and `more` events (ids from 5).
std::vector<detect::AnomalyEvent> StarvedCart(std::vector<detect::AnomalyEvent> more) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "checkout", "p95_latency_ms", kNoon + 10 * kSec),
      ServiceEvent(2, "cart", "p95_latency_ms", kNoon),
      ServiceEvent(3, "cart", "self_time_p95_ms", kNoon),
      RuntimeEvent(4, "cart", "container_cpu_throttling_ratio", kNoon),
  };
  events.insert(events.end(), more.begin(), more.end());
  return events;
}

// A noisy neighbour: cart is slow and throttled while its own CPU use is flat; index, on the same
// node, burns CPU. Without the placement cart looks broken; with it, index is named.
TEST(RankerTest, AServiceStarvedOfCpuNamesTheNeighbourThatBurnsIt) {
  std::vector<detect::AnomalyEvent> events =
      StarvedCart({RuntimeEvent(5, "index", "process_cpu_utilization_ratio", kNoon)});
  auto alone = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(alone.empty());
  EXPECT_EQ(alone[0].service, "cart");

  Placements hosts = {{"cart", {"node-1", "node-2"}}, {"index", {"node-2"}}, {"checkout", {"n3"}}};
  auto placed = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts);
  ASSERT_GE(placed.size(), 2u);
  EXPECT_EQ(placed[0].service, "index");
  EXPECT_NE(Joined(placed[0]).find("shares a host with cart and starves it of CPU"),
            std::string::npos)
      << Joined(placed[0]);

  // A service throttled because it burns CPU itself is not starved by anyone.
  events.push_back(RuntimeEvent(6, "cart", "process_cpu_utilization_ratio", kNoon));
  auto own = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts);
  ASSERT_FALSE(own.empty());
  EXPECT_EQ(own[0].service, "cart");
}

// A neighbour whose CPU rose minutes after the node was throttled did not starve it: the throttled
// node is the one to look at. Within neighbour_lead_ns it did.
TEST(RankerTest, ANeighbourWhoseCpuRoseAfterTheThrottlingDidNotStarveIt) {
  std::vector<detect::AnomalyEvent> events = StarvedCart(
      {RuntimeEvent(5, "index", "process_cpu_utilization_ratio", kNoon + 4 * 60 * kSec)});
  Placements hosts = {{"cart", {"node-1"}}, {"index", {"node-1"}}, {"checkout", {"n3"}}};
  auto late = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts);
  ASSERT_FALSE(late.empty());
  EXPECT_EQ(late[0].service, "cart");
  for (const Candidate& c : late) EXPECT_EQ(Joined(c).find("starves"), std::string::npos);

  events[4].start_ns = kNoon + RankerConfig{}.neighbour_lead_ns;
  auto soon = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts);
  ASSERT_FALSE(soon.empty());
  EXPECT_EQ(soon[0].service, "index");
}

// Of two neighbours whose CPU use rose, the one that took most of the host's CPU starves it; the
// other's few hundredths of a core more are a busy service's wobble.
TEST(RankerTest, TheNeighbourThatTookMostCpuIsTheOneThatStarves) {
  auto hog = RuntimeEvent(5, "index", "process_cpu_utilization_ratio", kNoon);
  hog.observed = 0.95;
  hog.expected = 0.15;
  auto wobble = RuntimeEvent(6, "search", "process_cpu_utilization_ratio", kNoon);
  wobble.observed = 0.35;
  wobble.expected = 0.2;
  std::vector<detect::AnomalyEvent> events = StarvedCart({hog, wobble});
  Placements hosts = {{"cart", {"node-1", "node-2"}},
                      {"index", {"node-2"}},
                      {"search", {"node-1"}},
                      {"checkout", {"n3"}}};
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts);
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0].service, "index");
  for (const Candidate& c : candidates) {
    if (c.service == "search") EXPECT_EQ(Joined(c).find("starves"), std::string::npos);
  }
  // Had they taken about as much, both would be named.
  events[5].observed = 0.85;
  candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts);
  int starving = 0;
  for (const Candidate& c : candidates) starving += Joined(c).find("starves") != std::string::npos;
  EXPECT_EQ(starving, 2);
}

// A busy neighbour's CPU spiked to a full core for a window; the hog took 0.4 of a core more for
// minutes. Over the whole rise the hog took far more: it is the one that starves.
TEST(RankerTest, ASustainedRiseStarvesANeighbourMoreThanASpike) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "cart", "self_time_p95_ms", kNoon),
      RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", kNoon),
  };
  Placements hosts = {{"cart", {"node-1"}}, {"index", {"node-1"}}, {"search", {"node-1"}}};
  CpuPeakLookup lookup = [&](const std::string& service, CpuSignal, core::TimeNs,
                             core::TimeNs) -> std::optional<CpuRise> {
    if (service == "cart") return std::nullopt;
    const bool spike = service == "search";
    detect::AnomalyEvent e = RuntimeEvent(9, service, "process_cpu_utilization_ratio", kNoon);
    e.peak_score = 0.995;
    e.observed = spike ? 1.0 : 0.98;
    e.expected = spike ? 0.29 : 0.58;
    return CpuRise{e, spike ? 2.1 : 12.0};
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts, &lookup);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "index");
  for (const Candidate& c : candidates) {
    if (c.service == "search") EXPECT_EQ(Joined(c).find("starves"), std::string::npos);
  }
}

// Users send three times the requests: everything downstream is busier and slower, one service
// sheds load with errors. The entry point, where the load came in, is named as a change from
// outside.
TEST(RankerTest, AFloodFromOutsideIsNamedAtTheEntryPoint) {
  auto flood = EdgeEvent(1, "user", "frontend", "rate", kNoon);
  flood.observed = 300;
  flood.expected = 100;
  auto busier = EdgeEvent(2, "frontend", "checkout", "rate", kNoon);
  busier.observed = 300;
  busier.expected = 100;
  std::vector<detect::AnomalyEvent> events = {
      flood,
      busier,
      ServiceEvent(3, "checkout", "self_time_p95_ms", kNoon),
      ServiceEvent(4, "payment", "error_origin_rate", kNoon + 10 * kSec),
      ServiceEvent(5, "payment", "p95_latency_ms", kNoon + 10 * kSec),
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "frontend");
  EXPECT_NE(Joined(candidates[0])
                .find("a change from outside: 300 requests/s arrive against an "
                      "expected 100"),
            std::string::npos)
      << Joined(candidates[0]);
  // Without the flood, payment's own errors lead.
  events.erase(events.begin(), events.begin() + 2);
  candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "payment");
}

// Ten minutes into a database outage, users' requests into frontend rise (retries, or a backlog
// worked off as the database comes back): a consequence, not a cause from outside, and nothing
// below frontend counts for less because of it.
TEST(RankerTest, MoreRequestsFromOutsideLateInTheIncidentAreNoCause) {
  auto late = EdgeEvent(1, "user", "frontend", "rate", kNoon + 10 * 60 * kSec);
  late.observed = 300;
  late.expected = 100;
  std::vector<detect::AnomalyEvent> events = {
      EdgeEvent(2, "payment", "postgresql", "error_ratio", kNoon),
      ServiceEvent(3, "payment", "error_ratio", kNoon + 10 * kSec),
      ServiceEvent(4, "checkout", "error_ratio", kNoon + 10 * kSec),
      ServiceEvent(5, "frontend", "error_ratio", kNoon + 20 * kSec),
      late,
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "postgresql") << Joined(candidates[0]);
  for (const Candidate& c : candidates) {
    EXPECT_EQ(Joined(c).find("from outside"), std::string::npos) << c.service;
  }
  // The same rise at the incident's start is one.
  events.back().start_ns = kNoon;
  candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "frontend") << Joined(candidates[0]);
}

// Users call cart directly too, but the surge came in at frontend: cart gets busier through
// checkout, which is no load from outside, even at an entry point.
TEST(RankerTest, AnEntryPointFedByTheFloodedOneIsNoChangeFromOutside) {
  std::vector<GraphEdge> graph = ShopGraph();
  graph.push_back({"user", "cart", "virtual_node"});
  auto rise = [](detect::AnomalyEvent e) {
    e.observed = 300;
    e.expected = 100;
    e.peak_score = 1 - 1e-9;
    return e;
  };
  std::vector<detect::AnomalyEvent> events = {
      rise(ServiceEvent(1, "cart", "rate", kNoon)),
      rise(EdgeEvent(2, "checkout", "cart", "rate", kNoon)),
      rise(EdgeEvent(3, "user", "frontend", "rate", kNoon + 20 * kSec)),
      rise(ServiceEvent(4, "frontend", "rate", kNoon + 20 * kSec)),
  };
  auto candidates = Ranker().Rank(events, graph, {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "frontend") << Joined(candidates[0]);
  for (const Candidate& c : candidates) {
    if (c.service == "cart") EXPECT_EQ(Joined(c).find("from outside"), std::string::npos);
  }
  // Without frontend's flood, cart's own rise is the one that came from outside.
  events.resize(2);
  candidates = Ranker().Rank(events, graph, {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "cart");
  EXPECT_NE(Joined(candidates[0]).find("a change from outside"), std::string::npos)
      << Joined(candidates[0]);
}

TEST(RankerTest, ADeployAfterTheIncidentsLatestEventExplainsNothing) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "checkout", "error_ratio", kNoon + 5 * kSec),
      ServiceEvent(2, "payment", "error_ratio", kNoon),
  };
  std::vector<ChangeEvent> later = {{kNoon + 3600 * kSec, "payment", "deploy", "version 1 -> 2"}};
  auto candidates = Ranker().Rank(events, ShopGraph(), later, kNoon);
  for (const Candidate& c : candidates) {
    EXPECT_EQ(Joined(c).find("version 1 -> 2"), std::string::npos) << Joined(c);
  }
}

// Packet loss on checkout -> payment: checkout waits, payment answers as fast as ever, and a
// service elsewhere logs errors. The time went on the way into payment.
TEST(RankerTest, CallsThatSlowOnTheWayPointAtTheirCallee) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "frontend", "p95_latency_ms", kNoon + 10 * kSec),
      ServiceEvent(2, "checkout", "p95_latency_ms", kNoon),
      EdgeEvent(3, "checkout", "payment", "p95_latency_ms", kNoon),
  };
  auto logs = ServiceEvent(4, "catalog", "rate", kNoon);
  logs.series =
      detect::SeriesRef{"logs", {{"service_name", "catalog"}, {"severity", "ERROR"}}, "rate"};
  events.push_back(logs);
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "payment");
  EXPECT_NE(Joined(candidates[0]).find("calls into it slowed on the way"), std::string::npos)
      << Joined(candidates[0]);
  // When payment itself is slow, the same edge is its latency, not the way's.
  events.push_back(ServiceEvent(5, "payment", "p95_latency_ms", kNoon));
  candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(Joined(candidates[0]).find("calls into it slowed on the way"), std::string::npos);
}

// The neighbour's CPU gauge is noisy: its step scored 0.997, no event. The ranker asks for it.
TEST(RankerTest, AStarvedNodesNeighbourIsFoundBelowTheEventThreshold) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "cart", "self_time_p95_ms", kNoon),
      RuntimeEvent(2, "cart", "container_cpu_throttling_ratio", kNoon),
  };
  Placements hosts = {{"cart", {"node-1"}}, {"index", {"node-1"}}, {"search", {"node-1"}}};
  std::vector<std::pair<std::string, CpuSignal>> asked;
  CpuPeakLookup lookup = [&](const std::string& service, CpuSignal signal, core::TimeNs from,
                             core::TimeNs to) -> std::optional<CpuRise> {
    asked.emplace_back(service, signal);  // not cart's throttling: an event already
    EXPECT_LE(from, kNoon);
    EXPECT_GE(to, kNoon);
    if (service != "index") return std::nullopt;
    detect::AnomalyEvent e = RuntimeEvent(9, "index", "process_cpu_utilization_ratio", kNoon);
    e.peak_score = 0.997;
    e.observed = 0.96;
    e.expected = 0.13;
    return CpuRise{e, 0.83};
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts, &lookup);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "index");
  EXPECT_NE(Joined(candidates[0]).find("starves it of CPU"), std::string::npos)
      << Joined(candidates[0]);
  // cart itself (did its own CPU rise? high scores only), then index and search, the services on
  // its node (a run above the usual range counts there too).
  EXPECT_EQ(asked,
            (std::vector<std::pair<std::string, CpuSignal>>{{"cart", CpuSignal::kUse},
                                                            {"index", CpuSignal::kNeighbourUse},
                                                            {"search", CpuSignal::kNeighbourUse}}));
  // Nothing burned CPU there: cart is its own cause.
  CpuPeakLookup quiet = [](const std::string&, CpuSignal, core::TimeNs, core::TimeNs) {
    return std::optional<CpuRise>();
  };
  candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts, &quiet);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "cart");
}

// cart slowed by itself, its CPU use flat and its throttling below the event threshold (0.995):
// looked up, it is starved, and the neighbour that burned CPU is named.
TEST(RankerTest, ASlowNodesThrottlingIsLookedUpBelowTheEventThreshold) {
  std::vector<detect::AnomalyEvent> events = {
      ServiceEvent(1, "cart", "self_time_p95_ms", kNoon),
      ServiceEvent(2, "cart", "p95_latency_ms", kNoon),
  };
  Placements hosts = {{"cart", {"node-1"}}, {"index", {"node-1"}}};
  CpuPeakLookup lookup = [&](const std::string& service, CpuSignal signal, core::TimeNs,
                             core::TimeNs) -> std::optional<CpuRise> {
    const bool throttled = service == "cart" && signal == CpuSignal::kThrottling;
    const bool burning = service == "index" && signal == CpuSignal::kNeighbourUse;
    if (!throttled && !burning) return std::nullopt;
    detect::AnomalyEvent e = RuntimeEvent(
        9, service, throttled ? "container_cpu_throttling_ratio" : "process_cpu_utilization_ratio",
        kNoon);
    e.peak_score = 0.995;
    return CpuRise{e, 0.5};
  };
  auto candidates = Ranker().Rank(events, ShopGraph(), {}, kNoon, &hosts, &lookup);
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates[0].service, "index");
}

}  // namespace
}  // namespace augur::rca
