#include "detect/recent_windows.h"

#include <cmath>

#include <gtest/gtest.h>

namespace augur::detect {
namespace {

constexpr core::TimeNs kS = core::kNsPerSecond;
constexpr core::TimeNs kT0 = 1'700'000'400 * kS;  // a multiple of 60 s

TEST(RecentWindowsTest, OneMinuteUsesTenSecondWindows) {
  RecentWindows w(10 * kS, 3);
  std::vector<uint32_t> b = {1, 0, 0};
  for (int i = 0; i < 12; ++i) w.Add(kT0 + i * 10 * kS, 1, i % 2, 1.0, b);  // 2 minutes
  WindowStats s;
  w.Collect(kT0 + 115 * kS, core::kNsPerMinute, &s);
  // Windows starting at 60..110 s: six of them.
  EXPECT_EQ(s.count, 6u);
  EXPECT_EQ(s.errors, 3u);
  EXPECT_EQ(s.buckets[0], 6u);
}

TEST(RecentWindowsTest, FiveMinutesUsesMinuteWindows) {
  RecentWindows w(10 * kS, 3);
  std::vector<uint32_t> b = {0, 1, 0};
  for (int m = 0; m < 8; ++m) w.Add(kT0 + m * 60 * kS + 5 * kS, 10, 0, 1.0, b);
  WindowStats s;
  w.Collect(kT0 + 7 * 60 * kS + 30 * kS, 5 * core::kNsPerMinute, &s);
  EXPECT_EQ(s.count, 50u);  // minutes 3..7
}

TEST(RecentWindowsTest, StaleWindowsDoNotCount) {
  RecentWindows w(10 * kS, 2);
  std::vector<uint32_t> b = {1, 0};
  w.Add(kT0, 5, 0, 1, b);
  WindowStats s;
  w.Collect(kT0 + 10 * core::kNsPerMinute, core::kNsPerMinute, &s);
  EXPECT_EQ(s.count, 0u);
  w.Collect(kT0 + 10 * core::kNsPerMinute, 5 * core::kNsPerMinute, &s);
  EXPECT_EQ(s.count, 0u);
}

TEST(RecentWindowsTest, OlderDataDoesNotOverwriteANewerWindow) {
  RecentWindows w(10 * kS, 2);
  std::vector<uint32_t> b = {1, 0};
  w.Add(kT0 + 60 * kS, 4, 0, 1, b);  // same fine slot as kT0
  w.Add(kT0, 9, 0, 1, b);
  WindowStats s;
  w.Collect(kT0 + 65 * kS, core::kNsPerMinute, &s);
  EXPECT_EQ(s.count, 4u);
}

// Stage 2 fills windows up to about 70 s ahead of the one it closes (lateness and shard skew): the
// ring keeps both.
TEST(RecentWindowsTest, WindowsEightySecondsApartAreBothHeld) {
  RecentWindows w(10 * kS, 2);
  std::vector<uint32_t> b = {1, 0};
  w.Add(kT0, 3, 1, 1, b);
  w.Add(kT0 + 80 * kS, 5, 0, 1, b);
  WindowStats first;
  ASSERT_TRUE(w.Window(kT0, &first));
  EXPECT_EQ(first.count, 3u);
  EXPECT_EQ(first.errors, 1u);
  WindowStats later;
  ASSERT_TRUE(w.Window(kT0 + 80 * kS, &later));
  EXPECT_EQ(later.count, 5u);
  // One more window on: the oldest slot goes to it.
  w.Add(kT0 + 90 * kS, 1, 0, 1, b);
  WindowStats gone;
  EXPECT_FALSE(w.Window(kT0, &gone));
  WindowStats before;  // before the first window added: never held
  EXPECT_FALSE(w.Window(kT0 - 600 * kS, &before));
}

TEST(WindowStatsTest, QuantileInterpolatesLikeHistogramQuantile) {
  WindowStats s;
  std::vector<double> bounds = {10, 20, 40};
  s.buckets = {0, 10, 0, 0};  // all between 10 and 20
  EXPECT_DOUBLE_EQ(s.Quantile(bounds, 0.5), 15);
  EXPECT_DOUBLE_EQ(s.Quantile(bounds, 1.0), 20);
  s.buckets = {0, 0, 0, 4};  // all in +Inf
  EXPECT_DOUBLE_EQ(s.Quantile(bounds, 0.99), 40);
  s.buckets = {0, 0, 0, 0};
  EXPECT_TRUE(std::isnan(s.Quantile(bounds, 0.5)));
}

}  // namespace
}  // namespace augur::detect
