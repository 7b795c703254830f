// NAB's scoring rules (Lavin and Ahmad, "Evaluating real-time anomaly detection algorithms — the
// Numenta Anomaly Benchmark", ICMLA 2015; the reference implementation's sweeper), written for
// Augur's evaluation:
//
// - The first min(floor(0.15 n), 750) rows of a file are probationary and not scored at all.
// - A window is scored by its earliest detection at row i: A_TP * S(y) / S(-1) with
//   y = -(right - i + 1) / width, width = right - left + 1 rows, and the scaled sigmoid
//   S(y) = 2 / (1 + e^{5y}) - 1 (S(y) = -1 for y >= 3). A window without detection costs -A_FN.
// - A detection outside every window costs A_FP * S(y) with y = |i - prev_right| / (prev_width - 1)
//   for the closest preceding window, and -A_FP (y = 3) before the first window.
// - A row is a detection when its score is at or above the threshold.
// - The corpus score is 100 * (raw - null) / (perfect - null), with null = -A_FN * windows (no
//   detection at all) and perfect = A_TP * windows.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "eval/nab_data.h"

namespace augur::eval {

size_t NabProbationaryRows(size_t rows);
double NabScaledSigmoid(double y);

// One file's per-row detector scores with its windows.
struct NabScoredFile {
  std::span<const double> scores;
  std::span<const NabWindow> windows;
};

struct NabOutcome {
  double raw = 0;           // summed raw score
  int windows = 0;          // windows scored
  int detected = 0;         // windows with a detection
  int false_positives = 0;  // detections outside windows (after probation)
};

// The outcome of `files` at `threshold` under `profile`.
NabOutcome ScoreAtThreshold(std::span<const NabScoredFile> files, const NabProfile& profile,
                            double threshold);

struct NabBest {
  double threshold = 1.1;  // detections are scores >= threshold; 1.1 detects nothing
  double raw = 0;
};

// The threshold that maximizes the summed raw score over `files` (NAB's threshold sweep: every
// distinct score is a candidate, plus "no detection"). Ties go to the higher threshold.
NabBest BestThreshold(std::span<const NabScoredFile> files, const NabProfile& profile);

// 100 * (raw - null) / (perfect - null) for `windows` windows; NaN when there is no window.
double NabNormalized(double raw, int windows, const NabProfile& profile);

}  // namespace augur::eval
