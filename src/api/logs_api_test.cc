#include "api/logs_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/fake_backend.h"

namespace augur::api {
namespace {

using nlohmann::json;

detect::LogTemplateSummary Template(std::string service, uint32_t id, uint64_t count) {
  detect::LogTemplateSummary t;
  t.service = std::move(service);
  t.id = id;
  t.text = "Payment <*> failed";
  t.count = count;
  t.first_seen_ns = 1'700'000'000'000'000'000;
  t.last_seen_ns = t.first_seen_ns + 60 * core::kNsPerSecond;
  t.by_severity[static_cast<size_t>(model::Severity::kError)] = count - 1;
  t.by_severity[static_cast<size_t>(model::Severity::kWarn)] = 1;
  t.example = "Payment 17 failed";
  t.modelled = true;
  return t;
}

TEST(LogsApiTest, ListsTemplatesByCount) {
  FakeBackend backend;
  backend.templates = {Template("cart", 1, 5), Template("cart", 2, 50), Template("auth", 0, 7)};
  LogsApi api(&backend);
  core::HttpResponse r;
  api.Templates(Get("/api/v1/logs/templates", "service=cart"), &r);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(backend.last_template_service, "cart");
  json j = json::parse(r.body);
  EXPECT_EQ(j["data"]["service"], "cart");
  auto list = j["data"]["templates"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], 2);  // most lines first
  EXPECT_EQ(list[0]["count"], 50);
  EXPECT_EQ(list[0]["template"], "Payment <*> failed");
  EXPECT_EQ(list[0]["first_seen"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(list[0]["last_seen"], "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(list[0]["severities"], json::parse(R"({"ERROR": 49, "WARN": 1})"));
  EXPECT_EQ(list[0]["example"], "Payment 17 failed");
  EXPECT_EQ(list[0]["modelled"], true);

  api.Templates(Get("/api/v1/logs/templates", "limit=1"), &r);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["data"]["templates"].size(), 1u);
  api.Templates(Get("/api/v1/logs/templates", "service=nobody"), &r);
  EXPECT_EQ(r.status, 404);
  api.Templates(Get("/api/v1/logs/templates", "limit=x"), &r);
  EXPECT_EQ(r.status, 400);
}

TEST(LogsApiTest, ListsLogAnomaliesWithExamples) {
  FakeBackend backend;
  detect::AnomalyEvent e;
  e.id = 5;
  e.service = "cart";
  e.series =
      detect::SeriesRef{"logs",
                        {{"service_name", "cart"}, {"severity", "ERROR"}, {"template_id", "3"}},
                        "new_template"};
  e.start_ns = e.peak_ns = 1'700'000'000'000'000'000;
  e.peak_score = 1;
  e.observed = 4;
  e.expected = e.lower = e.upper = 0;
  e.log_template = "Payment <*> failed";
  e.examples = {"Payment 17 failed", "Payment 18 failed"};
  backend.events = {e};
  LogsApi api(&backend);
  core::HttpResponse r;
  api.Anomalies(Get("/api/v1/logs/anomalies", "service=cart&until=1800000000"), &r);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(backend.last_filter.family, "logs");
  EXPECT_EQ(backend.last_filter.service, "cart");
  EXPECT_EQ(backend.last_filter.until_ns, 1'800'000'000'000'000'000);
  json a = json::parse(r.body)["data"]["anomalies"][0];
  EXPECT_EQ(a["source"], "logs");
  EXPECT_EQ(a["signal"], "new_template");
  EXPECT_EQ(a["template"], "Payment <*> failed");
  EXPECT_EQ(a["examples"], json::parse(R"(["Payment 17 failed", "Payment 18 failed"])"));
  EXPECT_NE(a["explanation"].get<std::string>().find("new log template 3 (ERROR) of service "
                                                     "\"cart\""),
            std::string::npos)
      << a["explanation"];
  api.Anomalies(Get("/api/v1/logs/anomalies", "since=yesterday"), &r);
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace augur::api
