// The interface every univariate streaming model implements (STYLE.md, "Models are components
// too"), and the registry that makes them by type name.
//
// A Detector models one series: for each new observation it first says how unusual the value is
// against what it has learned (expected value, band, calibrated score), then learns from it. Scores
// are calibrated tail probabilities in [0, 1]: a score s means that, for this series, a fraction s
// of normal observations are less unusual, so 0.99 means the same thing on every series. State is
// saved and restored in a versioned format, and a restored model continues exactly like the
// original (same scores for the same input).
//
// Not thread-safe: a detector belongs to the shard that owns its series.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/time.h"

namespace augur::detect {

// The seasonal component an expectation used.
enum class Seasonality : uint8_t { kNone, kDaily, kWeekly };
std::string_view SeasonalityName(Seasonality seasonality);  // "none", "daily", "weekly"

struct Assessment {
  double value = std::nan("");     // the observation
  double expected = std::nan("");  // the model's expectation before seeing it
  double lower = std::nan("");     // the band at the configured confidence
  double upper = std::nan("");
  double score = 0;      // calibrated tail probability in [0, 1]
  bool learning = true;  // in the learning period: the score must not raise alarms
  Seasonality seasonality = Seasonality::kNone;
};

struct DetectorOptions {
  // Two-sided coverage of the band (lower, upper) around the expectation.
  double band_confidence = 0.99;
  // Scales how readily the model calls things unusual: 2 halves the band's width and raises
  // scores; 0.5 doubles it. Per service or per series, from configuration or REST.
  double sensitivity = 1.0;
  // The score at which a point raises an alarm (the event rule's open threshold in the pipeline,
  // the NAB threshold in `augur eval nab`). Detectors that hold repeated alarms hold them below it.
  double alarm_score = 0.99;
};

class Detector {
 public:
  virtual ~Detector() = default;

  // The registered type name ("seasonal", "holt_winters", ...).
  virtual std::string_view type() const = 0;

  // Assesses the observation at `t` against the model, then learns from it. Times do not
  // decrease; spacing may be irregular and there may be gaps. A NaN value is a missing
  // observation: it is not learned from and gets score 0.
  virtual Assessment Observe(core::TimeNs t, double value) = 0;

  // The expectation and band at `t`, without learning (score 0, value NaN).
  virtual Assessment Expect(core::TimeNs t) const = 0;

  // User feedback: the observation `value` at `t` was normal. The model learns it and widens
  // its band for that pattern so that similar values score lower from now on.
  virtual void AcceptAsNormal(core::TimeNs t, double value) = 0;

  // Changes the sensitivity (see DetectorOptions) from now on.
  virtual void SetSensitivity(double sensitivity) = 0;

  // Appends the model's state, in a versioned binary format, to `out`.
  virtual void Save(std::string* out) const = 0;
  // Replaces the model's state with one produced by Save() of the same type. Fails (and leaves
  // the model unchanged) on a foreign type, an unknown version or corrupt bytes.
  virtual absl::Status Restore(std::string_view state) = 0;

  // Bytes the model holds (object and heap).
  virtual size_t MemoryBytes() const = 0;
};

// Makes a detector of a registered type; nullptr for an unknown type.
std::unique_ptr<Detector> MakeDetector(std::string_view type, const DetectorOptions& options);
// The registered type names.
std::vector<std::string> DetectorTypes();
// The type Augur models every series with unless configured otherwise.
std::string_view DefaultDetectorType();

// The z with P(|Z| <= z) = p for a standard normal Z, p in (0, 1): the half-width, in standard
// deviations, of a band holding share p of Gaussian residuals.
double TwoSidedNormalQuantile(double p);

// Registration: a detector's .cc registers its factory once with a static DetectorRegistration.
using DetectorFactory = std::function<std::unique_ptr<Detector>(const DetectorOptions&)>;
struct DetectorRegistration {
  DetectorRegistration(std::string type, DetectorFactory factory);
};

}  // namespace augur::detect
