#include "detect/value_novelty.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace augur::detect {
namespace {

// Feeds `n` values of a two-level series (a daily-ish square wave around 20 and 80 with noise).
void FeedTwoLevels(ValueNovelty& v, int n, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0, 1);
  for (int i = 0; i < n; ++i) v.Observe(1, ((i / 144) % 2 ? 80 : 20) + noise(rng));
}

TEST(ValueNoveltyTest, UsualLevelsAreFamiliarANewOneIsNot) {
  ValueNovelty v;
  std::mt19937_64 rng(1);
  EXPECT_EQ(v.Observe(1, 20), 0);  // nothing to compare the first value with
  FeedTwoLevels(v, 4000, rng);
  double usual = v.Observe(1, 20.5);
  double between = v.Observe(1, 50);  // a level between the two modes, never visited
  EXPECT_LT(usual, 2.0);              // about half of all values: 1 bit
  EXPECT_GT(between, 6.0);            // rarer than 1 in 64: never (or hardly) visited
}

TEST(ValueNoveltyTest, ANewLevelBecomesFamiliarWhenItLasts) {
  ValueNovelty v;
  std::mt19937_64 rng(2);
  FeedTwoLevels(v, 4000, rng);
  double first = v.Observe(1, 50);
  double later = 0;
  for (int i = 0; i < 2000; ++i) later = v.Observe(1, 50);
  EXPECT_LT(later, first - 4);
}

TEST(ValueNoveltyTest, ConstantSeriesFlagsAnyChange) {
  ValueNovelty v;
  for (int i = 0; i < 1000; ++i) v.Observe(1, 7);
  EXPECT_LT(v.Observe(1, 7), 0.1);
  EXPECT_GT(v.Observe(1, 7.5), 8.0);
}

TEST(ValueNoveltyTest, SurvivesExtremeInput) {
  ValueNovelty v;
  for (double x : {0.0, 1e300, -1e300, 1e-300, 5.0}) {
    double bits = v.Observe(1, x);
    EXPECT_TRUE(std::isfinite(bits)) << x;
    EXPECT_GE(bits, 0);
  }
  EXPECT_TRUE(std::isfinite(v.Observe(1e9, 1)));  // a huge gap
}

TEST(ValueNoveltyTest, SaveRestoreRoundTrip) {
  ValueNovelty a;
  std::mt19937_64 rng(3);
  FeedTwoLevels(a, 1000, rng);
  std::string state;
  a.Save(&state);
  state += "tail";
  ValueNovelty b;
  std::string_view in = state;
  ASSERT_TRUE(b.Restore(&in).ok());
  EXPECT_EQ(in, "tail");
  for (double x : {20.0, 50.0, 80.0, 200.0, -3.0}) {
    double pa = a.Observe(1, x), pb = b.Observe(1, x);
    EXPECT_EQ(std::memcmp(&pa, &pb, sizeof(double)), 0) << x;
  }
  EXPECT_EQ(a.count(), b.count());
}

TEST(ValueNoveltyTest, RestoreRejectsGarbage) {
  ValueNovelty v;
  v.Observe(1, 3);
  std::string state;
  v.Save(&state);
  std::string_view empty;
  EXPECT_FALSE(v.Restore(&empty).ok());
  std::string wrong_version = state;
  wrong_version[0] = 9;
  std::string_view wv = wrong_version;
  EXPECT_FALSE(v.Restore(&wv).ok());
  std::string_view truncated = std::string_view(state).substr(0, state.size() - 2);
  EXPECT_FALSE(v.Restore(&truncated).ok());
  std::string negative = state;
  float minus_one = -1;
  std::memcpy(negative.data() + 1, &minus_one, sizeof(float));
  std::string_view neg = negative;
  EXPECT_FALSE(v.Restore(&neg).ok());
  EXPECT_EQ(v.count(), 1u);  // unchanged
}

TEST(ValueNoveltyTest, IsSmall) { EXPECT_LE(sizeof(ValueNovelty), 100u); }

}  // namespace
}  // namespace augur::detect
