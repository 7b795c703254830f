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

}  // namespace
}  // namespace augur::rca
