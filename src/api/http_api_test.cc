#include "api/http_api.h"

#include "api/fake_backend.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace augur::api {
namespace {

using nlohmann::json;

TEST(HttpApiTest, ListsServicesWithRecentStatsAndNullForUndefinedQuantiles) {
  FakeBackend backend;
  core::SelfMetrics self_metrics;
  HttpApi api(&backend, &self_metrics);
  core::HttpResponse r;
  api.Services(Get("/api/v1/services"), &r);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "success");
  ASSERT_EQ(j["data"]["services"].size(), 1u);
  const json& s = j["data"]["services"][0];
  EXPECT_EQ(s["name"], "cart");
  EXPECT_EQ(s["requests_total"], 10);
  EXPECT_EQ(s["errors_total"], 2);
  EXPECT_EQ(s["last_1m"]["requests"], 6);
  EXPECT_DOUBLE_EQ(s["last_1m"]["rate"].get<double>(), 0.1);
  EXPECT_TRUE(s["last_1m"]["p95_ms"].is_null());
  EXPECT_EQ(j["data"]["time"], "2023-11-14T22:13:20.000Z");
}

TEST(HttpApiTest, OperationsOfAServiceWhoseNameHasASlash) {
  FakeBackend backend;
  core::SelfMetrics self_metrics;
  HttpApi api(&backend, &self_metrics);
  core::HttpResponse r;
  api.ServiceSubresource(Get("/api/v1/services/cart/v2/operations"), &r);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["data"]["service"], "cart/v2");
  EXPECT_EQ(j["data"]["operations"][0]["span_kind"], "SPAN_KIND_SERVER");
  EXPECT_EQ(j["data"]["operations"][0]["calls_total"], 10);
}

TEST(HttpApiTest, UnknownServiceAndResourceAre404WithAMessage) {
  FakeBackend backend;
  core::SelfMetrics self_metrics;
  HttpApi api(&backend, &self_metrics);
  core::HttpResponse r;
  api.ServiceSubresource(Get("/api/v1/services/nope/operations"), &r);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"], "service 'nope' not found");
  core::HttpResponse r2;
  api.ServiceSubresource(Get("/api/v1/services/cart"), &r2);
  EXPECT_EQ(r2.status, 404);
  EXPECT_EQ(json::parse(r2.body)["errorType"], "not_found");
}

TEST(HttpApiTest, GraphAddsVirtualNodesForPeers) {
  FakeBackend backend;
  core::SelfMetrics self_metrics;
  HttpApi api(&backend, &self_metrics);
  core::HttpResponse r;
  api.Graph(Get("/api/v1/graph"), &r);
  json j = json::parse(r.body);
  ASSERT_EQ(j["data"]["nodes"].size(), 2u);
  EXPECT_EQ(j["data"]["nodes"][0]["id"], "cart");
  EXPECT_EQ(j["data"]["nodes"][0]["kind"], "service");
  EXPECT_EQ(j["data"]["nodes"][1]["id"], "redis");
  EXPECT_EQ(j["data"]["nodes"][1]["kind"], "virtual");
  EXPECT_EQ(j["data"]["edges"][0]["connection_type"], "database");
  EXPECT_EQ(j["data"]["edges"][0]["requests_total"], 4);
}

TEST(HttpApiTest, MetricsNegotiatesOpenMetrics) {
  FakeBackend backend;
  core::SelfMetrics self_metrics;
  HttpApi api(&backend, &self_metrics);
  core::HttpResponse text;
  api.Metrics(Get("/metrics"), &text);
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(text.body.find("# TYPE augur_test_total counter\naugur_test_total 3\n"),
            std::string::npos)
      << text.body;
  core::HttpRequest om = Get("/metrics");
  om.headers.emplace_back("Accept", "application/openmetrics-text; version=1.0.0");
  core::HttpResponse open;
  api.Metrics(om, &open);
  EXPECT_EQ(open.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_NE(open.body.find("# TYPE augur_test counter\naugur_test_total 3\n"), std::string::npos);
  EXPECT_EQ(open.body.substr(open.body.size() - 6), "# EOF\n");
}

TEST(HttpApiTest, StatusListsSelfMetrics) {
  FakeBackend backend;
  core::SelfMetrics self_metrics;
  self_metrics.GetCounter("augur_x", "X.", {{"signal", "traces"}})->Add(5);
  HttpApi api(&backend, &self_metrics);
  core::HttpResponse r;
  api.Status(Get("/api/v1/status"), &r);
  json j = json::parse(r.body);
  EXPECT_EQ(j["data"]["ready"], true);
  ASSERT_EQ(j["data"]["self_metrics"].size(), 1u);
  EXPECT_EQ(j["data"]["self_metrics"][0]["name"], "augur_x_total");
  EXPECT_EQ(j["data"]["self_metrics"][0]["labels"]["signal"], "traces");
  EXPECT_EQ(j["data"]["self_metrics"][0]["value"], 5);
}

}  // namespace
}  // namespace augur::api
