#include "model/metric_names.h"

#include <gtest/gtest.h>

namespace augur::model {
namespace {

TEST(MetricNamesTest, AppendsUnitWords) {
  EXPECT_EQ(PrometheusMetricName("process.memory.usage", "By", false),
            "process_memory_usage_bytes");
  EXPECT_EQ(PrometheusMetricName("http.server.duration", "s", false),
            "http_server_duration_seconds");
  EXPECT_EQ(PrometheusMetricName("queue.depth", "{item}", false), "queue_depth");
  EXPECT_EQ(PrometheusMetricName("process.cpu.utilization", "1", false),
            "process_cpu_utilization_ratio");
  EXPECT_EQ(PrometheusMetricName("net.io", "By/s", false), "net_io_bytes_per_second");
}

TEST(MetricNamesTest, CountersDropRatioAndTotal) {
  EXPECT_EQ(PrometheusMetricName("app.requests", "1", true), "app_requests");
  EXPECT_EQ(PrometheusMetricName("app.requests.total", "", true), "app_requests");
  EXPECT_EQ(PrometheusMetricName("app.requests", "{request}", true), "app_requests");
}

TEST(MetricNamesTest, DoesNotRepeatAUnitAlreadyInTheName) {
  EXPECT_EQ(PrometheusMetricName("gc_pause_seconds", "s", false), "gc_pause_seconds");
}

TEST(MetricNamesTest, SanitizesCharacters) {
  EXPECT_EQ(PrometheusMetricName("my-app/latency", "ms", false), "my_app_latency_milliseconds");
  EXPECT_EQ(PrometheusMetricName("9lives", "", false), "_9lives");
}

}  // namespace
}  // namespace augur::model
