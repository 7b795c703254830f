// The time one unit of work takes (an operation's self-time, a query, a network hop): a log-normal
// body with a Pareto tail, the shape measured service latencies usually have (most requests near
// the median, a few orders of magnitude slower).
#pragma once

#include "core/time.h"
#include "sim/random.h"

namespace augur::sim {

struct LatencyDistribution {
  double median_ms = 1;
  double sigma = 0.4;              // log-normal shape of the body
  double tail_probability = 0.01;  // share of samples drawn from the tail
  double tail_alpha = 2.0;         // Pareto index of the tail; smaller is heavier
  double max_ms = 30'000;          // samples are capped here

  // A duration scaled by `multiplier` (load, instance speed, faults), at least 1 µs.
  core::TimeNs Sample(Rng& rng, double multiplier = 1) const;

  // The body's 99th percentile, where the tail starts: median * e^(2.326 sigma).
  double BodyP99Ms() const;
  // Approximate mean, for expected-load arithmetic: the log-normal mean e^(mu + sigma^2/2) mixed
  // with the Pareto mean alpha/(alpha-1) * scale.
  double MeanMs() const;
};

}  // namespace augur::sim
