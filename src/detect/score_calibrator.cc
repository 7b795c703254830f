#include "detect/score_calibrator.h"

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"

namespace augur::detect {
namespace {

// 2: the running total of the weights (version 1 states sum their bins instead).
constexpr uint8_t kStateVersion = 2;
// log(bin upper edge / bin lower edge).
const double kLogRatio =
    std::log(ScoreCalibrator::kMaxRaw / ScoreCalibrator::kMinRaw) / ScoreCalibrator::kBins;
const float kGrowth = static_cast<float>(std::exp2(1.0 / ScoreCalibrator::kHalfLife));
// The fitted shape is kept in [kMinShape, kMaxShape]: at least a mildly heavy tail, because a few
// thousand samples understate how heavy real residual tails are (an exponential fit to them makes
// every new extreme look impossibly rare); at most 0.5, where the variance stays finite and the
// moment estimator valid.
constexpr double kMinShape = 0.1;
constexpr double kMaxShape = 0.5;
// Weights are rescaled before the growing increment could overflow a float.
constexpr float kRenormalizeAbove = 1e18f;

// Bin edges and log-centres, computed once (Score and Quantile run per observation).
struct BinTable {
  double lower[ScoreCalibrator::kBins];
  double upper[ScoreCalibrator::kBins];
  double centre[ScoreCalibrator::kBins];
  BinTable() {
    for (int b = 0; b < ScoreCalibrator::kBins; ++b) {
      lower[b] = b == 0 ? 0.0 : ScoreCalibrator::kMinRaw * std::exp(kLogRatio * b);
      upper[b] = ScoreCalibrator::kMinRaw * std::exp(kLogRatio * (b + 1));
      centre[b] = b == 0 ? 0.5 * upper[b] : std::sqrt(lower[b] * upper[b]);
    }
  }
};
const BinTable& Table() {
  static const BinTable table;
  return table;
}
double LowerEdge(int bin) { return Table().lower[bin]; }
double UpperEdge(int bin) { return Table().upper[bin]; }

int BinOf(double raw) {
  if (!(raw > ScoreCalibrator::kMinRaw)) return 0;
  int bin = static_cast<int>(std::log(raw / ScoreCalibrator::kMinRaw) / kLogRatio);
  return std::clamp(bin, 0, ScoreCalibrator::kBins - 1);
}

// Fraction of bin `bin` below `raw` (linear in the first bin, log-linear in the others, which
// matches a density that is smooth on the log scale).
double FractionBelow(int bin, double raw) {
  double lo = LowerEdge(bin), hi = UpperEdge(bin);
  if (raw <= lo) return 0;
  if (raw >= hi) return 1;
  if (bin == 0) return raw / hi;
  return std::log(raw / lo) / kLogRatio;
}

// Inverse of FractionBelow.
double RawAtFraction(int bin, double fraction) {
  double lo = LowerEdge(bin), hi = UpperEdge(bin);
  if (bin == 0) return hi * fraction;
  return lo * std::exp(kLogRatio * fraction);
}

}  // namespace

ScoreCalibrator::ScoreCalibrator() = default;

size_t ScoreCalibrator::count() const { return count_; }

void ScoreCalibrator::Learn(double raw) {
  if (std::isnan(raw)) return;
  bins_[BinOf(raw)] += increment_;
  total_ += increment_;
  increment_ *= kGrowth;
  if (increment_ > kRenormalizeAbove) Renormalize();
  if (count_ < UINT32_MAX) ++count_;
}

void ScoreCalibrator::Renormalize() {
  float scale = 1.0f / increment_;
  // The running total drifts from the bins' sum by rounding; it starts again from their sum.
  total_ = 0;
  for (float& w : bins_) {
    w *= scale;
    total_ += w;
  }
  increment_ = 1;
}

ScoreCalibrator::Tail ScoreCalibrator::FitTail(double total) const {
  // The threshold u: the point above which kTailMass of the weight lies.
  double want = kTailMass * total;
  double above = 0;
  int bin = kBins - 1;
  for (; bin > 0; --bin) {
    if (above + bins_[bin] >= want) break;
    above += bins_[bin];
  }
  Tail tail;
  double in_bin = bins_[bin];
  // The part of `bin` above u holds want - above.
  double fraction_above = in_bin > 0 ? std::clamp((want - above) / in_bin, 0.0, 1.0) : 0.0;
  tail.u = RawAtFraction(bin, 1 - fraction_above);
  tail.bin = bin;
  tail.degenerate = true;
  for (int b = bin + 1; b < kBins; ++b) tail.degenerate = tail.degenerate && bins_[b] <= 0;
  // Moments of the excesses over u: each bin's weight at its (log-)centre, plus the variance of a
  // value spread evenly over the bin.
  double w_sum = 0, m1 = 0, m2 = 0;
  auto add = [&](double w, double lo, double hi, double centre) {
    if (w <= 0) return;
    double e = centre - tail.u;
    w_sum += w;
    m1 += w * e;
    m2 += w * (e * e + (hi - lo) * (hi - lo) / 12);
  };
  double top = UpperEdge(bin);
  add(in_bin * fraction_above, tail.u, top, tail.u > 0 ? std::sqrt(tail.u * top) : 0.5 * top);
  const BinTable& table = Table();
  for (int b = bin + 1; b < kBins; ++b)
    add(bins_[b], table.lower[b], table.upper[b], table.centre[b]);
  double floor_sigma = 0.5 * (UpperEdge(bin) - LowerEdge(bin)) + 1e-12;
  if (w_sum <= 0) {
    tail.sigma = floor_sigma;
    return tail;
  }
  double mean = m1 / w_sum;
  double var = std::max(m2 / w_sum - mean * mean, 1e-300);
  // Method of moments for the generalized Pareto distribution: mean = sigma / (1 - xi),
  // variance = sigma^2 / ((1 - xi)^2 (1 - 2 xi)).
  double r = mean * mean / var;
  tail.xi = std::clamp(0.5 * (1 - r), kMinShape, kMaxShape);
  tail.sigma = std::max(mean * (1 - tail.xi), floor_sigma);
  return tail;
}

double ScoreCalibrator::Score(double raw) const {
  if (count_ == 0 || std::isnan(raw)) return 0;
  const double total = total_;
  if (!(total > 0)) return 0;
  // Below the tail's threshold u the score is the learned distribution's own: most points are,
  // and they need no tail fit.
  int bin = BinOf(raw);
  double below = 0;
  for (int b = 0; b < bin; ++b) below += bins_[b];
  below += bins_[bin] * FractionBelow(bin, raw);
  if (below < (1 - kTailMass) * total) return std::max(below / total, 0.0);
  Tail tail = FitTail(total);
  if (tail.degenerate && raw >= UpperEdge(tail.bin)) {
    // Rule of succession (Laplace): beyond everything learned, with no spread in the tail to
    // extrapolate from, the value is only known to be rarer than all n learned ones.
    double n = total / increment_;
    return n / (n + 1);
  }
  if (raw > tail.u) {
    double x = (raw - tail.u) / tail.sigma;
    double survival = tail.xi > 1e-6 ? std::pow(1 + tail.xi * x, -1 / tail.xi) : std::exp(-x);
    return 1 - kTailMass * survival;
  }
  return std::clamp(below / total, 0.0, 1.0 - kTailMass);
}

double ScoreCalibrator::Quantile(double p) const {
  if (count_ == 0 || std::isnan(p)) return std::nan("");
  const double total = total_;
  if (!(total > 0)) return std::nan("");
  p = std::clamp(p, 0.0, 1.0);
  Tail tail = FitTail(total);
  if (p >= 1 - kTailMass) {
    double survival = std::max((1 - p) / kTailMass, 1e-300);
    double x = tail.xi > 1e-6 ? (std::pow(survival, -tail.xi) - 1) / tail.xi : -std::log(survival);
    return tail.u + tail.sigma * x;
  }
  double want = p * total, below = 0;
  for (int b = 0; b < kBins; ++b) {
    if (bins_[b] > 0 && below + bins_[b] >= want) {
      return RawAtFraction(b, (want - below) / bins_[b]);
    }
    below += bins_[b];
  }
  return tail.u;
}

void ScoreCalibrator::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.Put<uint8_t>(kStateVersion);
  for (float b : bins_) w.Put(b);
  w.Put(increment_);
  w.Put(count_);
  w.Put(total_);
}

absl::Status ScoreCalibrator::Restore(std::string_view* in) {
  core::BinaryReader r(*in);
  uint8_t version = 0;
  if (!r.Get(&version)) return absl::InvalidArgumentError("score calibrator: truncated state");
  if (version != 1 && version != kStateVersion) {
    return absl::InvalidArgumentError("score calibrator: unknown state version");
  }
  float bins[kBins];
  float increment = 0;
  uint32_t count = 0;
  double total = 0;
  for (float& b : bins) r.Get(&b);
  r.Get(&increment);
  r.Get(&count);
  if (version >= 2) r.Get(&total);
  if (!r.ok()) return absl::InvalidArgumentError("score calibrator: truncated state");
  double sum = 0;
  for (float b : bins) {
    if (!(b >= 0) || !std::isfinite(b)) {
      return absl::InvalidArgumentError("score calibrator: corrupt weights");
    }
    sum += b;
  }
  if (version < 2) total = sum;
  // The running total differs from the bins' sum by rounding only (Renormalize resets it).
  if (!std::isfinite(total) || !(std::abs(total - sum) <= 0.5 * sum)) {
    return absl::InvalidArgumentError("score calibrator: total weight disagrees with its bins");
  }
  if (!(increment >= 1) || !(increment <= kRenormalizeAbove * kGrowth)) {
    return absl::InvalidArgumentError("score calibrator: corrupt weights");
  }
  std::copy(std::begin(bins), std::end(bins), bins_);
  increment_ = increment;
  count_ = count;
  total_ = total;
  *in = r.rest();
  return absl::OkStatus();
}

size_t ScoreCalibrator::MemoryBytes() const { return sizeof(*this); }

}  // namespace augur::detect
