// Replays recorded OTLP/JSON requests (one Export request per line, as RequestRecorder writes
// them, any signal, told apart by the top-level key) to an OTLP/HTTP receiver: each line is POSTed
// to /v1/traces, /v1/metrics or /v1/logs, as JSON as it is or re-encoded as protobuf.
//
// Pacing follows the data's own clock: a request's time is the latest span end, data point time or
// log (observed) time in it; request k is sent when the wall clock has advanced (latest time so
// far - first time) / speedup since the first was sent. Requests go out one at a time in file
// order (files in the order given), so they are never reordered, and a request whose time is not
// ahead of the clock goes at once. Answers 429, 502, 503 and 504 and transport failures are
// retried with exponential backoff (100 ms doubling to 5 s, at least the Retry-After); other
// answers reject the request for good. Bad lines (not JSON, no known signal) are reported with
// their file and line number and skipped.
//
// Runs on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/time.h"

namespace augur::sim {

struct ReplayOptions {
  std::string endpoint = "localhost:4318";  // host:port or http://host:port
  bool protobuf = false;  // http/protobuf: re-encode each line; else send its JSON unchanged
  double speedup = 1;     // recorded seconds per wall-clock second
  // Retryable answers are retried for this long, then the request counts as rejected.
  core::TimeNs max_retry_ns = 60 * core::kNsPerSecond;
  // Waits for pacing and backoff, and a monotonic clock in ns; the defaults sleep and read the
  // steady clock. Tests may fake both.
  std::function<void(core::TimeNs)> sleep;
  std::function<core::TimeNs()> now;
  // Gets one line per bad line or rejected request ("file:line: why").
  std::function<void(std::string_view)> report;
};

struct ReplayStats {
  uint64_t lines = 0;     // non-empty lines read
  uint64_t requests = 0;  // accepted
  uint64_t spans = 0;     // in accepted requests
  uint64_t metric_points = 0;
  uint64_t log_records = 0;
  uint64_t bad_lines = 0;  // skipped
  uint64_t rejected = 0;   // rejected for good, or retried too long
  uint64_t retries = 0;
  core::TimeNs paced_ns = 0;    // waited for pacing (not for backoff)
  std::string first_rejection;  // "file:line: why" of the first rejected request
};

// Fails when `options` are invalid or a file cannot be opened; everything else is counted.
absl::StatusOr<ReplayStats> ReplayFiles(const std::vector<std::string>& files,
                                        const ReplayOptions& options);

}  // namespace augur::sim
