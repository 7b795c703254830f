// HTTP/1.1 request and response values shared by the server and the client.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace augur::core {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of header `name` (case-insensitive), or "" when absent.
std::string_view FindHeader(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received, e.g. "/api/v1/services?limit=5"
  std::string path;    // target up to '?', percent-decoded
  std::string query;   // target after '?', raw
  HttpHeaders headers;
  // Shared so that a decoder can keep the body alive inside a batch without copying it.
  std::shared_ptr<std::string> body = std::make_shared<std::string>();
  std::string remote_address;  // "ip:port" of the peer

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
  // The percent-decoded value of query parameter `name`; "" when absent.
  std::string QueryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  HttpHeaders headers;  // extra headers, e.g. {"Retry-After", "1"}
  std::string body;

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

// Decodes %XX escapes (and '+' as space when `plus_as_space`). Invalid escapes are kept verbatim.
std::string PercentDecode(std::string_view s, bool plus_as_space);

}  // namespace augur::core
