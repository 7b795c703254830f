#include "detect/anomaly_likelihood.h"

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"

namespace augur::detect {
namespace {

// 2: the novelty evidence (its running mean, calibrator and level table) and energy over 16
// spacings. 3: the baseline's state version 2 (its typical change of value).
constexpr uint8_t kStateVersion = 3;
// Evidence this extreme is not learned by the calibrators (an outage is not normal).
constexpr double kCalibrateBelow = 0.99999;
// Calibrators report only once they have seen this many values.
constexpr size_t kMinCalibrated = 32;
// Surprise is capped here (1e-12): beyond it floating point tells nothing more.
constexpr double kMaxSurprise = 12;

double Surprise(double score) {
  return std::min(-std::log10(std::max(1 - score, 1e-300)), kMaxSurprise);
}

// Scores `raw` with `calibrator` (0 until it has data), then learns it unless it is extreme.
double ScoreAndLearn(ScoreCalibrator& calibrator, double raw, double sensitivity) {
  double p = calibrator.count() >= kMinCalibrated ? calibrator.Score(raw * sensitivity) : 0;
  if (p < kCalibrateBelow) calibrator.Learn(raw);
  return p;
}

}  // namespace

AnomalyLikelihood::AnomalyLikelihood(const DetectorOptions& options)
    : base_(options),
      sensitivity_(options.sensitivity > 0 ? options.sensitivity : 1.0),
      alarm_score_(options.alarm_score > 0 && options.alarm_score <= 1 ? options.alarm_score
                                                                       : 0.99),
      held_score_(std::min(kHeldScore, alarm_score_ - 1e-3)) {}

Assessment AnomalyLikelihood::Observe(core::TimeNs t, double value) {
  Assessment a = base_.Observe(t, value);
  if (std::isnan(value) || std::isinf(value)) return a;
  double spacing = base_.spacing_ns();
  double steps = spacing > 0 ? std::max(0.0, static_cast<double>(t - last_ns_) / spacing) : 1.0;
  last_ns_ = t;
  // The level table learns from the first point, so that levels are familiar by the end of the
  // learning period (otherwise every level would look new then).
  double bits = levels_.Observe(steps, value, base_.resolution());
  novelty_ += -std::expm1(-steps / kNoveltySpacings) * (bits - novelty_);
  if (a.learning) return a;

  drift_ +=
      -std::expm1(-steps / kDriftSpacings) * (std::clamp(base_.last_z(), -50.0, 50.0) - drift_);
  energy_ += -std::expm1(-steps / kEnergySpacings) * (Surprise(a.score) - energy_);
  double p_drift = ScoreAndLearn(drift_calibrator_, std::abs(drift_), sensitivity_);
  double p_energy = ScoreAndLearn(energy_calibrator_, energy_, sensitivity_);
  double p_novelty = ScoreAndLearn(novelty_calibrator_, novelty_, sensitivity_);
  // Weighted union bound: P(some (1 - p_i) <= share_i (1 - s)) <= sum_i share_i (1 - s) = 1 - s.
  double tail = std::min({(1 - a.score) / kPointShare, (1 - p_drift) / kDriftShare,
                          (1 - p_energy) / kEnergyShare, (1 - p_novelty) / kNoveltyShare});
  double score = std::clamp(1 - tail, 0.0, 1.0);

  double surprise = Surprise(score);
  if (t < hold_until_ns_ && surprise <= held_peak_ + kEscapeDecades) {
    // Still alarming: the same anomaly goes on, and the hold runs until kHoldSpacings after its
    // last alarming point, however long it lasts.
    if (score >= alarm_score_) {
      hold_until_ns_ =
          std::max(hold_until_ns_, t + static_cast<core::TimeNs>(kHoldSpacings * spacing));
    }
    score = std::min(score, held_score_);
  } else if (score >= alarm_score_) {
    held_peak_ = surprise;
    hold_until_ns_ = t + static_cast<core::TimeNs>(kHoldSpacings * spacing);
  }
  a.score = score;
  return a;
}

void AnomalyLikelihood::AcceptAsNormal(core::TimeNs t, double value) {
  base_.AcceptAsNormal(t, value);
  // The running evidence is what the user called normal: teach it to the calibrators too.
  for (int i = 0; i < 16; ++i) {
    drift_calibrator_.Learn(std::abs(drift_));
    energy_calibrator_.Learn(energy_);
    novelty_calibrator_.Learn(novelty_);
  }
  // The value's level is learned like an observed one (the evidence of this point is not
  // recomputed: the user said it is normal).
  double spacing = base_.spacing_ns();
  if (std::isfinite(value)) {
    double steps = spacing > 0 ? std::max(0.0, static_cast<double>(t - last_ns_) / spacing) : 1.0;
    levels_.Observe(steps, value, base_.resolution());
    last_ns_ = std::max(last_ns_, t);
  }
  hold_until_ns_ = 0;
}

void AnomalyLikelihood::SetSensitivity(double sensitivity) {
  if (!(sensitivity > 0) || !std::isfinite(sensitivity)) return;
  sensitivity_ = sensitivity;
  base_.SetSensitivity(sensitivity);
}

void AnomalyLikelihood::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.PutString(kType);
  w.Put<uint8_t>(kStateVersion);
  w.Put(sensitivity_);
  w.Put(drift_);
  w.Put(energy_);
  w.Put(novelty_);
  w.Put(last_ns_);
  w.Put(hold_until_ns_);
  w.Put(held_peak_);
  drift_calibrator_.Save(out);
  energy_calibrator_.Save(out);
  novelty_calibrator_.Save(out);
  levels_.Save(out);
  std::string base;
  base_.Save(&base);
  w.PutString(base);
}

absl::Status AnomalyLikelihood::Restore(std::string_view state) {
  core::BinaryReader r(state);
  std::string_view type;
  uint8_t version = 0;
  if (!r.GetString(&type) || type != kType) {
    return absl::InvalidArgumentError("anomaly_likelihood: state of another detector type");
  }
  if (!r.Get(&version) || version != kStateVersion) {
    return absl::InvalidArgumentError("anomaly_likelihood: unknown state version");
  }
  AnomalyLikelihood d;
  r.Get(&d.sensitivity_);
  r.Get(&d.drift_);
  r.Get(&d.energy_);
  r.Get(&d.novelty_);
  r.Get(&d.last_ns_);
  r.Get(&d.hold_until_ns_);
  r.Get(&d.held_peak_);
  if (!r.ok()) return absl::InvalidArgumentError("anomaly_likelihood: truncated state");
  if (!(d.sensitivity_ > 0) || !std::isfinite(d.sensitivity_) || !std::isfinite(d.drift_) ||
      !std::isfinite(d.energy_) || !std::isfinite(d.novelty_) || !std::isfinite(d.held_peak_)) {
    return absl::InvalidArgumentError("anomaly_likelihood: corrupt state");
  }
  std::string_view rest = r.rest();
  if (absl::Status s = d.drift_calibrator_.Restore(&rest); !s.ok()) return s;
  if (absl::Status s = d.energy_calibrator_.Restore(&rest); !s.ok()) return s;
  if (absl::Status s = d.novelty_calibrator_.Restore(&rest); !s.ok()) return s;
  if (absl::Status s = d.levels_.Restore(&rest); !s.ok()) return s;
  core::BinaryReader tail(rest);
  std::string_view base;
  if (!tail.GetString(&base) || !tail.done()) {
    return absl::InvalidArgumentError("anomaly_likelihood: truncated state");
  }
  if (absl::Status s = d.base_.Restore(base); !s.ok()) return s;
  d.alarm_score_ = alarm_score_;  // configuration, not state
  d.held_score_ = held_score_;
  *this = d;
  return absl::OkStatus();
}

extern const DetectorRegistration kAnomalyLikelihoodRegistration;
const DetectorRegistration kAnomalyLikelihoodRegistration(
    std::string(AnomalyLikelihood::kType),
    [](const DetectorOptions& options) { return std::make_unique<AnomalyLikelihood>(options); });

}  // namespace augur::detect
