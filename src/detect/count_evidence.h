// The volume-aware rule's arithmetic: how unlikely a window's count is by chance, at the window's
// volume, for a series whose values are counts in disguise — an error ratio is errors out of the
// window's requests (binomial), a rate is events over the window's seconds (Poisson), a p95
// latency is a statement about how many requests were slower than the expected p95 (binomial with
// 5% by definition: the exceedances).
//
// Three refinements over the textbook tails, each learned per series from its normal windows:
//  - the long-run frequency (forgetting, half-life a day of windows) bounds the expectation: a
//    series that is always 0 still has some chance of a 1 (upward tests use the larger of the
//    model's expectation and the frequency, downward tests the smaller), except that a rise where
//    the model expects ten events or more in the window is tested against its expectation alone
//    (a day's mean would hide a surge at night);
//  - over-dispersion (quasi-likelihood, McCullagh and Nelder 1989): real counts vary more than
//    Poisson or binomial draws (one trace fans out into a burst of calls, one bad request fails
//    several retries), so counts are scaled by the mean squared Pearson residual of normal windows
//    (at least 1) before the tail is taken;
//  - sustained evidence: the window alone, the last kWindows windows together, and a longer
//    memory of windows decaying with a half-life of kLongHalfLife windows (about two minutes of
//    weight: how multi-window burn-rate alerts see a slow, steady excess) are all tested
//    (Bonferroni: three times the smallest tail), so three windows of a moderate excess count as
//    much as one window of a large one, a low-volume series whose every window is only a little
//    off is still heard within minutes, and a single-window blip is diluted; a window unusual by
//    itself (its own tail under kHeardAlone) stays out of the longer memory, which gathers what
//    is too small to be heard window by window: an outage's windows, heard at once, would
//    otherwise make every single error of the next minutes look like more of it;
//  - a sparse series (its long-run frequency under one event per window) rising is tested against
//    that frequency alone (a detector's level soon follows a lasting excess of single events and
//    would hide it); if its counts come in clusters the model cannot see (calls: one request fans
//    out into four; log lines: one failure logs a burst), it needs two windows: the window with
//    the largest excess is left out of every test, as one window's count, however unlikely as a
//    Poisson or binomial draw, is one event. Failed and slow requests are not clustered: a burst
//    of them in one window (callers refused while a service restarts) is heard at once.
//
// Tails are the continuous forms (regularized incomplete beta and gamma functions, Boost.Math), so
// scaled counts need not be integers. Not thread-safe: owned with its series' model.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace augur::detect {

struct CountWindow {
  enum class Kind { kBinomial, kPoisson, kExceedances };
  Kind kind = Kind::kBinomial;
  double trials = 0;    // requests (binomial, exceedances) or seconds (Poisson)
  double events = 0;    // errors, events, or requests slower than the expected value
  double expected = 0;  // the model's expected ratio or rate per second (not for exceedances)
  bool up = true;       // the value lies above the model's expectation
  // The events come in clusters the count cannot see: calls (one request fans out into several)
  // and log lines (one failure logs several); not failed requests or slow ones.
  bool clustered = false;
};

class CountEvidence {
 public:
  static constexpr size_t kWindows = 3;
  static constexpr double kLongHalfLife = 6;        // windows
  static constexpr double kExceedanceShare = 0.05;  // requests above a p95, by definition
  static constexpr double kHeardAlone = 1e-3;       // a window's own tail that is news by itself

  // The tail probability of `w` (and of the last kWindows windows, `w` included) under what the
  // series has shown so far; 1 when there is nothing to say (no trials, a deviation of zero).
  double Tail(const CountWindow& w) const;
  // Whether `w` is a sparse series' window rising (see above).
  bool Sparse(const CountWindow& w) const;
  // Learns `w` as a normal window: the long-run frequency and the dispersion.
  void Learn(const CountWindow& w);
  // Remembers `w` as the latest window (every window, normal or not); in the longer memory only
  // a window whose own tail is at least kHeardAlone.
  void Push(const CountWindow& w);

  // State in a binary format (part of a model's checkpoint entry).
  void Save(std::string* out) const;
  absl::Status Restore(std::string_view state);

  double frequency(CountWindow::Kind kind) const;
  double dispersion() const { return dispersion_ > 1 ? dispersion_ : 1; }

 private:
  // The probability per trial the model expects in `w`, bounded by the long-run frequency in the
  // direction `up`.
  double Probability(const CountWindow& w, bool up) const;
  // Whether the long-run frequency expects under one event in `w`'s trials.
  bool UnderOneEvent(const CountWindow& w) const;
  // The tail of `events` in `trials` with `mean` expected, in `w`'s kind and direction, the counts
  // scaled by the dispersion.
  double TailOf(const CountWindow& w, double trials, double events, double mean) const;

  double seen_trials_ = 0;
  double seen_events_ = 0;
  double dispersion_ = 1;
  struct Past {
    float trials = 0;
    float events = 0;
    float expected = 0;
  };
  std::array<Past, kWindows - 1> past_{};  // the previous windows, newest first
  // The longer memory: decayed sums of trials, events and the expected events (bounded up and
  // down) of the previous windows.
  struct Decayed {
    double trials = 0;
    double events = 0;
    double mean_up = 0;
    double mean_down = 0;
  };
  Decayed long_{};
};

}  // namespace augur::detect
