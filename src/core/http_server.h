// An HTTP/1.1 server (Boost.Beast) that routes requests to handlers.
//
// Augur runs two of these: OTLP/HTTP on :4318 and everything else on :8080. Connections are kept
// alive; a request whose declared or received body exceeds `max_body_bytes` gets 413 without the
// body being buffered; "Expect: 100-continue" is honoured; malformed requests get 400; unknown
// paths 404; a known path with another method 405 (with Allow). Each error body is one line of
// text naming the problem.
//
// Threads: handlers run on the server's io threads, concurrently; they must not block for long
// (no disk, no waiting on a full queue). Handle*() must be called before Start(); Start(),
// StopAccepting() and Stop() from one controlling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/http.h"

namespace augur::core {

using HttpHandler = std::function<void(const HttpRequest& request, HttpResponse* response)>;

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 0;                 // 0 picks a free port (tests); see HttpServer::port()
  size_t max_body_bytes = 20 << 20;  // per request, before any decompression
  size_t max_header_bytes = 64 << 10;
  int threads = 2;                                  // io threads
  int max_connections = 4096;                       // further connections are closed at once
  std::chrono::milliseconds idle_timeout{120'000};  // keep-alive connection without a request
  std::chrono::milliseconds read_timeout{60'000};   // to receive one whole request
  // Called when the server itself refuses a request whose header it has read (413: the body is
  // over max_body_bytes), with that header (empty body) and the prepared response, so the owner
  // can count the refusal and shape the body; the status stays. Runs on an io thread.
  std::function<void(const HttpRequest& request, HttpResponse* response)> on_refused;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // Stop()s if running.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes requests whose path equals `path`. `method` "" accepts any method.
  void Handle(std::string method, std::string path, HttpHandler handler);
  // Routes requests whose path starts with `prefix` (e.g. "/api/v1/services/"); exact routes win,
  // then the longest prefix.
  void HandlePrefix(std::string method, std::string prefix, HttpHandler handler);

  // Binds and starts the io threads. Fails if the address cannot be bound.
  absl::Status Start();
  // The bound port (valid after Start()).
  uint16_t port() const;
  // Stops accepting new connections; requests in flight complete and get their responses.
  void StopAccepting();
  // Closes all connections and joins the io threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace augur::core
