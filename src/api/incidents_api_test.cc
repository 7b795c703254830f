#include "api/incidents_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/fake_backend.h"

namespace augur::api {
namespace {

using nlohmann::json;

TEST(IncidentsApiTest, ListPassesTheFilterAndReturnsTheSummaries) {
  FakeBackend backend;
  backend.incident_list = {json{{"id", "7"}, {"open", true}, {"root_cause", "payment"}}};
  IncidentsApi api(&backend);
  core::HttpResponse r;
  api.List(Get("/api/v1/incidents", "open=true&since=1700000000&limit=5"), &r);
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  ASSERT_EQ(body["data"]["incidents"].size(), 1u);
  EXPECT_EQ(body["data"]["incidents"][0]["root_cause"], "payment");
  EXPECT_TRUE(backend.last_incident_query.open_only);
  EXPECT_EQ(backend.last_incident_query.since_ns, 1'700'000'000 * core::kNsPerSecond);
  EXPECT_EQ(backend.last_incident_query.limit, 5u);
}

TEST(IncidentsApiTest, BadParametersAreNamed) {
  FakeBackend backend;
  IncidentsApi api(&backend);
  for (auto [query, word] : {std::pair{"open=yes", "open"}, std::pair{"limit=0", "limit"},
                             std::pair{"since=yesterday", "since"}}) {
    core::HttpResponse r;
    api.List(Get("/api/v1/incidents", query), &r);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_NE(r.body.find(word), std::string::npos) << r.body;
  }
}

TEST(IncidentsApiTest, OneIncidentOrNotFound) {
  FakeBackend backend;
  backend.incident_by_id[3] = json{{"id", "3"}, {"timeline", json::array()}};
  IncidentsApi api(&backend);
  core::HttpResponse found;
  api.One(Get("/api/v1/incidents/3"), &found);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(json::parse(found.body)["data"]["incident"]["id"], "3");
  core::HttpResponse missing;
  api.One(Get("/api/v1/incidents/4"), &missing);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("incident 4 not found"), std::string::npos);
  core::HttpResponse garbage;
  api.One(Get("/api/v1/incidents/x1"), &garbage);
  EXPECT_EQ(garbage.status, 404);
}

}  // namespace
}  // namespace augur::api
