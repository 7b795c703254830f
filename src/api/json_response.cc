#include "api/json_response.h"

#include <charconv>

#include <fmt/format.h>

namespace augur::api {

using nlohmann::json;

void Success(json data, core::HttpResponse* response, int status) {
  response->status = status;
  response->content_type = "application/json";
  response->body = json{{"status", "success"}, {"data", std::move(data)}}.dump();
}

void Error(int status, std::string_view type, std::string_view message,
           core::HttpResponse* response) {
  response->status = status;
  response->content_type = "application/json";
  response->body = json{{"status", "error"}, {"errorType", type}, {"error", message}}.dump();
}

json TimeOf(core::TimeNs now) {
  return json{{"time", core::FormatRfc3339(now)}, {"time_unix_nano", now}};
}

absl::StatusOr<core::TimeNs> ParseTimeParam(std::string_view text) {
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    return static_cast<core::TimeNs>(seconds * core::kNsPerSecond);
  }
  absl::StatusOr<core::TimeNs> t = core::ParseRfc3339(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("invalid time '{}': use RFC 3339 or Unix seconds", text));
  }
  return t;
}

bool ParseJsonBody(const core::HttpRequest& request, json* out, core::HttpResponse* response) {
  *out = json::parse(*request.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    Error(400, "bad_data", "request body is not valid JSON", response);
    return false;
  }
  return true;
}

}  // namespace augur::api
