// `augur simulate`: runs the e-commerce fleet simulator against an OTLP receiver.
#pragma once

#include "sim/simulator.h"

namespace augur::app {

// Runs until the simulated duration is sent or SIGINT/SIGTERM; returns the exit code.
int RunSimulate(const sim::SimulatorOptions& options);

}  // namespace augur::app
