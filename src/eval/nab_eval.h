// `augur eval nab DIR`: streams every file of a Numenta Anomaly Benchmark directory through
// Augur's detector, row by row without look-ahead, and scores the detections with NAB's rules
// (standard, reward_low_fp, reward_low_fn profiles) at the shipped default threshold and at the
// best threshold, per category and overall.
#pragma once

#include <string>

namespace augur::eval {

struct NabEvalOptions {
  std::string dir;          // contains data/<category>/<file>.csv and labels/combined_windows.json
  bool json = false;        // one JSON object instead of tables
  std::string results_dir;  // if set: per-file CSVs in NAB's results format
  std::string detector;     // detector type; "" = the default
};

// Runs the evaluation, prints the result to stdout; returns the process exit code.
int RunNabEval(const NabEvalOptions& options);

}  // namespace augur::eval
