// A Backend with canned answers, for the API handlers' tests.
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/backend.h"

namespace augur::api {

class FakeBackend : public Backend {
 public:
  core::TimeNs Now() override { return 1'700'000'000'000'000'000; }
  std::vector<detect::ServiceSummary> Services(core::TimeNs) override {
    detect::ServiceSummary s;
    s.name = "cart";
    s.requests_total = 10;
    s.errors_total = 2;
    s.last_1m.count = 6;
    s.last_1m.rate_per_s = 0.1;
    s.last_1m.p95_ms = std::nan("");
    return {s};
  }
  std::optional<std::vector<detect::OperationSummary>> Operations(std::string_view service,
                                                                  core::TimeNs) override {
    if (service != "cart/v2") return std::nullopt;
    detect::OperationSummary op;
    op.span_name = "GET /cart";
    op.kind = model::SpanKind::kServer;
    op.calls_total = 10;
    return std::vector<detect::OperationSummary>{op};
  }
  std::vector<detect::EdgeSummary> Edges(core::TimeNs) override {
    detect::EdgeSummary e;
    e.client = "cart";
    e.server = "redis";
    e.connection_type = "database";
    e.requests_total = 4;
    return {e};
  }
  void WriteMetrics(core::Exposition* out) override {
    out->GetFamily("augur_test", core::MetricKind::kCounter, "A test counter.").Counter({}, 3);
  }
  bool Ready() override { return ready; }
  bool ready = true;

  std::vector<detect::AnomalyEvent> Anomalies(const detect::EventFilter& filter) override {
    last_filter = filter;
    return events;
  }
  std::vector<detect::SeriesSnapshot> Series(const core::LabelSelector& selector,
                                             size_t limit) override {
    last_selector = selector.text();
    last_limit = limit;
    return series;
  }
  bool Feedback(uint64_t event_id) override {
    feedback.push_back(event_id);
    return event_id == 42;
  }
  std::vector<detect::Mute> Mutes() override { return mutes; }
  detect::Mute AddMute(core::LabelSelector selector, core::TimeNs until_ns,
                       std::string comment) override {
    mutes.push_back(
        detect::Mute{mutes.size() + 1, std::move(selector), until_ns, std::move(comment)});
    return mutes.back();
  }
  bool RemoveMute(uint64_t id) override {
    return std::erase_if(mutes, [id](const detect::Mute& m) { return m.id == id; }) > 0;
  }
  std::vector<detect::SensitivityRule> SensitivityRules() override { return rules; }
  void SetSensitivityRules(std::vector<detect::SensitivityRule> r) override {
    rules = std::move(r);
  }
  std::vector<nlohmann::json> Incidents(const store::IncidentQuery& query) override {
    last_incident_query = query;
    return incident_list;
  }
  std::optional<nlohmann::json> Incident(uint64_t id) override {
    auto it = incident_by_id.find(id);
    if (it == incident_by_id.end()) return std::nullopt;
    return it->second;
  }
  std::vector<detect::LogTemplateSummary> LogTemplates(std::string_view service) override {
    last_template_service = std::string(service);
    std::vector<detect::LogTemplateSummary> out;
    for (const auto& t : templates) {
      if (service.empty() || t.service == service) out.push_back(t);
    }
    return out;
  }

  std::vector<detect::AnomalyEvent> events;
  detect::EventFilter last_filter;
  std::vector<detect::SeriesSnapshot> series;
  std::string last_selector;
  size_t last_limit = 0;
  std::vector<uint64_t> feedback;
  std::vector<detect::Mute> mutes;
  std::vector<detect::SensitivityRule> rules;
  std::vector<detect::LogTemplateSummary> templates;
  std::string last_template_service;
  std::vector<nlohmann::json> incident_list;
  std::map<uint64_t, nlohmann::json> incident_by_id;
  store::IncidentQuery last_incident_query;
};

inline core::HttpRequest Get(const std::string& path, const std::string& query = "") {
  core::HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.query = query;
  r.target = query.empty() ? path : path + "?" + query;
  return r;
}

inline core::HttpRequest Post(const std::string& method, const std::string& path,
                              const std::string& body) {
  core::HttpRequest r;
  r.method = method;
  r.path = path;
  r.target = path;
  *r.body = body;
  return r;
}

}  // namespace augur::api
