// `augur eval rca`: root-cause analysis measured end to end on injected faults. For each topology
// the simulator sends a seeded run over real OTLP/gRPC (loopback) to an in-process pipeline: a
// fault-free lead-in (the models learn; false incidents are counted), then one fault after
// another, types interleaved, each followed by a quiet gap so its incident can close. Every fault
// is matched to the incident Augur opened for it and scored (eval/rca_score.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"

namespace augur::app {

struct RcaEvalOptions {
  std::vector<int> topologies = {50, 500};  // services per fleet
  int per_type = 10;               // faults of each type per topology: 20 of each in all on the two
  std::vector<std::string> types;  // fault type names; empty = all eight
  double rate = 10;                // root requests per simulated second
  uint64_t seed = 1;
  core::TimeNs lead_in_ns = 2 * 3600 * core::kNsPerSecond;
  core::TimeNs fault_ns = 8 * core::kNsPerMinute;
  core::TimeNs gap_ns = 12 * core::kNsPerMinute;  // after each fault: its incident closes
  int shards = 0;                                 // pipeline shards per stage; 0 = per core
  bool json = false;
  bool verbose = false;  // one line per fault
};

int RunRcaEval(const RcaEvalOptions& options);

}  // namespace augur::app
