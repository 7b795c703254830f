#include "detect/detector.h"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <map>
#include <utility>

namespace augur::detect {
namespace {

// Factories by type name. Filled by static DetectorRegistration objects before main(); read-only
// afterwards, so lookups need no lock. A function-local static avoids the static initialization
// order problem between translation units.
std::map<std::string, DetectorFactory, std::less<>>& Registry() {
  static auto* registry = new std::map<std::string, DetectorFactory, std::less<>>();
  return *registry;
}

}  // namespace

// Every built-in type registers itself with a DetectorRegistration in its own .cc. augur_detect is
// a static library, and the linker drops an object file nothing refers to — its registration with
// it — so this table refers to each of them. Adding a type: one line here.
extern const DetectorRegistration kSeasonalBaselineRegistration;
extern const DetectorRegistration kHoltWintersRegistration;
extern const DetectorRegistration kAnomalyLikelihoodRegistration;
extern const DetectorRegistration* const kBuiltinDetectors[];
const DetectorRegistration* const kBuiltinDetectors[] = {
    &kSeasonalBaselineRegistration, &kHoltWintersRegistration, &kAnomalyLikelihoodRegistration};

// The default: see docs/detection.md for why this combination.
std::string_view DefaultDetectorType() { return "anomaly_likelihood"; }

std::string_view SeasonalityName(Seasonality seasonality) {
  switch (seasonality) {
    case Seasonality::kNone:
      return "none";
    case Seasonality::kDaily:
      return "daily";
    case Seasonality::kWeekly:
      return "weekly";
  }
  return "none";
}

DetectorRegistration::DetectorRegistration(std::string type, DetectorFactory factory) {
  Registry()[std::move(type)] = std::move(factory);
}

std::unique_ptr<Detector> MakeDetector(std::string_view type, const DetectorOptions& options) {
  auto it = Registry().find(type);
  if (it == Registry().end()) return nullptr;
  return it->second(options);
}

double TwoSidedNormalQuantile(double p) {
  // Every series of a process asks for the same confidence, often per point: keep the last.
  thread_local double last_p = -1, last_z = 0;
  if (p != last_p) {
    // Below 1 by a margin: at p = 1 the quantile is infinite (Boost throws).
    last_z =
        boost::math::quantile(boost::math::normal(), 0.5 + 0.5 * std::clamp(p, 0.0, 1 - 1e-12));
    last_p = p;
  }
  return last_z;
}

std::vector<std::string> DetectorTypes() {
  std::vector<std::string> types;
  for (const auto& [type, factory] : Registry()) types.push_back(type);
  return types;
}

}  // namespace augur::detect
