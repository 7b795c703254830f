#include "eval/nab_scorer.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace augur::eval {
namespace {

// Per-row weight of a detection, as NAB's sweeper computes it.
struct RowWeight {
  int window = -1;  // index into the file's windows, -1 outside every window
  double weight = 0;
};

std::vector<RowWeight> RowWeights(size_t rows, std::span<const NabWindow> windows,
                                  const NabProfile& profile) {
  std::vector<RowWeight> out(rows);
  const double max_tp = NabScaledSigmoid(-1.0);
  size_t next = 0;
  const NabWindow* prev = nullptr;
  for (size_t i = 0; i < rows; ++i) {
    while (next < windows.size() && windows[next].last_row < i) prev = &windows[next++];
    if (next < windows.size() && windows[next].first_row <= i) {
      const NabWindow& w = windows[next];
      double width = static_cast<double>(w.last_row - w.first_row + 1);
      double y = -static_cast<double>(w.last_row - i + 1) / width;
      out[i] = {static_cast<int>(next), NabScaledSigmoid(y) * profile.tp / max_tp};
    } else {
      double y = 3.0;
      if (prev != nullptr && prev->last_row > prev->first_row) {
        y = static_cast<double>(i - prev->last_row) /
            static_cast<double>(prev->last_row - prev->first_row);  // width - 1
      }
      out[i] = {-1, NabScaledSigmoid(y) * profile.fp};
    }
  }
  return out;
}

// Windows that have at least one scored (non-probationary) row; NAB ignores the others.
std::vector<bool> ScoredWindows(size_t rows, std::span<const NabWindow> windows) {
  size_t probation = NabProbationaryRows(rows);
  std::vector<bool> scored(windows.size());
  for (size_t w = 0; w < windows.size(); ++w) {
    scored[w] = windows[w].last_row >= probation && windows[w].last_row < rows;
  }
  return scored;
}

}  // namespace

size_t NabProbationaryRows(size_t rows) {
  return std::min<size_t>(static_cast<size_t>(std::floor(0.15 * static_cast<double>(rows))), 750);
}

double NabScaledSigmoid(double y) {
  if (y >= 3.0) return -1.0;
  return 2.0 / (1.0 + std::exp(5.0 * y)) - 1.0;
}

NabOutcome ScoreAtThreshold(std::span<const NabScoredFile> files, const NabProfile& profile,
                            double threshold) {
  NabOutcome outcome;
  for (const NabScoredFile& file : files) {
    size_t rows = file.scores.size();
    std::vector<RowWeight> weights = RowWeights(rows, file.windows, profile);
    std::vector<bool> scored = ScoredWindows(rows, file.windows);
    std::vector<double> best(file.windows.size(), -profile.fn);
    std::vector<bool> hit(file.windows.size());
    for (size_t i = NabProbationaryRows(rows); i < rows; ++i) {
      if (!(file.scores[i] >= threshold)) continue;
      const RowWeight& rw = weights[i];
      if (rw.window >= 0) {
        best[rw.window] = std::max(best[rw.window], rw.weight);
        hit[rw.window] = true;
      } else {
        outcome.raw += rw.weight;
        ++outcome.false_positives;
      }
    }
    for (size_t w = 0; w < file.windows.size(); ++w) {
      if (!scored[w]) continue;
      outcome.raw += best[w];
      ++outcome.windows;
      outcome.detected += hit[w];
    }
  }
  return outcome;
}

NabBest BestThreshold(std::span<const NabScoredFile> files, const NabProfile& profile) {
  struct Candidate {
    double score;
    int window;  // global window index, -1 for a false positive
    double weight;
  };
  std::vector<Candidate> candidates;
  std::vector<double> best;  // per global window: the best detection so far, or -fn
  double total = 0;
  for (const NabScoredFile& file : files) {
    size_t rows = file.scores.size();
    std::vector<RowWeight> weights = RowWeights(rows, file.windows, profile);
    std::vector<bool> scored = ScoredWindows(rows, file.windows);
    int base = static_cast<int>(best.size());
    for (size_t w = 0; w < file.windows.size(); ++w) {
      best.push_back(scored[w] ? -profile.fn : 0);
      if (scored[w]) total -= profile.fn;
    }
    for (size_t i = NabProbationaryRows(rows); i < rows; ++i) {
      if (std::isnan(file.scores[i])) continue;
      const RowWeight& rw = weights[i];
      candidates.push_back({file.scores[i], rw.window >= 0 ? base + rw.window : -1, rw.weight});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  NabBest result{1.1, total};
  for (size_t i = 0; i < candidates.size();) {
    double threshold = candidates[i].score;
    for (; i < candidates.size() && candidates[i].score == threshold; ++i) {
      const Candidate& c = candidates[i];
      if (c.window < 0) {
        total += c.weight;
      } else if (c.weight > best[c.window]) {
        total += c.weight - best[c.window];
        best[c.window] = c.weight;
      }
    }
    if (total > result.raw) result = {threshold, total};
  }
  return result;
}

double NabNormalized(double raw, int windows, const NabProfile& profile) {
  if (windows <= 0) return std::nan("");
  double null_score = -profile.fn * windows;
  double perfect = profile.tp * windows;
  return 100.0 * (raw - null_score) / (perfect - null_score);
}

}  // namespace augur::eval
