#include "api/detection_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/fake_backend.h"

namespace augur::api {
namespace {

using nlohmann::json;

detect::AnomalyEvent Event(uint64_t id, bool open) {
  detect::AnomalyEvent e;
  e.id = id;
  e.service = "checkout";
  e.series = detect::SeriesRef{"span_metrics",
                               {{"service_name", "checkout"},
                                {"span_kind", "SPAN_KIND_SERVER"},
                                {"span_name", "PlaceOrder"}},
                               "p95_latency_ms"};
  e.open = open;
  e.start_ns = 1'700'000'000'000'000'000;
  e.end_ns = open ? 0 : e.start_ns + 150 * core::kNsPerSecond;
  e.peak_ns = e.start_ns + 30 * core::kNsPerSecond;
  e.peak_score = 0.9996;
  e.observed = 812;
  e.expected = 121;
  e.lower = 80;
  e.upper = 190;
  e.seasonality = detect::Seasonality::kDaily;
  return e;
}

TEST(DetectionApiTest, ListsAnomaliesWithTheirExplanationAndFilters) {
  FakeBackend backend;
  backend.events = {Event(7, false), Event(9, true)};
  DetectionApi api(&backend);
  core::HttpResponse r;
  api.Anomalies(Get("/api/v1/anomalies", "service=checkout&since=1700000000&open=false"), &r);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(backend.last_filter.service, "checkout");
  EXPECT_EQ(backend.last_filter.since_ns, 1'700'000'000'000'000'000);
  json j = json::parse(r.body);
  auto list = j["data"]["anomalies"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], "9");  // open ones first
  EXPECT_EQ(list[0]["open"], true);
  EXPECT_TRUE(list[0]["end"].is_null());
  const json& closed = list[1];
  EXPECT_EQ(closed["signal"], "p95_latency_ms");
  EXPECT_EQ(closed["labels"]["span_name"], "PlaceOrder");
  EXPECT_EQ(closed["observed"], 812);
  EXPECT_EQ(closed["seasonality"], "daily");
  EXPECT_DOUBLE_EQ(closed["duration_seconds"].get<double>(), 150);
  EXPECT_EQ(closed["explanation"],
            "p95_latency_ms of operation \"PlaceOrder\" (SPAN_KIND_SERVER) of service "
            "\"checkout\" was 812 against an expected 121 (band 80 to 190), score 0.9996, daily "
            "seasonality; since 2023-11-14T22:13:20.000Z for 2m30s");
}

TEST(DetectionApiTest, RejectsBadTimeAndOpenParameters) {
  FakeBackend backend;
  DetectionApi api(&backend);
  core::HttpResponse r;
  api.Anomalies(Get("/api/v1/anomalies", "since=yesterday"), &r);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("since"), std::string::npos);
  core::HttpResponse r2;
  api.Anomalies(Get("/api/v1/anomalies", "open=maybe"), &r2);
  EXPECT_EQ(r2.status, 400);
}

TEST(DetectionApiTest, FeedbackFindsTheEventOr404) {
  FakeBackend backend;
  DetectionApi api(&backend);
  core::HttpResponse ok;
  api.AnomalySubresource(
      Post("POST", "/api/v1/anomalies/42/feedback", R"({"label":"not_anomaly"})"), &ok);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(backend.feedback, std::vector<uint64_t>{42});
  core::HttpResponse missing;
  api.AnomalySubresource(
      Post("POST", "/api/v1/anomalies/43/feedback", R"({"label":"not_anomaly"})"), &missing);
  EXPECT_EQ(missing.status, 404);
  core::HttpResponse bad;
  api.AnomalySubresource(Post("POST", "/api/v1/anomalies/42/feedback", R"({"label":"spam"})"),
                         &bad);
  EXPECT_EQ(bad.status, 400);
  core::HttpResponse garbage;
  api.AnomalySubresource(Post("POST", "/api/v1/anomalies/42/feedback", "{nope"), &garbage);
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(json::parse(garbage.body)["error"], "request body is not valid JSON");
}

TEST(DetectionApiTest, SeriesTakesASelectorAndALimit) {
  FakeBackend backend;
  detect::SeriesSnapshot s;
  s.ref = detect::SeriesRef{"service", {{"service_name", "cart"}}, "rate"};
  s.service = "cart";
  s.detector = "seasonal";
  s.learning = false;
  s.history = {detect::HistoryPoint{1'700'000'000'000'000'000, 3, 2.5, 1, 4, 0.8}};
  backend.series = {s};
  DetectionApi api(&backend);
  core::HttpResponse r;
  api.Series(Get("/api/v1/series", "match=service%7Bservice_name%3D%22cart%22%7D&limit=5"), &r);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(backend.last_selector, "service{service_name=\"cart\"}");
  EXPECT_EQ(backend.last_limit, 5u);
  json j = json::parse(r.body);
  ASSERT_EQ(j["data"]["series"].size(), 1u);
  EXPECT_EQ(j["data"]["series"][0]["points"][0]["expected"], 2.5);
  EXPECT_EQ(j["data"]["series"][0]["learning"], false);
  core::HttpResponse bad;
  api.Series(Get("/api/v1/series", "match=%7Ba%3Db%7D"), &bad);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(json::parse(bad.body)["error"].get<std::string>().find("invalid selector"),
            std::string::npos);
}

TEST(DetectionApiTest, MutesAreAddedListedAndRemoved) {
  FakeBackend backend;
  DetectionApi api(&backend);
  core::HttpResponse created;
  api.AddMute(
      Post("POST", "/api/v1/mutes",
           R"({"match": "{service_name=\"batch\"}", "duration": "2h", "comment": "deploy"})"),
      &created);
  ASSERT_EQ(created.status, 201) << created.body;
  json m = json::parse(created.body)["data"];
  EXPECT_EQ(m["match"], "{service_name=\"batch\"}");
  EXPECT_EQ(m["comment"], "deploy");
  EXPECT_FALSE(m["until"].is_null());
  core::HttpResponse list;
  api.ListMutes(Get("/api/v1/mutes"), &list);
  EXPECT_EQ(json::parse(list.body)["data"]["mutes"].size(), 1u);
  core::HttpResponse removed;
  api.RemoveMute(Post("DELETE", "/api/v1/mutes/" + m["id"].get<std::string>(), ""), &removed);
  EXPECT_EQ(removed.status, 200);
  core::HttpResponse again;
  api.RemoveMute(Post("DELETE", "/api/v1/mutes/" + m["id"].get<std::string>(), ""), &again);
  EXPECT_EQ(again.status, 404);
  for (std::string body :
       {R"({"match": "{}", "duration": "1h"})", R"({"match": "{a=\"b\"}"})",
        R"({"match": "{a=\"b\"}", "duration": "soon"})", R"({"duration": "1h"})"}) {
    core::HttpResponse bad;
    api.AddMute(Post("POST", "/api/v1/mutes", body), &bad);
    EXPECT_EQ(bad.status, 400) << body;
  }
}

TEST(DetectionApiTest, SensitivityRulesAreReplacedAndValidated) {
  FakeBackend backend;
  DetectionApi api(&backend);
  core::HttpResponse r;
  api.PutSensitivity(Post("PUT", "/api/v1/sensitivity",
                          R"({"rules": [{"match": "{service_name=\"cart\"}", "sensitivity": 2}]})"),
                     &r);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(backend.rules.size(), 1u);
  EXPECT_EQ(backend.rules[0].sensitivity, 2);
  EXPECT_EQ(json::parse(r.body)["data"]["rules"][0]["match"], "{service_name=\"cart\"}");
  core::HttpResponse bad;
  api.PutSensitivity(
      Post("PUT", "/api/v1/sensitivity", R"({"rules": [{"match": "{}", "sensitivity": -1}]})"),
      &bad);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(backend.rules.size(), 1u);  // unchanged
}

}  // namespace
}  // namespace augur::api
