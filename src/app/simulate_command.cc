#include "app/simulate_command.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/status_util.h"
#include "sim/scenario.h"

namespace augur::app {

namespace {

// "fault: packet_loss on payment (other: checkout) from 2026-...Z to 2026-...Z: <description>"
std::string FaultLine(const sim::GroundTruth& t) {
  std::string line = fmt::format("fault: {} on {}", sim::FaultTypeName(t.type), t.root_cause);
  if (!t.other.empty()) line += fmt::format(" (other: {})", t.other);
  line += fmt::format(" from {} to {}: {}", core::FormatRfc3339(t.start_ns),
                      core::FormatRfc3339(t.end_ns), t.description);
  return line;
}

}  // namespace

int RunSimulate(sim::SimulatorOptions options, const SimulateCommandOptions& command) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> ground_truth(nullptr, &std::fclose);
  if (!command.faults_path.empty()) {
    absl::StatusOr<sim::Scenario> scenario = sim::LoadScenario(command.faults_path);
    if (!scenario.ok()) {
      spdlog::error("--faults: {}", core::MessageOf(scenario.status()));
      return 1;
    }
    for (const sim::FaultSpec& f : scenario->faults) {
      const double end_s = static_cast<double>(f.start_offset_ns + f.duration_ns) / 1e9;
      if (options.duration_s > 0 && end_s > options.duration_s) {
        spdlog::warn(
            "--faults: a {} fault on {} ends {:.0f}s after the start, after the run's {:.0f}s "
            "(fault times are offsets from the start; give a longer --duration)",
            sim::FaultTypeName(f.type), f.target.empty() ? "the entry" : f.target, end_s,
            options.duration_s);
      }
    }
    options.scenario = *std::move(scenario);
    // Opened now, so that an unwritable path fails before the run rather than after.
    ground_truth.reset(std::fopen(command.ground_truth_path.c_str(), "w"));
    if (ground_truth == nullptr) {
      spdlog::error("--ground-truth: cannot create {}", command.ground_truth_path);
      return 1;
    }
    options.on_start = [&](const std::vector<sim::GroundTruth>& truths) {
      const std::string json = sim::GroundTruthJson(truths);
      std::fwrite(json.data(), 1, json.size(), ground_truth.get());
      std::fflush(ground_truth.get());
      for (const sim::GroundTruth& t : truths) std::cout << FaultLine(t) << "\n";
      std::cout.flush();
      spdlog::info("ground truth of {} fault(s) written to {}", truths.size(),
                   command.ground_truth_path);
    };
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // wakes the watcher when the run ends on its own
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sim::Simulator simulator(options);
  std::atomic<bool> done{false};
  // Stops the simulator on SIGINT/SIGTERM; a run that ends on its own wakes it with SIGUSR1.
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGUSR1 && !done.load()) {
      spdlog::info("stopping the simulator");
      simulator.Stop();
    }
  });
  std::thread reporter([&] {
    bool behind = options.catch_up;  // a backfill still being sent
    while (!done.load()) {
      for (int i = 0; i < 100 && !done.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (done.load()) break;
      sim::SimulatorStats s = simulator.Stats();
      if (behind && s.caught_up) {
        behind = false;
        spdlog::info("backfill sent ({:.0f} simulated seconds): running live from here",
                     s.simulated_seconds);
      }
      spdlog::info(
          "simulated {:.0f}s: {} traces, {} spans, {} metric points, {} log records, "
          "{} requests ({} failed, {} retried)",
          s.simulated_seconds, s.traces, s.spans, s.metric_points, s.log_records, s.requests,
          s.failed_requests, s.retries);
    }
  });
  absl::Status status = simulator.Run();
  done = true;
  pthread_kill(watcher.native_handle(), SIGUSR1);
  watcher.join();
  reporter.join();
  sim::SimulatorStats s = simulator.Stats();
  spdlog::info(
      "done: {:.0f} simulated seconds, {} traces, {} spans, {} metric points, {} log "
      "records in {} requests ({} failed)",
      s.simulated_seconds, s.traces, s.spans, s.metric_points, s.log_records, s.requests,
      s.failed_requests);
  if (!options.record_path.empty() && status.ok()) {
    spdlog::info("recorded {} requests to {}", s.requests + s.failed_requests, options.record_path);
  }
  if (!status.ok()) {
    spdlog::error("{}", core::MessageOf(status));
    return 1;
  }
  return 0;
}

}  // namespace augur::app
