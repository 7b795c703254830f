// The recent history of one series at two resolutions, for "over the last 1 and 5 minutes" views:
// the pipeline's window (10 s) for the last 90 s and whole minutes for the last five. 90 s of fine
// windows, because windows are filled ahead of their closing: stage 2 closes a window 30 s (the
// allowed lateness) behind the slowest stage-1 shard, which may itself be up to 10 s behind the
// fastest, whose spans reach up to 30 s past its own watermark. Each slot
// holds a count, an error count, a latency sum and the latency histogram's bucket counts.
//
// Windows are event time. Memory is fixed per series: 9 fine + 5 coarse slots.
// Owned by one shard; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/time.h"

namespace augur::detect {

// Sums over a range of windows.
struct WindowStats {
  uint64_t count = 0;
  uint64_t errors = 0;
  double sum = 0;                 // of latencies, in the histogram's unit
  std::vector<uint64_t> buckets;  // per bucket, bounds.size() + 1 entries
  core::TimeNs covered_ns = 0;    // the span of event time these sums cover

  void MergeFrom(const WindowStats& other);
  // Estimates quantile q in [0,1] from the buckets as Prometheus' histogram_quantile does: linear
  // interpolation inside the bucket, the highest finite bound when it falls into +Inf. NaN when
  // empty.
  double Quantile(std::span<const double> bounds, double q) const;
};

class RecentWindows {
 public:
  static constexpr int kFineSlots = 9;    // 90 s of 10 s windows
  static constexpr int kCoarseSlots = 5;  // five minutes
  static constexpr core::TimeNs kCoarseNs = core::kNsPerMinute;

  RecentWindows(core::TimeNs fine_ns, size_t num_buckets);

  // Adds to the window containing `t`. Data older than the slots can hold is ignored.
  void Add(core::TimeNs t, uint64_t count, uint64_t errors, double sum,
           std::span<const uint32_t> buckets);

  // Adds the windows within the `range_ns` before `now` (1 min from fine slots, longer from coarse
  // slots) into `out` (which must have num_buckets buckets).
  void Collect(core::TimeNs now, core::TimeNs range_ns, WindowStats* out) const;

  // Adds the fine window starting at `start` into `out` if the ring still holds it. False when it
  // holds no data for that window (nothing was added).
  bool Window(core::TimeNs start, WindowStats* out) const;

  size_t MemoryBytes() const { return sizeof(*this) + buckets_.capacity() * sizeof(uint32_t); }

 private:
  struct Slot {
    int32_t index = kUnused;  // window number counted from base_ns_ in its width; kUnused: empty
    uint32_t count = 0;
    uint32_t errors = 0;
    float sum = 0;
  };
  static constexpr int32_t kUnused = INT32_MIN;
  // The window number of `t` in windows of `width` from base_ns_, or kUnused when it is too far
  // from the base for 32 bits (over 600 years of 10 s windows).
  int32_t IndexOf(core::TimeNs t, core::TimeNs width) const;
  void AddTo(Slot* slot, uint32_t* slot_buckets, int32_t index, uint64_t count, uint64_t errors,
             double sum, std::span<const uint32_t> buckets);

  core::TimeNs base_ns_ = INT64_MIN;  // the first time added, floored to a minute
  core::TimeNs fine_ns_;
  uint32_t num_buckets_;
  std::array<Slot, kFineSlots + kCoarseSlots> slots_;
  std::vector<uint32_t> buckets_;  // (kFineSlots + kCoarseSlots) * num_buckets_
};

}  // namespace augur::detect
