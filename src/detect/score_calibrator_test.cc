#include "detect/score_calibrator.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace augur::detect {
namespace {

TEST(ScoreCalibratorTest, ScoresZeroBeforeLearning) {
  ScoreCalibrator c;
  EXPECT_EQ(c.Score(5), 0);
  EXPECT_EQ(c.count(), 0u);
  EXPECT_TRUE(std::isnan(c.Quantile(0.5)));
}

// On i.i.d. data the score is a tail probability: P(score >= s) is close to 1 - s, and beyond what
// the histogram resolves (the generalized Pareto tail) at most 1 - s and of its order.
TEST(ScoreCalibratorTest, IsCalibratedOnIidData) {
  struct Case {
    const char* name;
    std::function<double(std::mt19937_64&)> draw;
  };
  std::vector<Case> cases = {
      {"half-normal",
       [](std::mt19937_64& r) { return std::abs(std::normal_distribution<double>(0, 1)(r)); }},
      {"exponential",
       [](std::mt19937_64& r) { return std::exponential_distribution<double>(1)(r); }},
      {"lognormal",
       [](std::mt19937_64& r) { return std::lognormal_distribution<double>(0, 1)(r); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::mt19937_64 rng(1);
    ScoreCalibrator cal;
    for (int i = 0; i < 20000; ++i) cal.Learn(c.draw(rng));
    int n = 200000, above99 = 0, above999 = 0;
    for (int i = 0; i < n; ++i) {
      double s = cal.Score(c.draw(rng));
      above99 += s >= 0.99;
      above999 += s >= 0.999;
    }
    EXPECT_NEAR(static_cast<double>(above99) / n, 0.01, 0.004);
    EXPECT_LE(static_cast<double>(above999) / n, 0.0015);
    EXPECT_GE(static_cast<double>(above999) / n, 0.0001);
  }
}

TEST(ScoreCalibratorTest, IsMonotoneAndQuantileInvertsScore) {
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> exp1(1);
  ScoreCalibrator c;
  for (int i = 0; i < 5000; ++i) c.Learn(exp1(rng));
  double prev = -1;
  for (double raw = 0; raw < 30; raw += 0.05) {
    double s = c.Score(raw);
    EXPECT_GE(s, prev);
    EXPECT_LE(s, 1);
    prev = s;
  }
  for (double p : {0.1, 0.5, 0.9, 0.99, 0.999, 0.99999}) {
    EXPECT_NEAR(c.Score(c.Quantile(p)), p, 1e-6) << p;
  }
}

TEST(ScoreCalibratorTest, ForgetsOldValues) {
  ScoreCalibrator c;
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> exp1(1);
  for (int i = 0; i < 5000; ++i) c.Learn(100 * exp1(rng));
  // Sixteen half-lives of values a hundred times smaller: the old scale is forgotten.
  for (int i = 0; i < 16 * ScoreCalibrator::kHalfLife; ++i) c.Learn(exp1(rng));
  EXPECT_GT(c.Score(20), 0.9999);
}

TEST(ScoreCalibratorTest, SaveRestoreRoundTrip) {
  ScoreCalibrator a;
  for (int i = 0; i < 1000; ++i) a.Learn(i % 37 * 0.1);
  std::string state;
  a.Save(&state);
  state += "tail";
  ScoreCalibrator b;
  std::string_view in = state;
  ASSERT_TRUE(b.Restore(&in).ok());
  EXPECT_EQ(in, "tail");
  for (double raw = 0; raw < 10; raw += 0.3) EXPECT_EQ(a.Score(raw), b.Score(raw));
  a.Learn(2.5);
  b.Learn(2.5);
  EXPECT_EQ(a.Score(3), b.Score(3));
  EXPECT_EQ(a.count(), b.count());
}

TEST(ScoreCalibratorTest, RestoresAVersionOneStateWithoutItsRunningTotal) {
  // Version 1 states (checkpoints of earlier releases) hold the bins, the increment and the count;
  // the total weight is then their sum.
  ScoreCalibrator a;
  for (int i = 0; i < 1000; ++i) a.Learn(i % 37 * 0.1);
  std::string state;
  a.Save(&state);
  state.resize(state.size() - sizeof(double));  // no running total
  state[0] = 1;
  ScoreCalibrator b;
  std::string_view in = state;
  ASSERT_TRUE(b.Restore(&in).ok());
  EXPECT_TRUE(in.empty());
  for (double raw = 0; raw < 10; raw += 0.3)
    EXPECT_NEAR(a.Score(raw), b.Score(raw), 1e-6);  // float bins
  EXPECT_EQ(a.count(), b.count());
}

TEST(ScoreCalibratorTest, RestoreRejectsGarbage) {
  ScoreCalibrator c;
  c.Learn(1);
  std::string_view empty;
  EXPECT_FALSE(c.Restore(&empty).ok());
  std::string wrong_version(300, '\x07');
  std::string_view in = wrong_version;
  EXPECT_FALSE(c.Restore(&in).ok());
  std::string state;
  c.Save(&state);
  std::string_view truncated = std::string_view(state).substr(0, state.size() - 3);
  EXPECT_FALSE(c.Restore(&truncated).ok());
  std::string negative = state;
  float minus_one = -1;
  std::memcpy(negative.data() + 1, &minus_one, sizeof(float));
  std::string_view neg = negative;
  EXPECT_FALSE(c.Restore(&neg).ok());
  std::string no_total = state;  // bins that say 1, a running total that says 0
  const double zero = 0;
  std::memcpy(no_total.data() + no_total.size() - sizeof(double), &zero, sizeof(double));
  std::string_view nt = no_total;
  const absl::Status s = c.Restore(&nt);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("total weight"), std::string_view::npos) << s.message();
  EXPECT_EQ(c.count(), 1u);  // unchanged
}

TEST(ScoreCalibratorTest, IsSmall) { EXPECT_LE(ScoreCalibrator().MemoryBytes(), 256u); }

}  // namespace
}  // namespace augur::detect
