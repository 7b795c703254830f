#include "detect/time_decayed_reservoir.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace augur::detect {

TimeDecayedReservoir::TimeDecayedReservoir(int capacity) : capacity_(capacity) {
  keys_.reserve(static_cast<size_t>(capacity));
  handles_.reserve(static_cast<size_t>(capacity));
}

bool TimeDecayedReservoir::Offer(double weight, double log_weight, RandomCutTree::Rng* rng,
                                 int* evicted) {
  if (size() < capacity_) {
    // Key E / w with E ~ Exp(1), kept as its logarithm.
    pending_key_ = std::log(-std::log(rng->NextOpenUnit())) - log_weight;
    pending_evicts_ = false;
    *evicted = -1;
    return true;
  }
  // Keys are independent, so the chance that no item enters while weight W passes is
  // exp(-threshold * W), threshold being the largest key held: the jump drawn in ArmJump.
  remaining_ -= weight;
  if (remaining_ > 0) return false;
  // This item enters: its key is Exp(1) / w conditioned on being below the threshold, i.e. E is
  // exponential truncated to (0, threshold * w), drawn by inversion.
  double bound = std::exp(keys_[0]) * weight;
  double e = std::max(-std::log1p(std::expm1(-bound) * rng->NextOpenUnit()),
                      std::numeric_limits<double>::min());
  pending_key_ = std::log(e) - log_weight;
  // Rounding must not put it above the item it replaces.
  if (!(pending_key_ < keys_[0])) {
    pending_key_ = std::nextafter(keys_[0], -std::numeric_limits<double>::infinity());
  }
  pending_evicts_ = true;
  *evicted = handles_[0];
  return true;
}

void TimeDecayedReservoir::Admit(uint16_t handle, RandomCutTree::Rng* rng) {
  if (pending_evicts_) {
    keys_[0] = pending_key_;
    handles_[0] = handle;
    SiftDown(0);
  } else {
    keys_.push_back(pending_key_);
    handles_.push_back(handle);
    SiftUp(keys_.size() - 1);
  }
  if (size() == capacity_) ArmJump(rng);
}

void TimeDecayedReservoir::ArmJump(RandomCutTree::Rng* rng) {
  remaining_ = -std::log(rng->NextOpenUnit()) * std::exp(-keys_[0]);
}

void TimeDecayedReservoir::Rebase(double log_shift) {
  for (double& k : keys_) k += log_shift;
  remaining_ *= std::exp(-log_shift);
}

void TimeDecayedReservoir::SiftUp(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!(keys_[parent] < keys_[i])) break;
    std::swap(keys_[parent], keys_[i]);
    std::swap(handles_[parent], handles_[i]);
    i = parent;
  }
}

void TimeDecayedReservoir::SiftDown(size_t i) {
  size_t n = keys_.size();
  while (true) {
    size_t largest = i;
    size_t l = 2 * i + 1, r = l + 1;
    if (l < n && keys_[largest] < keys_[l]) largest = l;
    if (r < n && keys_[largest] < keys_[r]) largest = r;
    if (largest == i) return;
    std::swap(keys_[largest], keys_[i]);
    std::swap(handles_[largest], handles_[i]);
    i = largest;
  }
}

void TimeDecayedReservoir::Save(core::BinaryWriter* w) const {
  w->Put<uint32_t>(static_cast<uint32_t>(keys_.size()));
  for (double k : keys_) w->Put(k);
  for (uint16_t h : handles_) w->Put(h);
  w->Put(remaining_);
}

absl::Status TimeDecayedReservoir::Restore(core::BinaryReader* r) {
  auto corrupt = [](const char* what) {
    return absl::InvalidArgumentError(std::string("reservoir state: ") + what);
  };
  uint32_t n = 0;
  if (!r->Get(&n) || n > static_cast<uint32_t>(capacity_)) return corrupt("bad size");
  std::vector<double> keys(n);
  std::vector<uint16_t> handles(n);
  for (double& k : keys) r->Get(&k);
  for (uint16_t& h : handles) r->Get(&h);
  double remaining = 0;
  r->Get(&remaining);
  if (!r->ok()) return corrupt("truncated");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(keys[i])) return corrupt("bad key");
    if (i > 0 && keys[(i - 1) / 2] < keys[i]) return corrupt("not a heap");
  }
  if (!std::isfinite(remaining)) return corrupt("bad jump");
  keys_.assign(keys.begin(), keys.end());
  handles_.assign(handles.begin(), handles.end());
  remaining_ = remaining;
  pending_evicts_ = false;
  return absl::OkStatus();
}

}  // namespace augur::detect
