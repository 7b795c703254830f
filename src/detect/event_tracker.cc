#include "detect/event_tracker.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/binary_io.h"

namespace augur::detect {
namespace {
constexpr uint8_t kStateVersion = 2;  // 1: without last_high_ns
}  // namespace

absl::Status EventRule::Validate() const {
  if (!(open_score > 0 && open_score <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("open_score must be in (0, 1], got ", open_score));
  }
  if (!(close_score >= 0 && close_score <= open_score)) {
    return absl::InvalidArgumentError(
        absl::StrCat("close_score must be in [0, open_score], got ", close_score));
  }
  if (open_n < 1 || open_n > kMaxN) {
    return absl::InvalidArgumentError(
        absl::StrCat("open_n must be in [1, ", kMaxN, "], got ", open_n));
  }
  if (open_k < 1 || open_k > open_n) {
    return absl::InvalidArgumentError(absl::StrCat("open_k must be in [1, open_n], got ", open_k));
  }
  if (close_m < 1) {
    return absl::InvalidArgumentError(absl::StrCat("close_m must be at least 1, got ", close_m));
  }
  if (close_after_ns < 0) {
    return absl::InvalidArgumentError("close_after must not be negative");
  }
  return absl::OkStatus();
}

EventTracker::EventTracker(EventRule rule) : rule_(rule) {
  // An invalid rule is a programmer error (configuration is validated at start-up); keep the
  // ring indexing safe regardless.
  if (rule_.open_n < 1 || rule_.open_n > EventRule::kMaxN) rule_.open_n = EventRule::kMaxN;
  if (rule_.open_k < 1) rule_.open_k = 1;
  if (rule_.close_m < 1) rule_.close_m = 1;
}

void EventTracker::ClearRecent() {
  recent_.fill(Recent{});
  next_ = 0;
  highs_ = 0;
}

EventTracker::Transition EventTracker::Update(core::TimeNs t, double score, bool learning) {
  bool high = !learning && score >= rule_.open_score;
  if (open_) {
    if (score > peak_score_) {
      peak_score_ = score;
      peak_ns_ = t;
    }
    const bool calm = learning || score < rule_.close_score;
    calm_run_ = calm ? calm_run_ + 1 : 0;
    if (!calm) last_high_ns_ = t;
    if (calm_run_ >= rule_.close_m || (calm && QuietLongEnough(t))) return Close();
    return Transition::kNone;
  }
  Recent& slot = recent_[next_];
  highs_ += static_cast<int>(high) - static_cast<int>(slot.high);
  slot = Recent{t, score, high};
  next_ = (next_ + 1) % rule_.open_n;
  if (highs_ < rule_.open_k) return Transition::kNone;
  // Open: the event starts at the oldest high point of the window and peaks at its highest.
  open_ = true;
  calm_run_ = 0;
  last_high_ns_ = t;
  opened_ns_ = t;
  peak_score_ = -1;
  for (int i = 0; i < rule_.open_n; ++i) {
    const Recent& r = recent_[(next_ + i) % rule_.open_n];  // oldest first
    if (!r.high) continue;
    if (r.t < opened_ns_) opened_ns_ = r.t;
    if (r.score > peak_score_) {
      peak_score_ = r.score;
      peak_ns_ = r.t;
    }
  }
  ClearRecent();
  return Transition::kOpened;
}

EventTracker::Transition EventTracker::Gap(core::TimeNs t) {
  return open_ && QuietLongEnough(t) ? Close() : Transition::kNone;
}

bool EventTracker::QuietLongEnough(core::TimeNs t) const {
  return rule_.close_after_ns > 0 && t - last_high_ns_ >= rule_.close_after_ns;
}

EventTracker::Transition EventTracker::Close() {
  open_ = false;
  calm_run_ = 0;
  ClearRecent();
  return Transition::kClosed;
}

bool EventTracker::open() const { return open_; }
core::TimeNs EventTracker::opened_ns() const { return opened_ns_; }
core::TimeNs EventTracker::peak_ns() const { return peak_ns_; }
double EventTracker::peak_score() const { return peak_score_; }

void EventTracker::Save(std::string* out) const {
  core::BinaryWriter w(out);
  w.Put<uint8_t>(kStateVersion);
  w.Put<int32_t>(rule_.open_n);
  w.Put<int32_t>(next_);
  w.Put<int32_t>(calm_run_);
  w.Put<uint8_t>(open_);
  w.Put(opened_ns_);
  w.Put(peak_ns_);
  w.Put(peak_score_);
  w.Put(last_high_ns_);
  for (int i = 0; i < rule_.open_n; ++i) {
    w.Put(recent_[i].t);
    w.Put(recent_[i].score);
    w.Put<uint8_t>(recent_[i].high);
  }
}

absl::Status EventTracker::Restore(std::string_view* in) {
  core::BinaryReader r(*in);
  uint8_t version = 0, open = 0;
  int32_t n = 0, next = 0, calm_run = 0;
  core::TimeNs opened_ns = 0, peak_ns = 0, last_high_ns = 0;
  double peak_score = 0;
  if (!r.Get(&version)) return absl::InvalidArgumentError("event tracker: truncated state");
  if (version != kStateVersion && version != 1) {
    return absl::InvalidArgumentError("event tracker: unknown state version");
  }
  r.Get(&n);
  r.Get(&next);
  r.Get(&calm_run);
  r.Get(&open);
  r.Get(&opened_ns);
  r.Get(&peak_ns);
  r.Get(&peak_score);
  if (version >= 2) {
    r.Get(&last_high_ns);
  } else {
    last_high_ns = peak_ns;
  }
  if (!r.ok()) return absl::InvalidArgumentError("event tracker: truncated state");
  if (n < 1 || n > EventRule::kMaxN || next < 0 || next >= n || calm_run < 0 || open > 1) {
    return absl::InvalidArgumentError("event tracker: corrupt state");
  }
  std::array<Recent, EventRule::kMaxN> recent{};
  int highs = 0;
  for (int i = 0; i < n; ++i) {
    uint8_t high = 0;
    r.Get(&recent[i].t);
    r.Get(&recent[i].score);
    r.Get(&high);
    if (high > 1) return absl::InvalidArgumentError("event tracker: corrupt state");
    recent[i].high = high;
    highs += high;
  }
  if (!r.ok()) return absl::InvalidArgumentError("event tracker: truncated state");
  // A rule changed between save and restore: keep the event state, restart the window.
  if (n != rule_.open_n) {
    recent.fill(Recent{});
    next = 0;
    highs = 0;
  }
  recent_ = recent;
  next_ = next;
  highs_ = highs;
  calm_run_ = calm_run;
  open_ = open;
  opened_ns_ = opened_ns;
  peak_ns_ = peak_ns;
  peak_score_ = peak_score;
  last_high_ns_ = last_high_ns;
  *in = r.rest();
  return absl::OkStatus();
}

}  // namespace augur::detect
