// augur: one binary, several subcommands (run, simulate, replay, config check, eval, version).
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/config.h"
#include "app/rca_eval.h"
#include "app/replay_command.h"
#include "app/run_command.h"
#include "app/simulate_command.h"
#include "core/config_node.h"
#include "core/status_util.h"
#include "core/time.h"
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
  simulate->add_option("--endpoint", endpoint,
                       "Receiver host:port (default localhost:4317 for grpc, localhost:4318 for "
                       "http); none sends nothing (with --record)");
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
  CLI::Option* start_time_option =
      simulate->add_option("--start-time", start_time, "Simulated start, RFC 3339 (default: now)");
  std::string backfill;
  simulate
      ->add_option("--backfill", backfill,
                   "Start this long ago (e.g. 2h) and send the past as fast as possible, then go "
                   "on at --speedup")
      ->excludes(start_time_option);
  simulate
      ->add_option("--metrics-interval", sim_options.metrics_interval_s,
                   "Simulated seconds between runtime metric reports")
      ->check(CLI::PositiveNumber);
  simulate->add_flag("--gzip", sim_options.gzip, "Compress requests");
  simulate->add_flag("--no-metrics", no_metrics, "Do not send runtime metrics");
  simulate->add_flag("--no-logs", no_logs, "Do not send logs");
  augur::app::SimulateCommandOptions simulate_command;
  simulate->add_option("--faults", simulate_command.faults_path,
                       "Scenario file of faults to inject (deploy/scenarios/*.yaml); fault times "
                       "are offsets from the start, so give a --duration that covers them");
  simulate->add_option("--ground-truth", simulate_command.ground_truth_path,
                       "Where to write the faults' ground truth (JSON) as the run starts "
                       "(default augur-ground-truth.json)");
  simulate->add_option("--record", sim_options.record_path,
                       "Also write every Export request to this file, one OTLP/JSON request per "
                       "line (for augur replay)");

  // augur replay
  CLI::App* replay = app.add_subcommand(
      "replay",
      "Send recorded OTLP/JSON requests (augur simulate --record) to an OTLP/HTTP receiver, at "
      "the pace of their own timestamps.");
  augur::app::ReplayCommandOptions replay_options;
  replay->add_option("files", replay_options.files, "Recorded files, one Export request per line")
      ->required()
      ->check(CLI::ExistingFile);
  replay->add_option("--endpoint", replay_options.endpoint,
                     "Receiver host:port (default localhost:4318)");
  replay
      ->add_option("--speedup", replay_options.speedup,
                   "Recorded seconds per wall-clock second (default 1)")
      ->check(CLI::PositiveNumber);
  replay->add_option("--protocol", replay_options.protocol, "http/json or http/protobuf")
      ->check(CLI::IsMember({"http/json", "http/protobuf"}));

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
  CLI::App* eval_rca = eval->add_subcommand(
      "rca", "Root-cause analysis on injected faults, end to end: AC@1, AC@3, Avg@5, delay.");
  augur::app::RcaEvalOptions rca_options;
  eval_rca->add_option("--services", rca_options.topologies, "Topologies (services per fleet)")
      ->check(CLI::Range(12, 100000));
  eval_rca
      ->add_option("--per-type", rca_options.per_type,
                   "Faults of each type per topology (default 10)")
      ->check(CLI::Range(1, 10000));
  eval_rca->add_option("--types", rca_options.types, "Fault types (default: all eight)");
  eval_rca->add_option("--rate", rca_options.rate, "Root requests per simulated second")
      ->check(CLI::PositiveNumber);
  eval_rca->add_option("--seed", rca_options.seed, "Random seed");
  // Simulated minutes (1 to 240) into a duration.
  auto add_minutes = [&](const char* name, augur::core::TimeNs* out, const char* help) {
    eval_rca
        ->add_option_function<double>(
            name,
            [out](double m) {
              *out = static_cast<augur::core::TimeNs>(m * augur::core::kNsPerMinute);
            },
            help)
        ->check(CLI::Range(1.0, 240.0));
  };
  add_minutes("--fault-minutes", &rca_options.fault_ns,
              "Simulated minutes each fault lasts (default 8)");
  add_minutes("--gap-minutes", &rca_options.gap_ns,
              "Quiet simulated minutes after each fault (default 12)");
  eval_rca->add_option("--shards", rca_options.shards, "Pipeline shards per stage (0 = per core)");
  eval_rca->add_flag("--json", rca_options.json, "Print one JSON object");
  eval_rca->add_flag("-v,--verbose", rca_options.verbose, "One line per fault on stderr");

  CLI::App* version = app.add_subcommand("version", "Print the version.");

  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    std::cout << "augur " << kVersion << "\n";
    return 0;
  }

  if (replay->parsed()) return augur::app::RunReplay(replay_options);

  if (eval_nab->parsed()) return augur::eval::RunNabEval(nab_options);
  if (eval_logs->parsed()) return augur::eval::RunLogEval(log_options);
  if (eval_rca->parsed()) return augur::app::RunRcaEval(rca_options);

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
    if (!backfill.empty()) {
      absl::StatusOr<augur::core::TimeNs> b = augur::core::ParseDuration(backfill);
      if (!b.ok() || *b <= 0) {
        std::cerr << "--backfill: "
                  << (b.ok() ? "must be positive" : augur::core::MessageOf(b.status())) << "\n";
        return 1;
      }
      sim_options.start_time_ns = augur::core::Clock::Real().NowNs() - *b;
      sim_options.catch_up = true;
    }
    sim_options.send_metrics = !no_metrics;
    sim_options.send_logs = !no_logs;
    return augur::app::RunSimulate(sim_options, simulate_command);
  }
  return 0;
}
