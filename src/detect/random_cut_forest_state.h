// The state of a RandomCutForest (random_cut_forest.h): the normaliser, the shingle, the trees
// with their samples, and the score calibrator. Internal to the forest and its tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "detect/random_cut_forest.h"
#include "detect/random_cut_tree.h"
#include "detect/score_calibrator.h"
#include "detect/time_decayed_reservoir.h"

namespace augur::detect {

struct RandomCutForest::State {
  // A tree and its sample; the sample's handles are the tree's slots.
  struct Tree {
    Tree(int dimensions, int capacity, uint64_t seed)
        : tree(dimensions, capacity), sample(capacity), rng(seed) {}
    RandomCutTree tree;
    TimeDecayedReservoir sample;
    RandomCutTree::Rng rng;
  };

  // Working space of one assessment.
  struct Scratch {
    double next_weight = 0;
    std::vector<double> next_mean;
    std::vector<double> next_m2;
    std::vector<float> observation;  // normalised
    std::vector<float> point;        // shingled
    std::vector<double> point_attribution;
  };

  // Observations beyond this are rejected: squared deviations must not overflow.
  static constexpr double kMaxValue = 1e100;
  // Sample weights are rebased before they exceed exp(this).
  static constexpr double kMaxLogWeight = 32;

  explicit State(const RandomCutForestOptions& o)
      : dimensions(o.dimensions), point_dimensions(o.dimensions * o.shingle_size) {
    norm_mean.assign(dimensions, 0);
    norm_m2.assign(dimensions, 0);
    shingle.assign(static_cast<size_t>(point_dimensions - dimensions), 0);
    trees.reserve(o.trees);
    // Every tree gets its own stream, derived from the seed.
    RandomCutTree::Rng seeder(o.seed);
    for (int t = 0; t < o.trees; ++t)
      trees.emplace_back(point_dimensions, o.sample_size, seeder.Next());
    InitScratch(&scratch);
    path.reserve(static_cast<size_t>(o.sample_size));  // a tree is at most this deep
  }

  void InitScratch(Scratch* s) const {
    s->next_mean.resize(dimensions);
    s->next_m2.resize(dimensions);
    s->observation.resize(dimensions);
    // Padded with zeros for the trees (RandomCutTree::PaddedDimensions).
    s->point.assign(RandomCutTree::PaddedDimensions(point_dimensions), 0.0f);
    s->point_attribution.assign(s->point.size(), 0.0);
  }

  // Normalises `values` into s->observation with the running statistics updated by them (kept in
  // s->next_* for Commit). Including the value bounds |z| by about sqrt(1 / normalize_decay), so
  // the first observations and constant signals cannot produce huge coordinates. False on
  // invalid input.
  bool Prepare(const RandomCutForestOptions& o, std::span<const double> values, Scratch* s) const {
    if (values.size() != static_cast<size_t>(dimensions)) return false;
    for (double v : values) {
      if (!(std::fabs(v) <= kMaxValue)) return false;  // NaN and infinities too
    }
    // Exponentially weighted mean and variance, Welford's update with forgetting (West, "Updating
    // mean and variance estimates: an improved method", CACM 1979).
    double keep = 1 - o.normalize_decay;
    s->next_weight = keep * norm_weight + 1;
    for (int d = 0; d < dimensions; ++d) {
      double x = values[d];
      double delta = x - norm_mean[d];
      double mean = norm_mean[d] + delta / s->next_weight;
      double m2 = keep * norm_m2[d] + delta * (x - mean);
      s->next_mean[d] = mean;
      s->next_m2[d] = m2;
      double z = x;
      if (o.normalize) {
        // The floor keeps rounding noise of a constant signal from looking like variation.
        double deviation = std::max({std::sqrt(m2 / s->next_weight), 1e-9 * std::fabs(mean),
                                     std::numeric_limits<double>::min()});
        z = (x - mean) / deviation;
      }
      constexpr double kLimit = RandomCutTree::kMaxCoordinate;
      s->observation[d] = static_cast<float>(std::clamp(z, -kLimit, kLimit));
    }
    return true;
  }

  // The shingle of the previous observations followed by s->observation, oldest first. False
  // until enough observations were seen.
  bool BuildPoint(Scratch* s) const {
    if (shingle_count < point_dimensions - dimensions) return false;
    std::copy(shingle.begin(), shingle.end(), s->point.begin());
    std::copy(s->observation.begin(), s->observation.end(),
              s->point.begin() + (point_dimensions - dimensions));
    return true;
  }

  void Commit(const Scratch& s) {
    norm_weight = s.next_weight;
    norm_mean = s.next_mean;
    norm_m2 = s.next_m2;
    if (!shingle.empty()) {
      std::copy(shingle.begin() + dimensions, shingle.end(), shingle.begin());
      std::copy(s.observation.begin(), s.observation.end(), shingle.end() - dimensions);
      shingle_count = std::min(shingle_count + dimensions, static_cast<int>(shingle.size()));
    }
    ++observations;
  }

  // The mean CoDisp of s->point over the trees and its split over the observation's dimensions
  // (each dimension's shingled copies added together).
  void ScoreTrees(Scratch* s, ForestAssessment* a) const {
    std::fill(s->point_attribution.begin(), s->point_attribution.end(), 0.0);
    for (const Tree& t : trees) t.tree.Score(s->point.data(), s->point_attribution.data());
    Fold(*s, a);
  }

  // ScoreTrees, and offers the point to every tree's sample. Each tree scores before it may
  // change (and while it is in cache), so the result is the same as ScoreTrees'.
  void ScoreTreesAndSample(const RandomCutForestOptions& o, Scratch* s, ForestAssessment* a) {
    std::fill(s->point_attribution.begin(), s->point_attribution.end(), 0.0);
    const float* point = s->point.data();
    // The t-th point weighs exp(time_decay * t), measured from base_point to stay in range.
    double log_weight = o.time_decay * static_cast<double>(points - base_point);
    if (log_weight > kMaxLogWeight) {
      for (Tree& t : trees) t.sample.Rebase(log_weight);
      base_point = points;
      log_weight = 0;
    }
    double weight = std::exp(log_weight);
    for (Tree& t : trees) {
      t.tree.Score(point, s->point_attribution.data());
      int evicted = -1;
      if (t.sample.Offer(weight, log_weight, &t.rng, &evicted)) {
        if (evicted >= 0) t.tree.Remove(evicted, &path);
        t.sample.Admit(static_cast<uint16_t>(t.tree.Insert(point, &t.rng)), &t.rng);
      }
    }
    ++points;
    Fold(*s, a);
  }

  // What the calibrator learns and scores: CoDisp per unit of log2 of the trees' mass. A typical
  // point's CoDisp grows with the depth of the trees, so while they fill up raw values are not
  // comparable; at full trees this is a constant factor.
  static double CalibrationUnit(double raw_score, uint64_t held) {
    return raw_score / std::log2(2.0 + static_cast<double>(held));
  }

  void Fold(const Scratch& s, ForestAssessment* a) const {
    double scale = 1.0 / static_cast<double>(trees.size());
    a->raw_score = 0;
    for (int d = 0; d < dimensions; ++d) {
      double sum = 0;
      for (int i = d; i < point_dimensions; i += dimensions) sum += s.point_attribution[i];
      a->attribution[d] = sum * scale;
      a->raw_score += a->attribution[d];
    }
  }

  size_t MemoryBytes() const {
    size_t bytes = sizeof(State) + norm_mean.capacity() * sizeof(double) +
                   norm_m2.capacity() * sizeof(double) + shingle.capacity() * sizeof(float) +
                   trees.capacity() * sizeof(Tree) + path.capacity() * sizeof(int32_t) +
                   calibrator.MemoryBytes() - sizeof(ScoreCalibrator);
    bytes += (scratch.next_mean.capacity() + scratch.next_m2.capacity() +
              scratch.point_attribution.capacity()) *
                 sizeof(double) +
             (scratch.observation.capacity() + scratch.point.capacity()) * sizeof(float);
    for (const Tree& t : trees) bytes += t.tree.HeapBytes() + t.sample.HeapBytes();
    return bytes;
  }

  int dimensions;
  int point_dimensions;
  uint64_t observations = 0;  // valid observations
  uint64_t points = 0;        // shingled points offered to the samples
  uint64_t base_point = 0;    // sample weights are measured from here
  double norm_weight = 0;     // the normaliser's total weight
  std::vector<double> norm_mean;
  std::vector<double> norm_m2;  // weighted sum of squared deviations
  std::vector<float> shingle;   // previous (shingle_size - 1) normalised observations, oldest first
  int shingle_count = 0;        // coordinates of `shingle` filled
  std::vector<Tree> trees;
  ScoreCalibrator calibrator;
  Scratch scratch;
  std::vector<int32_t> path;  // for RandomCutTree::Remove
};

}  // namespace augur::detect
