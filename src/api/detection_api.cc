#include "api/detection_api.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_response.h"
#include "core/config_node.h"
#include "core/status_util.h"

namespace augur::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxSeries = 10000;

json Labels(const detect::SeriesRef& ref) {
  json labels = json::object();
  for (const auto& [k, v] : ref.labels) labels[k] = v;
  return labels;
}

}  // namespace

json AnomalyEventJson(const detect::AnomalyEvent& e, core::TimeNs now) {
  json contributions = json::array();
  for (const detect::Contribution& c : e.contributions) {
    contributions.push_back(json{{"signal", c.signal}, {"share", Number(c.share)}});
  }
  const core::TimeNs end = e.open ? now : e.end_ns;
  json out{
      {"id", std::to_string(e.id)},
      {"service", e.service},
      {"source", e.series.family},
      {"labels", Labels(e.series)},
      {"signal", e.series.signal},
      {"open", e.open},
      {"muted", e.muted},
      {"dismissed", e.dismissed},
      {"start", core::FormatRfc3339(e.start_ns)},
      {"end", e.open ? json(nullptr) : json(core::FormatRfc3339(e.end_ns))},
      {"duration_seconds",
       static_cast<double>(std::max<core::TimeNs>(0, end - e.start_ns)) / core::kNsPerSecond},
      {"peak", core::FormatRfc3339(e.peak_ns)},
      {"score", Number(e.peak_score)},
      {"observed", Number(e.observed)},
      {"expected", Number(e.expected)},
      {"lower", Number(e.lower)},
      {"upper", Number(e.upper)},
      {"seasonality", detect::SeasonalityName(e.seasonality)},
      {"contributions", std::move(contributions)},
      {"explanation", detect::ExplainEvent(e, now)},
  };
  if (e.series.family == "logs") {
    out["template"] = e.log_template.empty() ? json(nullptr) : json(e.log_template);
    out["examples"] = e.examples;
  }
  return out;
}

namespace {

json MuteJson(const detect::Mute& m) {
  return json{{"id", std::to_string(m.id)},
              {"match", m.selector.text()},
              {"until", m.until_ns == 0 ? json(nullptr) : json(core::FormatRfc3339(m.until_ns))},
              {"comment", m.comment}};
}

bool ParseId(std::string_view text, uint64_t* id) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *id);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

void DetectionApi::Register(core::HttpServer* server) {
  using core::HttpRequest;
  using core::HttpResponse;
  server->Handle("GET", "/api/v1/anomalies",
                 [this](const HttpRequest& q, HttpResponse* r) { Anomalies(q, r); });
  server->HandlePrefix("POST", "/api/v1/anomalies/",
                       [this](const HttpRequest& q, HttpResponse* r) { AnomalySubresource(q, r); });
  server->Handle("GET", "/api/v1/series",
                 [this](const HttpRequest& q, HttpResponse* r) { Series(q, r); });
  server->Handle("GET", "/api/v1/mutes",
                 [this](const HttpRequest& q, HttpResponse* r) { ListMutes(q, r); });
  server->Handle("POST", "/api/v1/mutes",
                 [this](const HttpRequest& q, HttpResponse* r) { AddMute(q, r); });
  server->HandlePrefix("DELETE", "/api/v1/mutes/",
                       [this](const HttpRequest& q, HttpResponse* r) { RemoveMute(q, r); });
  server->Handle("GET", "/api/v1/sensitivity",
                 [this](const HttpRequest& q, HttpResponse* r) { GetSensitivity(q, r); });
  server->Handle("PUT", "/api/v1/sensitivity",
                 [this](const HttpRequest& q, HttpResponse* r) { PutSensitivity(q, r); });
}

bool ParseEventFilter(const core::HttpRequest& request, detect::EventFilter* out,
                      core::HttpResponse* response) {
  detect::EventFilter& filter = *out;
  filter.service = request.QueryParam("service");
  for (auto [name, field] :
       {std::pair{"since", &filter.since_ns}, std::pair{"until", &filter.until_ns}}) {
    std::string value = request.QueryParam(name);
    if (value.empty()) continue;
    absl::StatusOr<core::TimeNs> t = ParseTimeParam(value);
    if (!t.ok()) {
      Error(400, "bad_data", fmt::format("{}: {}", name, core::MessageOf(t.status())), response);
      return false;
    }
    *field = *t;
  }
  std::string open = request.QueryParam("open");
  if (!open.empty() && open != "true" && open != "false") {
    Error(400, "bad_data", "open: expected true or false", response);
    return false;
  }
  filter.open_only = open == "true";
  return true;
}

void WriteEvents(std::vector<detect::AnomalyEvent> events, core::TimeNs now,
                 core::HttpResponse* response) {
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return std::tie(b.open, b.start_ns, b.id) < std::tie(a.open, a.start_ns, a.id);
  });
  json list = json::array();
  for (const detect::AnomalyEvent& e : events) list.push_back(AnomalyEventJson(e, now));
  json data = TimeOf(now);
  data["anomalies"] = std::move(list);
  Success(std::move(data), response);
}

void DetectionApi::Anomalies(const core::HttpRequest& request, core::HttpResponse* response) {
  detect::EventFilter filter;
  if (!ParseEventFilter(request, &filter, response)) return;
  core::TimeNs now = backend_->Now();
  WriteEvents(backend_->Anomalies(filter), now, response);
}

void DetectionApi::AnomalySubresource(const core::HttpRequest& request,
                                      core::HttpResponse* response) {
  // /api/v1/anomalies/{id}/feedback
  constexpr std::string_view kPrefix = "/api/v1/anomalies/";
  constexpr std::string_view kFeedback = "/feedback";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  uint64_t id = 0;
  if (!rest.ends_with(kFeedback) || !ParseId(rest.substr(0, rest.size() - kFeedback.size()), &id)) {
    Error(404, "not_found", fmt::format("no such resource: {}", request.path), response);
    return;
  }
  json body;
  if (!ParseJsonBody(request, &body, response)) return;
  if (!body.is_object() || body.value("label", "") != "not_anomaly") {
    Error(400, "bad_data", R"(expected {"label": "not_anomaly"})", response);
    return;
  }
  if (!backend_->Feedback(id)) {
    Error(404, "not_found", fmt::format("anomaly {} not found", id), response);
    return;
  }
  Success(json{{"id", std::to_string(id)}, {"label", "not_anomaly"}}, response);
}

void DetectionApi::Series(const core::HttpRequest& request, core::HttpResponse* response) {
  absl::StatusOr<core::LabelSelector> selector =
      core::LabelSelector::Parse(request.QueryParam("match"));
  if (!selector.ok()) {
    Error(400, "bad_data", core::MessageOf(selector.status()), response);
    return;
  }
  size_t limit = 100;
  if (std::string l = request.QueryParam("limit"); !l.empty()) {
    auto [ptr, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || ptr != l.data() + l.size() || limit == 0) {
      Error(400, "bad_data", "limit: expected a positive integer", response);
      return;
    }
    limit = std::min(limit, kMaxSeries);
  }
  std::vector<detect::SeriesSnapshot> series = backend_->Series(*selector, limit);
  std::sort(series.begin(), series.end(),
            [](const auto& a, const auto& b) { return a.ref.Key() < b.ref.Key(); });
  json list = json::array();
  for (const detect::SeriesSnapshot& s : series) {
    json points = json::array();
    for (const detect::HistoryPoint& p : s.history) {
      points.push_back(json{{"time", core::FormatRfc3339(p.t)},
                            {"value", Number(p.value)},
                            {"expected", Number(p.expected)},
                            {"lower", Number(p.lower)},
                            {"upper", Number(p.upper)},
                            {"score", Number(p.score)}});
    }
    list.push_back(json{{"source", s.ref.family},
                        {"labels", Labels(s.ref)},
                        {"signal", s.ref.signal},
                        {"service", s.service},
                        {"detector", s.detector},
                        {"learning", s.learning},
                        {"seasonality", detect::SeasonalityName(s.last.seasonality)},
                        {"points", std::move(points)}});
  }
  json data = TimeOf(backend_->Now());
  data["series"] = std::move(list);
  Success(std::move(data), response);
}

void DetectionApi::ListMutes(const core::HttpRequest&, core::HttpResponse* response) {
  json list = json::array();
  for (const detect::Mute& m : backend_->Mutes()) list.push_back(MuteJson(m));
  Success(json{{"mutes", std::move(list)}}, response);
}

void DetectionApi::AddMute(const core::HttpRequest& request, core::HttpResponse* response) {
  json body;
  if (!ParseJsonBody(request, &body, response)) return;
  if (!body.is_object() || !body.contains("match") || !body["match"].is_string()) {
    Error(400, "bad_data", R"(expected {"match": "<selector>", "duration": "1h"})", response);
    return;
  }
  absl::StatusOr<core::LabelSelector> selector =
      core::LabelSelector::Parse(body["match"].get<std::string>());
  if (!selector.ok()) {
    Error(400, "bad_data", core::MessageOf(selector.status()), response);
    return;
  }
  if (selector->empty()) {
    Error(400, "bad_data", "match: a mute must select something (an empty selector mutes all)",
          response);
    return;
  }
  core::TimeNs until = 0;
  if (body.contains("duration")) {
    absl::StatusOr<core::TimeNs> d = core::ParseDuration(
        body["duration"].is_string() ? body["duration"].get<std::string>() : "");
    if (!d.ok() || *d <= 0) {
      Error(400, "bad_data", "duration: expected a positive duration such as 30m or 2h", response);
      return;
    }
    until = core::Clock::Real().NowNs() + *d;
  } else if (body.contains("until")) {
    absl::StatusOr<core::TimeNs> t =
        ParseTimeParam(body["until"].is_string() ? body["until"].get<std::string>() : "");
    if (!t.ok()) {
      Error(400, "bad_data", fmt::format("until: {}", core::MessageOf(t.status())), response);
      return;
    }
    until = *t;
  } else {
    Error(400, "bad_data", "a mute expires: give a duration (e.g. \"1h\") or an until time",
          response);
    return;
  }
  detect::Mute m =
      backend_->AddMute(std::move(*selector), until, body.value("comment", std::string()));
  Success(MuteJson(m), response, 201);
}

void DetectionApi::RemoveMute(const core::HttpRequest& request, core::HttpResponse* response) {
  uint64_t id = 0;
  std::string_view rest =
      std::string_view(request.path).substr(std::string_view("/api/v1/mutes/").size());
  if (!ParseId(rest, &id) || !backend_->RemoveMute(id)) {
    Error(404, "not_found", fmt::format("mute '{}' not found", rest), response);
    return;
  }
  Success(json{{"id", std::to_string(id)}}, response);
}

void DetectionApi::GetSensitivity(const core::HttpRequest&, core::HttpResponse* response) {
  json list = json::array();
  for (const detect::SensitivityRule& r : backend_->SensitivityRules()) {
    list.push_back(json{{"match", r.selector.text()}, {"sensitivity", r.sensitivity}});
  }
  Success(json{{"rules", std::move(list)}}, response);
}

void DetectionApi::PutSensitivity(const core::HttpRequest& request, core::HttpResponse* response) {
  json body;
  if (!ParseJsonBody(request, &body, response)) return;
  const json* rules = body.is_array()
                          ? &body
                          : (body.is_object() && body.contains("rules") ? &body["rules"] : nullptr);
  if (rules == nullptr || !rules->is_array()) {
    Error(400, "bad_data", R"(expected {"rules": [{"match": "<selector>", "sensitivity": 2}]})",
          response);
    return;
  }
  std::vector<detect::SensitivityRule> parsed;
  for (size_t i = 0; i < rules->size(); ++i) {
    const json& r = (*rules)[i];
    if (!r.is_object() || !r.contains("match") || !r["match"].is_string() ||
        !r.contains("sensitivity") || !r["sensitivity"].is_number()) {
      Error(400, "bad_data", fmt::format("rules[{}]: expected match and sensitivity", i), response);
      return;
    }
    absl::StatusOr<core::LabelSelector> selector =
        core::LabelSelector::Parse(r["match"].get<std::string>());
    if (!selector.ok()) {
      Error(400, "bad_data", fmt::format("rules[{}]: {}", i, core::MessageOf(selector.status())),
            response);
      return;
    }
    double sensitivity = r["sensitivity"].get<double>();
    if (!(sensitivity > 0 && sensitivity <= 100)) {
      Error(400, "bad_data", fmt::format("rules[{}]: sensitivity must be in (0, 100]", i),
            response);
      return;
    }
    parsed.push_back(detect::SensitivityRule{std::move(*selector), sensitivity});
  }
  backend_->SetSensitivityRules(std::move(parsed));
  GetSensitivity(request, response);
}

}  // namespace augur::api
