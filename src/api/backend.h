// What the REST API and /metrics read from the running pipeline. Implemented by the pipeline
// (app/), which answers by asking each shard on its own thread. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>
#include <vector>

#include "core/exposition.h"
#include "core/label_selector.h"
#include "core/time.h"
#include "detect/anomaly_event.h"
#include "detect/series_models.h"
#include "detect/series_table.h"
#include "store/incident_store.h"

namespace augur::api {

class Backend {
 public:
  virtual ~Backend() = default;

  // The event time that "the last minute" is measured back from: the latest event time the
  // pipeline has seen (the wall clock before any data).
  virtual core::TimeNs Now() = 0;
  virtual std::vector<detect::ServiceSummary> Services(core::TimeNs now) = 0;
  // nullopt when no such service is known.
  virtual std::optional<std::vector<detect::OperationSummary>> Operations(std::string_view service,
                                                                          core::TimeNs now) = 0;
  virtual std::vector<detect::EdgeSummary> Edges(core::TimeNs now) = 0;
  // Series and self-telemetry, for /metrics.
  virtual void WriteMetrics(core::Exposition* out) = 0;
  // Accepting and processing telemetry (false while starting or draining).
  virtual bool Ready() = 0;

  // Detection: events, modelled series, and what users change about them.
  virtual std::vector<detect::AnomalyEvent> Anomalies(const detect::EventFilter& filter) = 0;
  virtual std::vector<detect::SeriesSnapshot> Series(const core::LabelSelector& selector,
                                                     size_t limit) = 0;
  // "Not an anomaly" for an event; false when no shard knows the id.
  virtual bool Feedback(uint64_t event_id) = 0;
  virtual std::vector<detect::Mute> Mutes() = 0;
  virtual detect::Mute AddMute(core::LabelSelector selector, core::TimeNs until_ns,
                               std::string comment) = 0;
  virtual bool RemoveMute(uint64_t id) = 0;
  // Sensitivity rules set through the API (they take precedence over configured ones).
  virtual std::vector<detect::SensitivityRule> SensitivityRules() = 0;
  virtual void SetSensitivityRules(std::vector<detect::SensitivityRule> rules) = 0;

  // Logs: the templates of `service` ("" = every service), in no particular order.
  virtual std::vector<detect::LogTemplateSummary> LogTemplates(std::string_view service) = 0;

  // Incidents overlapping the query's range as list summaries (rca::IncidentSummaryJson), newest
  // first; one incident in full (rca::IncidentToJson), if known.
  virtual std::vector<nlohmann::json> Incidents(const store::IncidentQuery& query) = 0;
  virtual std::optional<nlohmann::json> Incident(uint64_t id) = 0;
};

}  // namespace augur::api
