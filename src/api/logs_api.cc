#include "api/logs_api.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/detection_api.h"
#include "api/json_response.h"

namespace augur::api {
namespace {

using nlohmann::json;

constexpr size_t kDefaultLimit = 1000;
constexpr size_t kMaxLimit = 100'000;

std::string TimeOrNull(core::TimeNs t) { return t == 0 ? std::string() : core::FormatRfc3339(t); }

}  // namespace

void LogsApi::Register(core::HttpServer* server) {
  using core::HttpRequest;
  using core::HttpResponse;
  server->Handle("GET", "/api/v1/logs/templates",
                 [this](const HttpRequest& q, HttpResponse* r) { Templates(q, r); });
  server->Handle("GET", "/api/v1/logs/anomalies",
                 [this](const HttpRequest& q, HttpResponse* r) { Anomalies(q, r); });
}

void LogsApi::Templates(const core::HttpRequest& request, core::HttpResponse* response) {
  const std::string service = request.QueryParam("service");
  size_t limit = kDefaultLimit;
  if (std::string l = request.QueryParam("limit"); !l.empty()) {
    auto [ptr, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || ptr != l.data() + l.size() || limit == 0) {
      Error(400, "bad_data", "limit: expected a positive integer", response);
      return;
    }
    limit = std::min(limit, kMaxLimit);
  }
  std::vector<detect::LogTemplateSummary> templates = backend_->LogTemplates(service);
  if (!service.empty() && templates.empty()) {
    Error(404, "not_found", fmt::format("no log templates for service '{}'", service), response);
    return;
  }
  std::sort(templates.begin(), templates.end(), [](const auto& a, const auto& b) {
    return std::tie(b.count, a.service, a.id) < std::tie(a.count, b.service, b.id);
  });
  if (templates.size() > limit) templates.resize(limit);
  json list = json::array();
  for (const detect::LogTemplateSummary& t : templates) {
    json severities = json::object();
    for (size_t s = 0; s < t.by_severity.size(); ++s) {
      if (t.by_severity[s] == 0) continue;
      severities[std::string(model::SeverityName(static_cast<model::Severity>(s)))] =
          t.by_severity[s];
    }
    const std::string first = TimeOrNull(t.first_seen_ns);
    const std::string last = TimeOrNull(t.last_seen_ns);
    list.push_back(json{
        {"service", t.service},
        {"id", t.id},
        {"template", t.text},
        {"count", t.count},
        {"first_seen", first.empty() ? json(nullptr) : json(first)},
        {"last_seen", last.empty() ? json(nullptr) : json(last)},
        {"severities", std::move(severities)},
        {"example", t.example},
        {"modelled", t.modelled},
    });
  }
  json data = TimeOf(backend_->Now());
  if (!service.empty()) data["service"] = service;
  data["templates"] = std::move(list);
  Success(std::move(data), response);
}

void LogsApi::Anomalies(const core::HttpRequest& request, core::HttpResponse* response) {
  detect::EventFilter filter;
  if (!ParseEventFilter(request, &filter, response)) return;
  filter.family = "logs";
  WriteEvents(backend_->Anomalies(filter), backend_->Now(), response);
}

}  // namespace augur::api
