#include "detect/seasonal_baseline.h"

#include <cmath>

#include "detect/synthetic_series_test_util.h"
#include "gtest/gtest.h"

namespace augur::detect {
namespace {

using test_util::kDay;
using test_util::kFiveMinutes;
using test_util::kStart;
using test_util::SyntheticSeries;

TEST(SeasonalBaselineTest, FitsTheMemoryBudgetWithWeeklyProfile) {
  SyntheticSeries s;
  s.weekend_drop = 30;
  s.daily_amplitude = 40;
  SeasonalBaseline d;
  for (core::TimeNs t = kStart; t < kStart + 28 * kDay; t += kFiveMinutes) d.Observe(t, s.At(t));
  EXPECT_LE(d.MemoryBytes(), 1024u);
  EXPECT_EQ(d.MemoryBytes(), sizeof(SeasonalBaseline));  // nothing on the heap
}

TEST(SeasonalBaselineTest, ChoosesTheSeasonalityThatHelps) {
  {
    SyntheticSeries s;
    s.daily_amplitude = 40;
    SeasonalBaseline d;
    Assessment a;
    for (core::TimeNs t = kStart; t < kStart + 10 * kDay; t += kFiveMinutes)
      a = d.Observe(t, s.At(t));
    EXPECT_EQ(a.seasonality, Seasonality::kDaily);
  }
  {
    SyntheticSeries s;
    s.daily_amplitude = 0;  // white noise: a profile only adds noise
    SeasonalBaseline d;
    Assessment a;
    for (core::TimeNs t = kStart; t < kStart + 10 * kDay; t += kFiveMinutes)
      a = d.Observe(t, s.At(t));
    EXPECT_EQ(a.seasonality, Seasonality::kNone);
  }
}

// A series that is almost always zero (one log line now and then) keeps a scale of about its step:
// one more line is ordinary, a burst of fifty is not.
TEST(SeasonalBaselineTest, AMostlyZeroSeriesKeepsTheScaleOfItsSteps) {
  constexpr core::TimeNs kTenSeconds = 10 * core::kNsPerSecond;
  SeasonalBaseline d;
  core::TimeNs t = kStart;
  for (int i = 0; t < kStart + kDay; t += kTenSeconds, ++i) d.Observe(t, i % 500 == 0 ? 0.1 : 0.0);
  EXPECT_NEAR(d.resolution(), 0.1, 1e-6);
  EXPECT_LT(d.Observe(t, 0.1).score, 0.9999);
  for (int i = 0; i < 10; ++i) d.Observe(t += kTenSeconds, 0);
  EXPECT_GT(d.Observe(t += kTenSeconds, 5.0).score, 0.9999);
}

TEST(SeasonalBaselineTest, LearningPeriodNeedsPointsAndTime) {
  SeasonalBaseline d;
  core::TimeNs t = kStart;
  // Many points in a short time: still learning after kLearningPoints.
  for (int i = 0; i < 2 * SeasonalBaseline::kLearningPoints; ++i, t += core::kNsPerSecond) {
    EXPECT_TRUE(d.Observe(t, 1 + (i % 3)).learning);
  }
  SeasonalBaseline e;
  t = kStart;
  int learning = 0;
  for (int i = 0; i < 400; ++i, t += kFiveMinutes) learning += e.Observe(t, 1 + (i % 3)).learning;
  EXPECT_EQ(learning, SeasonalBaseline::kLearningPoints);
}

// A long anomaly does not poison the baseline: it stays flagged for a while, the model follows a
// level that lasts, and once the series is back the baseline is where it was.
TEST(SeasonalBaselineTest, AnomaliesDoNotPoisonTheBaseline) {
  SyntheticSeries s;
  SeasonalBaseline d;
  core::TimeNs t = kStart;
  for (; t < kStart + 4 * kDay; t += kFiveMinutes) d.Observe(t, s.At(t));
  int high = 0;
  for (int i = 0; i < 24; ++i, t += kFiveMinutes) high += d.Observe(t, s.At(t) + 25).score >= 0.999;
  EXPECT_GE(high, 10);  // the first hour of a 25-sigma outage at least
  // Back to normal: the expectation is still the normal one, so normal points are calm at once.
  int calm = 0;
  for (int i = 0; i < 24; ++i, t += kFiveMinutes) {
    Assessment a = d.Observe(t, s.At(t));
    calm += a.score < 0.999;
    if (i > 6) EXPECT_NEAR(a.expected, s.Clean(t), 4);
  }
  EXPECT_GE(calm, 18);
}

TEST(SeasonalBaselineTest, FollowsALastingLevelShift) {
  SyntheticSeries s;
  SeasonalBaseline d;
  core::TimeNs t = kStart;
  for (; t < kStart + 4 * kDay; t += kFiveMinutes) d.Observe(t, s.At(t));
  s.level += 30;
  for (int i = 0; i < 288; ++i, t += kFiveMinutes) d.Observe(t, s.At(t));
  int alarms = 0;
  for (int i = 0; i < 288; ++i, t += kFiveMinutes) alarms += d.Observe(t, s.At(t)).score >= 0.9999;
  EXPECT_LE(alarms, 3);  // a day later the new level is normal
}

}  // namespace
}  // namespace augur::detect
