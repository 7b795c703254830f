// The REST endpoints of logs (docs/api.md):
//   GET /api/v1/logs/templates?service=NAME&limit=N   templates with counts, sorted by count
//   GET /api/v1/logs/anomalies                        log anomaly events (service, since, until,
//                                                     open filters as /api/v1/anomalies)
//
// Thread-safe; handlers query the pipeline through Backend.
#pragma once

#include "api/backend.h"
#include "core/http_server.h"

namespace augur::api {

class LogsApi {
 public:
  explicit LogsApi(Backend* backend) : backend_(backend) {}

  void Register(core::HttpServer* server);

  void Templates(const core::HttpRequest& request, core::HttpResponse* response);
  void Anomalies(const core::HttpRequest& request, core::HttpResponse* response);

 private:
  Backend* backend_;
};

}  // namespace augur::api
