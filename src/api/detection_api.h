// The REST endpoints of anomaly detection (docs/api.md):
//   GET    /api/v1/anomalies                 open and recent events (service, since, until, open)
//   POST   /api/v1/anomalies/{id}/feedback   {"label": "not_anomaly"}
//   GET    /api/v1/series?match=SELECTOR     points, band and scores of modelled series
//   GET    /api/v1/mutes, POST /api/v1/mutes, DELETE /api/v1/mutes/{id}
//   GET    /api/v1/sensitivity, PUT /api/v1/sensitivity
//
// Thread-safe; handlers query the pipeline through Backend.
#pragma once

#include <nlohmann/json.hpp>

#include "api/backend.h"
#include "core/http_server.h"

namespace augur::api {

// An anomaly event as the API shows it (docs/api.md); log events also carry "template" and
// "examples". `now` dates an open event's duration.
nlohmann::json AnomalyEventJson(const detect::AnomalyEvent& event, core::TimeNs now);
// Reads `service`, `since`, `until` and `open` into `filter`; false after writing a 400.
bool ParseEventFilter(const core::HttpRequest& request, detect::EventFilter* filter,
                      core::HttpResponse* response);
// Answers with `events` (open first, newest first) under data.anomalies.
void WriteEvents(std::vector<detect::AnomalyEvent> events, core::TimeNs now,
                 core::HttpResponse* response);

class DetectionApi {
 public:
  explicit DetectionApi(Backend* backend) : backend_(backend) {}

  void Register(core::HttpServer* server);

  void Anomalies(const core::HttpRequest& request, core::HttpResponse* response);
  void AnomalySubresource(const core::HttpRequest& request, core::HttpResponse* response);
  void Series(const core::HttpRequest& request, core::HttpResponse* response);
  void ListMutes(const core::HttpRequest& request, core::HttpResponse* response);
  void AddMute(const core::HttpRequest& request, core::HttpResponse* response);
  void RemoveMute(const core::HttpRequest& request, core::HttpResponse* response);
  void GetSensitivity(const core::HttpRequest& request, core::HttpResponse* response);
  void PutSensitivity(const core::HttpRequest& request, core::HttpResponse* response);

 private:
  Backend* backend_;
};

}  // namespace augur::api
