// `augur simulate`: runs the e-commerce fleet simulator against an OTLP receiver.
#pragma once

#include <string>

#include "sim/simulator.h"

namespace augur::app {

struct SimulateCommandOptions {
  // A scenario file (deploy/scenarios/*.yaml) whose faults the run injects; "" for none.
  std::string faults_path;
  // Where the ground truth of those faults goes (JSON, written as the run starts).
  std::string ground_truth_path = "augur-ground-truth.json";
};

// Runs until the simulated duration is sent or SIGINT/SIGTERM; returns the exit code. With a
// scenario, prints one line per fault on stdout ("fault: bad_deploy on payment from ... to ...")
// and writes the ground truth file before anything is sent.
int RunSimulate(sim::SimulatorOptions options, const SimulateCommandOptions& command = {});

}  // namespace augur::app
