#include "sim/latency_distribution.h"

#include <algorithm>
#include <cmath>

namespace augur::sim {

namespace {
constexpr double kZ99 = 2.326;  // standard normal 99th percentile
}  // namespace

core::TimeNs LatencyDistribution::Sample(Rng& rng, double multiplier) const {
  double ms = rng.Bernoulli(tail_probability) ? rng.Pareto(BodyP99Ms(), tail_alpha)
                                              : rng.LogNormal(median_ms, sigma);
  ms = std::min(ms, max_ms) * multiplier;
  return std::max<core::TimeNs>(core::kNsPerMicrosecond,
                                static_cast<core::TimeNs>(ms * core::kNsPerMillisecond));
}

double LatencyDistribution::BodyP99Ms() const { return median_ms * std::exp(kZ99 * sigma); }

double LatencyDistribution::MeanMs() const {
  const double body = median_ms * std::exp(sigma * sigma / 2);
  const double tail =
      tail_alpha > 1 ? BodyP99Ms() * tail_alpha / (tail_alpha - 1) : std::min(max_ms, 10 * body);
  return (1 - tail_probability) * body + tail_probability * std::min(tail, max_ms);
}

}  // namespace augur::sim
