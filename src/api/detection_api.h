// The REST endpoints of anomaly detection (docs/api.md):
//   GET    /api/v1/anomalies                 open and recent events (service, since, until, open)
//   POST   /api/v1/anomalies/{id}/feedback   {"label": "not_anomaly"}
//   GET    /api/v1/series?match=SELECTOR     points, band and scores of modelled series
//   GET    /api/v1/mutes, POST /api/v1/mutes, DELETE /api/v1/mutes/{id}
//   GET    /api/v1/sensitivity, PUT /api/v1/sensitivity
//
// Thread-safe; handlers query the pipeline through Backend.
#pragma once

#include "api/backend.h"
#include "core/http_server.h"

namespace augur::api {

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
