#include "rca/incident_json.h"

#include <cmath>

namespace augur::rca {
namespace {

using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Time(core::TimeNs t) { return t == 0 ? json(nullptr) : json(core::FormatRfc3339(t)); }

}  // namespace

json IncidentSummaryJson(const Incident& incident, core::TimeNs now) {
  const core::TimeNs end = incident.open() ? now : incident.end_ns;
  json candidates = json::array();
  for (const Candidate& c : incident.candidates) {
    candidates.push_back(
        json{{"service", c.service}, {"score", Num(c.score)}, {"evidence", c.evidence}});
  }
  return json{
      {"id", std::to_string(incident.id)},
      {"open", incident.open()},
      {"severity", incident.severity},
      {"start", Time(incident.start_ns)},
      {"end", Time(incident.end_ns)},
      {"duration_seconds", static_cast<double>(std::max<core::TimeNs>(0, end - incident.start_ns)) /
                               core::kNsPerSecond},
      {"impacted", incident.impacted},
      {"root_cause",
       incident.candidates.empty() ? json(nullptr) : json(incident.candidates[0].service)},
      {"candidates", std::move(candidates)},
      {"events", incident.event_count},
  };
}

json IncidentToJson(const Incident& incident, core::TimeNs now) {
  json j = IncidentSummaryJson(incident, now);
  json timeline = json::array();
  for (const TimelineEntry& t : incident.timeline) {
    timeline.push_back(
        json{{"time", Time(t.t)}, {"kind", t.kind}, {"service", t.service}, {"text", t.text}});
  }
  json events = json::array();
  for (const detect::AnomalyEvent& e : incident.events) {
    json labels = json::object();
    for (const auto& [k, v] : e.series.labels) labels[k] = v;
    events.push_back(json{{"id", std::to_string(e.id)},
                          {"service", e.service},
                          {"source", e.series.family},
                          {"labels", std::move(labels)},
                          {"signal", e.series.signal},
                          {"open", e.open},
                          {"start", Time(e.start_ns)},
                          {"end", Time(e.end_ns)},
                          {"score", Num(e.peak_score)},
                          {"explanation", detect::ExplainEvent(e, now)}});
  }
  j["timeline"] = std::move(timeline);
  // The summary's count of all events it took stays as event_count; events lists the kept ones.
  j["event_count"] = incident.event_count;
  j["events"] = std::move(events);
  return j;
}

}  // namespace augur::rca
