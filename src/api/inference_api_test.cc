#include "api/inference_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

#include "api/fake_backend.h"

namespace augur::api {
namespace {

using nlohmann::json;

core::HttpRequest Invoke(const std::string& type, const std::string& body) {
  core::HttpRequest r = Post("POST", "/invocations", body);
  r.headers.emplace_back("Content-Type", type);
  return r;
}

// A seasonal-looking series with one spike at index `spike`.
std::string Csv(int n, int spike, bool timestamps) {
  std::ostringstream out;
  for (int i = 0; i < n; ++i) {
    double v = 50 + 10 * std::sin(i / 20.0) + (i % 7) * 0.3 + (i == spike ? 500 : 0);
    if (timestamps) out << 1'700'000'000 + 60 * i << ",";
    out << v << "\n";
  }
  return out.str();
}

TEST(InferenceApiTest, ScoresEveryCsvPointAndTheSpikeStandsOut) {
  InferenceApi api;
  for (bool timestamps : {false, true}) {
    core::HttpResponse r;
    api.Invocations(Invoke("text/csv", Csv(3000, 2500, timestamps)), &r);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    json scores = json::parse(r.body)["scores"];
    ASSERT_EQ(scores.size(), 3000u);
    double spike = scores[2500]["score"].get<double>();
    double before = 0;
    for (int i = 2400; i < 2500; ++i) before = std::max(before, scores[i]["score"].get<double>());
    EXPECT_GE(spike, 0.99);
    EXPECT_GT(spike, before);
    for (const json& s : scores) {
      EXPECT_GE(s["score"].get<double>(), 0);
      EXPECT_LE(s["score"].get<double>(), 1);
    }
  }
}

TEST(InferenceApiTest, AcceptsSageMakerJson) {
  InferenceApi api;
  core::HttpResponse r;
  api.Invocations(
      Invoke("application/json", R"({"instances": [{"features": [1.5]}, {"features": [2.0]}]})"),
      &r);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["scores"].size(), 2u);
  core::HttpResponse v;
  api.Invocations(Invoke("application/json", R"({"values": [1, 2, 3]})"), &v);
  EXPECT_EQ(json::parse(v.body)["scores"].size(), 3u);
}

TEST(InferenceApiTest, NamesTheProblemInBadInput) {
  InferenceApi api(10);
  struct Case {
    std::string type, body, message;
    int status;
  } cases[] = {
      {"text/csv", "1\n2\nthree\n", "line 3: 'three' is not a number", 400},
      {"text/csv", "1,2,3\n", "line 1: expected 'value' or 'timestamp,value', got 3 columns", 400},
      {"text/csv", "1700000060,1\n1700000000,2\n", "point 2: timestamps must not go backwards",
       400},
      {"text/csv", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n", "more than 10 points", 400},
      {"application/json", "{", "request body is not a JSON object", 400},
      {"application/json", R"({"instances": [{"features": ["x"]}]})",
       "instances[0].features: the value must be a number", 400},
      {"text/plain", "1\n",
       "unsupported Content-Type 'text/plain': use text/csv or application/json", 415},
  };
  for (const Case& c : cases) {
    core::HttpResponse r;
    api.Invocations(Invoke(c.type, c.body), &r);
    EXPECT_EQ(r.status, c.status) << c.body;
    EXPECT_EQ(r.body, c.message) << c.body;
  }
}

}  // namespace
}  // namespace augur::api
