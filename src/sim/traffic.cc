#include "sim/traffic.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace augur::sim {

namespace {

constexpr double kNsPerHour = 3600.0 * core::kNsPerSecond;
constexpr double kWeekendDip = 0.15;
// Mean of WeeklyFactor over a week: 5 weekdays at 1, 2 days at 1 - dip (the ramps cancel out).
constexpr double kWeeklyMean = (5.0 + 2.0 * (1.0 - kWeekendDip)) / 7.0;

double HoursOfDay(core::TimeNs t) {
  return static_cast<double>(t - core::FloorTo(t, 24 * 3600 * core::kNsPerSecond)) / kNsPerHour;
}

// Hours since Monday 00:00 UTC (1970-01-01 was a Thursday, three days after a Monday).
double HoursOfWeek(core::TimeNs t) {
  const core::TimeNs week = 7 * 24 * 3600 * core::kNsPerSecond;
  const core::TimeNs since_monday = t + 3 * 24 * 3600 * core::kNsPerSecond;
  return static_cast<double>(since_monday - core::FloorTo(since_monday, week)) / kNsPerHour;
}

// Value noise: a uniform draw in [-1, 1] per knot, cosine-interpolated between knots.
double ValueNoise(uint64_t seed, core::TimeNs t, core::TimeNs knot_ns) {
  const core::TimeNs k0 = core::FloorTo(t, knot_ns) / knot_ns;
  const double frac = static_cast<double>(t - k0 * knot_ns) / static_cast<double>(knot_ns);
  const double a = 2 * UnitFromBits(Mix64(seed ^ Mix64(static_cast<uint64_t>(k0)))) - 1;
  const double b = 2 * UnitFromBits(Mix64(seed ^ Mix64(static_cast<uint64_t>(k0 + 1)))) - 1;
  const double w = (1 - std::cos(std::numbers::pi * frac)) / 2;
  return a + (b - a) * w;
}

}  // namespace

TrafficShape::TrafficShape(double mean_rate_per_s, uint64_t seed)
    : mean_rate_per_s_(mean_rate_per_s), seed_(Mix64(seed ^ 0x7A11C5EA50ULL)) {}

double TrafficShape::DailyFactor(core::TimeNs t) {
  const double h = HoursOfDay(t);
  // A peak at 15:00 and a smaller one at 20:00; both harmonics average to zero over the day.
  return 1 + 0.45 * std::cos(2 * std::numbers::pi * (h - 15) / 24) +
         0.08 * std::cos(4 * std::numbers::pi * (h - 20) / 24);
}

double TrafficShape::WeeklyFactor(core::TimeNs t) {
  double h = HoursOfWeek(t);
  if (h < 2) h += 168;  // Monday 00:00-02:00 is the end of Sunday's ramp
  // Weekend is [120, 168): ramps over Friday 22:00-Saturday 02:00 and Sunday 22:00-Monday 02:00.
  const double weekend = std::clamp((h - 118) / 4, 0.0, 1.0) * std::clamp((170 - h) / 4, 0.0, 1.0);
  return 1 - kWeekendDip * weekend;
}

double TrafficShape::Noise(core::TimeNs t) const {
  return 0.06 * ValueNoise(seed_, t, core::kNsPerMinute) +
         0.05 * ValueNoise(seed_ ^ 0x10, t, 10 * core::kNsPerMinute);
}

double TrafficShape::Multiplier(core::TimeNs t) const {
  return DailyFactor(t) * WeeklyFactor(t) / kWeeklyMean * (1 + Noise(t));
}

double TrafficShape::MaxRate() const {
  return mean_rate_per_s_ * (1 + 0.45 + 0.08) / kWeeklyMean * (1 + 0.11);
}

ArrivalProcess::ArrivalProcess(const TrafficShape* shape, core::TimeNs start_ns, uint64_t seed)
    : shape_(shape),
      max_rate_(shape->MaxRate()),
      t_ns_(static_cast<double>(start_ns)),
      rng_(seed, /*stream=*/2) {}

core::TimeNs ArrivalProcess::Next() {
  if (max_rate_ <= 0) return INT64_MAX;
  for (;;) {
    t_ns_ += rng_.Exponential(core::kNsPerSecond / max_rate_);
    const auto t = static_cast<core::TimeNs>(t_ns_);
    if (rng_.Uniform() * max_rate_ < shape_->RateAt(t)) return t;
  }
}

ExtraArrivals::ExtraArrivals(const TrafficShape* shape, std::function<double(core::TimeNs)> factor,
                             double max_factor, core::TimeNs start_ns, core::TimeNs end_ns,
                             uint64_t seed, uint64_t stream)
    : shape_(shape),
      factor_(std::move(factor)),
      max_rate_(shape->MaxRate() * max_factor),
      t_ns_(static_cast<double>(start_ns)),
      end_ns_(end_ns),
      rng_(seed, stream) {}

core::TimeNs ExtraArrivals::Next() {
  if (max_rate_ <= 0) return INT64_MAX;
  for (;;) {
    t_ns_ += rng_.Exponential(core::kNsPerSecond / max_rate_);
    const auto t = static_cast<core::TimeNs>(t_ns_);
    if (t >= end_ns_) {
      t_ns_ = static_cast<double>(end_ns_);
      return INT64_MAX;
    }
    if (rng_.Uniform() * max_rate_ < shape_->RateAt(t) * factor_(t)) return t;
  }
}

RootArrivals::RootArrivals(const TrafficShape* shape, const Fleet& fleet,
                           const FaultSchedule* faults, core::TimeNs start_ns, uint64_t seed)
    : regular_(shape, start_ns, seed) {
  next_regular_ns_ = regular_.Next();
  if (faults == nullptr) return;
  double total = 0;
  for (const EntryPoint& e : fleet.entries) total += e.weight;
  surges_.reserve(faults->surges().size());
  for (const FaultSchedule::Surge& surge : faults->surges()) {
    double share = 0;  // of root requests, those entering at the surge's entry
    for (const EntryPoint& e : fleet.entries) {
      if (e.service == surge.entry_service) share += e.weight / total;
    }
    const Fault* f = surge.fault;
    surges_.push_back(
        {ExtraArrivals(
             shape, [f, share](core::TimeNs t) { return share * f->ExtraArrivalsAt(t); },
             share * f->MaxExtraArrivals(), std::max(start_ns, f->start_ns()), f->end_ns(), seed,
             /*stream=*/100 + surges_.size()),
         surge.entry_service, 0});
    surges_.back().next_ns = surges_.back().arrivals.Next();
  }
}

RootArrivals::Arrival RootArrivals::Next() {
  Surge* earliest = nullptr;
  core::TimeNs t = next_regular_ns_;
  for (Surge& s : surges_) {
    if (s.next_ns < t) {
      t = s.next_ns;
      earliest = &s;
    }
  }
  if (earliest == nullptr) {
    next_regular_ns_ = regular_.Next();
    return {t, -1};
  }
  earliest->next_ns = earliest->arrivals.Next();
  return {t, earliest->entry_service};
}

}  // namespace augur::sim
