#include "sim/traffic.h"

#include <cmath>

#include "gtest/gtest.h"

namespace augur::sim {
namespace {

constexpr core::TimeNs kHour = 3600 * core::kNsPerSecond;
// 2026-01-05, a Monday, 00:00 UTC.
constexpr core::TimeNs kMonday = 1'767'571'200LL * core::kNsPerSecond;

TEST(TrafficShapeTest, RateIsTheWeeklyMean) {
  const TrafficShape shape(100, 1);
  double sum = 0;
  int n = 0;
  for (core::TimeNs t = kMonday; t < kMonday + 7 * 24 * kHour; t += 60 * core::kNsPerSecond) {
    sum += shape.RateAt(t);
    ++n;
  }
  EXPECT_NEAR(sum / n, 100, 2);
}

TEST(TrafficShapeTest, DaytimePeakNightTroughWeekendDip) {
  const TrafficShape shape(100, 1);
  const core::TimeNs wednesday = kMonday + 2 * 24 * kHour;
  const core::TimeNs sunday = kMonday + 6 * 24 * kHour;
  // Compare the seasonal parts; the noise is bounded separately.
  EXPECT_GT(TrafficShape::DailyFactor(wednesday + 15 * kHour),
            2.5 * TrafficShape::DailyFactor(wednesday + 3 * kHour));
  EXPECT_GT(shape.RateAt(wednesday + 15 * kHour), 2 * shape.RateAt(wednesday + 3 * kHour));
  EXPECT_DOUBLE_EQ(TrafficShape::WeeklyFactor(wednesday + 12 * kHour), 1.0);
  EXPECT_DOUBLE_EQ(TrafficShape::WeeklyFactor(sunday + 12 * kHour), 0.85);
  EXPECT_LT(TrafficShape::WeeklyFactor(sunday + 12 * kHour),
            TrafficShape::WeeklyFactor(wednesday + 12 * kHour));
  // The weekend ramps in and out instead of jumping at midnight.
  const double friday_late = TrafficShape::WeeklyFactor(kMonday + 4 * 24 * kHour + 23 * kHour);
  EXPECT_GT(friday_late, 0.85);
  EXPECT_LT(friday_late, 1.0);
  for (core::TimeNs t = kMonday; t < kMonday + 7 * 24 * kHour; t += 97 * core::kNsPerSecond) {
    EXPECT_LT(std::abs(shape.Noise(t)), 0.12);
    EXPECT_LE(shape.RateAt(t), shape.MaxRate());
    EXPECT_GT(shape.Multiplier(t), 0.35);
  }
}

TEST(TrafficShapeTest, NoiseIsSmoothAndSeeded) {
  const TrafficShape a(100, 1), b(100, 1), c(100, 2);
  EXPECT_EQ(a.Noise(kMonday + 12345), b.Noise(kMonday + 12345));
  EXPECT_NE(a.Noise(kMonday + 12345), c.Noise(kMonday + 12345));
  // No jumps between neighbouring seconds.
  for (core::TimeNs t = kMonday; t < kMonday + kHour; t += core::kNsPerSecond) {
    EXPECT_LT(std::abs(a.Noise(t + core::kNsPerSecond) - a.Noise(t)), 0.01);
  }
}

TEST(ArrivalProcessTest, CountsFollowTheRate) {
  const TrafficShape shape(50, 3);
  const core::TimeNs start = kMonday + 2 * 24 * kHour + 14 * kHour;
  ArrivalProcess arrivals(&shape, start, 3);
  double expected = 0;
  for (core::TimeNs t = start; t < start + kHour; t += core::kNsPerSecond) {
    expected += shape.RateAt(t);
  }
  int count = 0;
  core::TimeNs previous = start;
  for (core::TimeNs t = arrivals.Next(); t < start + kHour; t = arrivals.Next()) {
    EXPECT_GE(t, previous);
    previous = t;
    ++count;
  }
  // Poisson: the standard deviation is sqrt(expected), about 0.4 % here.
  EXPECT_NEAR(count, expected, 0.02 * expected);
}

TEST(ArrivalProcessTest, DeterministicForASeed) {
  const TrafficShape shape(100, 1);
  ArrivalProcess a(&shape, kMonday, 9), b(&shape, kMonday, 9), c(&shape, kMonday, 10);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const core::TimeNs x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace augur::sim
