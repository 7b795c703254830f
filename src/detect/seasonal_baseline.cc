#include "detect/seasonal_baseline.h"

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"

namespace augur::detect {
namespace {

// 2: the typical change of the value (last value, mean log change, changes seen).
constexpr uint8_t kStateVersion = 2;
constexpr core::TimeNs kDayNs = 24 * 60 * core::kNsPerMinute;
constexpr core::TimeNs kWeekNs = 7 * kDayNs;
constexpr double kDailySlotNs = static_cast<double>(kDayNs) / SeasonalBaseline::kDailySlots;
constexpr double kWeeklySlotNs = static_cast<double>(kWeekNs) / SeasonalBaseline::kWeeklySlots;

// Time constants, in typical spacings of the series.
constexpr double kLevelSpacings = 8;
constexpr double kScaleSpacings = 4096;
// Damped trend (Gardner and McKenzie 1985): per-spacing damping and the trend's share of the level
// correction.
constexpr double kTrendDamping = 0.98;
constexpr double kTrendGain = 0.02;
// The seasonal level forgets over a quarter of a day, so the daily profile carries the daily shape
// (a level much faster than the period would absorb the shape and leave the profile with lag
// corrections only).
constexpr double kSeasonalLevelNs = 24.0 * 60 * core::kNsPerMinute;
// Share of its error a profile slot absorbs per day (daily) or per week (weekly) of visits; in
// the first days and weeks a plain average (1 / periods seen) when that is larger.
constexpr double kDailyRate = 0.2;
constexpr double kWeeklyRate = 0.3;
// Residuals are clipped at kClip scales for the mean components and at kScaleClip for the scale.
// The scale is a mean absolute residual, about 0.8 standard deviations for Gaussian noise.
constexpr double kClip = 3;
constexpr double kScaleClip = 4;
constexpr double kLearningClip = 10;
// The residual scale is a plain average since the end of the learning period (or since the last
// change of seasonality), with this much weight on the value before, until the forgetting rate
// takes over: misfit while a model was learning must not linger in the scale for weeks.
constexpr uint32_t kScaleRestartWeight = 32;
// Long-run errors for choosing the seasonality average over two days; a profile must cut the
// error by kSeasonalityGain to be used.
constexpr double kLongErrorNs = 2.0 * kDayNs;
constexpr double kSeasonalityGain = 0.9;
constexpr double kSelectClip = 10;
// An observation scoring this much or more is learned by the calibrator only if the one before
// did not: an isolated extreme is part of a spiky series' normal, a run of them is an incident
// and must not teach the calibrator that outages are normal.
constexpr double kExtremeScore = 0.9999;
// The scale never falls below this fraction of the series' typical magnitude: changes smaller
// than that are not anomalies, and a constant series does not divide by zero.
constexpr double kScaleFloor = 1e-3;
// Nor below the series' typical change of value (the geometric mean of its nonzero changes from
// one observation to the next, over about the last kStepMemory changes): a series cannot be
// measured more finely than it moves. This matters for series that move in steps or are mostly
// zero (event counts, error ratios of a few calls, integer gauges such as queue depth, log lines
// per window): their mean absolute residual collapses towards zero between the rare nonzero
// values, and each ordinary one would then be thousands of scales out. For white noise the typical
// change (about 0.75 sigma) is just under the mean absolute residual (0.8 sigma), so the floor
// does not bind where the scale is healthy. The geometric mean is robust to the spikes themselves.
constexpr double kStepShare = 1.0;
constexpr double kStepMemory = 256;
// Changes smaller than this relative to the values are rounding, not changes.
constexpr double kSameValue = 1e-9;

double Rate(double steps, double time_constant) { return -std::expm1(-steps / time_constant); }

// Linear interpolation between slot centres on a ring of `n` slots of `slot_ns` each.
struct SlotPair {
  int i0, i1;
  double f;  // weight of i1
};
SlotPair Slots(core::TimeNs t, core::TimeNs period_ns, double slot_ns, int n) {
  core::TimeNs phase = t - core::FloorTo(t, period_ns);
  double p = static_cast<double>(phase) / slot_ns - 0.5;
  double fl = std::floor(p);
  int i0 = static_cast<int>(fl);
  double f = p - fl;
  i0 = ((i0 % n) + n) % n;
  return {i0, (i0 + 1) % n, f};
}

}  // namespace

SeasonalBaseline::SeasonalBaseline(const DetectorOptions& options)
    : band_confidence_(std::clamp(options.band_confidence, 0.5, 0.999999)),
      sensitivity_(options.sensitivity > 0 ? options.sensitivity : 1.0) {}

bool SeasonalBaseline::learning() const {
  return count_ < kLearningPoints || last_ns_ - first_ns_ < kLearningNs;
}

double SeasonalBaseline::ScaleFloor() const {
  double floor = kScaleFloor * magnitude_ + 1e-12;
  if (steps_seen_ > 0) floor = std::max(floor, kStepShare * std::exp(log_step_));
  return floor;
}

double SeasonalBaseline::ActiveScale() const {
  return std::max(static_cast<double>(scale_[seasonality_]), ScaleFloor());
}

double SeasonalBaseline::ScaleAt(core::TimeNs t) const {
  // After a gap of h spacings the level is h steps stale. For a local level model (simple
  // exponential smoothing) the h-step forecast variance is sigma^2 (1 + (h - 1) alpha^2)
  // (Hyndman et al., "Forecasting with Exponential Smoothing", 2008, Table 6.1).
  double steps = spacing_ns_ > 0 ? static_cast<double>(t - last_ns_) / spacing_ns_ : 1.0;
  double alpha = seasonality_ == 0 ? Rate(1, kLevelSpacings) : Rate(spacing_ns_, kSeasonalLevelNs);
  return ActiveScale() * std::sqrt(1 + std::max(steps - 1, 0.0) * alpha * alpha);
}

double SeasonalBaseline::BandQuantile() const {
  if (band_quantile_ > 0) return band_quantile_;
  // Gaussian residuals, scale = mean absolute deviation = sigma * sqrt(2 / pi).
  return TwoSidedNormalQuantile(band_confidence_) * std::sqrt(M_PI / 2);
}

SeasonalBaseline::Prediction SeasonalBaseline::Predict(core::TimeNs t) const {
  Prediction p;
  p.none = level_none_;
  double steps =
      spacing_ns_ > 0 ? std::max(0.0, static_cast<double>(t - last_ns_) / spacing_ns_) : 1.0;
  // Damped trend over `steps` spacings: trend * (phi + phi^2 + ... + phi^steps).
  double damped = kTrendDamping * (1 - std::pow(kTrendDamping, steps)) / (1 - kTrendDamping);
  SlotPair d = Slots(t, kDayNs, kDailySlotNs, kDailySlots);
  SlotPair w = Slots(t, kWeekNs, kWeeklySlotNs, kWeeklySlots);
  p.daily = level_ + trend_ * damped + (1 - d.f) * daily_[d.i0] + d.f * daily_[d.i1];
  p.weekly = p.daily + (1 - w.f) * weekly_[w.i0] + w.f * weekly_[w.i1];
  return p;
}

Assessment SeasonalBaseline::Expect(core::TimeNs t) const {
  return ExpectFrom(Predict(t), ScaleAt(t));
}

Assessment SeasonalBaseline::ExpectFrom(const Prediction& p, double scale) const {
  Assessment a;
  a.seasonality = seasonality();
  a.learning = learning();
  if (count_ == 0) return a;
  a.expected = p.Of(a.seasonality);
  double half_width = BandQuantile() * scale / sensitivity_;
  a.lower = a.expected - half_width;
  a.upper = a.expected + half_width;
  return a;
}

Assessment SeasonalBaseline::Observe(core::TimeNs t, double value) {
  if (std::isnan(value) || std::isinf(value)) {
    Assessment a = Expect(t);
    a.score = 0;
    return a;
  }
  // One prediction and one scale for the point (Learn changes them only after).
  const Prediction p = Predict(t);
  const double scale = ScaleAt(t);
  Assessment a = ExpectFrom(p, scale);
  a.value = value;
  if (count_ > 0) {
    last_z_ = (value - a.expected) / scale;
    if (!a.learning) a.score = calibrator_.Score(std::abs(last_z_) * sensitivity_);
  }
  if (a.learning) {
    a.score = 0;
    last_z_ = 0;
  }
  bool extreme = a.score >= kExtremeScore;
  // The first half of the learning period fits the model; residuals from then would be misfit,
  // not the series' noise.
  if (count_ >= kLearningPoints / 2 && (!extreme || !last_extreme_)) {
    calibrator_.Learn(std::abs((value - a.expected) / scale));
  }
  last_extreme_ = extreme;
  Learn(t, value, p, /*accept=*/false);
  return a;
}

void SeasonalBaseline::Learn(core::TimeNs t, double value, const Prediction& p, bool accept) {
  if (count_ == 0) {
    first_ns_ = last_ns_ = t;
    level_none_ = level_ = last_value_ = value;
    magnitude_ = std::abs(value);
    count_ = 1;
    return;
  }
  double dt = static_cast<double>(std::max<core::TimeNs>(t - last_ns_, 0));
  if (count_ == 1) {
    spacing_ns_ = dt > 0 ? dt : core::kNsPerSecond;
  } else if (dt > 0) {
    // Typical spacing: a running mean of the interval limited to [1/2, 2] times the current
    // estimate, so gaps and bursts move it only slowly.
    spacing_ns_ += 0.05 * (std::clamp(dt, 0.5 * spacing_ns_, 2 * spacing_ns_) - spacing_ns_);
  }
  double steps = dt / spacing_ns_;
  // Running means start as plain averages, then forget at their time constant.
  double warm = 1.0 / (count_ + 1);
  double a_level = std::max(Rate(steps, kLevelSpacings), warm);
  double a_scale = std::max(Rate(steps, kScaleSpacings), 1.0 / (scale_count_ + 1));
  double a_magnitude = std::max(Rate(steps, kScaleSpacings), warm);
  double a_long = std::max(Rate(dt, kLongErrorNs), warm);

  magnitude_ += a_magnitude * (std::abs(value) - magnitude_);
  double change = std::abs(value - last_value_);
  if (change > kSameValue * std::max(std::abs(value), std::abs(last_value_))) {
    if (steps_seen_ < UINT32_MAX) ++steps_seen_;
    double a_step = std::max(1.0 / kStepMemory, 1.0 / steps_seen_);
    log_step_ += static_cast<float>(a_step * (std::log(change) - log_step_));
  }
  last_value_ = value;
  double floor = ScaleFloor();

  // Residuals of the three predictors; each component learns its clipped residual.
  double residual[3] = {value - p.none, value - p.daily, value - p.weekly};
  double clipped[3];
  for (int i = 0; i < 3; ++i) {
    double s = std::max(static_cast<double>(scale_[i]), floor);
    double r = residual[i];
    // Before the scale means anything, or on user feedback, nothing is clipped.
    bool clip = !accept && count_ > 8;
    // While learning, the model is still far from the data: clip only gross outliers.
    double c = learning() ? kLearningClip : kClip;
    clipped[i] = clip ? std::clamp(r, -c * s, c * s) : r;
    double abs_r = clip ? std::min(std::abs(r), kScaleClip * s) : std::abs(r);
    scale_[i] += static_cast<float>(a_scale * (abs_r - scale_[i]));
    // Squared, so that the few large errors a profile removes (at a daily step, say) count.
    double wide = std::min(std::abs(r), kSelectClip * s);
    long_error_[i] += static_cast<float>(a_long * (wide * wide - long_error_[i]));
  }

  level_none_ += a_level * clipped[0];

  // Seasonal level with damped trend, error-correction form of Holt's method. Level, trend and
  // daily profile form the daily model and learn its residual; the weekly correction learns what
  // the daily model leaves (so the daily model stays a model of its own, to compare against).
  double e = clipped[1];
  double damped = kTrendDamping * (1 - std::pow(kTrendDamping, steps)) / (1 - kTrendDamping);
  double a_seasonal = std::max(Rate(dt, kSeasonalLevelNs), warm);
  level_ += trend_ * damped + a_seasonal * e;
  trend_ =
      trend_ * std::pow(kTrendDamping, steps) + kTrendGain * a_seasonal * e / std::max(steps, 1.0);

  // Profiles: a gradient step on the interpolated value, scaled so a slot absorbs kDailyRate
  // (kWeeklyRate) of its error per day (week) of visits, whatever the spacing.
  double slot_dt = std::min(dt, kDailySlotNs);
  SlotPair d = Slots(t, kDayNs, kDailySlotNs, kDailySlots);
  double days = static_cast<double>(t - first_ns_) / kDayNs;
  double g_daily = std::max(kDailyRate, 1 / (1 + std::floor(days))) * slot_dt / kDailySlotNs;
  daily_[d.i0] += static_cast<float>(g_daily * (1 - d.f) * e);
  daily_[d.i1] += static_cast<float>(g_daily * d.f * e);
  SlotPair w = Slots(t, kWeekNs, kWeeklySlotNs, kWeeklySlots);
  double g_weekly = kWeeklyRate * std::min(dt, kWeeklySlotNs) / kWeeklySlotNs;
  weekly_[w.i0] += static_cast<float>(g_weekly * (1 - w.f) * clipped[2]);
  weekly_[w.i1] += static_cast<float>(g_weekly * w.f * clipped[2]);

  bool new_day = core::FloorTo(t, kDayNs) != core::FloorTo(last_ns_, kDayNs);
  bool was_learning = learning();
  last_ns_ = t;
  if (count_ < UINT32_MAX) ++count_;
  if (scale_count_ < UINT32_MAX) ++scale_count_;
  if (was_learning && !learning()) scale_count_ = kScaleRestartWeight;
  if (new_day) CenterProfiles();
  ChooseSeasonality();
  if (count_ % 16 == 0 && calibrator_.count() >= 64) {
    band_quantile_ = static_cast<float>(calibrator_.Quantile(band_confidence_));
  }
}

void SeasonalBaseline::CenterProfiles() {
  // The level carries the mean; the profiles only the shape (otherwise level and profile drift
  // against each other).
  double mean = 0;
  for (float v : daily_) mean += v;
  mean /= kDailySlots;
  for (float& v : daily_) v -= static_cast<float>(mean);
  level_ += mean;
  double wmean = 0;
  for (float v : weekly_) wmean += v;
  wmean /= kWeeklySlots;
  for (float& v : weekly_) v -= static_cast<float>(wmean);
}

void SeasonalBaseline::ChooseSeasonality() {
  core::TimeNs span = last_ns_ - first_ns_;
  auto error = [&](Seasonality s) { return long_error_[static_cast<int>(s)]; };
  Seasonality current = seasonality();
  Seasonality best = Seasonality::kNone;
  if (span >= 2 * kDayNs && error(Seasonality::kDaily) < error(best)) best = Seasonality::kDaily;
  if (span >= 2 * kWeekNs && error(Seasonality::kWeekly) < error(best)) best = Seasonality::kWeekly;
  if (best != current && error(best) < kSeasonalityGain * error(current)) {
    seasonality_ = static_cast<uint8_t>(best);
    scale_count_ = std::min(scale_count_, kScaleRestartWeight);
  }
  // A profile that stopped paying off (or that the span no longer allows) is dropped.
  if (current != Seasonality::kNone && seasonality() == current &&
      error(current) > error(Seasonality::kNone)) {
    seasonality_ = static_cast<uint8_t>(Seasonality::kNone);
    scale_count_ = std::min(scale_count_, kScaleRestartWeight);
  }
}

void SeasonalBaseline::AcceptAsNormal(core::TimeNs t, double value) {
  if (std::isnan(value) || std::isinf(value)) return;
  Prediction p = Predict(t);
  if (count_ > 0) {
    double expected = p.Of(seasonality());
    double z = std::abs(value - expected) / ScaleAt(t);
    // Widen the band to hold this value and teach the calibrator that such residuals happen.
    for (int i = 0; i < 16; ++i) calibrator_.Learn(z);
    double q = BandQuantile();
    float& s = scale_[seasonality_];
    s = std::max(s, static_cast<float>(std::abs(value - expected) / q));
    band_quantile_ = static_cast<float>(calibrator_.Quantile(band_confidence_));
  }
  Learn(t, value, p, /*accept=*/true);
}

void SeasonalBaseline::SetSensitivity(double sensitivity) {
  if (sensitivity > 0 && std::isfinite(sensitivity)) sensitivity_ = sensitivity;
}

void SeasonalBaseline::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.PutString(kType);
  w.Put<uint8_t>(kStateVersion);
  w.Put(band_confidence_);
  w.Put(sensitivity_);
  w.Put(first_ns_);
  w.Put(last_ns_);
  w.Put(spacing_ns_);
  w.Put(count_);
  w.Put(scale_count_);
  w.Put(seasonality_);
  w.Put(level_none_);
  w.Put(level_);
  w.Put(trend_);
  w.Put(magnitude_);
  w.Put(scale_);
  w.Put(long_error_);
  w.Put(band_quantile_);
  w.Put(last_z_);
  w.Put(last_value_);
  w.Put(log_step_);
  w.Put(steps_seen_);
  w.Put<uint8_t>(last_extreme_);
  w.Put(daily_);
  w.Put(weekly_);
  calibrator_.Save(out);
}

absl::Status SeasonalBaseline::Restore(std::string_view state) {
  core::BinaryReader r(state);
  std::string_view type;
  uint8_t version = 0;
  if (!r.GetString(&type) || type != kType) {
    return absl::InvalidArgumentError("seasonal: state of another detector type");
  }
  if (!r.Get(&version) || version != kStateVersion) {
    return absl::InvalidArgumentError("seasonal: unknown state version");
  }
  SeasonalBaseline s;
  r.Get(&s.band_confidence_);
  r.Get(&s.sensitivity_);
  r.Get(&s.first_ns_);
  r.Get(&s.last_ns_);
  r.Get(&s.spacing_ns_);
  r.Get(&s.count_);
  r.Get(&s.scale_count_);
  r.Get(&s.seasonality_);
  r.Get(&s.level_none_);
  r.Get(&s.level_);
  r.Get(&s.trend_);
  r.Get(&s.magnitude_);
  r.Get(&s.scale_);
  r.Get(&s.long_error_);
  r.Get(&s.band_quantile_);
  r.Get(&s.last_z_);
  r.Get(&s.last_value_);
  r.Get(&s.log_step_);
  r.Get(&s.steps_seen_);
  uint8_t last_extreme = 0;
  r.Get(&last_extreme);
  s.last_extreme_ = last_extreme != 0;
  r.Get(&s.daily_);
  r.Get(&s.weekly_);
  if (!r.ok()) return absl::InvalidArgumentError("seasonal: truncated state");
  bool finite = std::isfinite(s.level_none_) && std::isfinite(s.level_) &&
                std::isfinite(s.trend_) && std::isfinite(s.magnitude_) &&
                std::isfinite(s.spacing_ns_) && std::isfinite(s.last_z_) &&
                std::isfinite(s.last_value_) && std::isfinite(s.log_step_);
  for (float v : s.scale_) finite = finite && std::isfinite(v) && v >= 0;
  for (float v : s.long_error_) finite = finite && std::isfinite(v) && v >= 0;
  for (float v : s.daily_) finite = finite && std::isfinite(v);
  for (float v : s.weekly_) finite = finite && std::isfinite(v);
  if (!finite || s.seasonality_ > 2 || !(s.sensitivity_ > 0) || !(s.band_confidence_ > 0) ||
      !(s.band_confidence_ < 1) || s.last_ns_ < s.first_ns_ ||
      (s.count_ > 1 && !(s.spacing_ns_ > 0))) {
    return absl::InvalidArgumentError("seasonal: corrupt state");
  }
  std::string_view rest = r.rest();
  if (absl::Status st = s.calibrator_.Restore(&rest); !st.ok()) return st;
  if (!rest.empty()) return absl::InvalidArgumentError("seasonal: trailing bytes in state");
  *this = s;
  return absl::OkStatus();
}

extern const DetectorRegistration kSeasonalBaselineRegistration;
const DetectorRegistration kSeasonalBaselineRegistration(
    std::string(SeasonalBaseline::kType),
    [](const DetectorOptions& options) { return std::make_unique<SeasonalBaseline>(options); });

}  // namespace augur::detect
