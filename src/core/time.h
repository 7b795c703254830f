// Time in Augur: nanoseconds since the Unix epoch, as OTLP carries it. Event time (the timestamps
// in the data) drives windows and models; wall time is used only for I/O timeouts, retries and the
// flush cadence, and comes from a Clock so tests can inject it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace augur::core {

using TimeNs = int64_t;

inline constexpr TimeNs kNsPerMicrosecond = 1'000;
inline constexpr TimeNs kNsPerMillisecond = 1'000'000;
inline constexpr TimeNs kNsPerSecond = 1'000'000'000;
inline constexpr TimeNs kNsPerMinute = 60 * kNsPerSecond;

// Start of the window of width `step` that contains `t` (floor, also for negative t).
constexpr TimeNs FloorTo(TimeNs t, TimeNs step) {
  TimeNs r = t % step;
  return r < 0 ? t - r - step : t - r;
}

// A source of wall time. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeNs NowNs() const = 0;
  // The system clock.
  static const Clock& Real();
};

// RFC 3339 with milliseconds in UTC, e.g. "2026-11-21T10:00:00.123Z".
std::string FormatRfc3339(TimeNs t);
// Parses RFC 3339 ("2026-11-21T10:00:00Z", "...T10:00:00.5+01:00").
absl::StatusOr<TimeNs> ParseRfc3339(std::string_view text);

}  // namespace augur::core
