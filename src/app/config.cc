#include "app/config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/config_node.h"
#include "core/label_selector.h"

namespace augur::app {
namespace {

#define AUGUR_CONFIG_TRY(expr)                         \
  do {                                                 \
    absl::Status augur_config_st = (expr);             \
    if (!augur_config_st.ok()) return augur_config_st; \
  } while (0)

absl::Status Load(const core::ConfigNode& root, AugurConfig* c) {
  AUGUR_CONFIG_TRY(
      root.CheckKeys({"receivers", "server", "limits", "pipeline", "span_metrics", "service_graph",
                      "detection", "logs", "exporters", "storage", "log"}));

  core::ConfigNode receivers = root.Child("receivers");
  AUGUR_CONFIG_TRY(receivers.CheckKeys({"otlp", "loki", "retry_after"}));
  AUGUR_CONFIG_TRY(receivers.Child("loki").CheckKeys({"enabled"}));
  AUGUR_CONFIG_TRY(receivers.Child("loki").Get("enabled", &c->loki_receiver));
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

  core::ConfigNode detection = root.Child("detection");
  AUGUR_CONFIG_TRY(detection.CheckKeys({"enabled", "detector", "band_confidence", "sensitivity",
                                        "min_requests", "multi_signal", "forest", "events",
                                        "history_points", "saturation_metric", "sensitivity_rules",
                                        "mutes", "checkpoint_interval"}));
  detect::DetectionConfig& d = c->pipeline.series.detection;
  AUGUR_CONFIG_TRY(detection.Get("enabled", &d.enabled));
  AUGUR_CONFIG_TRY(detection.Get("detector", &d.detector));
  AUGUR_CONFIG_TRY(detection.Get("band_confidence", &d.options.band_confidence));
  AUGUR_CONFIG_TRY(detection.Get("sensitivity", &d.options.sensitivity));
  AUGUR_CONFIG_TRY(detection.Get("min_requests", &d.min_requests));
  AUGUR_CONFIG_TRY(detection.Get("multi_signal", &d.multi_signal));
  AUGUR_CONFIG_TRY(detection.Get("history_points", &d.history_points));
  AUGUR_CONFIG_TRY(detection.Get("saturation_metric", &d.saturation_metric));
  AUGUR_CONFIG_TRY(
      detection.GetDuration("checkpoint_interval", &c->pipeline.checkpoint_interval_ns));
  core::ConfigNode forest = detection.Child("forest");
  AUGUR_CONFIG_TRY(forest.CheckKeys({"trees", "sample_size", "shingle_size", "time_decay"}));
  AUGUR_CONFIG_TRY(forest.Get("trees", &d.forest.trees));
  AUGUR_CONFIG_TRY(forest.Get("sample_size", &d.forest.sample_size));
  AUGUR_CONFIG_TRY(forest.Get("shingle_size", &d.forest.shingle_size));
  AUGUR_CONFIG_TRY(forest.Get("time_decay", &d.forest.time_decay));
  core::ConfigNode events = detection.Child("events");
  AUGUR_CONFIG_TRY(events.CheckKeys(
      {"open_score", "open_k", "open_n", "close_score", "close_m", "close_after"}));
  AUGUR_CONFIG_TRY(events.Get("open_score", &d.events.open_score));
  AUGUR_CONFIG_TRY(events.Get("open_k", &d.events.open_k));
  AUGUR_CONFIG_TRY(events.Get("open_n", &d.events.open_n));
  AUGUR_CONFIG_TRY(events.Get("close_score", &d.events.close_score));
  AUGUR_CONFIG_TRY(events.Get("close_m", &d.events.close_m));
  AUGUR_CONFIG_TRY(events.GetDuration("close_after", &d.events.close_after_ns));
  // Lists of {match, sensitivity} and {match, comment}.
  for (auto [key, is_mute] : {std::pair{"sensitivity_rules", false}, std::pair{"mutes", true}}) {
    if (!detection.Has(key)) continue;
    YAML::Node list = detection.Raw()[key];
    if (!list.IsSequence()) {
      return absl::InvalidArgumentError(fmt::format("detection.{}: expected a list", key));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      core::ConfigNode item(list[i], fmt::format("detection.{}[{}]", key, i));
      AUGUR_CONFIG_TRY(is_mute ? item.CheckKeys({"match", "comment"})
                               : item.CheckKeys({"match", "sensitivity"}));
      std::string match;
      AUGUR_CONFIG_TRY(item.Get("match", &match));
      absl::StatusOr<core::LabelSelector> selector = core::LabelSelector::Parse(match);
      if (!selector.ok() || match.empty()) {
        return absl::InvalidArgumentError(
            fmt::format("{}: {}", item.KeyPath("match"),
                        match.empty() ? "required" : std::string(selector.status().message())));
      }
      if (is_mute) {
        detect::Mute m;
        m.selector = std::move(*selector);
        AUGUR_CONFIG_TRY(item.Get("comment", &m.comment));
        d.mutes.push_back(std::move(m));
      } else {
        double sensitivity = 1;
        AUGUR_CONFIG_TRY(item.Get("sensitivity", &sensitivity));
        if (!(sensitivity > 0)) {
          return absl::InvalidArgumentError(
              fmt::format("{}: must be positive", item.KeyPath("sensitivity")));
        }
        d.sensitivity.push_back({std::move(*selector), sensitivity});
      }
    }
  }

  core::ConfigNode logs = root.Child("logs");
  AUGUR_CONFIG_TRY(logs.CheckKeys(
      {"max_services", "max_templates", "max_line_bytes", "similarity_threshold", "settled_lines",
       "max_example_bytes", "learning_period", "new_template_min_lines", "max_modelled_templates",
       "max_error_templates", "template_idle_timeout"}));
  derive::LogMiningConfig& mining = c->pipeline.derive.logs;
  detect::LogDetectionConfig& log_detection = c->pipeline.series.logs;
  AUGUR_CONFIG_TRY(logs.Get("max_services", &mining.max_services));
  AUGUR_CONFIG_TRY(logs.Get("max_templates", &mining.miner.max_templates));
  AUGUR_CONFIG_TRY(logs.GetBytes("max_line_bytes", &mining.miner.max_line_bytes));
  AUGUR_CONFIG_TRY(logs.Get("similarity_threshold", &mining.miner.similarity_threshold));
  AUGUR_CONFIG_TRY(logs.Get("settled_lines", &mining.miner.settled_lines));
  AUGUR_CONFIG_TRY(logs.GetBytes("max_example_bytes", &mining.max_example_bytes));
  AUGUR_CONFIG_TRY(logs.GetDuration("learning_period", &log_detection.learning_period_ns));
  AUGUR_CONFIG_TRY(logs.Get("new_template_min_lines", &log_detection.new_template_min_lines));
  AUGUR_CONFIG_TRY(logs.Get("max_modelled_templates", &log_detection.max_modelled_templates));
  AUGUR_CONFIG_TRY(logs.Get("max_error_templates", &log_detection.max_error_templates));
  AUGUR_CONFIG_TRY(
      logs.GetDuration("template_idle_timeout", &log_detection.template_idle_timeout_ns));
  // Stage 2 holds what the miners can create, and their overflow.
  log_detection.max_templates = mining.miner.max_templates + 1;

  core::ConfigNode exporters = root.Child("exporters");
  AUGUR_CONFIG_TRY(exporters.CheckKeys({"clickhouse", "loki", "elasticsearch"}));
  auto load_exporter = [](const core::ConfigNode& node,
                          exporter::LogExporterConfig* e) -> absl::Status {
    AUGUR_CONFIG_TRY(node.Get("enabled", &e->enabled));
    AUGUR_CONFIG_TRY(node.Get("endpoint", &e->endpoint));
    AUGUR_CONFIG_TRY(node.Get("batch_size", &e->batch_size));
    AUGUR_CONFIG_TRY(node.GetDuration("flush_interval", &e->flush_interval_ns));
    AUGUR_CONFIG_TRY(node.Get("queue_size", &e->queue_size));
    AUGUR_CONFIG_TRY(node.Get("max_retries", &e->max_retries));
    AUGUR_CONFIG_TRY(node.GetDuration("initial_backoff", &e->initial_backoff_ns));
    AUGUR_CONFIG_TRY(node.GetDuration("max_backoff", &e->max_backoff_ns));
    AUGUR_CONFIG_TRY(node.GetDuration("timeout", &e->timeout_ns));
    return absl::OkStatus();
  };
  exporter::ExportersConfig& ex = c->pipeline.exporters;
  core::ConfigNode clickhouse = exporters.Child("clickhouse");
  AUGUR_CONFIG_TRY(clickhouse.CheckKeys(
      {"enabled", "endpoint", "batch_size", "flush_interval", "queue_size", "max_retries",
       "initial_backoff", "max_backoff", "timeout", "database", "table", "template_counts"}));
  AUGUR_CONFIG_TRY(load_exporter(clickhouse, &ex.clickhouse.exporter));
  AUGUR_CONFIG_TRY(clickhouse.Get("database", &ex.clickhouse.database));
  AUGUR_CONFIG_TRY(clickhouse.Get("table", &ex.clickhouse.table));
  AUGUR_CONFIG_TRY(clickhouse.Get("template_counts", &ex.clickhouse.template_counts));
  core::ConfigNode loki = exporters.Child("loki");
  AUGUR_CONFIG_TRY(
      loki.CheckKeys({"enabled", "endpoint", "batch_size", "flush_interval", "queue_size",
                      "max_retries", "initial_backoff", "max_backoff", "timeout"}));
  AUGUR_CONFIG_TRY(load_exporter(loki, &ex.loki.exporter));
  core::ConfigNode elasticsearch = exporters.Child("elasticsearch");
  AUGUR_CONFIG_TRY(elasticsearch.CheckKeys({"enabled", "endpoint", "batch_size", "flush_interval",
                                            "queue_size", "max_retries", "initial_backoff",
                                            "max_backoff", "timeout", "index_prefix"}));
  AUGUR_CONFIG_TRY(load_exporter(elasticsearch, &ex.elasticsearch.exporter));
  AUGUR_CONFIG_TRY(elasticsearch.Get("index_prefix", &ex.elasticsearch.index_prefix));

  core::ConfigNode storage = root.Child("storage");
  AUGUR_CONFIG_TRY(storage.CheckKeys({"path"}));
  AUGUR_CONFIG_TRY(storage.Get("path", &c->pipeline.data_dir));

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
  out << YAML::Key << "loki" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled"
      << YAML::Value << c.loki_receiver << YAML::EndMap;
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
  const detect::DetectionConfig& dc = c.pipeline.series.detection;
  out << YAML::Key << "detection" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << dc.enabled;
  out << YAML::Key << "detector" << YAML::Value
      << (dc.detector.empty() ? std::string(detect::DefaultDetectorType()) : dc.detector);
  out << YAML::Key << "band_confidence" << YAML::Value << dc.options.band_confidence;
  out << YAML::Key << "sensitivity" << YAML::Value << dc.options.sensitivity;
  out << YAML::Key << "min_requests" << YAML::Value << dc.min_requests;
  out << YAML::Key << "multi_signal" << YAML::Value << dc.multi_signal;
  out << YAML::Key << "forest" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "trees" << YAML::Value << dc.forest.trees;
  out << YAML::Key << "sample_size" << YAML::Value << dc.forest.sample_size;
  out << YAML::Key << "shingle_size" << YAML::Value << dc.forest.shingle_size;
  out << YAML::Key << "time_decay" << YAML::Value << dc.forest.time_decay;
  out << YAML::EndMap;
  out << YAML::Key << "events" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "open_score" << YAML::Value << dc.events.open_score;
  out << YAML::Key << "open_k" << YAML::Value << dc.events.open_k;
  out << YAML::Key << "open_n" << YAML::Value << dc.events.open_n;
  out << YAML::Key << "close_score" << YAML::Value << dc.events.close_score;
  out << YAML::Key << "close_m" << YAML::Value << dc.events.close_m;
  out << YAML::Key << "close_after" << YAML::Value
      << core::FormatDuration(dc.events.close_after_ns);
  out << YAML::EndMap;
  out << YAML::Key << "history_points" << YAML::Value << dc.history_points;
  out << YAML::Key << "saturation_metric" << YAML::Value << dc.saturation_metric;
  out << YAML::Key << "checkpoint_interval" << YAML::Value
      << core::FormatDuration(c.pipeline.checkpoint_interval_ns);
  out << YAML::Key << "sensitivity_rules" << YAML::Value << YAML::BeginSeq;
  for (const auto& r : dc.sensitivity) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "match" << YAML::Value << r.selector.text()
        << YAML::Key << "sensitivity" << YAML::Value << r.sensitivity << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "mutes" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : dc.mutes) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "match" << YAML::Value << m.selector.text()
        << YAML::Key << "comment" << YAML::Value << m.comment << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  const derive::LogMiningConfig& lm = c.pipeline.derive.logs;
  const detect::LogDetectionConfig& ld = c.pipeline.series.logs;
  out << YAML::Key << "logs" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_services" << YAML::Value << lm.max_services;
  out << YAML::Key << "max_templates" << YAML::Value << lm.miner.max_templates;
  out << YAML::Key << "max_line_bytes" << YAML::Value << lm.miner.max_line_bytes;
  out << YAML::Key << "similarity_threshold" << YAML::Value << lm.miner.similarity_threshold;
  out << YAML::Key << "settled_lines" << YAML::Value << lm.miner.settled_lines;
  out << YAML::Key << "max_example_bytes" << YAML::Value << lm.max_example_bytes;
  out << YAML::Key << "learning_period" << YAML::Value
      << core::FormatDuration(ld.learning_period_ns);
  out << YAML::Key << "new_template_min_lines" << YAML::Value << ld.new_template_min_lines;
  out << YAML::Key << "max_modelled_templates" << YAML::Value << ld.max_modelled_templates;
  out << YAML::Key << "max_error_templates" << YAML::Value << ld.max_error_templates;
  out << YAML::Key << "template_idle_timeout" << YAML::Value
      << core::FormatDuration(ld.template_idle_timeout_ns);
  out << YAML::EndMap;
  auto exporter_keys = [&out](const exporter::LogExporterConfig& e) {
    out << YAML::Key << "enabled" << YAML::Value << e.enabled;
    out << YAML::Key << "endpoint" << YAML::Value << e.endpoint;
    out << YAML::Key << "batch_size" << YAML::Value << e.batch_size;
    out << YAML::Key << "flush_interval" << YAML::Value
        << core::FormatDuration(e.flush_interval_ns);
    out << YAML::Key << "queue_size" << YAML::Value << e.queue_size;
    out << YAML::Key << "max_retries" << YAML::Value << e.max_retries;
    out << YAML::Key << "initial_backoff" << YAML::Value
        << core::FormatDuration(e.initial_backoff_ns);
    out << YAML::Key << "max_backoff" << YAML::Value << core::FormatDuration(e.max_backoff_ns);
    out << YAML::Key << "timeout" << YAML::Value << core::FormatDuration(e.timeout_ns);
  };
  const exporter::ExportersConfig& ex = c.pipeline.exporters;
  out << YAML::Key << "exporters" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "clickhouse" << YAML::Value << YAML::BeginMap;
  exporter_keys(ex.clickhouse.exporter);
  out << YAML::Key << "database" << YAML::Value << ex.clickhouse.database;
  out << YAML::Key << "table" << YAML::Value << ex.clickhouse.table;
  out << YAML::Key << "template_counts" << YAML::Value << ex.clickhouse.template_counts;
  out << YAML::EndMap;
  out << YAML::Key << "loki" << YAML::Value << YAML::BeginMap;
  exporter_keys(ex.loki.exporter);
  out << YAML::EndMap;
  out << YAML::Key << "elasticsearch" << YAML::Value << YAML::BeginMap;
  exporter_keys(ex.elasticsearch.exporter);
  out << YAML::Key << "index_prefix" << YAML::Value << ex.elasticsearch.index_prefix;
  out << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap << YAML::Key << "path"
      << YAML::Value << c.pipeline.data_dir << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap << YAML::Key << "level" << YAML::Value
      << c.log_level << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace augur::app
