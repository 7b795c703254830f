// One robust random cut tree (Guha, Mishra, Roy, Schrijvers: "Robust Random Cut Forest Based
// Anomaly Detection on Streams", ICML 2016) over a bounded multiset of points: the building block
// of RandomCutForest, which decides which points a tree holds (its reservoir sample).
//
// A cut picks dimension i with probability proportional to the range of the node's bounding box in
// i, then a value uniform in that range. Points are inserted and removed without rebuilding
// (Section 3 of the paper): the result is distributed as a tree built from scratch on the new set.
//
// Layout: internal nodes in one flat array of fixed-size records (integer child links, cut,
// children's masses, bounding box as floats); each distinct point stored once as floats in a slot
// array with its multiplicity (equal points share a leaf). A leaf's box is its point. Nothing is
// allocated after construction.
//
// Not thread-safe; owned by its forest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/binary_io.h"

namespace augur::detect {

class RandomCutTree {
 public:
  // SplitMix64 (Steele, Lea, Flood: "Fast Splittable Pseudorandom Number Generators", OOPSLA
  // 2014): 64 bits of state, so it saves and restores exactly.
  class Rng {
   public:
    explicit Rng(uint64_t seed = 0) : state_(seed) {}
    uint64_t Next() {
      uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double NextUnit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
    // Uniform in (0, 1).
    double NextOpenUnit() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
    uint64_t state() const { return state_; }

   private:
    uint64_t state_;
  };

  // Largest capacity: masses are 16-bit.
  static constexpr int kMaxCapacity = 65535;
  // Largest coordinate magnitude, so that sums of ranges stay finite in float.
  static constexpr float kMaxCoordinate = 1e30f;

  // Points are stored and passed padded to a multiple of this many floats, so that scoring works
  // on whole SIMD lanes; the padding is zero.
  static constexpr int kLanes = 4;
  static int PaddedDimensions(int dimensions) {
    return (dimensions + kLanes - 1) / kLanes * kLanes;
  }

  // A tree of points with `dimensions` coordinates, holding at most `capacity` points (with
  // multiplicity). Requires 1 <= dimensions <= 65535 and 1 <= capacity <= kMaxCapacity.
  RandomCutTree(int dimensions, int capacity);

  int dimensions() const { return dimensions_; }
  int padded_dimensions() const { return padded_; }
  int capacity() const { return capacity_; }
  // Points held, counted with multiplicity.
  int mass() const { return mass_; }
  // Points held, equal points counted once.
  int distinct() const { return capacity_ - static_cast<int>(free_slots_.size()); }

  // Adds `point` (padded_dimensions() floats: dimensions() within +-kMaxCoordinate, then zeros);
  // returns the slot that holds it, shared with an equal point already present. Requires
  // mass() < capacity().
  int Insert(const float* point, Rng* rng);
  // Removes one copy of the point in `slot` (a slot Insert returned, still held). `path` is
  // scratch space.
  void Remove(int slot, std::vector<int32_t>* path);

  // The collusive displacement `point` would have if it were inserted, in expectation over the
  // random cut the insertion would draw at each level (the paper's CoDisp, Definition 6, for this
  // tree). Adds each coordinate's share of it to attribution[0, dimensions()): at every level the
  // chance that the point is cut off there is split over the coordinates in proportion to how far
  // the point lies outside the box in each, which is the chance that the separating cut is in that
  // coordinate. The shares sum to the result. `point` is padded as for Insert; `attribution` has
  // padded_dimensions() entries. Does not change the tree.
  double Score(const float* point, double* attribution) const;

  const float* point(int slot) const { return &points_[static_cast<size_t>(slot) * padded_]; }
  int count(int slot) const { return counts_[slot]; }

  // Heap bytes (the object itself is counted by its owner).
  size_t HeapBytes() const;

  // The tree's structure and points. Restore reads what Save wrote for a tree of the same
  // dimensions and capacity and checks every invariant (links, masses, boxes, cuts), so corrupt
  // bytes are an error, never a broken tree. Node numbering may differ after a restore; scores,
  // insertions and removals do not.
  void Save(core::BinaryWriter* w) const;
  static absl::StatusOr<RandomCutTree> Restore(int dimensions, int capacity, core::BinaryReader* r);

 private:
  // An internal node is a header followed by its bounding box (min[padded], max[padded])
  // in one record of stride_ words, so a step down the tree reads one or two cache lines. The
  // parent keeps its children's masses, so scoring never touches the sibling.
  struct Header {
    // [0] left, [1] right: >= 0 an internal node, < 0 the leaf of slot ~child. Arrays, so that a
    // step down indexes by the comparison instead of branching on it.
    int32_t child[2];
    float cut;  // a point goes left when point[dim] <= cut
    uint16_t dim;
    uint16_t mass[2];  // of the children
  };
  static_assert(sizeof(Header) % sizeof(float) == 0 && alignof(Header) == alignof(float));
  static constexpr int32_t kNone = INT32_MIN;
  static bool IsLeaf(int32_t child) { return child < 0; }

  Header& header(int32_t node) {
    return *reinterpret_cast<Header*>(&nodes_[static_cast<size_t>(node) * stride_]);
  }
  const Header& header(int32_t node) const {
    return *reinterpret_cast<const Header*>(&nodes_[static_cast<size_t>(node) * stride_]);
  }
  float* box_min(int32_t node) { return reinterpret_cast<float*>(&header(node) + 1); }
  const float* box_min(int32_t node) const {
    return reinterpret_cast<const float*>(&header(node) + 1);
  }
  // A child's box: the node's box, or the leaf's point (min = max).
  const float* child_min(int32_t child) const {
    return IsLeaf(child) ? point(~child) : box_min(child);
  }
  const float* child_max(int32_t child) const {
    return IsLeaf(child) ? point(~child) : box_min(child) + padded_;
  }
  int child_mass(int32_t child) const {
    if (IsLeaf(child)) return counts_[~child];
    const Header& h = header(child);
    return h.mass[0] + h.mass[1];
  }
  bool SamePoint(const float* a, const float* b) const;
  int NewSlot(const float* point);
  // Draws the cut the insertion of x would make at a node with box [lo, hi]. True when it separates
  // x from the box; then *dim and *cut describe it (x goes left iff x[*dim] <= *cut).
  bool DrawCut(const float* lo, const float* hi, const float* x, Rng* rng, int* dim,
               float* cut) const;
  // A new internal node above `child` that cuts x (new leaf `leaf`) off it.
  int32_t NewParent(int32_t child, int32_t leaf, const float* x, int dim, float cut);
  // Sets the box of `node` to the union of its children's; true when it changed.
  bool RecomputeBox(int32_t node);

  int dimensions_;
  int padded_;
  int capacity_;
  int mass_ = 0;
  int32_t root_ = kNone;
  int32_t free_node_ = kNone;         // free internal nodes, linked through Header::left
  size_t stride_;                     // words per node record
  std::vector<float> nodes_;          // capacity - 1 records
  std::vector<float> points_;         // per slot: padded coordinates
  std::vector<uint16_t> counts_;      // per slot: multiplicity, 0 when free
  std::vector<uint16_t> free_slots_;  // a stack
};

}  // namespace augur::detect
