// The simulator's seeded pseudo-random source and the few distributions it draws from.
//
// Every draw is written out here (no std::*_distribution) so that a seed gives the same fleet and
// the same telemetry with any standard library. Not thread-safe: one Rng per generator.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace augur::sim {

// SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijective mix of 64 bits, used to derive
// seeds and for stateless per-key noise.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A uniform double in [0, 1) from 64 random bits.
constexpr double UnitFromBits(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// xoshiro256** (Blackman and Vigna 2018), seeded through SplitMix64.
class Rng {
 public:
  // `stream` separates independent sequences drawn from one user seed (fleet, arrivals, traces...).
  explicit Rng(uint64_t seed, uint64_t stream = 0) {
    uint64_t x = Mix64(seed) ^ Mix64(stream + 0x5851F42D4C957F2DULL);
    for (uint64_t& s : state_) {
      x = Mix64(x);
      s = x;
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return UnitFromBits(Next()); }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n); n > 0. Lemire's multiply-shift; the bias is below 2^-32 for the
  // small n used here.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform integer in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool Bernoulli(double p) { return Uniform() < p; }

  // Standard normal by Box-Muller (one of the pair is used; simplicity over speed).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  // Log-normal with the given median (e^mu) and shape sigma.
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  // Pareto type I: P(X > x) = (scale / x)^alpha for x >= scale.
  double Pareto(double scale, double alpha) {
    return scale * std::pow(1.0 - Uniform(), -1.0 / alpha);
  }
  // Poisson by Knuth's product method below 30, normal approximation above.
  int64_t Poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) {
      return std::max<int64_t>(0, std::llround(mean + std::sqrt(mean) * Normal()));
    }
    const double limit = std::exp(-mean);
    double product = Uniform();
    int64_t k = 0;
    while (product > limit) {
      ++k;
      product *= Uniform();
    }
    return k;
  }

  // An index drawn with probability proportional to weights; `cumulative` holds running sums of
  // the weights (non-decreasing, last > 0).
  size_t PickCumulative(std::span<const double> cumulative) {
    const double x = Uniform() * cumulative.back();
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
    return std::min<size_t>(static_cast<size_t>(it - cumulative.begin()), cumulative.size() - 1);
  }
  // Same, from raw weights (linear scan; for build time, not the hot path).
  size_t PickWeighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.size() - 1;
  }

  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[Below(i)]);
  }

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4];
};

// Running sums of `weights`, for Rng::PickCumulative.
inline std::vector<double> CumulativeWeights(std::span<const double> weights) {
  std::vector<double> out(weights.size());
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) out[i] = sum += weights[i];
  return out;
}

}  // namespace augur::sim
