#include "app/replay_command.h"

#include <spdlog/spdlog.h>

#include "core/status_util.h"
#include "sim/otlp_replay.h"

namespace augur::app {

int RunReplay(const ReplayCommandOptions& options) {
  sim::ReplayOptions replay;
  replay.endpoint = options.endpoint;
  replay.speedup = options.speedup;
  replay.protobuf = options.protocol == "http/protobuf";
  replay.report = [](std::string_view line) { spdlog::warn("{}", line); };
  const absl::StatusOr<sim::ReplayStats> stats = sim::ReplayFiles(options.files, replay);
  if (!stats.ok()) {
    spdlog::error("{}", core::MessageOf(stats.status()));
    return 1;
  }
  spdlog::info(
      "replayed {} lines to {}: {} requests accepted ({} spans, {} metric points, {} log "
      "records), {} rejected, {} bad lines skipped, {} retries",
      stats->lines, options.endpoint, stats->requests, stats->spans, stats->metric_points,
      stats->log_records, stats->rejected, stats->bad_lines, stats->retries);
  if (stats->rejected > 0) {
    spdlog::error("{} request(s) rejected; the first: {}", stats->rejected, stats->first_rejection);
    return 1;
  }
  return 0;
}

}  // namespace augur::app
