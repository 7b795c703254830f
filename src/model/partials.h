// Partial aggregates: what stage 1 (derive, keyed by trace) hands to stage 2 (series, keyed by
// service). A partial covers one series in one event-time window and holds counts, sums and
// histogram bucket counts, so merging partials is addition and does not depend on the order or on
// how spans were spread over stage-1 shards.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "model/log_record.h"
#include "model/span.h"

namespace augur::model {

// Latency histograms use one configured list of upper bounds; partials and series store only the
// counts (bounds.size() + 1 of them, the last for +Inf). A partial covers one series in one window
// for one flush interval, so 32-bit counts suffice; cumulative series count in 64 bits.
inline constexpr size_t kMaxLatencyBounds = 31;
using BucketCounts = std::array<uint32_t, kMaxLatencyBounds + 1>;

// The spanmetrics connector's default buckets, in milliseconds.
inline const std::vector<double> kDefaultLatencyBoundsMs = {
    2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000};

// Index of the bucket that counts `value`: the first bound >= value, or bounds.size() for +Inf.
inline size_t BucketIndex(const std::vector<double>& bounds, double value) {
  size_t i = 0;
  while (i < bounds.size() && value > bounds[i]) ++i;
  return i;
}

// Window start used for data that arrived later than the allowed lateness: it still counts in
// cumulative totals but in no window.
inline constexpr core::TimeNs kLateWindow = INT64_MIN;

// RED (rate, errors, duration) of one span-metrics series in one window.
struct RedPartial {
  std::string service;
  std::string span_name;
  SpanKind kind = SpanKind::kUnspecified;
  StatusCode status = StatusCode::kUnset;
  core::TimeNs window_start = 0;  // or kLateWindow
  uint64_t count = 0;
  double sum_ms = 0;
  BucketCounts buckets{};  // by duration in milliseconds
};

// One edge of the service graph in one window: requests from `client` to `server`.
struct EdgePartial {
  std::string client;
  std::string server;
  std::string connection_type;    // "", "database", "messaging_system", "virtual_node"
  core::TimeNs window_start = 0;  // or kLateWindow
  uint64_t count = 0;
  uint64_t failed = 0;
  // Latency as the client saw it (client span) and as the server did (server span), in seconds.
  // For virtual nodes only the client side is known; server_count stays 0.
  uint64_t client_count = 0;
  double client_sum_s = 0;
  BucketCounts client_buckets{};
  uint64_t server_count = 0;
  double server_sum_s = 0;
  BucketCounts server_buckets{};
};

// Spans that could not be paired into an edge, or were dropped from the pairing store.
struct UnpairedPartial {
  std::string client;  // set for a client-side span
  std::string server;  // set for a server-side span
  std::string connection_type;
  uint64_t unpaired = 0;  // expired without their counterpart
  uint64_t dropped = 0;   // evicted because the store was full
};

// Evidence from whole traces about one node (a service, or a peer its callers name) in one
// window: the requests it served and the time it spent on them itself (its spans' durations less
// the remote calls they made; for a peer, the calls' durations), the errors that originated in it
// (an erroring span none of whose children erred; a failed call whose callee answered fine or never
// answered counts for the callee), and the time its inbound calls spent on the wire (the caller's
// span less the callee's).
struct TracePartial {
  std::string service;
  core::TimeNs window_start = 0;
  uint64_t requests = 0;
  double own_sum_ms = 0;
  BucketCounts own_buckets{};  // per request, by own time in milliseconds
  uint64_t error_origins = 0;
  uint64_t wire_calls = 0;
  double wire_sum_ms = 0;
  BucketCounts wire_buckets{};  // per inbound call, by wire time in milliseconds
};

// The template id of lines that got none: their service is beyond the derive shard's bound of
// mined services, or its miner is full (derive::LogTemplateMiner::kOverflowTemplate).
inline constexpr uint32_t kOverflowTemplateId = UINT32_MAX - 1;

// Log records of one template of one service at one severity in one window, with what stage 2
// needs to show and explain the template: its text as it stands at the flush, one example line
// (bounded), and when the template and its service were first seen. Counts add up; the other
// fields are the same in every partial of a flush, or newer in a later one.
struct LogPartial {
  std::string service;
  uint32_t template_id = kOverflowTemplateId;
  Severity severity = Severity::kUnspecified;
  core::TimeNs window_start = 0;  // or kLateWindow
  uint64_t count = 0;
  std::string template_text;
  std::string example;
  // Event time of the template's first line and its severity then; of the service's first line.
  core::TimeNs template_first_seen_ns = 0;
  Severity template_first_severity = Severity::kUnspecified;
  core::TimeNs service_first_seen_ns = 0;
};

// One flush of a stage-1 shard for one stage-2 shard. `watermark` promises that this stage-1 shard
// has sent everything it has for event times up to it (minus the allowed lateness).
struct PartialBatch {
  int source_shard = 0;
  core::TimeNs watermark = 0;
  std::vector<RedPartial> red;
  std::vector<EdgePartial> edges;
  std::vector<UnpairedPartial> unpaired;
  std::vector<LogPartial> logs;
  std::vector<TracePartial> traces;

  size_t Size() const {
    return red.size() + edges.size() + unpaired.size() + logs.size() + traces.size();
  }
};

}  // namespace augur::model
