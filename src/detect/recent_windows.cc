#include "detect/recent_windows.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace augur::detect {

void WindowStats::MergeFrom(const WindowStats& other) {
  count += other.count;
  errors += other.errors;
  sum += other.sum;
  if (buckets.size() < other.buckets.size()) buckets.resize(other.buckets.size());
  for (size_t i = 0; i < other.buckets.size(); ++i) buckets[i] += other.buckets[i];
  covered_ns = std::max(covered_ns, other.covered_ns);
}

double WindowStats::Quantile(std::span<const double> bounds, double q) const {
  uint64_t total = 0;
  for (uint64_t b : buckets) total += b;
  if (total == 0 || bounds.empty()) return std::numeric_limits<double>::quiet_NaN();
  double rank = q * static_cast<double>(total);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    uint64_t before = cumulative;
    cumulative += buckets[i];
    if (static_cast<double>(cumulative) >= rank && buckets[i] > 0) {
      if (i >= bounds.size()) return bounds.back();
      double lower = i == 0 ? 0 : bounds[i - 1];
      double upper = bounds[i];
      double fraction = (rank - static_cast<double>(before)) / static_cast<double>(buckets[i]);
      return lower + (upper - lower) * std::clamp(fraction, 0.0, 1.0);
    }
  }
  return bounds.back();
}

RecentWindows::RecentWindows(core::TimeNs fine_ns, size_t num_buckets)
    : fine_ns_(fine_ns),
      num_buckets_(static_cast<uint32_t>(num_buckets)),
      buckets_((kFineSlots + kCoarseSlots) * num_buckets, 0) {}

int32_t RecentWindows::IndexOf(core::TimeNs t, core::TimeNs width) const {
  if (base_ns_ == INT64_MIN) return kUnused;
  const int64_t index = (core::FloorTo(t, width) - base_ns_) / width;
  if (index <= INT32_MIN || index > INT32_MAX) return kUnused;
  return static_cast<int32_t>(index);
}

namespace {

// Slot of window `index` in a ring of `n` slots.
size_t SlotOf(int32_t index, int n) { return static_cast<size_t>(((index % n) + n) % n); }

}  // namespace

void RecentWindows::AddTo(Slot* slot, uint32_t* slot_buckets, int32_t index, uint64_t count,
                          uint64_t errors, double sum, std::span<const uint32_t> buckets) {
  if (slot->index != index) {
    if (slot->index > index) return;  // the slot holds a newer window; this one is gone
    *slot = Slot{.index = index};
    std::fill(slot_buckets, slot_buckets + num_buckets_, 0u);
  }
  auto saturating = [](uint32_t a, uint64_t b) {
    uint64_t s = a + b;
    return static_cast<uint32_t>(std::min<uint64_t>(s, UINT32_MAX));
  };
  slot->count = saturating(slot->count, count);
  slot->errors = saturating(slot->errors, errors);
  slot->sum += static_cast<float>(sum);
  size_t n = std::min<size_t>(num_buckets_, buckets.size());
  for (size_t i = 0; i < n; ++i) slot_buckets[i] = saturating(slot_buckets[i], buckets[i]);
}

void RecentWindows::Add(core::TimeNs t, uint64_t count, uint64_t errors, double sum,
                        std::span<const uint32_t> buckets) {
  if (base_ns_ == INT64_MIN) base_ns_ = core::FloorTo(t, kCoarseNs);
  const int32_t fine = IndexOf(t, fine_ns_);
  const int32_t coarse = IndexOf(t, kCoarseNs);
  if (fine == kUnused || coarse == kUnused) return;
  const size_t f = SlotOf(fine, kFineSlots);
  const size_t c = kFineSlots + SlotOf(coarse, kCoarseSlots);
  AddTo(&slots_[f], &buckets_[f * num_buckets_], fine, count, errors, sum, buckets);
  AddTo(&slots_[c], &buckets_[c * num_buckets_], coarse, count, errors, sum, buckets);
}

void RecentWindows::Collect(core::TimeNs now, core::TimeNs range_ns, WindowStats* out) const {
  bool fine = range_ns <= kFineSlots * fine_ns_;
  core::TimeNs width = fine ? fine_ns_ : kCoarseNs;
  size_t first = fine ? 0 : kFineSlots;
  size_t last = fine ? kFineSlots : kFineSlots + kCoarseSlots;
  if (out->buckets.size() < num_buckets_) out->buckets.resize(num_buckets_);
  out->covered_ns = std::max(out->covered_ns, range_ns);
  if (base_ns_ == INT64_MIN) return;
  const int64_t newest = (core::FloorTo(now, width) - base_ns_) / width;
  // Windows that end after now - range (the window holding `now` included).
  const int64_t oldest = (core::FloorTo(now - range_ns, width) + width - base_ns_) / width;
  for (size_t s = first; s < last; ++s) {
    const Slot& slot = slots_[s];
    if (slot.index == kUnused || slot.index < oldest || slot.index > newest) continue;
    out->count += slot.count;
    out->errors += slot.errors;
    out->sum += slot.sum;
    const uint32_t* b = &buckets_[s * num_buckets_];
    for (size_t i = 0; i < num_buckets_; ++i) out->buckets[i] += b[i];
  }
}

bool RecentWindows::Window(core::TimeNs start, WindowStats* out) const {
  if (out->buckets.size() < num_buckets_) out->buckets.resize(num_buckets_);
  const int32_t index = IndexOf(start, fine_ns_);
  if (index == kUnused) return false;
  const size_t s = SlotOf(index, kFineSlots);
  const Slot& slot = slots_[s];
  if (slot.index != index) return false;
  out->count += slot.count;
  out->errors += slot.errors;
  out->sum += slot.sum;
  const uint32_t* b = &buckets_[s * num_buckets_];
  for (size_t i = 0; i < num_buckets_; ++i) out->buckets[i] += b[i];
  out->covered_ns = std::max(out->covered_ns, fine_ns_);
  return true;
}

}  // namespace augur::detect
