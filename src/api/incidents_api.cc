#include "api/incidents_api.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_response.h"
#include "core/status_util.h"

namespace augur::api {
namespace {

using nlohmann::json;

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 10'000;

bool ParseUnsigned(std::string_view text, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

void IncidentsApi::Register(core::HttpServer* server) {
  using core::HttpRequest;
  using core::HttpResponse;
  server->Handle("GET", "/api/v1/incidents",
                 [this](const HttpRequest& q, HttpResponse* r) { List(q, r); });
  server->HandlePrefix("GET", "/api/v1/incidents/",
                       [this](const HttpRequest& q, HttpResponse* r) { One(q, r); });
}

void IncidentsApi::List(const core::HttpRequest& request, core::HttpResponse* response) {
  store::IncidentQuery query;
  for (auto [name, field] :
       {std::pair{"since", &query.since_ns}, std::pair{"until", &query.until_ns}}) {
    std::string value = request.QueryParam(name);
    if (value.empty()) continue;
    absl::StatusOr<core::TimeNs> t = ParseTimeParam(value);
    if (!t.ok()) {
      Error(400, "bad_data", fmt::format("{}: {}", name, core::MessageOf(t.status())), response);
      return;
    }
    *field = *t;
  }
  const std::string open = request.QueryParam("open");
  if (!open.empty() && open != "true" && open != "false") {
    Error(400, "bad_data", "open: expected true or false", response);
    return;
  }
  query.open_only = open == "true";
  query.limit = kDefaultLimit;
  if (std::string l = request.QueryParam("limit"); !l.empty()) {
    uint64_t limit = 0;
    if (!ParseUnsigned(l, &limit) || limit == 0) {
      Error(400, "bad_data", "limit: expected a positive integer", response);
      return;
    }
    query.limit = std::min<uint64_t>(limit, kMaxLimit);
  }
  json list = json::array();
  for (json& j : backend_->Incidents(query)) list.push_back(std::move(j));
  json data = TimeOf(backend_->Now());
  data["incidents"] = std::move(list);
  Success(std::move(data), response);
}

void IncidentsApi::One(const core::HttpRequest& request, core::HttpResponse* response) {
  constexpr std::string_view kPrefix = "/api/v1/incidents/";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  uint64_t id = 0;
  if (!ParseUnsigned(rest, &id)) {
    Error(404, "not_found", fmt::format("no such resource: {}", request.path), response);
    return;
  }
  std::optional<json> incident = backend_->Incident(id);
  if (!incident.has_value()) {
    Error(404, "not_found", fmt::format("incident {} not found", id), response);
    return;
  }
  json data = TimeOf(backend_->Now());
  data["incident"] = std::move(*incident);
  Success(std::move(data), response);
}

}  // namespace augur::api
