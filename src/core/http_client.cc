#include "core/http_client.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace augur::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

constexpr uint32_t kMaxResponseHeaderBytes = 64 << 10;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IEquals(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(AbslView(a), AbslView(b));
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool MethodHasBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

struct HttpClient::Impl {
  // Outcome of one attempt; `retryable` when a kept-alive connection failed before any byte of
  // the response arrived, i.e. the peer most likely closed it while idle.
  struct Attempt {
    absl::StatusOr<HttpResponse> response;
    bool retryable = false;
  };

  Impl(std::string host_name, uint16_t port_number, HttpClientOptions client_options)
      : host(std::move(host_name)), port(port_number), options(client_options) {
    bool ipv6_literal = host.find(':') != std::string::npos;
    std::string bracketed = ipv6_literal ? absl::StrCat("[", host, "]") : host;
    endpoint_name = absl::StrCat(bracketed, ":", port);
    host_header = port == 80 ? bracketed : endpoint_name;
  }

  // Runs the io_context until the operations started before the call have completed.
  void RunPending() {
    io_context.restart();
    io_context.run();
  }

  void Disconnect() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->close();
    }
    stream.reset();
    buffer.clear();
    served_responses = 0;
  }

  absl::Status Connect() {
    Disconnect();
    tcp::resolver resolver(io_context);
    beast::error_code resolve_ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, std::to_string(port),
                           [&](beast::error_code ec, tcp::resolver::results_type results) {
                             resolve_ec = ec;
                             endpoints = std::move(results);
                           });
    io_context.restart();
    io_context.run_for(options.connect_timeout);
    if (!io_context.stopped()) {
      // getaddrinfo cannot be interrupted; this waits for it to return and discards the answer.
      resolver.cancel();
      RunPending();
      return absl::DeadlineExceededError(absl::StrCat("resolve ", host, ": timed out after ",
                                                      options.connect_timeout.count(), " ms"));
    }
    if (resolve_ec) {
      return absl::UnavailableError(absl::StrCat("resolve ", host, ": ", resolve_ec.message()));
    }

    stream.emplace(io_context);
    stream->expires_after(options.connect_timeout);
    beast::error_code connect_ec;
    stream->async_connect(endpoints,
                          [&](beast::error_code ec, const tcp::endpoint&) { connect_ec = ec; });
    RunPending();
    if (connect_ec) {
      stream.reset();
      if (connect_ec == beast::error::timeout) {
        return absl::DeadlineExceededError(absl::StrCat("connect to ", endpoint_name,
                                                        ": timed out after ",
                                                        options.connect_timeout.count(), " ms"));
      }
      return absl::UnavailableError(
          absl::StrCat("connect to ", endpoint_name, ": ", connect_ec.message()));
    }
    beast::error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);
    return absl::OkStatus();
  }

  std::string RequestHead(std::string_view method, std::string_view target,
                          const HttpHeaders& headers, std::string_view body) const {
    std::string head;
    head.reserve(256);
    absl::StrAppend(&head, AbslView(method), " ", AbslView(target.empty() ? "/" : target),
                    " HTTP/1.1\r\n");
    bool has_host = false;
    bool has_user_agent = false;
    for (const auto& [name, value] : headers) {
      // Framing is ours; a caller's line breaks must not split the request.
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
          IEquals(name, "Content-Length") || IEquals(name, "Transfer-Encoding")) {
        continue;
      }
      has_host |= IEquals(name, "Host");
      has_user_agent |= IEquals(name, "User-Agent");
      absl::StrAppend(&head, name, ": ", value, "\r\n");
    }
    if (!has_host) absl::StrAppend(&head, "Host: ", host_header, "\r\n");
    if (!has_user_agent) head += "User-Agent: augur\r\n";
    if (!body.empty() || MethodHasBody(method)) {
      absl::StrAppend(&head, "Content-Length: ", body.size(), "\r\n");
    }
    head += "\r\n";
    return head;
  }

  absl::Status TransportError(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return absl::DeadlineExceededError(absl::StrCat("request to ", endpoint_name,
                                                      ": timed out after ",
                                                      options.request_timeout.count(), " ms"));
    }
    if (ec == http::error::body_limit) {
      return absl::ResourceExhaustedError(absl::StrCat("response from ", endpoint_name, " exceeds ",
                                                       options.max_response_bytes, " bytes"));
    }
    return absl::UnavailableError(absl::StrCat("request to ", endpoint_name, ": ", ec.message()));
  }

  Attempt SendOnce(std::string_view method, std::string_view target, const HttpHeaders& headers,
                   std::string_view body) {
    bool reused = served_responses > 0;
    std::string head = RequestHead(method, target, headers, body);
    std::array<asio::const_buffer, 2> buffers = {asio::buffer(head),
                                                 asio::buffer(body.data(), body.size())};
    stream->expires_after(options.request_timeout);
    beast::error_code write_ec;
    asio::async_write(*stream, buffers, [&](beast::error_code ec, size_t) { write_ec = ec; });
    RunPending();
    if (write_ec) {
      Disconnect();
      return {TransportError(write_ec), reused && write_ec != beast::error::timeout};
    }

    // Interim 1xx responses (other than 101) precede the real one.
    for (;;) {
      http::response_parser<http::string_body> parser;
      parser.header_limit(kMaxResponseHeaderBytes);
      parser.body_limit(options.max_response_bytes);
      if (method == "HEAD") parser.skip(true);
      // The header first: Beast 1.74 loses the body_limit error for a declared length when it
      // parses header and body in one go, so the declared length is checked here.
      beast::error_code read_ec;
      http::async_read_header(*stream, buffer, parser,
                              [&](beast::error_code ec, size_t) { read_ec = ec; });
      RunPending();
      if (!read_ec && parser.content_length() &&
          *parser.content_length() > options.max_response_bytes) {
        read_ec = http::error::body_limit;
      }
      if (!read_ec && !parser.is_done()) {
        http::async_read(*stream, buffer, parser,
                         [&](beast::error_code ec, size_t) { read_ec = ec; });
        RunPending();
      }
      if (read_ec) {
        bool nothing_received = !parser.got_some();
        Disconnect();
        return {TransportError(read_ec),
                reused && nothing_received && read_ec != beast::error::timeout};
      }
      auto& message = parser.get();
      unsigned status = message.result_int();
      if (status >= 100 && status < 200 && status != 101) continue;

      HttpResponse response;
      response.status = static_cast<int>(status);
      response.content_type.clear();
      for (const auto& field : message) {
        std::string name(field.name_string().data(), field.name_string().size());
        std::string value(field.value().data(), field.value().size());
        if (IEquals(name, "Content-Type")) response.content_type = value;
        response.headers.emplace_back(std::move(name), std::move(value));
      }
      response.body = std::move(message.body());
      if (parser.keep_alive()) {
        ++served_responses;
      } else {
        Disconnect();
      }
      return {std::move(response), false};
    }
  }

  std::string host;
  uint16_t port;
  HttpClientOptions options;
  std::string endpoint_name;  // "host:port" for messages
  std::string host_header;
  asio::io_context io_context{1};
  std::optional<beast::tcp_stream> stream;  // connected when set
  beast::flat_buffer buffer;
  int served_responses = 0;  // on the current connection
};

HttpClient::HttpClient(std::string host, uint16_t port, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(host), port, options)) {}

HttpClient::~HttpClient() { impl_->Disconnect(); }

absl::StatusOr<HttpResponse> HttpClient::Send(std::string_view method, std::string_view target,
                                              const HttpHeaders& headers, std::string_view body) {
  if (HasLineBreak(method) || HasLineBreak(target) || method.find(' ') != std::string_view::npos ||
      target.find(' ') != std::string_view::npos) {
    return absl::InvalidArgumentError("http method and target must not contain spaces or breaks");
  }
  for (int attempt = 0;; ++attempt) {
    if (!impl_->stream) {
      absl::Status connected = impl_->Connect();
      if (!connected.ok()) return connected;
    }
    Impl::Attempt result = impl_->SendOnce(method, target, headers, body);
    if (!result.retryable || attempt > 0) return std::move(result.response);
  }
}

absl::StatusOr<ParsedUrl> ParseHttpUrl(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid url \"", AbslView(url), "\": ", AbslView(why)));
  };
  constexpr std::string_view kScheme = "http://";
  if (url.size() >= 8 && IEquals(url.substr(0, 8), "https://")) {
    return invalid("https is not supported");
  }
  if (url.size() < kScheme.size() || !IEquals(url.substr(0, kScheme.size()), kScheme)) {
    return invalid("expected http://host[:port][/path]");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }

  ParsedUrl parsed;
  std::string_view host = authority;
  std::string_view port;
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not supported");
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after IPv6 address");
      port = after.substr(1);
      if (port.empty()) return invalid("empty port");
    }
    for (char c : host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return invalid("bad IPv6 address");
      }
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return invalid("empty port");
    }
    for (char c : host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
        return invalid("bad host name");
      }
    }
  }
  if (host.empty()) return invalid("missing host");
  parsed.host = std::string(host);
  if (!port.empty()) {
    uint32_t number = 0;
    bool digits = std::all_of(port.begin(), port.end(), [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c));
    });
    if (!digits || port.size() > 5 || !absl::SimpleAtoi(AbslView(port), &number) || number == 0 ||
        number > 65535) {
      return invalid("bad port");
    }
    parsed.port = static_cast<uint16_t>(number);
  }
  if (target.empty()) {
    parsed.target = "/";
  } else if (target.front() == '?') {
    parsed.target = absl::StrCat("/", AbslView(target));
  } else {
    parsed.target = std::string(target);
  }
  for (char c : parsed.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return invalid("bad character in path");
  }
  return parsed;
}

}  // namespace augur::core
