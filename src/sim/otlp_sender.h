// Sends one OTLP Export request to the receiver and says what the answer means for the data:
// accepted, worth retrying (overload, receiver restarting), rejected for good (bad data, unknown
// signal), or a failure that will hit every request (the client cannot work at all).
//
// Classification follows the OTLP specification: gRPC UNAVAILABLE, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS and CANCELLED, and HTTP 429, 502, 503 and
// 504 (with Retry-After) are retryable; other statuses are permanent.
//
// A sender is used by one thread at a time; the dispatcher gives each worker its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/time.h"
#include "sim/export_payload.h"
#include "sim/simulator.h"

namespace augur::sim {

struct ExportAttempt {
  enum class Outcome { kAccepted, kRetryable, kRejected, kFatal };

  Outcome outcome = Outcome::kAccepted;
  absl::Status status;              // why, when not accepted
  core::TimeNs retry_after_ns = 0;  // the receiver's hint (HTTP Retry-After), 0 if none
};

class OtlpSender {
 public:
  virtual ~OtlpSender() = default;
  // Sends `payload` once; blocks until answered or timed out.
  virtual ExportAttempt Export(const ExportPayload& payload) = 0;
  // Fails with Unavailable when no connection to the receiver can be made within `timeout_ns`.
  virtual absl::Status CheckReachable(core::TimeNs timeout_ns) = 0;
};

// Where to send: host and port from "host:port", "http://host:port[/path]" or "[v6]:port".
struct Endpoint {
  std::string host;
  uint16_t port = 0;

  std::string HostPort() const;  // "host:port", "[::1]:port"
};
absl::StatusOr<Endpoint> ParseEndpoint(const std::string& endpoint, uint16_t default_port);

// The OTLP/HTTP path of a signal: "/v1/traces", "/v1/metrics", "/v1/logs".
std::string_view OtlpHttpPath(Signal signal);
// An HTTP Retry-After header in delta-seconds (the form OTLP receivers send; HTTP dates give 0),
// at most 300 s.
core::TimeNs ParseRetryAfter(std::string_view value);

// `count` senders for `options` (protocol, endpoint, gzip); gRPC senders share one channel.
absl::StatusOr<std::vector<std::unique_ptr<OtlpSender>>> MakeSenders(
    const SimulatorOptions& options, int count);

// `count` gRPC senders over one channel (grpc_sender.cc).
std::vector<std::unique_ptr<OtlpSender>> MakeGrpcSenders(const Endpoint& endpoint, bool gzip,
                                                         int count);
// One HTTP sender with its own connection, protobuf or JSON bodies (http_sender.cc).
std::unique_ptr<OtlpSender> MakeHttpSender(const Endpoint& endpoint, bool json, bool gzip);

}  // namespace augur::sim
