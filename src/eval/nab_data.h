// A Numenta Anomaly Benchmark corpus on disk (Ahmad, Lavin, Purdy, Agha: "Unsupervised real-time
// anomaly detection for streaming data", Neurocomputing 2017): data/<category>/<name>.csv with
// rows `timestamp,value`, labels/combined_windows.json with the anomaly windows of every file,
// and profiles.json with the cost matrices of the scoring profiles.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/time.h"

namespace augur::eval {

struct NabWindow {
  size_t first_row = 0;  // the rows of the file inside the window, inclusive
  size_t last_row = 0;
};

struct NabFile {
  std::string name;  // "<category>/<name>.csv", the key in combined_windows.json
  std::string category;
  std::vector<std::string> timestamp_text;  // as in the file, for the results CSV
  std::vector<core::TimeNs> timestamps;
  std::vector<double> values;
  std::vector<NabWindow> windows;  // in time order
};

// A profile's weights (NAB's cost matrix): a detection at the start of a window earns tp, a missed
// window costs fn, a false positive far from any window costs fp.
struct NabProfile {
  std::string name;  // "standard", "reward_low_fp", "reward_low_fn"
  double tp = 1;
  double fp = 0.11;
  double fn = 1;
};

struct NabCorpus {
  std::vector<NabFile> files;  // sorted by name
  std::vector<NabProfile> profiles;
};

// "YYYY-MM-DD HH:MM:SS" with optional fractional seconds, read as UTC.
absl::StatusOr<core::TimeNs> ParseNabTimestamp(std::string_view text);

// Reads one data file (header line, then `timestamp,value` rows in time order).
absl::StatusOr<NabFile> ReadNabFile(const std::string& path);

// Loads every data file of the corpus rooted at `dir` with its windows, and the profiles
// (NAB's standard weights if profiles.json is absent). Files without an entry in the windows file
// are an error: the labels and the data must agree.
absl::StatusOr<NabCorpus> LoadNabCorpus(const std::string& dir);

// The windows of `file` from [start, end] timestamps: the rows with start <= t <= end.
std::vector<NabWindow> WindowRows(const std::vector<core::TimeNs>& timestamps,
                                  const std::vector<std::pair<core::TimeNs, core::TimeNs>>& limits);

}  // namespace augur::eval
