// Additive Holt-Winters with a damped trend (type "holt_winters"): Holt (1957) and Winters (1960),
// the damped trend of Gardner and McKenzie ("Forecasting trends in time series", Management
// Science 1985), in the error-correction (state space) form ETS(A,Ad,A) of Hyndman, Koehler, Ord
// and Snyder, "Forecasting with Exponential Smoothing: The State Space Approach" (Springer 2008):
//
//   e_t = y_t - (l + phi b + s_{t-m})
//   l  <- l + phi b + alpha e        b <- phi b + beta e        s_t <- s_{t-m} + gamma e
//   y_{t+h|t} = l + (phi + ... + phi^h) b + s_{t+h-m(k+1)}
//   var(h) = sigma^2 (1 + sum_{j=1}^{h-1} c_j^2),  c_j = alpha + beta (phi + ... + phi^j)
//            + gamma [j mod m = 0]          (ibid., Table 6.1, class 1 models)
//
// The season is one day, in m slots of the series' own spacing (learned from the first intervals;
// at most kMaxSeasonSlots, coarser slots beyond that). Seasonal indices are kept by time of day, so
// irregular spacing and gaps land in the right slot; a gap of g spacings advances the level and
// trend by g steps. The smoothing weights are fixed, moderate defaults, not fitted per series
// (alpha 0.2, beta 0.01, gamma 0.1, phi 0.98): good one-step expectations; the seasonal indices
// take a couple of weeks to hold the full daily shape, so day-ahead forecasts improve over that
// time. Once a day the indices hand their mean to the level (the usual normalization).
// Updates use the error clipped at kClip standard deviations so outliers do not poison the state.
//
// Scores: |e| / sigma calibrated by a ScoreCalibrator. Forecast() is the forecasting interface:
// expected values and prediction intervals at the band confidence, h steps ahead.
//
// Learning period: a full day of data and at least kLearningPoints observations; score 0 before.
//
// Not thread-safe: owned by the shard of its series.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/time.h"
#include "detect/detector.h"
#include "detect/score_calibrator.h"

namespace augur::detect {

struct ForecastPoint {
  core::TimeNs t = 0;
  double expected = 0;
  double lower = 0;  // prediction interval at the detector's band confidence
  double upper = 0;
};

class HoltWinters final : public Detector {
 public:
  static constexpr std::string_view kType = "holt_winters";
  static constexpr int kMaxSeasonSlots = 288;
  static constexpr int kLearningPoints = 168;
  static constexpr double kAlpha = 0.2;
  static constexpr double kBeta = 0.01;
  static constexpr double kGamma = 0.1;
  static constexpr double kPhi = 0.98;
  static constexpr double kClip = 4;

  explicit HoltWinters(const DetectorOptions& options = {});

  std::string_view type() const override { return kType; }
  Assessment Observe(core::TimeNs t, double value) override;
  Assessment Expect(core::TimeNs t) const override;
  void AcceptAsNormal(core::TimeNs t, double value) override;
  void SetSensitivity(double sensitivity) override;
  void Save(std::string* out) const override;
  absl::Status Restore(std::string_view state) override;
  size_t MemoryBytes() const override;

  // Forecasts for `steps` points spaced by the series' spacing, the first at `t` (not before the
  // next observation is due). Empty before the season is known.
  std::vector<ForecastPoint> Forecast(core::TimeNs t, int steps) const;

  int season_slots() const { return static_cast<int>(season_.size()); }
  double alpha() const { return alpha_; }
  double beta() const { return beta_; }
  core::TimeNs spacing_ns() const { return spacing_ns_; }

 private:
  static constexpr int kSpacingSamples = 8;
  int SlotOf(core::TimeNs t) const;
  double Steps(core::TimeNs t) const;  // spacings from the last observation to t, at least 1
  double Mean(core::TimeNs t) const;
  double Variance(double h) const;  // of the h-step forecast error
  double HalfWidth(double h) const;
  void Start(core::TimeNs t);
  void SetWeights();
  void Learn(core::TimeNs t, double value, bool clip);
  bool learning() const;

  double band_confidence_;
  double sensitivity_;
  double band_z_;  // standard normal quantile of the band
  core::TimeNs first_ns_ = 0;
  core::TimeNs last_ns_ = 0;
  core::TimeNs spacing_ns_ = 0;  // fixed once kSpacingSamples intervals were seen
  uint32_t count_ = 0;
  std::vector<core::TimeNs> intervals_;  // the first intervals, until spacing is fixed
  double alpha_ = kAlpha;                // members, so a later version can fit them per series
  double beta_ = kBeta;
  double level_ = 0;
  double trend_ = 0;
  double variance_ = 0;  // of one-step errors (running mean of clipped squared errors)
  std::vector<double> season_;
  ScoreCalibrator calibrator_;
};

}  // namespace augur::detect
