// The shop's load over simulated time: root requests per second with a daily and a weekly season
// and smooth noise, and the Poisson arrivals drawn from it.
//
// Seasons use UTC: the daily curve peaks in the afternoon (a second, smaller bump in the evening)
// and bottoms out around 03:00 at about half the mean; Saturday and Sunday run 15 % lower. The
// multiplier averages 1 over a week, so the configured rate is the weekly mean. Everything is a
// pure function of time and seed: the same request times come out whatever the step size of the
// caller.
#pragma once

#include <cstdint>

#include "core/time.h"
#include "sim/random.h"

namespace augur::sim {

class TrafficShape {
 public:
  TrafficShape(double mean_rate_per_s, uint64_t seed);

  // Load relative to the weekly mean at `t` (about 0.4 to 1.65).
  double Multiplier(core::TimeNs t) const;
  // Root requests per second at `t`.
  double RateAt(core::TimeNs t) const { return mean_rate_per_s_ * Multiplier(t); }
  // An upper bound of RateAt over all time.
  double MaxRate() const;

  // The parts of Multiplier, for tests and docs: the daily curve (mean 1 over a day), the weekly
  // factor (1 on weekdays, 0.85 at the weekend, ramped over 4 hours), and the noise (|x| < 0.12).
  static double DailyFactor(core::TimeNs t);
  static double WeeklyFactor(core::TimeNs t);
  double Noise(core::TimeNs t) const;

 private:
  double mean_rate_per_s_;
  uint64_t seed_;
};

// Poisson arrivals with the time-varying rate of a TrafficShape, by thinning (Lewis and Shedler
// 1979): candidates at the maximum rate, each kept with probability rate(t) / max rate.
class ArrivalProcess {
 public:
  ArrivalProcess(const TrafficShape* shape, core::TimeNs start_ns, uint64_t seed);

  // The time of the next root request, after the previous one (or the start).
  core::TimeNs Next();

 private:
  const TrafficShape* shape_;
  double max_rate_;
  double t_ns_;  // the last candidate, in fractional ns so the rate carries no rounding drift
  Rng rng_;
};

}  // namespace augur::sim
