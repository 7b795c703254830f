#include "detect/holt_winters.h"

#include <cmath>

#include "detect/synthetic_series_test_util.h"
#include "gtest/gtest.h"

namespace augur::detect {
namespace {

using test_util::kDay;
using test_util::kFiveMinutes;
using test_util::kStart;
using test_util::SyntheticSeries;

TEST(HoltWintersTest, SeasonFollowsTheSpacing) {
  HoltWinters hourly, five_minutes, ten_seconds;
  for (int i = 0; i < 20; ++i) {
    hourly.Observe(kStart + i * 60 * core::kNsPerMinute, 1);
    five_minutes.Observe(kStart + i * kFiveMinutes, 1);
    ten_seconds.Observe(kStart + i * 10 * core::kNsPerSecond, 1);
  }
  EXPECT_EQ(hourly.season_slots(), 24);
  EXPECT_EQ(five_minutes.season_slots(), 288);
  EXPECT_EQ(ten_seconds.season_slots(), HoltWinters::kMaxSeasonSlots);
  EXPECT_EQ(five_minutes.spacing_ns(), kFiveMinutes);
}

// The h-step prediction variance of ETS(A,Ad,A), Hyndman et al. (2008), Table 6.1:
// sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m == 0].
TEST(HoltWintersTest, ForecastIntervalsFollowTheStateSpaceVariance) {
  SyntheticSeries s;
  HoltWinters d({.band_confidence = 0.95});
  core::TimeNs t = kStart;
  // Two weeks: the seasonal indices then hold the daily shape (gamma = 0.2 per day).
  for (; t < kStart + 14 * kDay; t += kFiveMinutes) d.Observe(t, s.At(t));
  int m = d.season_slots();
  std::vector<ForecastPoint> f = d.Forecast(t, m + 5);
  ASSERT_EQ(f.size(), static_cast<size_t>(m + 5));
  double half1 = (f[0].upper - f[0].lower) / 2;
  double sum = 1;
  for (int h = 1; h <= m + 5; ++h) {
    if (h > 1) {
      int j = h - 1;
      double phi_j = 0, p = 1;
      for (int k = 1; k <= j; ++k) phi_j += (p *= HoltWinters::kPhi);
      double c = d.alpha() + d.beta() * phi_j + (j % m == 0 ? HoltWinters::kGamma : 0);
      sum += c * c;
    }
    const ForecastPoint& fp = f[h - 1];
    EXPECT_EQ(fp.t, t + (h - 1) * kFiveMinutes);
    EXPECT_NEAR((fp.upper - fp.lower) / 2, half1 * std::sqrt(sum), 1e-9 * half1) << h;
    // Close to the truth in the first hour.
    if (h <= 12) EXPECT_NEAR(fp.expected, s.Clean(fp.t), 4) << h;
  }
  // The interval at one step covers about 95% of one-step outcomes.
  int inside = 0, n = 2000;
  for (int i = 0; i < n; ++i, t += kFiveMinutes) {
    Assessment a = d.Expect(t);
    double v = s.At(t);
    inside += v >= a.lower && v <= a.upper;
    d.Observe(t, v);
  }
  EXPECT_NEAR(static_cast<double>(inside) / n, 0.95, 0.045);
}

TEST(HoltWintersTest, ForecastIsEmptyBeforeTheSeasonIsKnown) {
  HoltWinters d;
  EXPECT_TRUE(d.Forecast(kStart, 10).empty());
  d.Observe(kStart, 1);
  EXPECT_TRUE(d.Forecast(kStart, 10).empty());
}

}  // namespace
}  // namespace augur::detect
