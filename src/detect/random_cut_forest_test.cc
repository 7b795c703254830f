#include "detect/random_cut_forest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/hash.h"
#include "detect/random_cut_forest_state.h"

namespace augur::detect {

class RandomCutForestPeer {
 public:
  // Per tree: points in its sample, and points its tree holds (with multiplicity).
  static std::vector<std::pair<int, int>> Samples(const RandomCutForest& forest) {
    std::vector<std::pair<int, int>> out;
    for (const auto& t : forest.state_->trees) {
      out.emplace_back(static_cast<int>(t.sample.size()), t.tree.mass());
    }
    return out;
  }
};

namespace {

// [request rate, error ratio, p95 latency, saturation] of a healthy service.
struct ServiceStream {
  explicit ServiceStream(uint64_t seed) : rng(seed) {}
  std::array<double, 4> Next() {
    return {rate(rng), std::max(0.0, errors(rng)), latency(rng), saturation(rng)};
  }
  std::mt19937_64 rng;
  std::normal_distribution<double> rate{1000, 30};
  std::normal_distribution<double> errors{0.001, 0.0003};
  std::normal_distribution<double> latency{0.2, 0.02};
  std::normal_distribution<double> saturation{0.5, 0.05};
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

// Bit-identical, not merely close.
void ExpectSameAssessment(const ForestAssessment& a, const ForestAssessment& b) {
  auto bits = [](double v) { return std::bit_cast<uint64_t>(v); };
  ASSERT_EQ(bits(a.raw_score), bits(b.raw_score)) << a.raw_score << " vs " << b.raw_score;
  ASSERT_EQ(bits(a.score), bits(b.score)) << a.score << " vs " << b.score;
  ASSERT_EQ(a.learning, b.learning);
  ASSERT_EQ(a.attribution.size(), b.attribution.size());
  for (size_t d = 0; d < a.attribution.size(); ++d) {
    ASSERT_EQ(bits(a.attribution[d]), bits(b.attribution[d])) << d;
  }
}

std::string SaveOf(const RandomCutForest& forest) {
  std::string s;
  forest.Save(&s);
  return s;
}

TEST(RandomCutForestOptionsTest, ValidateAcceptsDefaultsAndRejectsNonsense) {
  EXPECT_TRUE(RandomCutForestOptions{}.Validate().ok());
  auto rejects = [](auto mutate, std::string_view key) {
    RandomCutForestOptions o;
    mutate(o);
    absl::Status s = o.Validate();
    EXPECT_FALSE(s.ok()) << key;
    EXPECT_NE(std::string(s.message()).find(key), std::string::npos) << s;
  };
  rejects([](auto& o) { o.trees = 0; }, "trees");
  rejects([](auto& o) { o.trees = 100000; }, "trees");
  rejects([](auto& o) { o.sample_size = 1; }, "sample_size");
  rejects([](auto& o) { o.sample_size = 70000; }, "sample_size");
  rejects([](auto& o) { o.dimensions = 0; }, "dimensions");
  rejects([](auto& o) { o.shingle_size = 0; }, "shingle_size");
  rejects([](auto& o) { o.dimensions = 64, o.shingle_size = 64; }, "shingle_size");
  rejects([](auto& o) { o.time_decay = -1; }, "time_decay");
  rejects([](auto& o) { o.time_decay = std::nan(""); }, "time_decay");
  rejects([](auto& o) { o.output_after = -1; }, "output_after");
  rejects([](auto& o) { o.normalize_decay = 1; }, "normalize_decay");
  rejects([](auto& o) { o.trees = 1000, o.sample_size = 65535; }, "too large");
}

TEST(RandomCutForestTest, InvalidOptionsSkipEverything) {
  RandomCutForestOptions o;
  o.trees = 0;
  RandomCutForest forest(o);
  ForestAssessment a = forest.Update(std::vector<double>{1, 2, 3, 4});
  EXPECT_TRUE(a.learning);
  EXPECT_EQ(a.score, 0);
  EXPECT_EQ(a.raw_score, 0);
}

TEST(RandomCutForestTest, LearningPeriodReportsNoScore) {
  RandomCutForestOptions o;
  o.output_after = 50;
  RandomCutForest forest(o);
  ServiceStream stream(1);
  for (int i = 0; i < 50; ++i) {
    ForestAssessment a = forest.Update(stream.Next());
    EXPECT_TRUE(a.learning) << i;
    EXPECT_EQ(a.score, 0) << i;
  }
  // A wild point right after learning does get a score.
  ForestAssessment a = forest.Update(std::vector<double>{1000, 0.5, 0.2, 0.5});
  EXPECT_FALSE(a.learning);
  EXPECT_GT(a.score, 0.9);
}

TEST(RandomCutForestTest, NonFiniteOrWrongSizedInputIsSkipped) {
  RandomCutForest forest(RandomCutForestOptions{});
  ServiceStream stream(2);
  for (int i = 0; i < 300; ++i) forest.Update(stream.Next());
  std::string before = SaveOf(forest);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::vector<double>& bad : std::vector<std::vector<double>>{{1000, nan, 0.2, 0.5},
                                                                         {inf, 0.001, 0.2, 0.5},
                                                                         {1e200, 0.001, 0.2, 0.5},
                                                                         {1000, 0.001, 0.2},
                                                                         {}}) {
    ForestAssessment a = forest.Update(bad);
    EXPECT_TRUE(a.learning);
    EXPECT_EQ(a.score, 0);
    EXPECT_EQ(a.raw_score, 0);
    EXPECT_EQ(a.attribution, std::vector<double>(4, 0.0));
    EXPECT_EQ(forest.Score(bad).raw_score, 0);
  }
  EXPECT_EQ(SaveOf(forest), before);  // nothing learned

  // Extreme but accepted values do not poison the forest.
  ForestAssessment extreme = forest.Update(std::vector<double>{1e99, -1e99, 0.2, 0.5});
  EXPECT_GT(extreme.score, 0.99);
  for (int i = 0; i < 100; ++i) {
    ForestAssessment a = forest.Update(stream.Next());
    ASSERT_TRUE(std::isfinite(a.raw_score) && std::isfinite(a.score));
  }
}

TEST(RandomCutForestTest, CalibratedScoresOfNormalDataAreUniform) {
  RandomCutForest forest(RandomCutForestOptions{});
  ServiceStream stream(14);
  std::vector<double> scores;
  for (int i = 0; i < 12000; ++i) {
    ForestAssessment a = forest.Update(stream.Next());
    if (i >= 2000) scores.push_back(a.score);
  }
  auto above = [&](double s) {
    return static_cast<double>(
               std::count_if(scores.begin(), scores.end(), [s](double x) { return x >= s; })) /
           static_cast<double>(scores.size());
  };
  EXPECT_NEAR(Median(scores), 0.5, 0.05);
  EXPECT_NEAR(above(0.9), 0.1, 0.02);
  EXPECT_NEAR(above(0.95), 0.05, 0.015);
  EXPECT_NEAR(above(0.99), 0.01, 0.007);
}

TEST(RandomCutForestTest, OutlierScoresFarAboveTypicalAndIsAttributedToTheDimensionThatMoved) {
  RandomCutForest forest(RandomCutForestOptions{});
  ServiceStream stream(3);
  std::vector<double> typical_raw, typical_score;
  for (int i = 0; i < 3000; ++i) {
    ForestAssessment a = forest.Update(stream.Next());
    if (i >= 2000) {
      typical_raw.push_back(a.raw_score);
      typical_score.push_back(a.score);
    }
  }
  // The error ratio jumps from 0.1% to 5%; the rest is as usual.
  std::array<double, 4> point = stream.Next();
  point[1] = 0.05;
  ForestAssessment a = forest.Score(point);
  EXPECT_GT(a.raw_score, 10 * Median(typical_raw)) << Median(typical_raw);
  EXPECT_GT(a.raw_score, 2 * Quantile(typical_raw, 0.999));
  EXPECT_GT(a.score, 0.999);
  EXPECT_GT(a.attribution[1], 0.9 * a.raw_score);
  // Typical points: calibrated scores spread over [0, 1], few above 0.99.
  EXPECT_NEAR(Median(typical_score), 0.5, 0.2);
  EXPECT_LT(
      std::count_if(typical_score.begin(), typical_score.end(), [](double s) { return s >= 0.99; }),
      40);
}

TEST(RandomCutForestTest, ShiftInTwoDimensionsIsAttributedToBoth) {
  RandomCutForest forest(RandomCutForestOptions{});
  ServiceStream stream(4);
  for (int i = 0; i < 2000; ++i) forest.Update(stream.Next());
  // Rate and latency rise together by 8 deviations each (e.g. a traffic surge slowing the
  // service).
  std::array<double, 4> point = stream.Next();
  point[0] = 1240;
  point[2] = 0.36;
  ForestAssessment a = forest.Score(point);
  EXPECT_GT(a.score, 0.99);
  EXPECT_GT(a.attribution[0], 0.3 * a.raw_score);
  EXPECT_GT(a.attribution[2], 0.3 * a.raw_score);
  EXPECT_GT(a.attribution[0] + a.attribution[2], 0.9 * a.raw_score);
}

TEST(RandomCutForestTest, AttributionSumsToRawScore) {
  RandomCutForestOptions o;
  o.shingle_size = 3;
  RandomCutForest forest(o);
  ServiceStream stream(5);
  for (int i = 0; i < 1000; ++i) {
    std::array<double, 4> point = stream.Next();
    if (i % 97 == 0) point[i % 4] *= 3;
    ForestAssessment a = forest.Update(point);
    ASSERT_EQ(a.attribution.size(), 4u);
    double sum = std::accumulate(a.attribution.begin(), a.attribution.end(), 0.0);
    ASSERT_NEAR(sum, a.raw_score, 1e-12 * std::max(1.0, a.raw_score)) << i;
    for (double share : a.attribution) ASSERT_GE(share, 0);
  }
}

TEST(RandomCutForestTest, ReservoirKeepsExactlySampleSizePointsPerTree) {
  for (double decay : {0.0, 1.0 / 2560, 0.05}) {
    RandomCutForestOptions o;
    o.trees = 20;
    o.sample_size = 64;
    o.time_decay = decay;
    RandomCutForest forest(o);
    ServiceStream stream(6);
    for (int i = 0; i < 40; ++i) forest.Update(stream.Next());
    for (auto [sampled, mass] : RandomCutForestPeer::Samples(forest)) {
      EXPECT_EQ(sampled, 40);
      EXPECT_EQ(mass, 40);
    }
    for (int i = 0; i < 3000; ++i) {
      // Repeated values too: equal points share a leaf but count separately.
      forest.Update(i % 10 == 0 ? std::array<double, 4>{1000, 0.001, 0.2, 0.5} : stream.Next());
    }
    for (auto [sampled, mass] : RandomCutForestPeer::Samples(forest)) {
      EXPECT_EQ(sampled, 64) << decay;
      EXPECT_EQ(mass, 64) << decay;
    }
  }
}

TEST(RandomCutForestTest, TimeDecayForgetsAnOldRegime) {
  RandomCutForest forest(RandomCutForestOptions{});
  ServiceStream stream(7);
  std::vector<double> before;
  for (int i = 0; i < 4000; ++i) {
    ForestAssessment a = forest.Update(stream.Next());
    if (i >= 3500) before.push_back(a.raw_score);
  }
  // A deploy doubles the traffic and raises latency for good.
  auto regime_b = [&] {
    std::array<double, 4> p = stream.Next();
    p[0] += 1000;
    p[2] += 0.1;
    return p;
  };
  EXPECT_GT(forest.Update(regime_b()).score, 0.99);  // the change itself is an anomaly
  std::vector<double> after, after_scores;
  for (int i = 0; i < 8000; ++i) {
    ForestAssessment a = forest.Update(regime_b());
    if (i >= 7500) {
      after.push_back(a.raw_score);
      after_scores.push_back(a.score);
    }
  }
  EXPECT_LT(Median(after), 1.5 * Median(before)) << Median(before);
  EXPECT_LT(Median(after_scores), 0.8);
  EXPECT_LT(
      std::count_if(after_scores.begin(), after_scores.end(), [](double s) { return s >= 0.99; }),
      25);
}

TEST(RandomCutForestTest, ShinglingDetectsAChangeInShapeThatNoSinglePointShows) {
  // A sawtooth 0, 1, ..., 7, 0, 1, ... with a little noise; once, two values swap places. Every
  // value stays in the usual range, only the sequence is unusual.
  auto run = [](int shingle_size) {
    RandomCutForestOptions o;
    o.dimensions = 1;
    o.shingle_size = shingle_size;
    RandomCutForest forest(o);
    std::mt19937_64 rng(8);
    std::normal_distribution<double> noise(0, 0.05);
    std::vector<double> typical;
    double anomaly = 0;
    for (int i = 0; i < 4000; ++i) {
      int phase = i % 8;
      double value = phase;
      if (i == 3603) value = 6;  // 0 1 2 6 4 5 3 7
      if (i == 3606) value = 3;
      ForestAssessment a = forest.Update(std::vector<double>{value + noise(rng)});
      if (i >= 3000 && i < 3600) typical.push_back(a.raw_score);
      if (i >= 3603 && i <= 3606) anomaly = std::max(anomaly, a.raw_score);
    }
    return std::make_pair(anomaly, Quantile(typical, 0.99));
  };
  auto [with_shingle, typical_with_shingle] = run(4);
  auto [single, typical_single] = run(1);
  EXPECT_GT(with_shingle, 3 * typical_with_shingle);
  EXPECT_LT(single, 1.5 * typical_single);
}

TEST(RandomCutForestTest, ScoreIsUpdateWithoutTheUpdate) {
  RandomCutForestOptions o;
  o.shingle_size = 2;
  RandomCutForest forest(o);
  ServiceStream stream(9);
  for (int i = 0; i < 600; ++i) {
    std::array<double, 4> point = stream.Next();
    if (i % 50 == 7) point[i % 4] *= 2;
    std::string before = i % 25 == 0 ? SaveOf(forest) : "";
    ForestAssessment scored = forest.Score(point);
    if (i % 25 == 0) ASSERT_EQ(SaveOf(forest), before);
    ExpectSameAssessment(scored, forest.Update(point));
  }
}

TEST(RandomCutForestTest, SameSeedSameScoresOtherSeedOtherScores) {
  RandomCutForestOptions o;
  RandomCutForest a(o), b(o);
  o.seed = 43;
  RandomCutForest c(o);
  ServiceStream stream(10);
  bool differs = false;
  for (int i = 0; i < 500; ++i) {
    std::array<double, 4> point = stream.Next();
    ForestAssessment fa = a.Update(point), fb = b.Update(point), fc = c.Update(point);
    ExpectSameAssessment(fa, fb);
    differs |= fa.raw_score != fc.raw_score;
  }
  EXPECT_TRUE(differs);
}

TEST(RandomCutForestTest, RestoredForestContinuesBitIdentically) {
  struct Case {
    int shingle_size;
    double time_decay;
    int after;  // observations before the save
  };
  // (Decay 0.05 moves the samples' weight base every 640 points.)
  for (Case c : {Case{1, 1.0 / 2560, 1500}, Case{4, 0.0, 700}, Case{2, 0.01, 20}, Case{3, 0, 1},
                 Case{1, 0.05, 1000}}) {
    RandomCutForestOptions o;
    o.shingle_size = c.shingle_size;
    o.time_decay = c.time_decay;
    o.trees = 30;
    o.sample_size = 128;
    RandomCutForest original(o);
    ServiceStream stream(11);
    for (int i = 0; i < c.after; ++i) original.Update(stream.Next());
    std::string state = SaveOf(original);
    // A forest made with other options takes the saved ones.
    RandomCutForestOptions other;
    other.seed = 1;
    other.trees = 3;
    RandomCutForest restored(other);
    restored.Update(stream.Next());
    ASSERT_TRUE(restored.Restore(state).ok()) << restored.Restore(state);
    EXPECT_EQ(restored.options().trees, 30);
    EXPECT_EQ(SaveOf(restored), state);
    EXPECT_EQ(restored.MemoryBytes(), original.MemoryBytes());
    for (int i = 0; i < 2000; ++i) {
      std::array<double, 4> point = stream.Next();
      if (i % 101 == 0) point[i % 4] *= 1.5;
      ExpectSameAssessment(original.Update(point), restored.Update(point));
    }
    EXPECT_EQ(SaveOf(restored), SaveOf(original));
  }
}

TEST(RandomCutForestTest, RestoreRejectsBadInputAndLeavesTheForestUnchanged) {
  RandomCutForestOptions o;
  o.trees = 10;
  o.sample_size = 32;
  RandomCutForest forest(o);
  ServiceStream stream(12);
  for (int i = 0; i < 100; ++i) forest.Update(stream.Next());
  const std::string good = SaveOf(forest);

  RandomCutForest target(RandomCutForestOptions{});
  for (int i = 0; i < 50; ++i) target.Update(stream.Next());
  const std::string target_state = SaveOf(target);
  auto expect_rejected = [&](std::string_view bytes, std::string_view why) {
    absl::Status s = target.Restore(bytes);
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_NE(std::string(s.message()).find("random cut forest state"), std::string::npos) << s;
    EXPECT_EQ(SaveOf(target), target_state) << why;
    EXPECT_EQ(target.options().trees, 50) << why;
  };
  expect_rejected("", "empty");
  expect_rejected("garbage that is not a forest at all", "garbage");
  expect_rejected(std::string_view(good).substr(0, good.size() / 2), "truncated");
  expect_rejected(std::string_view(good).substr(0, good.size() - 1), "last byte missing");
  expect_rejected(good + "x", "trailing byte");
  for (size_t i : {size_t{9}, good.size() / 3, good.size() - 20, good.size() - 3}) {
    std::string flipped = good;
    flipped[i] ^= 0x01;
    expect_rejected(flipped, "flipped byte");
  }
  std::string other_version = good;
  other_version[4] = 2;
  absl::Status s = target.Restore(other_version);
  EXPECT_NE(std::string(s.message()).find("version 2"), std::string::npos) << s;
  EXPECT_EQ(SaveOf(target), target_state);
  EXPECT_TRUE(target.Restore(good).ok());
}

TEST(RandomCutForestTest, RestoreSurvivesCorruptionBehindAValidChecksum) {
  RandomCutForestOptions o;
  o.trees = 3;
  o.sample_size = 8;
  o.shingle_size = 2;
  RandomCutForest forest(o);
  ServiceStream stream(15);
  for (int i = 0; i < 40; ++i) forest.Update(stream.Next());
  const std::string good = SaveOf(forest);
  for (size_t i = 8; i + 8 < good.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      uint64_t sum = core::StableHash(std::string_view(bad).substr(0, bad.size() - 8));
      std::memcpy(bad.data() + bad.size() - 8, &sum, 8);
      RandomCutForest target(o);
      if (!target.Restore(bad).ok()) continue;
      // Whatever was accepted is a working forest.
      for (int k = 0; k < 20; ++k) {
        ForestAssessment a = target.Update(stream.Next());
        ASSERT_TRUE(std::isfinite(a.raw_score) && a.score >= 0 && a.score <= 1) << i;
      }
    }
  }
}

TEST(RandomCutForestTest, MemoryIsCompact) {
  RandomCutForest forest(RandomCutForestOptions{});
  ServiceStream stream(13);
  size_t empty = forest.MemoryBytes();
  for (int i = 0; i < 1000; ++i) forest.Update(stream.Next());
  // Fixed after construction: nothing grows with the stream.
  EXPECT_EQ(forest.MemoryBytes(), empty);
  // 50 trees of 256 four-dimensional points: ~20 KiB a tree.
  EXPECT_LT(forest.MemoryBytes(), 1100u * 1024);
}

}  // namespace
}  // namespace augur::detect
