// The part of OTLP ingestion shared by the HTTP and gRPC receivers: decode a request, publish the
// batch whole to the bus, count everything in self-telemetry.
//
// Thread-safe; called concurrently from the receivers' threads. Never blocks on a full pipeline:
// it refuses (Unavailable) instead, so the client retries and nothing acknowledged is lost.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "bus/bus.h"
#include "core/self_metrics.h"
#include "ingest/otlp_decoder.h"

namespace augur::ingest {

enum class Signal { kTraces = 0, kMetrics = 1, kLogs = 2 };
enum class Encoding { kProtobuf, kJson };
enum class Protocol { kHttp = 0, kGrpc = 1, kLoki = 2 };  // kLoki: logs only
// How an Export request ended, for augur_ingest_requests_total{outcome}.
enum class Outcome { kOk, kPartial, kInvalid, kRefused, kTooLarge, kUnsupported };
inline constexpr int kOutcomeCount = 6;

std::string_view SignalName(Signal signal);      // "traces", "metrics", "logs"
std::string_view SignalItemName(Signal signal);  // "spans", "data points", "log records"

struct OtlpReceiverConfig {
  DecodeLimits limits;
  size_t max_request_bytes = 20 << 20;  // body size, also after decompression (OTLP default)
  int retry_after_s = 1;                // suggested to clients when the pipeline is full

  absl::Status Validate() const;
};

struct IngestOutcome {
  // OK (possibly with rejected items), InvalidArgument (undecodable: nothing accepted), or
  // Unavailable (pipeline full or shutting down: nothing accepted, retry).
  absl::Status status;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::string error_message;  // why items were rejected
};

class OtlpIngester {
 public:
  OtlpIngester(OtlpReceiverConfig config, bus::Bus* bus, core::SelfMetrics* metrics);

  // `bytes` is the (decompressed) body; `owner` keeps it alive and is retained by the batch.
  IngestOutcome Ingest(Signal signal, Encoding encoding, std::string_view bytes,
                       std::shared_ptr<const void> owner, Protocol protocol);

  // Log records in another wire format (the Loki push API): decoded by `decode`, then published
  // and counted like OTLP logs.
  using LogDecoder = absl::Status (*)(std::string_view bytes, const DecodeLimits& limits,
                                      model::LogBatch* batch, DecodeResult* result);
  IngestOutcome IngestLogs(LogDecoder decode, std::string_view bytes,
                           std::shared_ptr<const void> owner, Protocol protocol);

  // Counts a request turned away before decoding (too large, unsupported encoding).
  void CountRequest(Protocol protocol, Signal signal, Outcome outcome);

  const OtlpReceiverConfig& config() const { return config_; }

 private:
  struct SignalCounters {
    core::Counter* received;  // items decoded from requests
    core::Counter* accepted;  // items enqueued
    core::Counter* rejected;  // items invalid (bad data)
    core::Counter* refused;   // items not taken because the pipeline was full
  };
  template <typename Batch, typename Decode>
  IngestOutcome Run(Signal signal, Decode decode, std::string_view bytes,
                    std::shared_ptr<const void> owner, Protocol protocol);

  OtlpReceiverConfig config_;
  bus::Bus* bus_;
  core::SelfMetrics* metrics_;
  std::array<SignalCounters, 3> counters_;
  // [protocol][signal][outcome]; Loki has logs only (the others stay null).
  std::array<std::array<std::array<core::Counter*, kOutcomeCount>, 3>, 3> requests_{};
  core::Counter* truncated_attributes_;
  core::Counter* truncated_values_;
};

}  // namespace augur::ingest
