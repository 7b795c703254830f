#include "app/config.h"

#include <gtest/gtest.h>

namespace augur::app {
namespace {

TEST(ConfigTest, ZeroConfigurationIsValid) {
  auto c = ParseConfig("", "test", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->otlp_grpc_endpoint, "0.0.0.0:4317");
  EXPECT_EQ(c->otlp_http_endpoint, "0.0.0.0:4318");
  EXPECT_EQ(c->api_endpoint, "0.0.0.0:8080");
  EXPECT_EQ(c->receiver.max_request_bytes, 20u << 20);
  EXPECT_EQ(c->pipeline.derive.window_ns, 10 * core::kNsPerSecond);
}

TEST(ConfigTest, ReadsEverySectionAndOverridesWin) {
  auto c = ParseConfig(R"(
receivers:
  otlp:
    grpc: {endpoint: "127.0.0.1:14317"}
    http: {endpoint: "127.0.0.1:14318"}
  retry_after: 3s
server: {endpoint: "127.0.0.1:18080", threads: 4}
limits:
  max_request_bytes: 1MiB
  max_items_per_request: 5000
  max_attributes_per_item: 32
  max_attribute_value_bytes: 1KiB
  max_series_per_service: 100
pipeline: {shards: 3, window: 5s, allowed_lateness: 1m, series_idle_timeout: 10m, flush_interval: 250ms}
span_metrics: {buckets_ms: [1, 10, 100]}
service_graph: {pairing_ttl: 30s, max_pending: 1000, peer_attributes: [peer.service]}
log: {level: debug}
)",
                       "test", {"limits.max_items_per_request=7"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->otlp_grpc_endpoint, "127.0.0.1:14317");
  EXPECT_EQ(c->receiver.retry_after_s, 3);
  EXPECT_EQ(c->http_threads, 4);
  EXPECT_EQ(c->receiver.max_request_bytes, 1u << 20);
  EXPECT_EQ(c->receiver.limits.max_items, 7u);
  EXPECT_EQ(c->receiver.limits.max_attributes_per_item, 32u);
  EXPECT_EQ(c->receiver.limits.max_attribute_value_bytes, 1024u);
  EXPECT_EQ(c->pipeline.series.max_series_per_service, 100u);
  EXPECT_EQ(c->pipeline.shards, 3);
  EXPECT_EQ(c->pipeline.derive.window_ns, 5 * core::kNsPerSecond);
  EXPECT_EQ(c->pipeline.flush_interval_ns, 250 * core::kNsPerMillisecond);
  EXPECT_EQ(c->pipeline.derive.latency_bounds_ms, (std::vector<double>{1, 10, 100}));
  EXPECT_EQ(c->pipeline.derive.graph.max_pending, 1000u);
  EXPECT_EQ(c->log_level, "debug");
}

TEST(ConfigTest, ErrorsNameTheKey) {
  EXPECT_EQ(ParseConfig("limits: {max_request_bytes: 20 parsecs}", "t", {}).status().message(),
            "limits.max_request_bytes: invalid size '20 parsecs' (units: B, KiB, MiB, GiB, KB, "
            "MB, GB)");
  EXPECT_EQ(ParseConfig("server: {endpoint: nowhere}", "t", {}).status().message(),
            "server.endpoint: expected host:port, got 'nowhere'");
  EXPECT_EQ(ParseConfig("pipelin: {}", "t", {}).status().message(),
            "unknown key 'pipelin' (known here: receivers, server, limits, pipeline, "
            "span_metrics, service_graph, detection, logs, exporters, storage, log)");
  EXPECT_EQ(ParseConfig("span_metrics: {buckets_ms: [5, 1]}", "t", {}).status().message(),
            "span_metrics.buckets_ms must be strictly increasing");
  EXPECT_EQ(ParseConfig("log: {level: loud}", "t", {}).status().message(),
            "log.level: 'loud' is not one of trace, debug, info, warn, error, off");
}

TEST(ConfigTest, ResolvedYamlRoundTrips) {
  auto c =
      ParseConfig("pipeline: {shards: 2, window: 5s}\nlimits: {max_request_bytes: 4MiB}", "t", {});
  ASSERT_TRUE(c.ok());
  std::string yaml = ConfigToYaml(*c);
  auto again = ParseConfig(yaml, "resolved", {});
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  EXPECT_EQ(ConfigToYaml(*again), yaml);
  EXPECT_EQ(again->pipeline.shards, 2);
  EXPECT_EQ(again->receiver.max_request_bytes, 4u << 20);
}

}  // namespace
}  // namespace augur::app
