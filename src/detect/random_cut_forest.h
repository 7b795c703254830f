// Random Cut Forest (Guha, Mishra, Roy, Schrijvers: "Robust Random Cut Forest Based Anomaly
// Detection on Streams", ICML 2016): a streaming, multivariate anomaly detector. Each tree holds a
// reservoir sample of recent (shingled) points; a point's collusive displacement (CoDisp) measures
// how much the trees would change if it were inserted, and is high for points that are easy to
// isolate. Augur runs one forest per service on the vector [request rate, error ratio, p95
// latency, saturation] and reports which dimensions contributed most.
//
// Not thread-safe; owned by the shard of its service.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace augur::detect {

struct RandomCutForestOptions {
  int dimensions = 4;    // values per observation
  int shingle_size = 1;  // consecutive observations concatenated into one point
  int trees = 50;
  int sample_size = 256;  // points per tree
  // Points are forgotten with this time decay (0 = the reservoir is uniform over all history).
  double time_decay = 1.0 / 2560;
  int output_after = 32;  // observations before scores are reported (learning)
  uint64_t seed = 42;
  // Dimensions on different scales are normalised online before cutting (running mean and
  // deviation per dimension).
  bool normalize = true;
  // Forgetting of the normaliser per observation (0 = plain running mean and deviation).
  double normalize_decay = 1.0 / 2560;

  // Rejects nonsense with the option's name and the reason: trees in [1, 1000], sample_size in
  // [2, 65535], dimensions >= 1, shingle_size >= 1, dimensions * shingle_size <= 1024,
  // output_after >= 0, time_decay >= 0, normalize_decay in [0, 1), and at most about 256 MiB of
  // trees.
  absl::Status Validate() const;
};

struct ForestAssessment {
  double raw_score = 0;             // CoDisp averaged over the trees
  double score = 0;                 // calibrated tail probability in [0, 1] (see ScoreCalibrator)
  bool learning = true;             // fewer than output_after observations so far
  std::vector<double> attribution;  // per dimension: its share of raw_score (sums to raw_score)
};

class RandomCutForest {
 public:
  explicit RandomCutForest(RandomCutForestOptions options);
  ~RandomCutForest();
  RandomCutForest(RandomCutForest&&) noexcept;
  RandomCutForest& operator=(RandomCutForest&&) noexcept;

  // Scores `values` (options.dimensions of them; NaN is not allowed) against the forest, then
  // inserts the (shingled) point. An observation of the wrong size or with a value that is NaN,
  // infinite or beyond +-1e100 is skipped: nothing is learned, the shingle does not advance, and
  // the result is learning with every score 0. A forest built with options that fail Validate()
  // skips everything likewise.
  ForestAssessment Update(std::span<const double> values);
  // What Update(values) would return, without changing the forest.
  ForestAssessment Score(std::span<const double> values) const;

  // Versioned state; a restored forest continues exactly like the original. Save appends to
  // `out`. Restore takes the options from the state (they may differ from this forest's); on
  // foreign, corrupt or other-version bytes it fails and leaves the forest unchanged.
  void Save(std::string* out) const;
  absl::Status Restore(std::string_view state);
  size_t MemoryBytes() const;
  const RandomCutForestOptions& options() const { return options_; }

 private:
  friend class RandomCutForestPeer;  // tests inspect the per-tree samples

  RandomCutForestOptions options_;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace augur::detect
