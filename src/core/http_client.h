// A small synchronous HTTP/1.1 client (Boost.Beast) over one keep-alive connection.
//
// Used by the simulator, exporters and tests. Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/http.h"

namespace augur::core {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  size_t max_response_bytes = 64 << 20;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the response. Connects on first use; if a kept-alive connection
  // turns out closed by the peer, reconnects and retries once. Transport failures (refused,
  // timeout, reset) are returned as Unavailable / DeadlineExceeded; any HTTP status is a response.
  absl::StatusOr<HttpResponse> Send(std::string_view method, std::string_view target,
                                    const HttpHeaders& headers, std::string_view body);

  absl::StatusOr<HttpResponse> Get(std::string_view target) { return Send("GET", target, {}, ""); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "http://host:port/path?query" into its parts. Only plain http is supported.
struct ParsedUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};
absl::StatusOr<ParsedUrl> ParseHttpUrl(std::string_view url);

}  // namespace augur::core
