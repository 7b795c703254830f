// How new the level of a value is for its series: a streaming, look-ahead-free quantizer of the
// values with a forgetting frequency table of the levels it has seen, in the spirit of the
// contextual detectors that lead the Numenta Anomaly Benchmark (they flag values and patterns the
// series has not shown before). It catches what residual-based evidence misses: a series settling
// at a level it never visits (half a plateau, a value between its usual modes), which a baseline
// that follows level changes soon stops calling unusual.
//
// Quantization: kLevels bins of kLevelWidth long-run mean absolute deviations (the "spread") each,
// centred on the long-run mean; values beyond the outer bins count in them. The spread is never
// taken below the series' typical change of value (the caller's `resolution`): a series that is
// almost always zero has a spread of almost nothing, and its usual value would otherwise hop
// between bins as the mean moves after each rare nonzero value, looking new each time. Mean and
// spread forget over kMomentSpacings typical spacings (a few hundred points: stable estimates that
// still follow slow drifts; a day at 5-minute spacing), so the bins follow the series slowly and
// use no knowledge of its future range.
//
// Frequencies: each bin holds an exponentially weighted count of visits with a half-life of
// kHalfLifeSpacings spacings (the memory of the seasonal baseline's residual scale). The novelty
// of a value is -log2 of its bin's smoothed frequency, (count + 1/2) / (total + kLevels / 2), the
// Krichevsky-Trofimov estimator: 0 bits for a level the series always has, about
// log2(total) bits for one it has never had.
//
// Observe() is O(kLevels); under 100 bytes inline, no heap. Not thread-safe; owned by its detector.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace augur::detect {

class ValueNovelty {
 public:
  static constexpr int kLevels = 17;
  static constexpr double kLevelWidth = 0.5;
  static constexpr double kMomentSpacings = 256;
  static constexpr double kHalfLifeSpacings = 4096;

  // The novelty, in bits, of `value` observed `steps` typical spacings after the previous value,
  // against the levels learned so far; then learns it. 0 for the first value.
  // `resolution` is the series' typical change of value (0 if unknown): levels are never narrower.
  double Observe(double steps, double value, double resolution = 0);

  uint32_t count() const { return count_; }

  void Save(std::string* out) const;
  absl::Status Restore(std::string_view* in);  // consumes its bytes from the front of *in

 private:
  int LevelOf(double value, double resolution) const;

  std::array<float, kLevels> counts_{};
  double mean_ = 0;
  double spread_ = 0;  // running mean absolute deviation from mean_
  uint32_t count_ = 0;
};

}  // namespace augur::detect
