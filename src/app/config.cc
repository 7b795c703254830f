#include "app/config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/config_node.h"

namespace augur::app {
namespace {

#define AUGUR_CONFIG_TRY(expr)                         \
  do {                                                 \
    absl::Status augur_config_st = (expr);             \
    if (!augur_config_st.ok()) return augur_config_st; \
  } while (0)

absl::Status Load(const core::ConfigNode& root, AugurConfig* c) {
  AUGUR_CONFIG_TRY(root.CheckKeys(
      {"receivers", "server", "limits", "pipeline", "span_metrics", "service_graph", "log"}));

  core::ConfigNode receivers = root.Child("receivers");
  AUGUR_CONFIG_TRY(receivers.CheckKeys({"otlp", "retry_after"}));
  core::ConfigNode otlp = receivers.Child("otlp");
  AUGUR_CONFIG_TRY(otlp.CheckKeys({"grpc", "http"}));
  AUGUR_CONFIG_TRY(otlp.Child("grpc").CheckKeys({"endpoint"}));
  AUGUR_CONFIG_TRY(otlp.Child("grpc").Get("endpoint", &c->otlp_grpc_endpoint));
  AUGUR_CONFIG_TRY(otlp.Child("http").CheckKeys({"endpoint"}));
  AUGUR_CONFIG_TRY(otlp.Child("http").Get("endpoint", &c->otlp_http_endpoint));
  core::TimeNs retry_after = c->receiver.retry_after_s * core::kNsPerSecond;
  AUGUR_CONFIG_TRY(receivers.GetDuration("retry_after", &retry_after));
  c->receiver.retry_after_s = static_cast<int>(retry_after / core::kNsPerSecond);

  core::ConfigNode server = root.Child("server");
  AUGUR_CONFIG_TRY(server.CheckKeys({"endpoint", "threads"}));
  AUGUR_CONFIG_TRY(server.Get("endpoint", &c->api_endpoint));
  AUGUR_CONFIG_TRY(server.Get("threads", &c->http_threads));

  core::ConfigNode limits = root.Child("limits");
  AUGUR_CONFIG_TRY(
      limits.CheckKeys({"max_request_bytes", "max_items_per_request", "max_attributes_per_item",
                        "max_attribute_value_bytes", "max_series_per_service"}));
  AUGUR_CONFIG_TRY(limits.GetBytes("max_request_bytes", &c->receiver.max_request_bytes));
  AUGUR_CONFIG_TRY(limits.Get("max_items_per_request", &c->receiver.limits.max_items));
  AUGUR_CONFIG_TRY(
      limits.Get("max_attributes_per_item", &c->receiver.limits.max_attributes_per_item));
  size_t value_bytes = c->receiver.limits.max_attribute_value_bytes;
  AUGUR_CONFIG_TRY(limits.GetBytes("max_attribute_value_bytes", &value_bytes));
  c->receiver.limits.max_attribute_value_bytes = static_cast<uint32_t>(value_bytes);
  AUGUR_CONFIG_TRY(
      limits.Get("max_series_per_service", &c->pipeline.series.max_series_per_service));

  core::ConfigNode pipeline = root.Child("pipeline");
  AUGUR_CONFIG_TRY(pipeline.CheckKeys({"shards", "queue_units", "window", "allowed_lateness",
                                       "series_idle_timeout", "flush_interval", "idle_expiry"}));
  AUGUR_CONFIG_TRY(pipeline.Get("shards", &c->pipeline.shards));
  AUGUR_CONFIG_TRY(pipeline.Get("queue_units", &c->pipeline.queue_units));
  AUGUR_CONFIG_TRY(pipeline.GetDuration("window", &c->pipeline.derive.window_ns));
  AUGUR_CONFIG_TRY(
      pipeline.GetDuration("allowed_lateness", &c->pipeline.derive.allowed_lateness_ns));
  AUGUR_CONFIG_TRY(
      pipeline.GetDuration("series_idle_timeout", &c->pipeline.series.series_idle_timeout_ns));
  AUGUR_CONFIG_TRY(pipeline.GetDuration("flush_interval", &c->pipeline.flush_interval_ns));
  AUGUR_CONFIG_TRY(pipeline.GetDuration("idle_expiry", &c->pipeline.idle_expiry_ns));

  core::ConfigNode span_metrics = root.Child("span_metrics");
  AUGUR_CONFIG_TRY(span_metrics.CheckKeys({"buckets_ms"}));
  AUGUR_CONFIG_TRY(span_metrics.Get("buckets_ms", &c->pipeline.derive.latency_bounds_ms));

  core::ConfigNode graph = root.Child("service_graph");
  AUGUR_CONFIG_TRY(graph.CheckKeys(
      {"buckets_s", "pairing_ttl", "max_pending", "peer_attributes", "database_attributes"}));
  derive::ServiceGraphConfig& g = c->pipeline.derive.graph;
  AUGUR_CONFIG_TRY(graph.Get("buckets_s", &g.bounds_s));
  AUGUR_CONFIG_TRY(graph.GetDuration("pairing_ttl", &g.pairing_ttl_ns));
  AUGUR_CONFIG_TRY(graph.Get("max_pending", &g.max_pending));
  AUGUR_CONFIG_TRY(graph.Get("peer_attributes", &g.peer_attributes));
  AUGUR_CONFIG_TRY(graph.Get("database_attributes", &g.database_attributes));

  core::ConfigNode log = root.Child("log");
  AUGUR_CONFIG_TRY(log.CheckKeys({"level"}));
  AUGUR_CONFIG_TRY(log.Get("level", &c->log_level));
  return c->Validate();
}

}  // namespace

absl::Status ParseEndpoint(std::string_view endpoint, std::string_view key, std::string* host,
                           uint16_t* port) {
  size_t colon = endpoint.rfind(':');
  int value = -1;
  if (colon != std::string_view::npos) {
    std::string_view digits = endpoint.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) value = -1;
  }
  if (colon == std::string_view::npos || colon == 0 || value < 0 || value > 65535) {
    return absl::InvalidArgumentError(
        fmt::format("{}: expected host:port, got '{}'", key, endpoint));
  }
  *host = std::string(endpoint.substr(0, colon));
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  *port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

absl::Status AugurConfig::Validate() const {
  std::string host;
  uint16_t port;
  AUGUR_CONFIG_TRY(ParseEndpoint(otlp_grpc_endpoint, "receivers.otlp.grpc.endpoint", &host, &port));
  AUGUR_CONFIG_TRY(ParseEndpoint(otlp_http_endpoint, "receivers.otlp.http.endpoint", &host, &port));
  AUGUR_CONFIG_TRY(ParseEndpoint(api_endpoint, "server.endpoint", &host, &port));
  if (http_threads < 1 || http_threads > 64) {
    return absl::InvalidArgumentError("server.threads must be between 1 and 64");
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (std::string_view l : kLevels) level_ok |= l == log_level;
  if (!level_ok) {
    return absl::InvalidArgumentError(fmt::format(
        "log.level: '{}' is not one of trace, debug, info, warn, error, off", log_level));
  }
  AUGUR_CONFIG_TRY(receiver.Validate());
  return pipeline.Validate();
}

absl::StatusOr<AugurConfig> ParseConfig(std::string_view yaml, std::string_view source,
                                        const std::vector<std::string>& overrides) {
  absl::StatusOr<YAML::Node> root = core::ConfigNode::Parse(yaml, source);
  if (!root.ok()) return root.status();
  for (const std::string& o : overrides) AUGUR_CONFIG_TRY(core::SetYamlValue(&*root, o));
  AugurConfig config;
  AUGUR_CONFIG_TRY(Load(core::ConfigNode(*root, ""), &config));
  return config;
}

absl::StatusOr<AugurConfig> LoadConfig(const std::string& path,
                                       const std::vector<std::string>& overrides) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(fmt::format("cannot read configuration file '{}'", path));
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  return ParseConfig(text, path.empty() ? "defaults" : path, overrides);
}

std::string ConfigToYaml(const AugurConfig& c) {
  YAML::Emitter out;
  auto list = [&out](const auto& values) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : values) out << v;
    out << YAML::EndSeq;
  };
  const derive::DeriveConfig& d = c.pipeline.derive;
  out << YAML::BeginMap;
  out << YAML::Key << "receivers" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "otlp" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "grpc" << YAML::Value << YAML::BeginMap << YAML::Key << "endpoint"
      << YAML::Value << c.otlp_grpc_endpoint << YAML::EndMap;
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap << YAML::Key << "endpoint"
      << YAML::Value << c.otlp_http_endpoint << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::Key << "retry_after" << YAML::Value
      << core::FormatDuration(c.receiver.retry_after_s * core::kNsPerSecond);
  out << YAML::EndMap;
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "endpoint" << YAML::Value << c.api_endpoint;
  out << YAML::Key << "threads" << YAML::Value << c.http_threads;
  out << YAML::EndMap;
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_request_bytes" << YAML::Value
      << core::FormatBytes(c.receiver.max_request_bytes);
  out << YAML::Key << "max_items_per_request" << YAML::Value << c.receiver.limits.max_items;
  out << YAML::Key << "max_attributes_per_item" << YAML::Value
      << c.receiver.limits.max_attributes_per_item;
  out << YAML::Key << "max_attribute_value_bytes" << YAML::Value
      << c.receiver.limits.max_attribute_value_bytes;
  out << YAML::Key << "max_series_per_service" << YAML::Value
      << c.pipeline.series.max_series_per_service;
  out << YAML::EndMap;
  out << YAML::Key << "pipeline" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "shards" << YAML::Value << c.pipeline.shards;
  out << YAML::Key << "queue_units" << YAML::Value << c.pipeline.queue_units;
  out << YAML::Key << "window" << YAML::Value << core::FormatDuration(d.window_ns);
  out << YAML::Key << "allowed_lateness" << YAML::Value
      << core::FormatDuration(d.allowed_lateness_ns);
  out << YAML::Key << "series_idle_timeout" << YAML::Value
      << core::FormatDuration(c.pipeline.series.series_idle_timeout_ns);
  out << YAML::Key << "flush_interval" << YAML::Value
      << core::FormatDuration(c.pipeline.flush_interval_ns);
  out << YAML::Key << "idle_expiry" << YAML::Value
      << core::FormatDuration(c.pipeline.idle_expiry_ns);
  out << YAML::EndMap;
  out << YAML::Key << "span_metrics" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "buckets_ms" << YAML::Value;
  list(d.latency_bounds_ms);
  out << YAML::EndMap;
  out << YAML::Key << "service_graph" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "buckets_s" << YAML::Value;
  list(d.graph.bounds_s);
  out << YAML::Key << "pairing_ttl" << YAML::Value << core::FormatDuration(d.graph.pairing_ttl_ns);
  out << YAML::Key << "max_pending" << YAML::Value << d.graph.max_pending;
  out << YAML::Key << "peer_attributes" << YAML::Value;
  list(d.graph.peer_attributes);
  out << YAML::Key << "database_attributes" << YAML::Value;
  list(d.graph.database_attributes);
  out << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap << YAML::Key << "level" << YAML::Value
      << c.log_level << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace augur::app
