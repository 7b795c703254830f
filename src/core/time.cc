#include "core/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

namespace augur::core {
namespace {

class RealClock final : public Clock {
 public:
  TimeNs NowNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock& Clock::Real() {
  static const RealClock kClock;
  return kClock;
}

std::string FormatRfc3339(TimeNs t) {
  std::time_t seconds = static_cast<std::time_t>(FloorTo(t, kNsPerSecond) / kNsPerSecond);
  int millis = static_cast<int>((t - FloorTo(t, kNsPerSecond)) / kNsPerMillisecond);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

absl::StatusOr<TimeNs> ParseRfc3339(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        fmt::format("invalid time '{}' (use RFC 3339, e.g. 2026-11-21T10:00:00Z)", text));
  };
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return invalid();
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  TimeNs fraction = 0;
  size_t i = static_cast<size_t>(consumed);
  if (i < s.size() && s[i] == '.') {
    TimeNs scale = kNsPerSecond / 10;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) {
      fraction += (s[i] - '0') * scale;
    }
  }
  TimeNs offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int hours = 0, minutes = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &hours, &minutes) != 2) return invalid();
    offset = (s[i] == '+' ? 1 : -1) * (hours * 60 + minutes) * kNsPerMinute;
    i += 6;
  } else {
    return invalid();
  }
  if (i != s.size() || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return invalid();
  }
  return static_cast<TimeNs>(timegm(&tm)) * kNsPerSecond + fraction - offset;
}

}  // namespace augur::core
