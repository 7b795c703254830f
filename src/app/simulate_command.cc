#include "app/simulate_command.h"

#include <csignal>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/status_util.h"

namespace augur::app {

int RunSimulate(const sim::SimulatorOptions& options) {
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
    while (!done.load()) {
      for (int i = 0; i < 100 && !done.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (done.load()) break;
      sim::SimulatorStats s = simulator.Stats();
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
  if (!status.ok()) {
    spdlog::error("{}", core::MessageOf(status));
    return 1;
  }
  return 0;
}

}  // namespace augur::app
