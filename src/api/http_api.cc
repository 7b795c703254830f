#include "api/http_api.h"

#include "api/json_response.h"

#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace augur::api {
namespace {

using nlohmann::json;

json Recent(const detect::RecentStats& r) {
  return json{{"requests", r.count},          {"errors", r.errors},
              {"rate", Number(r.rate_per_s)}, {"error_ratio", Number(r.error_ratio)},
              {"p50_ms", Number(r.p50_ms)},   {"p95_ms", Number(r.p95_ms)},
              {"p99_ms", Number(r.p99_ms)}};
}

}  // namespace

void HttpApi::Register(core::HttpServer* server) {
  using core::HttpRequest;
  using core::HttpResponse;
  server->Handle("GET", "/metrics",
                 [this](const HttpRequest& q, HttpResponse* r) { Metrics(q, r); });
  server->Handle("GET", "/healthz", [](const HttpRequest&, HttpResponse* r) { r->body = "ok\n"; });
  server->Handle("GET", "/readyz", [this](const HttpRequest&, HttpResponse* r) {
    bool ready = backend_->Ready();
    r->status = ready ? 200 : 503;
    r->body = ready ? "ready\n" : "not ready\n";
  });
  server->Handle("GET", "/api/v1/services",
                 [this](const HttpRequest& q, HttpResponse* r) { Services(q, r); });
  server->HandlePrefix("GET", "/api/v1/services/",
                       [this](const HttpRequest& q, HttpResponse* r) { ServiceSubresource(q, r); });
  server->Handle("GET", "/api/v1/graph",
                 [this](const HttpRequest& q, HttpResponse* r) { Graph(q, r); });
  server->Handle("GET", "/api/v1/status",
                 [this](const HttpRequest& q, HttpResponse* r) { Status(q, r); });
}

void HttpApi::Status(const core::HttpRequest&, core::HttpResponse* response) {
  json metrics = json::array();
  for (const core::SelfMetrics::Sample& s : self_metrics_->Snapshot()) {
    json labels = json::object();
    for (const auto& [k, v] : s.labels) labels[k] = v;
    metrics.push_back(
        json{{"name", s.name}, {"labels", std::move(labels)}, {"value", Number(s.value)}});
  }
  json data = TimeOf(backend_->Now());
  data["ready"] = backend_->Ready();
  data["self_metrics"] = std::move(metrics);
  Success(std::move(data), response);
}

void HttpApi::Metrics(const core::HttpRequest& request, core::HttpResponse* response) {
  core::ExpositionFormat format = core::NegotiateExposition(request.Header("Accept"));
  core::Exposition exposition;
  backend_->WriteMetrics(&exposition);
  response->content_type = std::string(core::ExpositionContentType(format));
  response->body = exposition.Render(format);
}

void HttpApi::Services(const core::HttpRequest&, core::HttpResponse* response) {
  core::TimeNs now = backend_->Now();
  json services = json::array();
  for (const detect::ServiceSummary& s : backend_->Services(now)) {
    services.push_back(json{{"name", s.name},
                            {"spans_total", s.spans_total},
                            {"requests_total", s.requests_total},
                            {"errors_total", s.errors_total},
                            {"operations", s.operations},
                            {"last_seen", core::FormatRfc3339(s.last_seen_ns)},
                            {"last_1m", Recent(s.last_1m)},
                            {"last_5m", Recent(s.last_5m)}});
  }
  json data = TimeOf(now);
  data["services"] = std::move(services);
  Success(std::move(data), response);
}

void HttpApi::ServiceSubresource(const core::HttpRequest& request, core::HttpResponse* response) {
  // /api/v1/services/{name}/operations; the name may itself contain '/'.
  constexpr std::string_view kPrefix = "/api/v1/services/";
  constexpr std::string_view kOperations = "/operations";
  std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  if (rest.size() <= kOperations.size() ||
      rest.substr(rest.size() - kOperations.size()) != kOperations) {
    Error(404, "not_found", fmt::format("no such resource: {}", request.path), response);
    return;
  }
  std::string name(rest.substr(0, rest.size() - kOperations.size()));
  core::TimeNs now = backend_->Now();
  auto operations = backend_->Operations(name, now);
  if (!operations.has_value()) {
    Error(404, "not_found", fmt::format("service '{}' not found", name), response);
    return;
  }
  json ops = json::array();
  for (const detect::OperationSummary& op : *operations) {
    ops.push_back(json{{"span_name", op.span_name},
                       {"span_kind", model::SpanKindName(op.kind)},
                       {"calls_total", op.calls_total},
                       {"errors_total", op.errors_total},
                       {"last_1m", Recent(op.last_1m)},
                       {"last_5m", Recent(op.last_5m)}});
  }
  json data = TimeOf(now);
  data["service"] = name;
  data["operations"] = std::move(ops);
  Success(std::move(data), response);
}

void HttpApi::Graph(const core::HttpRequest&, core::HttpResponse* response) {
  core::TimeNs now = backend_->Now();
  std::vector<detect::ServiceSummary> services = backend_->Services(now);
  std::vector<detect::EdgeSummary> edges = backend_->Edges(now);
  std::map<std::string, json> nodes;
  for (const detect::ServiceSummary& s : services) {
    nodes[s.name] = json{{"id", s.name},
                         {"kind", "service"},
                         {"requests_total", s.requests_total},
                         {"errors_total", s.errors_total},
                         {"last_1m", Recent(s.last_1m)},
                         {"last_5m", Recent(s.last_5m)}};
  }
  json edge_list = json::array();
  for (const detect::EdgeSummary& e : edges) {
    for (const std::string& end : {e.client, e.server}) {
      // A node without spans of its own: an uninstrumented peer, or "user".
      if (!nodes.contains(end)) nodes[end] = json{{"id", end}, {"kind", "virtual"}};
    }
    edge_list.push_back(json{{"client", e.client},
                             {"server", e.server},
                             {"connection_type", e.connection_type},
                             {"requests_total", e.requests_total},
                             {"failed_total", e.failed_total},
                             {"last_1m", Recent(e.last_1m)},
                             {"last_5m", Recent(e.last_5m)}});
  }
  json node_list = json::array();
  for (auto& [name, node] : nodes) node_list.push_back(std::move(node));
  json data = TimeOf(now);
  data["nodes"] = std::move(node_list);
  data["edges"] = std::move(edge_list);
  Success(std::move(data), response);
}

}  // namespace augur::api
