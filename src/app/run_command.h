// `augur run`: the embedded pipeline with its receivers and API until SIGTERM/SIGINT, then a clean
// drain (stop accepting, process everything acknowledged, flush) and exit code 0.
#pragma once

#include "app/config.h"

namespace augur::app {

// Returns the process exit code. Must be called before any other thread is started (it blocks
// SIGINT and SIGTERM so that only its own wait receives them).
int RunAugur(const AugurConfig& config);

}  // namespace augur::app
