// Synthetic series for the detector tests: a daily (optionally weekly) pattern plus Gaussian noise
// at a fixed spacing, from a fixed seed, so every test run sees the same data.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "core/time.h"

namespace augur::detect::test_util {

inline constexpr core::TimeNs kFiveMinutes = 5 * core::kNsPerMinute;
inline constexpr core::TimeNs kDay = 24 * 60 * core::kNsPerMinute;
// 2026-01-05 00:00:00 UTC, a Monday.
inline constexpr core::TimeNs kStart = 1767571200LL * core::kNsPerSecond;

struct SyntheticSeries {
  double level = 100;
  double daily_amplitude = 10;
  double weekend_drop = 0;  // subtracted on Saturdays and Sundays
  double noise = 1;
  std::mt19937_64 rng{7};

  // The noise-free value at t.
  double Clean(core::TimeNs t) const {
    double day_phase = static_cast<double>((t - kStart) % kDay) / kDay;
    int64_t day = (t - kStart) / kDay;
    bool weekend = day % 7 == 5 || day % 7 == 6;
    return level + daily_amplitude * std::sin(2 * M_PI * day_phase) -
           (weekend ? weekend_drop : 0.0);
  }
  double At(core::TimeNs t) {
    std::normal_distribution<double> n(0, noise);
    return Clean(t) + n(rng);
  }
};

}  // namespace augur::detect::test_util
