#include "detect/holt_winters.h"

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"

namespace augur::detect {
namespace {

constexpr uint8_t kStateVersion = 1;
constexpr core::TimeNs kDayNs = 24 * 60 * core::kNsPerMinute;
// The error variance forgets with this time constant, in spacings.
constexpr double kVarianceSpacings = 64;
constexpr double kCalibrateBelow = 0.9999;

// phi + phi^2 + ... + phi^h for real h >= 0.
double DampedSum(double h) {
  return HoltWinters::kPhi * (1 - std::pow(HoltWinters::kPhi, h)) / (1 - HoltWinters::kPhi);
}

}  // namespace

HoltWinters::HoltWinters(const DetectorOptions& options)
    : band_confidence_(std::clamp(options.band_confidence, 0.5, 0.999999)),
      sensitivity_(options.sensitivity > 0 ? options.sensitivity : 1.0),
      band_z_(TwoSidedNormalQuantile(band_confidence_)) {}

bool HoltWinters::learning() const {
  return season_.empty() || count_ < kLearningPoints || last_ns_ - first_ns_ < kDayNs;
}

int HoltWinters::SlotOf(core::TimeNs t) const {
  int m = static_cast<int>(season_.size());
  if (m <= 1) return 0;
  core::TimeNs phase = t - core::FloorTo(t, kDayNs);
  return std::min(m - 1, static_cast<int>(static_cast<double>(phase) * m / kDayNs));
}

double HoltWinters::Steps(core::TimeNs t) const {
  if (spacing_ns_ <= 0) return 1;
  return std::max(1.0, static_cast<double>(t - last_ns_) / static_cast<double>(spacing_ns_));
}

double HoltWinters::Mean(core::TimeNs t) const {
  double s = season_.empty() ? 0 : season_[SlotOf(t)];
  return level_ + DampedSum(Steps(t)) * trend_ + s;
}

double HoltWinters::Variance(double h) const {
  int m = std::max<int>(1, static_cast<int>(season_.size()));
  int steps = static_cast<int>(std::ceil(h - 1e-9));
  double sum = 1;
  for (int j = 1; j < steps; ++j) {
    double c = alpha_ + beta_ * DampedSum(j) + (j % m == 0 ? kGamma : 0.0);
    sum += c * c;
  }
  return variance_ * sum;
}

double HoltWinters::HalfWidth(double h) const {
  return band_z_ * std::sqrt(Variance(h)) / sensitivity_;
}

Assessment HoltWinters::Expect(core::TimeNs t) const {
  Assessment a;
  a.learning = learning();
  a.seasonality = season_.size() > 1 ? Seasonality::kDaily : Seasonality::kNone;
  if (count_ == 0) return a;
  a.expected = Mean(t);
  double half = HalfWidth(Steps(t));
  a.lower = a.expected - half;
  a.upper = a.expected + half;
  return a;
}

Assessment HoltWinters::Observe(core::TimeNs t, double value) {
  Assessment a = Expect(t);
  if (std::isnan(value) || std::isinf(value)) return a;
  a.value = value;
  if (count_ > 0 && !season_.empty()) {
    // Standardized by the h-step forecast deviation: after a gap the state is h steps stale.
    double sigma = std::sqrt(std::max(Variance(Steps(t)), 1e-300));
    double z = std::abs(value - a.expected) / sigma;
    if (!a.learning) a.score = calibrator_.Score(z * sensitivity_);
    if (a.score < kCalibrateBelow) calibrator_.Learn(z);
  }
  Learn(t, value, /*clip=*/true);
  return a;
}

void HoltWinters::SetWeights() {
  alpha_ = kAlpha;
  beta_ = kBeta;
}

void HoltWinters::Start(core::TimeNs t) {
  std::vector<core::TimeNs> sorted = intervals_;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  spacing_ns_ = std::max<core::TimeNs>(sorted[sorted.size() / 2], 1);
  int m = static_cast<int>(std::lround(static_cast<double>(kDayNs) / spacing_ns_));
  season_.assign(std::clamp(m, 1, kMaxSeasonSlots), 0.0);
  SetWeights();
  intervals_.clear();
  intervals_.shrink_to_fit();
}

void HoltWinters::Learn(core::TimeNs t, double value, bool clip) {
  if (count_ == 0) {
    first_ns_ = last_ns_ = t;
    level_ = value;
    count_ = 1;
    return;
  }
  if (season_.empty()) {
    // Until the spacing is known: a plain running mean, and the intervals for the median.
    intervals_.push_back(std::max<core::TimeNs>(t - last_ns_, 0));
    double e = value - level_;
    variance_ += (e * e - variance_) / count_;
    level_ += e / (count_ + 1);
    last_ns_ = t;
    ++count_;
    if (static_cast<int>(intervals_.size()) >= kSpacingSamples) Start(t);
    return;
  }
  double h = Steps(t);
  double e = value - Mean(t);
  double sigma = std::sqrt(std::max(variance_, 1e-300));
  double ec = clip ? std::clamp(e, -kClip * sigma, kClip * sigma) : e;
  double damped = DampedSum(h);
  level_ += damped * trend_ + alpha_ * ec;
  trend_ = std::pow(kPhi, h) * trend_ + beta_ * ec;
  season_[SlotOf(t)] += kGamma * ec;
  double rate = -std::expm1(-h / kVarianceSpacings);
  variance_ += rate * (ec * ec - variance_);
  if (core::FloorTo(t, kDayNs) != core::FloorTo(last_ns_, kDayNs)) {
    // Once a day the seasonal indices hand their mean to the level, so that level and season do
    // not drift against each other (the usual normalization of additive seasonal indices).
    double mean = 0;
    for (double s : season_) mean += s;
    mean /= static_cast<double>(season_.size());
    for (double& s : season_) s -= mean;
    level_ += mean;
  }
  last_ns_ = t;
  if (count_ < UINT32_MAX) ++count_;
}

void HoltWinters::AcceptAsNormal(core::TimeNs t, double value) {
  if (std::isnan(value) || std::isinf(value) || count_ == 0) {
    if (count_ == 0 && std::isfinite(value)) Learn(t, value, false);
    return;
  }
  double e = value - Mean(t);
  // Widen: the variance grows to cover this error at the band, and the calibrator learns it.
  double need = e * sensitivity_ / band_z_;
  variance_ = std::max(variance_, need * need);
  if (variance_ > 0) {
    for (int i = 0; i < 16; ++i) calibrator_.Learn(std::abs(e) / std::sqrt(variance_));
  }
  Learn(t, value, /*clip=*/false);
}

void HoltWinters::SetSensitivity(double sensitivity) {
  if (sensitivity > 0 && std::isfinite(sensitivity)) sensitivity_ = sensitivity;
}

std::vector<ForecastPoint> HoltWinters::Forecast(core::TimeNs t, int steps) const {
  std::vector<ForecastPoint> out;
  if (season_.empty() || steps <= 0) return out;
  t = std::max(t, last_ns_ + spacing_ns_);
  int m = static_cast<int>(season_.size());
  out.reserve(steps);
  // The variance sum grows one term per whole step; accumulate it instead of recomputing.
  double sum = 1;
  int summed_to = 1;  // terms j < summed_to are in `sum`
  for (int i = 0; i < steps; ++i) {
    core::TimeNs ti = t + i * spacing_ns_;
    double h = Steps(ti);
    int whole = static_cast<int>(std::ceil(h - 1e-9));
    for (; summed_to < whole; ++summed_to) {
      double c = alpha_ + beta_ * DampedSum(summed_to) + (summed_to % m == 0 ? kGamma : 0.0);
      sum += c * c;
    }
    double mean = Mean(ti);
    double half = band_z_ * std::sqrt(variance_ * sum) / sensitivity_;
    out.push_back({ti, mean, mean - half, mean + half});
  }
  return out;
}

size_t HoltWinters::MemoryBytes() const {
  return sizeof(*this) + season_.capacity() * sizeof(double) +
         intervals_.capacity() * sizeof(core::TimeNs);
}

void HoltWinters::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.PutString(kType);
  w.Put<uint8_t>(kStateVersion);
  w.Put(band_confidence_);
  w.Put(sensitivity_);
  w.Put(first_ns_);
  w.Put(last_ns_);
  w.Put(spacing_ns_);
  w.Put(count_);
  w.Put(level_);
  w.Put(trend_);
  w.Put(variance_);
  w.Put<uint32_t>(static_cast<uint32_t>(intervals_.size()));
  for (core::TimeNs i : intervals_) w.Put(i);
  w.Put<uint32_t>(static_cast<uint32_t>(season_.size()));
  for (double s : season_) w.Put(s);
  calibrator_.Save(out);
}

absl::Status HoltWinters::Restore(std::string_view state) {
  core::BinaryReader r(state);
  std::string_view type;
  uint8_t version = 0;
  if (!r.GetString(&type) || type != kType) {
    return absl::InvalidArgumentError("holt_winters: state of another detector type");
  }
  if (!r.Get(&version) || version != kStateVersion) {
    return absl::InvalidArgumentError("holt_winters: unknown state version");
  }
  HoltWinters d;
  uint32_t n_intervals = 0, n_season = 0;
  r.Get(&d.band_confidence_);
  r.Get(&d.sensitivity_);
  r.Get(&d.first_ns_);
  r.Get(&d.last_ns_);
  r.Get(&d.spacing_ns_);
  r.Get(&d.count_);
  r.Get(&d.level_);
  r.Get(&d.trend_);
  r.Get(&d.variance_);
  r.Get(&n_intervals);
  if (!r.ok() || n_intervals > kSpacingSamples) {
    return absl::InvalidArgumentError("holt_winters: corrupt state");
  }
  d.intervals_.resize(n_intervals);
  for (core::TimeNs& i : d.intervals_) r.Get(&i);
  r.Get(&n_season);
  if (!r.ok() || n_season > kMaxSeasonSlots || (n_season > 0 && n_intervals > 0)) {
    return absl::InvalidArgumentError("holt_winters: corrupt state");
  }
  d.season_.resize(n_season);
  for (double& s : d.season_) r.Get(&s);
  if (!r.ok()) return absl::InvalidArgumentError("holt_winters: truncated state");
  bool finite = std::isfinite(d.level_) && std::isfinite(d.trend_) && std::isfinite(d.variance_) &&
                d.variance_ >= 0;
  for (double s : d.season_) finite = finite && std::isfinite(s);
  if (!finite || !(d.sensitivity_ > 0) || !(d.band_confidence_ > 0 && d.band_confidence_ < 1) ||
      d.last_ns_ < d.first_ns_ || d.spacing_ns_ < 0 || (n_season > 0 && d.spacing_ns_ <= 0)) {
    return absl::InvalidArgumentError("holt_winters: corrupt state");
  }
  std::string_view rest = r.rest();
  if (absl::Status s = d.calibrator_.Restore(&rest); !s.ok()) return s;
  if (!rest.empty()) return absl::InvalidArgumentError("holt_winters: trailing bytes in state");
  d.band_z_ = TwoSidedNormalQuantile(d.band_confidence_);
  if (!d.season_.empty()) d.SetWeights();
  *this = std::move(d);
  return absl::OkStatus();
}

extern const DetectorRegistration kHoltWintersRegistration;
const DetectorRegistration kHoltWintersRegistration(std::string(HoltWinters::kType),
                                                    [](const DetectorOptions& options) {
                                                      return std::make_unique<HoltWinters>(options);
                                                    });

}  // namespace augur::detect
