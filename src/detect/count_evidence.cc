#include "detect/count_evidence.h"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"

namespace augur::detect {
namespace {

// Half-life, in windows, of the long-run frequency (a day of 10 s windows) and of the dispersion
// (an hour: it follows how well the model predicts lately).
constexpr double kFrequencyHalfLife = 8640;
constexpr double kDispersionHalfLife = 360;
// One window's squared Pearson residual counts at most this much (an outlier the score missed).
constexpr double kMaxResidual2 = 50;
constexpr double kMaxDispersion = 100;
// From this many expected events in a window, the model's expectation is not bounded by the
// long-run frequency.
constexpr double kModelEvents = 10;

namespace bm = boost::math;
using Policy = bm::policies::policy<bm::policies::domain_error<bm::policies::ignore_error>,
                                    bm::policies::overflow_error<bm::policies::ignore_error>,
                                    bm::policies::evaluation_error<bm::policies::ignore_error>,
                                    bm::policies::pole_error<bm::policies::ignore_error>,
                                    bm::policies::promote_double<false>>;

// P(X >= k) or P(X <= k) for X ~ Binomial(n, p), continuous in n and k.
double BinomialTail(double n, double k, double p, bool up) {
  if (n <= 0) return 1;
  k = std::clamp(k, 0.0, n);
  p = std::clamp(p, 1e-12, 1 - 1e-12);
  if (up) return k <= 0 ? 1 : bm::ibeta(k, n - k + 1, p, Policy());
  return k >= n ? 1 : bm::ibetac(k + 1, n - k, p, Policy());
}

// P(X >= k) or P(X <= k) for X ~ Poisson(lambda), continuous in k.
double PoissonTail(double lambda, double k, bool up) {
  lambda = std::max(lambda, 1e-12);
  k = std::max(k, 0.0);
  if (up) return k <= 0 ? 1 : bm::gamma_p(k, lambda, Policy());
  return bm::gamma_q(k + 1, lambda, Policy());
}

double Clean(double tail) { return std::isfinite(tail) ? std::clamp(tail, 0.0, 1.0) : 1.0; }

}  // namespace

double CountEvidence::frequency(CountWindow::Kind kind) const {
  if (kind == CountWindow::Kind::kExceedances) {
    // A prior of twenty requests at the share that defines the quantile.
    const double f = (seen_events_ + 20 * kExceedanceShare) / (seen_trials_ + 20);
    return std::max(f, kExceedanceShare);
  }
  return (seen_events_ + 0.5) / (seen_trials_ + 1);
}

double CountEvidence::Probability(const CountWindow& w, bool up) const {
  const double f = frequency(w.kind);
  if (w.kind == CountWindow::Kind::kExceedances) return f;
  // A sparse series is tested upward against its long-run frequency alone: a detector's level
  // soon follows a lasting excess of single events (one error in a window is a big step for a
  // series that is almost always 0), and would hide it.
  if (up && UnderOneEvent(w)) return f;
  // Where the model expects many events in the window, a rise is tested against its expectation:
  // a day's mean would hide a surge at night.
  if (up && w.trials * w.expected >= kModelEvents) return w.expected;
  return up ? std::max(w.expected, f) : std::min(w.expected, f);
}

double CountEvidence::TailOf(const CountWindow& w, double trials, double events,
                             double mean) const {
  const double phi = dispersion();
  if (w.kind == CountWindow::Kind::kPoisson) {
    return Clean(PoissonTail(mean / phi, events / phi, w.up));
  }
  return Clean(BinomialTail(trials / phi, events / phi, mean / trials, w.up));
}

double CountEvidence::Tail(const CountWindow& w) const {
  if (!(w.trials > 0)) return 1;
  // The window and the previous ones: trials, events, the expected events, and the weight the
  // longer memory gives each.
  struct Window {
    double trials = 0, events = 0, mean = 0, long_weight = 0;
  };
  const double keep = std::exp2(-1 / kLongHalfLife);
  std::array<Window, kWindows> windows;
  size_t n = 0;
  const double mean_one = w.trials * Probability(w, w.up);
  windows[n++] = Window{w.trials, w.events, mean_one, 1};
  double weight = keep;
  for (const Past& p : past_) {
    if (p.trials > 0) {
      CountWindow old = w;
      old.expected = p.expected;
      windows[n++] = Window{p.trials, p.events, p.trials * Probability(old, w.up), weight};
    }
    weight *= keep;
  }
  // A sparse series of clustered counts rising: one window cannot carry the evidence, however
  // unlikely its count (a single request fanning out into a burst of calls, or failing with a
  // burst of error lines, is one event, not many). The window with the largest excess is left
  // out of every test, so it takes a second window of excess to be heard.
  const bool sparse = w.clustered && Sparse(w);
  Window left_out;
  if (sparse) {
    size_t largest = 0;
    for (size_t i = 1; i < n; ++i) {
      if (windows[i].events - windows[i].mean > windows[largest].events - windows[largest].mean) {
        largest = i;
      }
    }
    left_out = windows[largest];
  }
  double trials = -left_out.trials, events = -left_out.events, mean = -left_out.mean;
  for (size_t i = 0; i < n; ++i) {
    trials += windows[i].trials;
    events += windows[i].events;
    mean += windows[i].mean;
  }
  const double one = sparse ? 1 : TailOf(w, w.trials, w.events, mean_one);
  const bool several_taken = n > 1;
  const double several = several_taken ? TailOf(w, trials, events, mean) : 1;
  const double lw = left_out.long_weight;
  const double long_trials = long_.trials * keep + w.trials - lw * left_out.trials;
  const bool long_taken = long_.trials > 0 && long_trials > 0;
  const double long_tail =
      long_taken
          ? TailOf(w, long_trials, long_.events * keep + w.events - lw * left_out.events,
                   (w.up ? long_.mean_up : long_.mean_down) * keep + mean_one - lw * left_out.mean)
          : 1;
  // Bonferroni over the tails taken.
  const double tails = (sparse ? 0.0 : 1.0) + (several_taken ? 1 : 0) + (long_taken ? 1 : 0);
  if (tails == 0) return 1;
  return std::min(1.0, tails * std::min({one, several, long_tail}));
}

bool CountEvidence::Sparse(const CountWindow& w) const {
  // Exceedances are counted against the model's own expected p95, whatever the volume.
  return w.kind != CountWindow::Kind::kExceedances && w.up && UnderOneEvent(w);
}

bool CountEvidence::UnderOneEvent(const CountWindow& w) const {
  return w.trials * frequency(w.kind) < 1;
}

void CountEvidence::Learn(const CountWindow& w) {
  if (!(w.trials > 0)) return;
  const double keep = std::exp2(-1 / kFrequencyHalfLife);
  seen_trials_ = seen_trials_ * keep + w.trials;
  seen_events_ = seen_events_ * keep + w.events;
  // Pearson residual against the expectation itself (not the bound): how far the model's
  // expectations miss, in standard deviations of the count model.
  const double p = w.kind == CountWindow::Kind::kExceedances ? frequency(w.kind) : w.expected;
  const double mean = w.trials * std::max(p, 1e-9);
  double variance = mean;
  if (w.kind != CountWindow::Kind::kPoisson) variance *= std::max(1 - p, 1e-9);
  const double r2 = std::min(kMaxResidual2, (w.events - mean) * (w.events - mean) / variance);
  const double keep_d = std::exp2(-1 / kDispersionHalfLife);
  dispersion_ = std::min(kMaxDispersion, dispersion_ * keep_d + (1 - keep_d) * r2);
}

void CountEvidence::Push(const CountWindow& w) {
  for (size_t i = past_.size(); i-- > 1;) past_[i] = past_[i - 1];
  past_[0] = Past{static_cast<float>(w.trials), static_cast<float>(w.events),
                  static_cast<float>(w.expected)};
  const double keep = std::exp2(-1 / kLongHalfLife);
  long_.trials *= keep;
  long_.events *= keep;
  long_.mean_up *= keep;
  long_.mean_down *= keep;
  const double up = Probability(w, true), down = Probability(w, false);
  // A window unusual by itself stays out: the memory gathers an excess too small to be heard
  // window by window, and a burst already heard (an outage's errors) would otherwise be heard
  // again with every later window's single event, minutes after it ended.
  // (A count on the expected side of its mean is not: the tail is only taken beyond it.)
  const double mean = w.trials * (w.up ? up : down);
  const bool heard_alone = w.trials > 0 && (w.up ? w.events > mean : w.events < mean) &&
                           TailOf(w, w.trials, w.events, mean) < kHeardAlone;
  if (w.trials > 0 && !heard_alone && std::isfinite(w.events + up + down)) {
    long_.trials += w.trials;
    long_.events += w.events;
    long_.mean_up += w.trials * up;
    long_.mean_down += w.trials * down;
  }
}

void CountEvidence::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.Put(seen_trials_);
  w.Put(seen_events_);
  w.Put(dispersion_);
  for (const Past& p : past_) {
    w.Put(p.trials);
    w.Put(p.events);
    w.Put(p.expected);
  }
  w.Put(long_.trials);
  w.Put(long_.events);
  w.Put(long_.mean_up);
  w.Put(long_.mean_down);
}

absl::Status CountEvidence::Restore(std::string_view state) {
  core::BinaryReader r(state);
  CountEvidence c;
  r.Get(&c.seen_trials_);
  r.Get(&c.seen_events_);
  r.Get(&c.dispersion_);
  for (Past& p : c.past_) {
    r.Get(&p.trials);
    r.Get(&p.events);
    r.Get(&p.expected);
  }
  // The longer memory came later: states saved before it start it empty.
  if (r.ok() && !r.done()) {
    r.Get(&c.long_.trials);
    r.Get(&c.long_.events);
    r.Get(&c.long_.mean_up);
    r.Get(&c.long_.mean_down);
  }
  if (!r.ok() || !r.done()) {
    return absl::InvalidArgumentError("count evidence: truncated or corrupt state");
  }
  if (!(c.seen_trials_ >= 0) || !(c.seen_events_ >= 0) || !(c.dispersion_ > 0) ||
      !std::isfinite(c.seen_trials_ + c.seen_events_ + c.dispersion_) || !(c.long_.trials >= 0) ||
      !(c.long_.events >= 0) || !(c.long_.mean_up >= 0) || !(c.long_.mean_down >= 0) ||
      !std::isfinite(c.long_.trials + c.long_.events + c.long_.mean_up + c.long_.mean_down)) {
    return absl::InvalidArgumentError("count evidence: corrupt state");
  }
  *this = c;
  return absl::OkStatus();
}

}  // namespace augur::detect
