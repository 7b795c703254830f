#include "detect/value_novelty.h"

#include <algorithm>
#include <cmath>

#include "core/binary_io.h"

namespace augur::detect {
namespace {

constexpr uint8_t kStateVersion = 1;
constexpr int kHalf = ValueNovelty::kLevels / 2;
// The spread never falls below this fraction of the mean's magnitude (plus a tiny absolute
// floor), so a constant series does not divide by zero: any change of it is a new level.
constexpr double kSpreadFloor = 1e-6;

}  // namespace

int ValueNovelty::LevelOf(double value, double resolution) const {
  double spread = std::max({spread_, resolution, 1e-9 + kSpreadFloor * std::abs(mean_)});
  double q = (value - mean_) / (spread * kLevelWidth);
  // Written so that NaN lands in the lowest bin instead of reaching lround.
  q = q > -kHalf ? std::min(q, static_cast<double>(kHalf)) : -kHalf;
  return static_cast<int>(std::lround(q)) + kHalf;
}

double ValueNovelty::Observe(double steps, double value, double resolution) {
  if (count_ == 0) mean_ = value;
  int level = LevelOf(value, resolution);
  double total = 0;
  for (float c : counts_) total += c;
  double novelty = count_ == 0 ? 0.0 : -std::log2((counts_[level] + 0.5) / (total + 0.5 * kLevels));

  // Forget, then count the visit.
  float decay = static_cast<float>(std::exp2(-std::max(steps, 0.0) / kHalfLifeSpacings));
  for (float& c : counts_) c *= decay;
  counts_[level] += 1;

  // Long-run moments: forget over kMomentSpacings, a plain average until that many were seen.
  double rate = -std::expm1(-std::max(steps, 0.0) / kMomentSpacings);
  rate = std::max(rate, 1.0 / (static_cast<double>(count_) + 1));
  double spread = spread_ + rate * (std::abs(value - mean_) - spread_);
  double mean = mean_ + rate * (value - mean_);
  if (std::isfinite(spread) && std::isfinite(mean)) {
    spread_ = spread;
    mean_ = mean;
  }
  if (count_ < UINT32_MAX) ++count_;
  return novelty;
}

void ValueNovelty::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.Put<uint8_t>(kStateVersion);
  w.Put(counts_);
  w.Put(mean_);
  w.Put(spread_);
  w.Put(count_);
}

absl::Status ValueNovelty::Restore(std::string_view* in) {
  core::BinaryReader r(*in);
  uint8_t version = 0;
  if (!r.Get(&version)) return absl::InvalidArgumentError("value novelty: truncated state");
  if (version != kStateVersion) {
    return absl::InvalidArgumentError("value novelty: unknown state version");
  }
  ValueNovelty v;
  r.Get(&v.counts_);
  r.Get(&v.mean_);
  r.Get(&v.spread_);
  r.Get(&v.count_);
  if (!r.ok()) return absl::InvalidArgumentError("value novelty: truncated state");
  bool valid = std::isfinite(v.mean_) && std::isfinite(v.spread_) && v.spread_ >= 0;
  for (float c : v.counts_) valid = valid && std::isfinite(c) && c >= 0;
  if (!valid) return absl::InvalidArgumentError("value novelty: corrupt state");
  *this = v;
  *in = r.rest();
  return absl::OkStatus();
}

}  // namespace augur::detect
