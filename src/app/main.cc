// augur: one binary, several subcommands (run, simulate, config check, version).
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/config.h"
#include "app/run_command.h"
#include "app/simulate_command.h"
#include "core/config_node.h"
#include "core/status_util.h"
#include "eval/log_eval.h"
#include "eval/nab_eval.h"

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries only machine-readable output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("augur"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  CLI::App app{"Augur: an observability pipeline that learns what normal looks like."};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  // augur run
  CLI::App* run = app.add_subcommand("run", "Run the pipeline (receivers, derivation, API).");
  std::string config_path;
  std::vector<std::string> overrides;
  std::string grpc_endpoint, http_endpoint, api_endpoint, log_level;
  int shards = -1;
  run->add_option("-c,--config", config_path, "Configuration file (augur.yaml)");
  run->add_option("--set", overrides,
                  "Override a configuration key: --set limits.max_items_per_request=1000");
  run->add_option("--otlp-grpc-endpoint", grpc_endpoint, "OTLP/gRPC listen address (0.0.0.0:4317)");
  run->add_option("--otlp-http-endpoint", http_endpoint, "OTLP/HTTP listen address (0.0.0.0:4318)");
  run->add_option("--api-endpoint", api_endpoint,
                  "API, UI and /metrics listen address (0.0.0.0:8080)");
  run->add_option("--shards", shards, "Shards per pipeline stage (0 = one per core)");
  run->add_option("--log-level", log_level, "trace, debug, info, warn, error or off");

  // augur simulate
  CLI::App* simulate =
      app.add_subcommand("simulate", "Send a simulated e-commerce fleet's telemetry over OTLP.");
  augur::sim::SimulatorOptions sim_options;
  std::string protocol = "grpc";
  std::string duration = "0";
  std::string endpoint;
  bool no_metrics = false, no_logs = false;
  simulate->add_option(
      "--endpoint", endpoint,
      "Receiver host:port (default localhost:4317 for grpc, localhost:4318 for http)");
  simulate->add_option("--protocol", protocol, "grpc, http/protobuf or http/json")
      ->check(CLI::IsMember({"grpc", "http/protobuf", "http/json"}));
  simulate->add_option("--services", sim_options.services, "Services in the fleet")
      ->check(CLI::Range(12, 100000));
  simulate
      ->add_option("--rate", sim_options.rate, "Root requests per simulated second (weekly mean)")
      ->check(CLI::PositiveNumber);
  simulate->add_option("--speedup", sim_options.speedup, "Simulated seconds per wall-clock second")
      ->check(CLI::PositiveNumber);
  simulate->add_option("--seed", sim_options.seed, "Random seed");
  simulate->add_option("--duration", duration,
                       "Simulated time to send, e.g. 10m or 7d (0 = until stopped)");
  simulate->add_option("--batch-spans", sim_options.batch_spans, "Spans per Export request")
      ->check(CLI::Range(1, 100000));
  simulate->add_option("--max-in-flight", sim_options.max_in_flight, "Concurrent Export requests")
      ->check(CLI::Range(1, 256));
  std::string start_time;
  simulate->add_option("--start-time", start_time, "Simulated start, RFC 3339 (default: now)");
  simulate
      ->add_option("--metrics-interval", sim_options.metrics_interval_s,
                   "Simulated seconds between runtime metric reports")
      ->check(CLI::PositiveNumber);
  simulate->add_flag("--gzip", sim_options.gzip, "Compress requests");
  simulate->add_flag("--no-metrics", no_metrics, "Do not send runtime metrics");
  simulate->add_flag("--no-logs", no_logs, "Do not send logs");

  // augur config check
  CLI::App* config = app.add_subcommand("config", "Configuration tools.");
  config->require_subcommand(1);
  CLI::App* check =
      config->add_subcommand("check", "Validate a configuration file and print it resolved.");
  std::string check_path;
  std::vector<std::string> check_overrides;
  check->add_option("file", check_path, "Configuration file")->required();
  check->add_option("--set", check_overrides, "Override a configuration key");

  // augur eval
  CLI::App* eval = app.add_subcommand("eval", "Evaluate Augur's models on labeled datasets.");
  eval->require_subcommand(1);
  CLI::App* eval_nab = eval->add_subcommand(
      "nab",
      "Anomaly detection on a Numenta Anomaly Benchmark directory, scored with NAB's rules.");
  augur::eval::NabEvalOptions nab_options;
  eval_nab->add_option("dir", nab_options.dir, "NAB directory (data/, labels/)")->required();
  eval_nab->add_flag("--json", nab_options.json, "Print one JSON object");
  eval_nab->add_option("--results-dir", nab_options.results_dir,
                       "Write per-file CSVs in NAB's results format");
  eval_nab->add_option("--detector", nab_options.detector, "Detector type (default: Augur's)");
  CLI::App* eval_logs = eval->add_subcommand(
      "logs", "Log template mining on a Loghub directory: grouping and parsing accuracy.");
  augur::eval::LogEvalOptions log_options;
  eval_logs->add_option("dir", log_options.dir, "Loghub directory (<System>/...)")->required();
  eval_logs->add_flag("--json", log_options.json, "Print one JSON object");

  CLI::App* version = app.add_subcommand("version", "Print the version.");

  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    std::cout << "augur " << kVersion << "\n";
    return 0;
  }

  if (eval_nab->parsed()) return augur::eval::RunNabEval(nab_options);
  if (eval_logs->parsed()) return augur::eval::RunLogEval(log_options);

  if (check->parsed()) {
    absl::StatusOr<augur::app::AugurConfig> loaded =
        augur::app::LoadConfig(check_path, check_overrides);
    if (!loaded.ok()) {
      std::cerr << "invalid configuration: " << augur::core::MessageOf(loaded.status()) << "\n";
      return 1;
    }
    std::cout << augur::app::ConfigToYaml(*loaded);
    return 0;
  }

  if (run->parsed()) {
    if (!grpc_endpoint.empty())
      overrides.push_back("receivers.otlp.grpc.endpoint=" + grpc_endpoint);
    if (!http_endpoint.empty())
      overrides.push_back("receivers.otlp.http.endpoint=" + http_endpoint);
    if (!api_endpoint.empty()) overrides.push_back("server.endpoint=" + api_endpoint);
    if (shards >= 0) overrides.push_back("pipeline.shards=" + std::to_string(shards));
    if (!log_level.empty()) overrides.push_back("log.level=" + log_level);
    absl::StatusOr<augur::app::AugurConfig> loaded = augur::app::LoadConfig(config_path, overrides);
    if (!loaded.ok()) {
      std::cerr << "invalid configuration: " << augur::core::MessageOf(loaded.status()) << "\n";
      return 1;
    }
    spdlog::set_level(spdlog::level::from_str(loaded->log_level));
    return augur::app::RunAugur(*loaded);
  }

  if (simulate->parsed()) {
    if (protocol == "grpc") {
      sim_options.protocol = augur::sim::Protocol::kGrpc;
    } else {
      sim_options.protocol = protocol == "http/json" ? augur::sim::Protocol::kHttpJson
                                                     : augur::sim::Protocol::kHttpProtobuf;
    }
    sim_options.endpoint =
        !endpoint.empty() ? endpoint : (protocol == "grpc" ? "localhost:4317" : "localhost:4318");
    absl::StatusOr<augur::core::TimeNs> d = augur::core::ParseDuration(duration);
    if (!d.ok()) {
      std::cerr << "--duration: " << augur::core::MessageOf(d.status()) << "\n";
      return 1;
    }
    sim_options.duration_s = static_cast<double>(*d) / augur::core::kNsPerSecond;
    if (!start_time.empty()) {
      absl::StatusOr<augur::core::TimeNs> t = augur::core::ParseRfc3339(start_time);
      if (!t.ok()) {
        std::cerr << "--start-time: " << augur::core::MessageOf(t.status()) << "\n";
        return 1;
      }
      sim_options.start_time_ns = *t;
    }
    sim_options.send_metrics = !no_metrics;
    sim_options.send_logs = !no_logs;
    return augur::app::RunSimulate(sim_options);
  }
  return 0;
}
