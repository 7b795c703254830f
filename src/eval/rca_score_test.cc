#include "eval/rca_score.h"

#include <gtest/gtest.h>

#include <cmath>

namespace augur::eval {
namespace {

constexpr core::TimeNs kMin = core::kNsPerMinute;
constexpr core::TimeNs kT0 = 1'700'000'000 * core::kNsPerSecond;

RcaFault Fault(std::string type, std::string root, int start_min, int end_min) {
  return RcaFault{std::move(type), std::move(root), kT0 + start_min * kMin, kT0 + end_min * kMin};
}

RcaIncident Incident(uint64_t id, int start_min, std::vector<std::string> candidates) {
  return RcaIncident{id, kT0 + start_min * kMin, 0, std::move(candidates)};
}

TEST(RcaScoreTest, HandComputedRanksAndScores) {
  // Four faults: ranked 1st, ranked 3rd, not among the candidates, and never detected.
  std::vector<RcaFault> faults = {Fault("latency", "payment", 10, 20), Fault("cpu", "cart", 40, 50),
                                  Fault("cpu", "ad", 70, 80), Fault("latency", "email", 100, 110)};
  std::vector<RcaIncident> incidents = {
      Incident(1, 11, {"payment", "checkout"}),
      Incident(2, 42, {"frontend", "checkout", "cart", "x"}), Incident(3, 71, {"frontend"}),
      Incident(4, 200, {"email"}),  // far from every fault: false
  };
  std::vector<FaultOutcome> o = MatchFaults(faults, incidents);
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[0].rank, 1);
  EXPECT_EQ(o[0].delay_ns, kMin + 10 * core::kNsPerSecond);  // window end after the start
  EXPECT_EQ(o[1].rank, 3);
  EXPECT_EQ(o[2].rank, 0);
  EXPECT_TRUE(o[2].detected);
  EXPECT_FALSE(o[3].detected);

  RcaScores s = Score(o);
  EXPECT_EQ(s.faults, 4u);
  EXPECT_EQ(s.detected, 3u);
  EXPECT_DOUBLE_EQ(s.ac1, 0.25);
  EXPECT_DOUBLE_EQ(s.ac3, 0.5);
  // AC@1..5 = 1/4, 1/4, 2/4, 2/4, 2/4.
  EXPECT_DOUBLE_EQ(s.avg5, (0.25 + 0.25 + 0.5 + 0.5 + 0.5) / 5);
  // Delays 70 s, 130 s, 70 s: median 70 s.
  EXPECT_DOUBLE_EQ(s.median_delay_s, 70);

  EXPECT_EQ(FalseIncidents(incidents, faults, kT0, kT0 + 300 * kMin), 1u);
}

TEST(RcaScoreTest, AnIncidentServesOneFaultAndEarlyOnesDoNotCount) {
  std::vector<RcaFault> faults = {Fault("latency", "a", 10, 20), Fault("latency", "b", 15, 25)};
  std::vector<RcaIncident> incidents = {Incident(1, 5, {"a"}),  // before the window: not matched
                                        Incident(2, 12, {"a"})};
  std::vector<FaultOutcome> o = MatchFaults(faults, incidents);
  EXPECT_EQ(o[0].incident_id, 2u);
  EXPECT_FALSE(o[1].detected);  // incident 2 is taken
}

TEST(RcaScoreTest, FaultFreeTimeExcludesTheMatchWindows) {
  MatchWindow w;
  w.before_ns = 0;
  w.after_ns = 0;
  std::vector<RcaFault> faults = {Fault("x", "a", 60, 120), Fault("x", "b", 90, 150)};
  // One day minus the union [60, 150) minutes.
  EXPECT_DOUBLE_EQ(FaultFreeDays(faults, kT0, kT0 + 1440 * kMin, w), (1440.0 - 90) / 1440);
  EXPECT_TRUE(std::isnan(Score({}).median_delay_s));
}

}  // namespace
}  // namespace augur::eval
