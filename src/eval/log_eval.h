// `augur eval logs DIR`: runs the log template miner over each system of a Loghub-format
// directory (<System>/<System>_2k.log_structured.csv) and prints Grouping Accuracy and Parsing
// Accuracy per system and on average.
#pragma once

#include <string>

namespace augur::eval {

struct LogEvalOptions {
  std::string dir;
  bool json = false;  // one JSON object: ga_mean, pa_mean, per_system
};

int RunLogEval(const LogEvalOptions& options);

}  // namespace augur::eval
