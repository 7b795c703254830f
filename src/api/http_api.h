// The HTTP endpoints of :8080 that read the pipeline: /metrics (Prometheus text, or OpenMetrics
// when the Accept header asks for it), /healthz, /readyz, and the REST API under /api/v1
// (documented in docs/api.md). JSON answers use Prometheus' envelope:
// {"status":"success","data":...} or {"status":"error","errorType":...,"error":...}.
//
// Thread-safe; handlers run on the HTTP server's threads and query the pipeline through Backend.
#pragma once

#include "api/backend.h"
#include "core/http_server.h"
#include "core/self_metrics.h"

namespace augur::api {

class HttpApi {
 public:
  // `backend` and `self_metrics` must outlive the server the routes are registered on.
  HttpApi(Backend* backend, const core::SelfMetrics* self_metrics)
      : backend_(backend), self_metrics_(self_metrics) {}

  void Register(core::HttpServer* server);

  void Metrics(const core::HttpRequest& request, core::HttpResponse* response);
  void Services(const core::HttpRequest& request, core::HttpResponse* response);
  void ServiceSubresource(const core::HttpRequest& request, core::HttpResponse* response);
  void Graph(const core::HttpRequest& request, core::HttpResponse* response);
  void Status(const core::HttpRequest& request, core::HttpResponse* response);

 private:
  Backend* backend_;
  const core::SelfMetrics* self_metrics_;
};

}  // namespace augur::api
