// The Loki push API on Augur's API server, so Promtail, Grafana Agent and Alloy send to Augur
// unchanged: POST /loki/api/v1/push with
//   Content-Type application/x-protobuf: a snappy-compressed (block format) logproto.PushRequest,
//   Content-Type application/json: {"streams": [{"stream": {...}, "values": [[ns, line], ...]}]},
// either optionally with Content-Encoding gzip or deflate. Answers as Loki does:
//   204 (no body) when every entry is enqueued,
//   400 with a one-line text message naming the problem (bad snappy, bad protobuf, invalid JSON, a
//       malformed label string, a timestamp that is not Unix nanoseconds),
//   413 over limits.max_request_bytes (compressed, decompressed) or max_items_per_request entries,
//   415 for another Content-Type or Content-Encoding,
//   503 with Retry-After when the pipeline is full or shutting down (nothing was taken).
// Decoding: loki_push_decoder.h. Publishing and self-telemetry: OtlpIngester, protocol "loki".
//
// Thread-safe: handlers run concurrently on the HTTP server's io threads.
#pragma once

#include "core/http_server.h"
#include "ingest/otlp_ingester.h"

namespace augur::ingest {

class LokiPushReceiver {
 public:
  static constexpr std::string_view kPath = "/loki/api/v1/push";

  // `ingester` must outlive the receiver and the server it is registered on.
  explicit LokiPushReceiver(OtlpIngester* ingester) : ingester_(ingester) {}

  void Register(core::HttpServer* server);
  void Handle(const core::HttpRequest& request, core::HttpResponse* response);

 private:
  OtlpIngester* ingester_;
};

}  // namespace augur::ingest
