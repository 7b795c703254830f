// The REST endpoints of incidents (docs/api.md):
//   GET /api/v1/incidents?open=true&since=T&until=T&limit=N   summaries, newest first
//   GET /api/v1/incidents/{id}                                one incident with its timeline,
//                                                             events and ranked candidates
//
// Thread-safe; handlers query the pipeline through Backend.
#pragma once

#include "api/backend.h"
#include "core/http_server.h"

namespace augur::api {

class IncidentsApi {
 public:
  explicit IncidentsApi(Backend* backend) : backend_(backend) {}

  void Register(core::HttpServer* server);

  void List(const core::HttpRequest& request, core::HttpResponse* response);
  void One(const core::HttpRequest& request, core::HttpResponse* response);

 private:
  Backend* backend_;
};

}  // namespace augur::api
