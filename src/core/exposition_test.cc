#include "core/exposition.h"

#include <gtest/gtest.h>

#include <cmath>

namespace augur::core {
namespace {

TEST(ExpositionTest, RendersFamiliesOnceWithEscapedLabels) {
  Exposition e;
  auto& calls = e.GetFamily("calls", MetricKind::kCounter, "Calls.\nMany.");
  std::array<Label, 1> a = {Label{"path", "/a\"b\\c\nd"}};
  calls.Counter(a, 3);
  Exposition other;
  std::array<Label, 1> b = {Label{"path", "/b"}};
  other.GetFamily("calls", MetricKind::kCounter, "ignored").Counter(b, 1.5);
  e.Merge(std::move(other));
  EXPECT_EQ(e.Render(ExpositionFormat::kPrometheusText),
            "# HELP calls_total Calls.\\nMany.\n"
            "# TYPE calls_total counter\n"
            "calls_total{path=\"/a\\\"b\\\\c\\nd\"} 3\n"
            "calls_total{path=\"/b\"} 1.5\n");
}

TEST(ExpositionTest, HistogramBucketsAreCumulativeWithInf) {
  Exposition e;
  std::vector<double> bounds = {0.5, 1};
  std::vector<uint64_t> counts = {2, 0, 1};
  std::array<Label, 1> l = {Label{"svc", "x"}};
  e.GetFamily("lat_seconds", MetricKind::kHistogram, "Latency.").Histogram(l, bounds, counts, 7.25);
  EXPECT_EQ(e.Render(ExpositionFormat::kPrometheusText),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{svc=\"x\",le=\"0.5\"} 2\n"
            "lat_seconds_bucket{svc=\"x\",le=\"1\"} 2\n"
            "lat_seconds_bucket{svc=\"x\",le=\"+Inf\"} 3\n"
            "lat_seconds_sum{svc=\"x\"} 7.25\n"
            "lat_seconds_count{svc=\"x\"} 3\n");
}

TEST(ExpositionTest, OpenMetricsNamesCounterFamiliesWithoutTotalAndEnds) {
  Exposition e;
  e.GetFamily("calls", MetricKind::kCounter, "Calls.").Counter({}, 1);
  EXPECT_EQ(e.Render(ExpositionFormat::kOpenMetrics),
            "# HELP calls Calls.\n# TYPE calls counter\ncalls_total 1\n# EOF\n");
}

TEST(ExpositionTest, MergeKeepsTheFirstKindOfAName) {
  Exposition e;
  e.GetFamily("x", MetricKind::kGauge, "X.").Gauge({}, 1);
  Exposition other;
  other.GetFamily("x", MetricKind::kCounter, "X.").Counter({}, 2);
  e.Merge(std::move(other));
  EXPECT_EQ(e.Render(ExpositionFormat::kPrometheusText), "# HELP x X.\n# TYPE x gauge\nx 1\n");
}

TEST(ExpositionTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatSampleValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatSampleValue(42), "42");
  EXPECT_EQ(FormatSampleValue(0.002), "0.002");
}

TEST(ExpositionTest, NegotiatesFromAccept) {
  EXPECT_EQ(NegotiateExposition("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
            ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateExposition("text/plain"), ExpositionFormat::kPrometheusText);
  EXPECT_EQ(NegotiateExposition(""), ExpositionFormat::kPrometheusText);
}

TEST(ExpositionTest, SanitizesNames) {
  EXPECT_EQ(SanitizeMetricName("http.server.duration"), "http_server_duration");
  EXPECT_EQ(SanitizeMetricName("a:b"), "a:b");
  EXPECT_EQ(SanitizeLabelName("a:b"), "a_b");
  EXPECT_EQ(SanitizeLabelName("1x"), "_1x");
}

}  // namespace
}  // namespace augur::core
