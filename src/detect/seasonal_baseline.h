// The seasonal baseline (type "seasonal"): a robust, streaming decomposition of one series into
// level, damped trend, a daily and a weekly profile, and a residual scale, in the error-correction
// form of additive Holt-Winters (Holt 1957; Winters 1960; Gardner and McKenzie 1985 for the damped
// trend), with three changes that make it fit for unattended monitoring:
//
// - Robust updates. Each component learns from the residual clipped at kClip residual scales
//   (a Huber-type M-estimator update, as in robust exponential smoothing: Gelper, Fried and Croux,
//   "Robust forecasting with exponential and Holt-Winters smoothing", J. Forecasting 2010), so a
//   spike or the start of an outage does not drag the baseline. The scale learns from residuals
//   clipped a little wider (kScaleClip), so a lasting change widens the band step by step and the
//   baseline follows it after a while, instead of alarming forever.
// - Time, not counts. Rates are per elapsed time: the level, trend and scale in units of the
//   series' typical spacing (learned), the profiles per day and per week. A gap decays the state
//   by its length; irregular spacing is fine.
// - Seasonality chosen online. Three predictors run side by side — no profile (its own level),
//   daily profile, daily plus weekly profile — and the one with the lowest long-run mean absolute
//   error (by a margin) is used; the Assessment reports it. Daily needs two days of data, weekly
//   two weeks.
//
// Scale floor: the residual scale never falls below the series' typical change of value from one
// observation to the next (resolution()), so series that move in steps or are almost always zero
// (counts, error ratios of few calls, queue depths, log lines per window) keep a meaningful scale.
//
// Profiles are coarse to fit the memory budget: the daily one has 96 quarter-hour slots, the
// weekly correction 56 three-hour slots (learned on what the daily model leaves), both read with
// linear interpolation between slot centres. Everything is held inline: MemoryBytes() is
// sizeof(SeasonalBaseline), under 1 KiB.
//
// Scores: the raw measure is |residual| / scale (times the sensitivity), turned into a calibrated
// tail probability by a ScoreCalibrator that learns the series' own residual distribution. The
// band is expected ± the band_confidence quantile of that distribution times the scale, divided
// by the sensitivity.
//
// Learning period: the first kLearningPoints observations and at least kLearningNs of event time;
// meanwhile Assessment::learning is true and the score is 0.
//
// Not thread-safe: owned by the shard of its series.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/time.h"
#include "detect/detector.h"
#include "detect/score_calibrator.h"

namespace augur::detect {

class SeasonalBaseline final : public Detector {
 public:
  static constexpr std::string_view kType = "seasonal";
  static constexpr int kLearningPoints = 168;
  static constexpr core::TimeNs kLearningNs = 60 * core::kNsPerMinute;
  static constexpr int kDailySlots = 96;
  static constexpr int kWeeklySlots = 56;

  explicit SeasonalBaseline(const DetectorOptions& options = {});

  std::string_view type() const override { return kType; }
  Assessment Observe(core::TimeNs t, double value) override;
  Assessment Expect(core::TimeNs t) const override;
  void AcceptAsNormal(core::TimeNs t, double value) override;
  void SetSensitivity(double sensitivity) override;
  void Save(std::string* out) const override;
  absl::Status Restore(std::string_view state) override;
  size_t MemoryBytes() const override { return sizeof(*this); }

  // For detectors built on this one (see AnomalyLikelihood): the signed residual of the last
  // observation in residual scales, before sensitivity; 0 for a missing one or while learning.
  double last_z() const { return last_z_; }
  bool learning() const;
  double spacing_ns() const { return spacing_ns_; }
  // The typical change of the value (geometric mean of its nonzero changes); 0 before it changed.
  double resolution() const { return steps_seen_ > 0 ? std::exp(log_step_) : 0.0; }
  Seasonality seasonality() const { return static_cast<Seasonality>(seasonality_); }

 private:
  struct Prediction {
    double none = 0;    // level only
    double daily = 0;   // seasonal level + trend + daily profile
    double weekly = 0;  // daily + weekly correction
    double Of(Seasonality s) const {
      return s == Seasonality::kNone ? none : s == Seasonality::kDaily ? daily : weekly;
    }
  };
  Prediction Predict(core::TimeNs t) const;
  // Expect(t) from its prediction and ScaleAt(t).
  Assessment ExpectFrom(const Prediction& p, double scale) const;
  double ActiveScale() const;
  double ScaleFloor() const;
  double ScaleAt(
      core::TimeNs t) const;  // the active scale, widened for the time since the last point
  double BandQuantile() const;
  void Learn(core::TimeNs t, double value, const Prediction& p, bool accept);
  void ChooseSeasonality();
  void CenterProfiles();

  double band_confidence_;
  double sensitivity_;
  core::TimeNs first_ns_ = 0;
  core::TimeNs last_ns_ = 0;
  double spacing_ns_ = 0;     // typical interval between observations (robust running estimate)
  uint32_t count_ = 0;        // observations learned
  uint32_t scale_count_ = 0;  // observations in the residual scales' running average
  uint8_t seasonality_ = 0;
  double level_none_ = 0;
  double level_ = 0;      // seasonal level
  double trend_ = 0;      // per spacing
  double magnitude_ = 0;  // running mean of |value|: floors the scale
  // Residual scales (running mean absolute residual) of the three predictors: short-run ones for
  // z, long-run ones for choosing the seasonality.
  std::array<float, 3> scale_{};
  std::array<float, 3> long_error_{};
  float band_quantile_ = 0;  // cached calibrator_.Quantile(band_confidence_)
  double last_z_ = 0;
  double last_value_ = 0;
  float log_step_ = 0;       // running mean of ln |change| over the nonzero changes of the value
  uint32_t steps_seen_ = 0;  // nonzero changes of the value seen
  bool last_extreme_ = false;
  std::array<float, kDailySlots> daily_{};
  std::array<float, kWeeklySlots> weekly_{};
  ScoreCalibrator calibrator_;
};

}  // namespace augur::detect
