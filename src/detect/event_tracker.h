// Turns a series' stream of scores into anomaly events SREs can trust: an event opens when the
// score stays high (k of the last n points at or above the open threshold), and closes with
// hysteresis (m consecutive points below the lower close threshold, or a calm point long after the
// last high one: a sparse series, one point in minutes, must not hold an event open for an hour).
// Nothing opens while the model is learning.
//
// Not thread-safe; owned with its detector.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/time.h"

namespace augur::detect {

// Defaults fit the default detector (anomaly_likelihood), whose score already carries the
// evidence of several points and holds repeated alarms below its alarm level: one point at
// open_score opens an event; the held scores (0.98) keep it open while the anomaly lasts; five calm
// points close it. open_score = 1 - 1e-6 keeps normal traffic at 10 s resolution under one false
// event per 1,000 series per day (measured; see docs/detection.md).
struct EventRule {
  double open_score = 0.999999;  // a point is high at or above this
  int open_k = 1;                // open when open_k of the last open_n points are high
  int open_n = 1;
  double close_score = 0.9;  // a point is calm below this
  int close_m = 5;           // close after close_m consecutive calm points
  // ... or at a calm point this long after the last point at or above close_score (0 = never).
  core::TimeNs close_after_ns = 3 * core::kNsPerMinute;

  static constexpr int kMaxN = 32;
  absl::Status Validate() const;
};

class EventTracker {
 public:
  enum class Transition : uint8_t { kNone, kOpened, kClosed };

  explicit EventTracker(EventRule rule = {});

  Transition Update(core::TimeNs t, double score, bool learning);
  // A window without a value (too few requests to judge): it closes an open event once
  // close_after has passed since its last high point, and is otherwise ignored.
  Transition Gap(core::TimeNs t);

  bool open() const;
  core::TimeNs opened_ns() const;  // the first high point of the open (or last) event
  core::TimeNs peak_ns() const;
  core::TimeNs last_high_ns() const { return last_high_ns_; }  // of the open (or last) event
  double peak_score() const;

  void Save(std::string* out) const;
  absl::Status Restore(std::string_view* in);  // consumes its bytes from the front of *in

 private:
  // The last rule_.open_n points (a ring), for the k-of-n opening test.
  struct Recent {
    core::TimeNs t = 0;
    double score = 0;
    bool high = false;
  };
  void ClearRecent();
  // Whether close_after has passed at t since the last high point.
  bool QuietLongEnough(core::TimeNs t) const;
  Transition Close();

  EventRule rule_;
  std::array<Recent, EventRule::kMaxN> recent_{};
  int next_ = 0;                   // ring position of the next point
  int highs_ = 0;                  // high points in the ring
  int calm_run_ = 0;               // consecutive calm points while open
  core::TimeNs last_high_ns_ = 0;  // the last point at or above close_score while open
  bool open_ = false;
  core::TimeNs opened_ns_ = 0;
  core::TimeNs peak_ns_ = 0;
  double peak_score_ = 0;
};

}  // namespace augur::detect
