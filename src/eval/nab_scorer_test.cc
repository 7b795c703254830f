// NAB's scoring rules against hand-computed cases (see nab_scorer.h for the rules).
#include "eval/nab_scorer.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace augur::eval {
namespace {

const NabProfile kStandard{"standard", 1, 0.11, 1};
const NabProfile kLowFp{"reward_low_fp", 1, 0.22, 1};
const NabProfile kLowFn{"reward_low_fn", 1, 0.11, 2};

double S(double y) { return 2 / (1 + std::exp(5 * y)) - 1; }

// 1000 rows (probation: the first 150), one window over rows 400..499 (width 100).
struct OneWindow {
  std::vector<double> scores = std::vector<double>(1000, 0.0);
  std::vector<NabWindow> windows = {{400, 499}};
  double Raw(const NabProfile& p, double threshold = 0.5) const {
    NabScoredFile f{scores, windows};
    return ScoreAtThreshold({&f, 1}, p, threshold).raw;
  }
};

TEST(NabScorerTest, ProbationaryPeriod) {
  EXPECT_EQ(NabProbationaryRows(4032), 604u);
  EXPECT_EQ(NabProbationaryRows(1000), 150u);
  EXPECT_EQ(NabProbationaryRows(100000), 750u);
}

TEST(NabScorerTest, ScaledSigmoid) {
  EXPECT_NEAR(NabScaledSigmoid(-1), 0.986614, 1e-6);
  EXPECT_NEAR(NabScaledSigmoid(-0.5), 0.848284, 1e-6);
  EXPECT_DOUBLE_EQ(NabScaledSigmoid(0), 0);
  EXPECT_NEAR(NabScaledSigmoid(1), -0.986614, 1e-6);
  EXPECT_EQ(NabScaledSigmoid(3), -1);
  EXPECT_EQ(NabScaledSigmoid(10), -1);
}

TEST(NabScorerTest, EarlyDetectionEarnsTheFullTruePositive) {
  OneWindow f;
  f.scores[400] = 1;
  EXPECT_NEAR(f.Raw(kStandard), 1.0, 1e-12);
}

TEST(NabScorerTest, LateDetectionEarnsLess) {
  OneWindow f;
  f.scores[450] = 1;  // y = -(499 - 450 + 1) / 100 = -0.5
  EXPECT_NEAR(f.Raw(kStandard), S(-0.5) / S(-1), 1e-12);
  f.scores[499] = 1;  // the earliest detection counts, later ones add nothing
  EXPECT_NEAR(f.Raw(kStandard), S(-0.5) / S(-1), 1e-12);
  f.scores[420] = 1;  // y = -0.8
  EXPECT_NEAR(f.Raw(kStandard), S(-0.8) / S(-1), 1e-12);
}

TEST(NabScorerTest, MissedWindowCostsFalseNegative) {
  OneWindow f;
  EXPECT_DOUBLE_EQ(f.Raw(kStandard), -1);
  EXPECT_DOUBLE_EQ(f.Raw(kLowFn), -2);
}

TEST(NabScorerTest, FalsePositiveBeforeTheFirstWindowCostsFullWeight) {
  OneWindow f;
  f.scores[400] = 1;
  f.scores[200] = 1;
  EXPECT_NEAR(f.Raw(kStandard), 1 - 0.11, 1e-12);
  EXPECT_NEAR(f.Raw(kLowFp), 1 - 0.22, 1e-12);
}

TEST(NabScorerTest, DetectionsInTheProbationaryPeriodAreIgnored) {
  OneWindow f;
  f.scores[400] = 1;
  f.scores[0] = f.scores[149] = 1;
  EXPECT_NEAR(f.Raw(kStandard), 1, 1e-12);
  f.scores[150] = 1;  // the first scored row
  EXPECT_NEAR(f.Raw(kStandard), 1 - 0.11, 1e-12);
}

TEST(NabScorerTest, FalsePositiveShortlyAfterAWindowCostsLittle) {
  OneWindow f;
  f.scores[400] = 1;
  f.scores[510] = 1;  // y = (510 - 499) / (100 - 1)
  double y = 11.0 / 99;
  EXPECT_NEAR(f.Raw(kStandard), 1 + 0.11 * S(y), 1e-12);
  EXPECT_GT(f.Raw(kStandard), 1 - 0.11 / 2);
}

TEST(NabScorerTest, FalsePositiveFarAfterAWindowCostsFullWeight) {
  OneWindow f;
  f.scores[400] = 1;
  f.scores[900] = 1;  // y = 401 / 99 > 3
  EXPECT_NEAR(f.Raw(kStandard), 1 - 0.11, 1e-12);
  f.scores[900] = 0;
  f.scores[700] = 1;  // y = 201 / 99, inside the sigmoid's range
  EXPECT_NEAR(f.Raw(kStandard), 1 + 0.11 * S(201.0 / 99), 1e-12);
}

TEST(NabScorerTest, ThresholdIsInclusive) {
  OneWindow f;
  f.scores[400] = 0.7;
  EXPECT_NEAR(f.Raw(kStandard, 0.7), 1, 1e-12);
  EXPECT_NEAR(f.Raw(kStandard, 0.7000001), -1, 1e-12);
}

TEST(NabScorerTest, NormalizesBetweenNullAndPerfect) {
  EXPECT_DOUBLE_EQ(NabNormalized(-3, 3, kStandard), 0);   // null: no detection at all
  EXPECT_DOUBLE_EQ(NabNormalized(3, 3, kStandard), 100);  // perfect: every window at its start
  EXPECT_DOUBLE_EQ(NabNormalized(0, 3, kStandard), 50);
  EXPECT_DOUBLE_EQ(NabNormalized(-6, 3, kLowFn), 0);
  EXPECT_NEAR(NabNormalized(0, 3, kLowFn), 100.0 * 6 / 9, 1e-12);
  EXPECT_TRUE(std::isnan(NabNormalized(-0.5, 0, kStandard)));
}

TEST(NabScorerTest, OutcomeCountsWindowsAndFalsePositives) {
  OneWindow f;
  f.scores[450] = 1;
  f.scores[200] = f.scores[201] = 1;
  NabScoredFile file{f.scores, f.windows};
  NabOutcome o = ScoreAtThreshold({&file, 1}, kStandard, 0.5);
  EXPECT_EQ(o.windows, 1);
  EXPECT_EQ(o.detected, 1);
  EXPECT_EQ(o.false_positives, 2);
}

// The sweep finds the threshold a brute-force search over every distinct score finds.
TEST(NabScorerTest, BestThresholdMatchesBruteForce) {
  OneWindow a, b;
  b.windows = {{300, 349}, {700, 799}};
  a.scores[400] = 0.9;
  a.scores[200] = 0.8;   // FP before the window
  a.scores[460] = 0.95;  // late detection
  b.scores[300] = 0.6;
  b.scores[720] = 0.9;
  b.scores[360] = 0.85;  // FP right after the first window
  b.scores[990] = 0.97;  // FP far away
  std::vector<NabScoredFile> files = {{a.scores, a.windows}, {b.scores, b.windows}};
  for (const NabProfile& p : {kStandard, kLowFp, kLowFn}) {
    NabBest best = BestThreshold(files, p);
    double brute_raw = ScoreAtThreshold(files, p, 1.1).raw, brute_t = 1.1;
    for (double t : {0.97, 0.95, 0.9, 0.85, 0.8, 0.6, 0.0}) {
      double raw = ScoreAtThreshold(files, p, t).raw;
      if (raw > brute_raw) brute_raw = raw, brute_t = t;
    }
    EXPECT_NEAR(best.raw, brute_raw, 1e-12) << p.name;
    EXPECT_EQ(best.threshold, brute_t) << p.name;
  }
}

}  // namespace
}  // namespace augur::eval
