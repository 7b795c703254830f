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
#include <functional>
#include <vector>

#include "core/time.h"
#include "sim/fault.h"
#include "sim/fleet.h"
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

// Extra arrivals on top of a TrafficShape (a surge): Poisson with rate shape->RateAt(t) *
// factor(t) over [start_ns, end_ns), by thinning against shape->MaxRate() * max_factor. Its own
// random stream, so the shape's regular arrivals stay exactly what they would be without it.
class ExtraArrivals {
 public:
  // `factor` must stay within [0, max_factor].
  ExtraArrivals(const TrafficShape* shape, std::function<double(core::TimeNs)> factor,
                double max_factor, core::TimeNs start_ns, core::TimeNs end_ns, uint64_t seed,
                uint64_t stream);

  // The next extra arrival, or INT64_MAX once past `end_ns`.
  core::TimeNs Next();

 private:
  const TrafficShape* shape_;
  std::function<double(core::TimeNs)> factor_;
  double max_rate_;
  double t_ns_;
  core::TimeNs end_ns_;
  Rng rng_;
};

// The root requests of a run: the shape's arrivals, plus the extra arrivals of every traffic surge
// in `faults` at its entry service, merged in time order. `shape`, `fleet` and `faults` must
// outlive it.
class RootArrivals {
 public:
  struct Arrival {
    core::TimeNs t = 0;
    int entry_service = -1;  // a surge's entry; -1: drawn by the fleet's entry weights
  };
  RootArrivals(const TrafficShape* shape, const Fleet& fleet, const FaultSchedule* faults,
               core::TimeNs start_ns, uint64_t seed);

  // The next root request (after the previous one, or the start).
  Arrival Next();

 private:
  struct Surge {
    ExtraArrivals arrivals;
    int entry_service;
    core::TimeNs next_ns;
  };

  ArrivalProcess regular_;
  core::TimeNs next_regular_ns_;
  std::vector<Surge> surges_;
};

}  // namespace augur::sim
