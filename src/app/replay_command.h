// `augur replay`: sends recorded OTLP/JSON requests (augur simulate --record) to an OTLP/HTTP
// receiver at the pace they were recorded, times a speedup.
#pragma once

#include <string>
#include <vector>

namespace augur::app {

struct ReplayCommandOptions {
  std::vector<std::string> files;           // replayed in this order
  std::string endpoint = "localhost:4318";  // host:port or http://host:port
  double speedup = 1;                       // recorded seconds per wall-clock second
  std::string protocol = "http/json";       // or http/protobuf
};

// Returns the exit code: 0 when every request was accepted (bad lines are reported and skipped),
// 1 when a request was rejected for good (the first one is named with its file and line) or a
// file cannot be read.
int RunReplay(const ReplayCommandOptions& options);

}  // namespace augur::app
