// OTLP/HTTP: POST /v1/traces, /v1/metrics, /v1/logs with application/x-protobuf or
// application/json bodies, optionally Content-Encoding gzip or deflate, answered as the OTLP
// specification says:
//   200 with Export*ServiceResponse (partial_success set when items were rejected),
//   400 with a google.rpc.Status naming the problem for undecodable requests,
//   413 over limits.max_request_bytes (compressed or decompressed),
//   415 for an unsupported Content-Type or Content-Encoding,
//   503 with Retry-After when the pipeline is full or shutting down.
// Error and success bodies use the request's encoding (protobuf or JSON).
//
// Thread-safe: handlers run concurrently on the HTTP server's io threads.
#pragma once

#include "core/http_server.h"
#include "ingest/otlp_ingester.h"

namespace augur::ingest {

class OtlpHttpReceiver {
 public:
  // `ingester` must outlive the receiver and the server it is registered on.
  explicit OtlpHttpReceiver(OtlpIngester* ingester) : ingester_(ingester) {}

  // Adds the /v1/* routes to `server` (before it starts).
  void Register(core::HttpServer* server);

  // Handles one request for `signal`. Public for tests.
  void Handle(Signal signal, const core::HttpRequest& request, core::HttpResponse* response);

  // For HttpServerOptions::on_refused: counts a request the server refused as too large and
  // turns the answer into the google.rpc.Status body OTLP asks for.
  void OnRefused(const core::HttpRequest& request, core::HttpResponse* response);

 private:
  OtlpIngester* ingester_;
};

}  // namespace augur::ingest
