#include "sim/otlp_sender.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include <fmt/printf.h>

#include "sim/text.h"

namespace augur::sim {

std::string Endpoint::HostPort() const {
  if (host.find(':') != std::string::npos) return Cat("[", host, "]:", port);
  return Cat(host, ":", port);
}

absl::StatusOr<Endpoint> ParseEndpoint(const std::string& endpoint, uint16_t default_port) {
  std::string_view rest = endpoint;
  if (rest.starts_with("https://")) {
    return absl::InvalidArgumentError(
        fmt::sprintf("endpoint: \"%s\": TLS is not supported, use http:// or host:port", endpoint));
  }
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    rest = rest.substr(0, slash);
  }
  Endpoint out;
  std::string_view port_text;
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          fmt::sprintf("endpoint: \"%s\": unterminated [IPv6] host", endpoint));
    }
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (rest.starts_with(":")) port_text = rest.substr(1);
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  } else {
    out.host = std::string(rest);
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(fmt::sprintf("endpoint: \"%s\": no host", endpoint));
  }
  out.port = default_port;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(
          fmt::sprintf("endpoint: \"%s\": invalid port \"%s\"", endpoint, port_text));
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

absl::StatusOr<std::vector<std::unique_ptr<OtlpSender>>> MakeSenders(
    const SimulatorOptions& options, int count) {
  const bool grpc = options.protocol == Protocol::kGrpc;
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(options.endpoint, grpc ? 4317 : 4318);
  if (!endpoint.ok()) return endpoint.status();
  if (grpc) return MakeGrpcSenders(*endpoint, options.gzip, count);
  std::vector<std::unique_ptr<OtlpSender>> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(MakeHttpSender(*endpoint, options.protocol == Protocol::kHttpJson, options.gzip));
  }
  return out;
}

std::string_view OtlpHttpPath(Signal signal) {
  switch (signal) {
    case Signal::kTraces:
      return "/v1/traces";
    case Signal::kMetrics:
      return "/v1/metrics";
    case Signal::kLogs:
      return "/v1/logs";
  }
  return "/v1/traces";
}

core::TimeNs ParseRetryAfter(std::string_view value) {
  unsigned seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr == value.data()) return 0;
  return static_cast<core::TimeNs>(std::min(seconds, 300u)) * core::kNsPerSecond;
}

}  // namespace augur::sim
