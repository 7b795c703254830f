// Augur's default detector (type "anomaly_likelihood"): the seasonal baseline, plus evidence
// accumulated over a few points in the spirit of Numenta's anomaly likelihood (Ahmad, Lavin, Purdy,
// Agha, "Unsupervised real-time anomaly detection for streaming data", Neurocomputing 2017), plus
// suppression of repeated alarms. Four pieces of evidence, each a calibrated tail probability:
//
// - point: the baseline's score of |residual| / scale;
// - drift: |running mean of the signed standardized residual| over kDriftSpacings, calibrated
//   against its own history — a level shift or a drift whose points are each unremarkable;
// - energy: the running mean of the point surprise -log10(1 - point score) over kEnergySpacings,
//   calibrated likewise — a sustained run of unusual points (a burst, a change of variance or of
//   shape); the running mean of -log p is Fisher's way of combining evidence (Fisher 1932);
// - novelty: the running mean over kNoveltySpacings of how new the value's level is for the series
//   (ValueNovelty: bits of a forgetting frequency table of quantized levels), calibrated likewise —
//   a series settling where it has not been, which a residual soon stops calling unusual.
//
// They are combined with a weighted union (Bonferroni) bound: each piece gets a share of the
// false-alarm budget (kPointShare, kDriftShare, kEnergyShare, kNoveltyShare; they sum to 1) and
// score = 1 - min_i (1 - p_i) / share_i, so on normal data P(score >= s) <= 1 - s still holds.
// Sustained evidence (energy, novelty) gets most of the budget: single unusual points are the
// commonest false alarms on spiky series, and a real incident rarely lasts one point. A point
// alone alarms when it is 1/kPointShare times rarer than the alarm level.
//
// Repeated alarms: once a point scores the alarm level (DetectorOptions::alarm_score) or more,
// later points report at most kHeldScore (below the alarm, above the event rule's close threshold,
// so an open event stays open while the anomaly lasts) until kHoldSpacings spacings have passed
// without a point that would have alarmed: a held point that alarms is the same anomaly going on
// and extends the hold,
// so an anomaly that lasts longer than the hold still raises one alarm, not one per hold period.
// A point kEscapeDecades decades more surprising than the alarm's peak is a new, larger anomaly
// and raises its own alarm. One anomaly thus raises one alarm: what an on-call engineer wants, and
// what NAB rewards (only a window's first detection counts, every detection outside one costs).
//
// Learning period: the baseline's (SeasonalBaseline::kLearningPoints observations and kLearningNs
// of event time); score 0 meanwhile (the value levels are learned from the first point).
// Memory: sizeof(AnomalyLikelihood), about 1.7 KiB.
//
// Not thread-safe: owned by the shard of its series.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/time.h"
#include "detect/detector.h"
#include "detect/score_calibrator.h"
#include "detect/seasonal_baseline.h"
#include "detect/value_novelty.h"

namespace augur::detect {

class AnomalyLikelihood final : public Detector {
 public:
  static constexpr std::string_view kType = "anomaly_likelihood";
  static constexpr double kDriftSpacings = 4;
  static constexpr double kEnergySpacings = 16;
  static constexpr double kNoveltySpacings = 8;
  static constexpr double kPointShare = 0.05;
  static constexpr double kDriftShare = 0.10;
  static constexpr double kEnergyShare = 0.50;
  static constexpr double kNoveltyShare = 0.35;
  static constexpr double kHeldScore = 0.98;
  static constexpr double kHoldSpacings = 64;
  static constexpr double kEscapeDecades = 2;

  explicit AnomalyLikelihood(const DetectorOptions& options = {});

  std::string_view type() const override { return kType; }
  Assessment Observe(core::TimeNs t, double value) override;
  Assessment Expect(core::TimeNs t) const override { return base_.Expect(t); }
  void AcceptAsNormal(core::TimeNs t, double value) override;
  void SetSensitivity(double sensitivity) override;
  void Save(std::string* out) const override;
  absl::Status Restore(std::string_view state) override;
  size_t MemoryBytes() const override { return sizeof(*this); }

 private:
  SeasonalBaseline base_;
  ScoreCalibrator drift_calibrator_;
  ScoreCalibrator energy_calibrator_;
  ScoreCalibrator novelty_calibrator_;
  ValueNovelty levels_;
  double sensitivity_;
  double alarm_score_;  // DetectorOptions::alarm_score
  double held_score_;   // kHeldScore, or just below a lower alarm level
  double drift_ = 0;    // running mean of the signed standardized residual
  double energy_ = 0;   // running mean of the point surprise
  double novelty_ = 0;  // running mean of the level novelty (bits)
  core::TimeNs last_ns_ = 0;
  core::TimeNs hold_until_ns_ = 0;  // alarms are held until then
  double held_peak_ = 0;            // surprise of the alarm that started the hold
};

}  // namespace augur::detect
