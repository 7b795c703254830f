// Behaviour every registered detector type promises (detector.h), run against each of them.
#include "detect/detector.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "detect/synthetic_series_test_util.h"
#include "gtest/gtest.h"

namespace augur::detect {
namespace {

using test_util::kDay;
using test_util::kFiveMinutes;
using test_util::kStart;
using test_util::SyntheticSeries;

TEST(DetectorRegistryTest, MakesRegisteredTypesOnly) {
  std::vector<std::string> types = DetectorTypes();
  for (const char* type : {"seasonal", "holt_winters", "anomaly_likelihood"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), type), types.end()) << type;
    std::unique_ptr<Detector> d = MakeDetector(type, {});
    ASSERT_NE(d, nullptr) << type;
    EXPECT_EQ(d->type(), type);
  }
  EXPECT_EQ(MakeDetector("no_such_detector", {}), nullptr);
  EXPECT_NE(MakeDetector(DefaultDetectorType(), {}), nullptr);
}

TEST(TwoSidedNormalQuantileTest, MatchesTheNormalTable) {
  EXPECT_NEAR(TwoSidedNormalQuantile(0.95), 1.959964, 1e-6);
  EXPECT_NEAR(TwoSidedNormalQuantile(0.99), 2.575829, 1e-6);
  EXPECT_NEAR(TwoSidedNormalQuantile(0.95), 1.959964, 1e-6);  // the kept answer
  EXPECT_NEAR(TwoSidedNormalQuantile(0.0), 0.0, 1e-12);
  EXPECT_TRUE(std::isfinite(TwoSidedNormalQuantile(1.0)));  // bounded, no exception
}

TEST(DetectorRegistryTest, NamesSeasonalities) {
  EXPECT_EQ(SeasonalityName(Seasonality::kNone), "none");
  EXPECT_EQ(SeasonalityName(Seasonality::kDaily), "daily");
  EXPECT_EQ(SeasonalityName(Seasonality::kWeekly), "weekly");
}

class DetectorBehaviourTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Detector> Make(DetectorOptions options = {}) {
    return MakeDetector(GetParam(), options);
  }
  // Feeds `days` of the series, returns the time after the last point.
  core::TimeNs Warm(Detector& d, SyntheticSeries& s, int days, core::TimeNs t = kStart) {
    for (; t < kStart + days * kDay; t += kFiveMinutes) d.Observe(t, s.At(t));
    return t;
  }
};

TEST_P(DetectorBehaviourTest, LearnsThenExpectsTheSeasonalSignal) {
  SyntheticSeries s;
  auto d = Make();
  Assessment first = d->Observe(kStart, s.At(kStart));
  EXPECT_TRUE(first.learning);
  EXPECT_EQ(first.score, 0);
  core::TimeNs t = Warm(*d, s, 5, kStart + kFiveMinutes);
  double worst = 0;
  for (int i = 0; i < 288; ++i, t += kFiveMinutes) {
    Assessment a = d->Expect(t);
    EXPECT_FALSE(a.learning);
    EXPECT_LE(a.lower, a.expected);
    EXPECT_GE(a.upper, a.expected);
    worst = std::max(worst, std::abs(a.expected - s.Clean(t)));
    d->Observe(t, s.At(t));
  }
  // Within a few noise deviations of the truth everywhere in the day (amplitude 10, noise 1).
  EXPECT_LT(worst, 5.0);
}

TEST_P(DetectorBehaviourTest, CleanSignalStaysQuiet) {
  SyntheticSeries s;
  auto d = Make();
  core::TimeNs t = Warm(*d, s, 3);
  int alarms = 0;
  for (; t < kStart + 10 * kDay; t += kFiveMinutes)
    alarms += d->Observe(t, s.At(t)).score >= 0.9999;
  EXPECT_LE(alarms, 3);  // of 2016 points; a calibrated score expects 0.2
}

// "Flagged" = at least as unusual as 1 in 500 normal points (the default detector combines three
// tail probabilities with a union bound, so it needs a little more evidence for the same score).
constexpr double kFlagged = 0.998;

TEST_P(DetectorBehaviourTest, FlagsSpikeLevelShiftAndVarianceChange) {
  {
    SyntheticSeries s;
    auto d = Make();
    core::TimeNs t = Warm(*d, s, 4);
    EXPECT_GE(d->Observe(t, s.At(t) + 15).score, kFlagged) << "spike";
  }
  {
    SyntheticSeries s;
    auto d = Make();
    core::TimeNs t = Warm(*d, s, 4);
    double peak = 0;
    for (int i = 0; i < 5; ++i, t += kFiveMinutes)
      peak = std::max(peak, d->Observe(t, s.At(t) + 12).score);
    EXPECT_GE(peak, kFlagged) << "level shift";
  }
  {
    SyntheticSeries s;
    auto d = Make();
    core::TimeNs t = Warm(*d, s, 4);
    s.noise = 8;
    double peak = 0;
    for (int i = 0; i < 100; ++i, t += kFiveMinutes)
      peak = std::max(peak, d->Observe(t, s.At(t)).score);
    EXPECT_GE(peak, kFlagged) << "variance change";
  }
}

TEST_P(DetectorBehaviourTest, HandlesGapsAndIrregularSpacing) {
  SyntheticSeries s;
  auto d = Make();
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> minutes(1, 9);
  core::TimeNs t = kStart;
  for (; t < kStart + 4 * kDay; t += minutes(rng) * core::kNsPerMinute) d->Observe(t, s.At(t));
  t += 60 * core::kNsPerMinute;  // an hour's gap
  Assessment a = d->Observe(t, s.At(t));
  EXPECT_TRUE(std::isfinite(a.expected));
  EXPECT_LT(a.score, 0.999);
  int alarms = 0;
  for (int i = 0; i < 500; ++i, t += minutes(rng) * core::kNsPerMinute) {
    alarms += d->Observe(t, s.At(t)).score >= 0.9999;
  }
  EXPECT_LE(alarms, 3);
  // Equal timestamps do not break the model either.
  a = d->Observe(t, s.At(t));
  a = d->Observe(t, s.At(t));
  EXPECT_TRUE(std::isfinite(a.expected));
}

TEST_P(DetectorBehaviourTest, MissingValuesAreNotLearned) {
  SyntheticSeries s;
  auto d = Make();
  core::TimeNs t = Warm(*d, s, 3);
  std::string before;
  d->Save(&before);
  Assessment a = d->Observe(t, std::nan(""));
  EXPECT_EQ(a.score, 0);
  EXPECT_TRUE(std::isnan(a.value));
  std::string after;
  d->Save(&after);
  EXPECT_EQ(before, after);
}

void ExpectIdentical(const Assessment& a, const Assessment& b) {
  for (auto [x, y] : {std::pair{a.value, b.value},
                      {a.expected, b.expected},
                      {a.lower, b.lower},
                      {a.upper, b.upper},
                      {a.score, b.score}}) {
    EXPECT_EQ(std::memcmp(&x, &y, sizeof(double)), 0) << x << " vs " << y;
  }
  EXPECT_EQ(a.learning, b.learning);
  EXPECT_EQ(a.seasonality, b.seasonality);
}

TEST_P(DetectorBehaviourTest, RestoredModelScoresExactlyLikeTheOriginal) {
  SyntheticSeries s;
  auto original = Make();
  core::TimeNs t = Warm(*original, s, 3);
  original->Observe(t, s.At(t) + 20);  // in the middle of an alarm hold, too
  t += kFiveMinutes;
  std::string state;
  original->Save(&state);
  auto restored = Make();
  ASSERT_TRUE(restored->Restore(state).ok());
  for (int i = 0; i < 2000; ++i, t += kFiveMinutes) {
    double v = s.At(t) + (i % 500 == 0 ? 12 : 0);
    ExpectIdentical(original->Observe(t, v), restored->Observe(t, v));
  }
  std::string again, again_restored;
  original->Save(&again);
  restored->Save(&again_restored);
  EXPECT_EQ(again, again_restored);
}

TEST_P(DetectorBehaviourTest, RestoreRejectsGarbageAndForeignTypes) {
  SyntheticSeries s;
  auto d = Make();
  core::TimeNs t = Warm(*d, s, 2);
  std::string good;
  d->Save(&good);
  EXPECT_FALSE(d->Restore("").ok());
  EXPECT_FALSE(d->Restore(std::string(100, '\xff')).ok());
  EXPECT_FALSE(d->Restore(good.substr(0, good.size() / 2)).ok());
  EXPECT_FALSE(d->Restore(good + "x").ok());
  for (const std::string& other : DetectorTypes()) {
    if (other == GetParam()) continue;
    auto foreign = MakeDetector(other, {});
    foreign->Observe(t, 1);
    std::string state;
    foreign->Save(&state);
    EXPECT_FALSE(d->Restore(state).ok()) << other;
  }
  std::string after;
  d->Save(&after);
  EXPECT_EQ(good, after);  // failed restores leave the model unchanged
}

TEST_P(DetectorBehaviourTest, SensitivityScalesTheBand) {
  SyntheticSeries s;
  auto d = Make();
  core::TimeNs t = Warm(*d, s, 3);
  Assessment normal = d->Expect(t);
  d->SetSensitivity(2);
  Assessment sharp = d->Expect(t);
  EXPECT_NEAR(sharp.upper - sharp.lower, 0.5 * (normal.upper - normal.lower), 1e-9);
  EXPECT_DOUBLE_EQ(sharp.expected, normal.expected);
  d->SetSensitivity(0.5);
  Assessment dull = d->Expect(t);
  EXPECT_NEAR(dull.upper - dull.lower, 2 * (normal.upper - normal.lower), 1e-9);
  // A higher sensitivity scores the same observation higher (not checked for the default
  // detector, whose alarm hold may cap the more sensitive model's score).
  if (GetParam() == "anomaly_likelihood") return;
  auto a = Make(), b = Make({.sensitivity = 2});
  SyntheticSeries sa, sb;
  t = Warm(*a, sa, 3);
  Warm(*b, sb, 3);
  double v = sa.Clean(t) + 3;
  EXPECT_GT(b->Observe(t, v).score, a->Observe(t, v).score);
}

TEST_P(DetectorBehaviourTest, AcceptAsNormalWidensTheBand) {
  SyntheticSeries s;
  auto d = Make();
  core::TimeNs t = Warm(*d, s, 3);
  double outlier = s.Clean(t) + 12;
  Assessment before = d->Expect(t);
  ASSERT_GT(outlier, before.upper);
  d->AcceptAsNormal(t, outlier);
  t += kFiveMinutes;
  Assessment after = d->Expect(t);
  EXPECT_GT(after.upper - after.lower, before.upper - before.lower);
  EXPECT_GE(after.upper, s.Clean(t) + 12 - 1.5);
}

TEST_P(DetectorBehaviourTest, ReportsItsMemory) {
  SyntheticSeries s;
  auto d = Make();
  Warm(*d, s, 2);
  EXPECT_GT(d->MemoryBytes(), 0u);
  EXPECT_LE(d->MemoryBytes(), 4096u);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, DetectorBehaviourTest,
                         ::testing::Values("seasonal", "holt_winters", "anomaly_likelihood"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace augur::detect
