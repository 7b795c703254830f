// Turns raw anomaly measures (|residual| / scale, a forest's displacement, ...) into calibrated
// tail probabilities: the score of a raw value is the fraction of the series' recent normal raw
// values below it, so 0.99 means "more unusual than 99% of normal" on every series.
//
// Streaming and bounded: a fixed-size summary of the distribution of raw values, updated with
// forgetting. Not thread-safe; owned by its detector.
//
// The summary is a histogram of kBins log-spaced bins over [kMinRaw, kMaxRaw] (raw values are
// non-negative; smaller ones count in the first bin, larger ones in the last). Every learned value
// weighs 2^(1/kHalfLife) times the one before, so the histogram forgets with a half-life of
// kHalfLife learned values (an exponentially weighted empirical distribution), in O(1) per value.
// Below the kTailMass upper quantile the score is the empirical one (log-linear within a bin).
// Beyond it the histogram is too sparse to tell 0.999 from 0.99999, so the tail is the
// peaks-over-threshold model of extreme value theory: excesses over a high quantile follow a
// generalized Pareto distribution (Pickands 1975; Balkema and de Haan 1974), fitted here by the
// method of moments (Hosking and Wallis, Technometrics 1987), as in SPOT (Siffer et al., "Anomaly
// detection in streams with extreme value theory", KDD 2017). The shape is kept in [0.1, 0.5]:
// a mildly heavy tail at least, so a value beyond everything seen keeps rising towards 1 instead of
// hitting a finite end point, and scores stay conservative where the data are thin.
// When the tail has no spread at the histogram's resolution (all learned weight above the
// threshold lies in the threshold's bin, e.g. a measure that has been 0 so far), there is nothing
// to extrapolate from: a value beyond it scores n / (n + 1) for n effective learned values, the
// rule of succession (Laplace), instead of a tail fitted to the width of one bin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace augur::detect {

class ScoreCalibrator {
 public:
  ScoreCalibrator();

  // The calibrated score of `raw` in [0, 1] against what was learned; 0 before anything was.
  double Score(double raw) const;
  // Adds `raw` to the distribution (callers skip values they judged anomalous).
  void Learn(double raw);
  // How many raw values have been learned.
  size_t count() const;
  // The raw value whose score is `p` (inverse of Score); NaN before anything was learned.
  double Quantile(double p) const;

  static constexpr int kBins = 48;
  static constexpr double kMinRaw = 1e-2;
  static constexpr double kMaxRaw = 1e4;
  static constexpr double kHalfLife = 16384;
  static constexpr double kTailMass = 0.05;

  void Save(std::string* out) const;
  absl::Status Restore(std::string_view* in);  // consumes its bytes from the front of *in
  size_t MemoryBytes() const;

 private:
  // Upper tail beyond the kTailMass quantile: P(raw > x) = kTailMass * GPD survival of x - u.
  struct Tail {
    double u = 0;  // the threshold (the 1 - kTailMass quantile)
    double sigma = 0;
    double xi = 0;
    int bin = 0;              // the bin that holds u
    bool degenerate = false;  // no learned weight above u's bin: no spread to extrapolate from
  };
  Tail FitTail(double total) const;
  void Renormalize();

  // The fields Score reads for every point come first, so that scoring a usual value (a few
  // scales at most) reads the first one or two of the four cache lines, not all of them: scoring
  // walks every series' calibrators once a window, from memory.
  double total_ = 0;     // the sum of bins_, kept as values are learned
  float increment_ = 1;  // weight of the next learned value
  uint32_t count_ = 0;
  float bins_[kBins] = {};
};

}  // namespace augur::detect
