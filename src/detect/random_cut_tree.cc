#include "detect/random_cut_tree.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "absl/status/status.h"

namespace augur::detect {
namespace {

// Marks a leaf in the saved pre-order stream; any other value is an internal node's dimension.
constexpr uint16_t kLeafTag = 0xFFFF;

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// RandomCutTree::kLanes floats, one SSE/NEON register (GCC and Clang vector extension).
using Lanes = float __attribute__((vector_size(16)));
using Mask = int32_t __attribute__((vector_size(16)));  // a comparison of Lanes
static_assert(sizeof(Lanes) == RandomCutTree::kLanes * sizeof(float));

Lanes LoadLanes(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
void StoreLanes(float* p, Lanes v) { std::memcpy(p, &v, sizeof(v)); }
Lanes Max(Lanes a, Lanes b) { return a > b ? a : b; }
Lanes Min(Lanes a, Lanes b) { return a < b ? a : b; }
// Branch-free (maxsd), unlike std::max as GCC compiles it here.
double MaxOf(double a, double b) { return a > b ? a : b; }
// In a fixed order, so results do not depend on the compiler.
float Sum(Lanes v) { return (v[0] + v[1]) + (v[2] + v[3]); }

}  // namespace

RandomCutTree::RandomCutTree(int dimensions, int capacity)
    : dimensions_(dimensions),
      padded_(PaddedDimensions(dimensions)),
      capacity_(capacity),
      stride_(sizeof(Header) / sizeof(float) + 2 * static_cast<size_t>(padded_)),
      nodes_(static_cast<size_t>(std::max(capacity - 1, 0)) * stride_),
      points_(static_cast<size_t>(capacity) * padded_),
      counts_(static_cast<size_t>(capacity), 0) {
  assert(dimensions >= 1 && dimensions <= 65535 && capacity >= 1 && capacity <= kMaxCapacity);
  free_slots_.reserve(static_cast<size_t>(capacity));
  // Slots are handed out lowest first.
  for (int s = capacity - 1; s >= 0; --s) free_slots_.push_back(static_cast<uint16_t>(s));
  for (int32_t n = capacity - 2; n >= 0; --n) {
    new (&header(n)) Header{{free_node_, kNone}, 0, 0, {0, 0}};
    free_node_ = n;
  }
}

bool RandomCutTree::SamePoint(const float* a, const float* b) const {
  for (int i = 0; i < dimensions_; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

int RandomCutTree::NewSlot(const float* p) {
  int slot = free_slots_.back();
  free_slots_.pop_back();
  std::copy(p, p + padded_, &points_[static_cast<size_t>(slot) * padded_]);
  counts_[slot] = 1;
  return slot;
}

bool RandomCutTree::DrawCut(const float* lo, const float* hi, const float* x, Rng* rng, int* dim,
                            float* cut) const {
  // The cut is uniform over the total range of the box extended by x, the ranges of all
  // dimensions laid end to end. Laid out with every dimension's growth (the part of its range the
  // box lacks) first, one draw decides whether the cut separates x, and only then is the
  // dimension located.
  Lanes span4 = {};
  Lanes growth4 = {};
  for (int k = 0; k < padded_; k += kLanes) {
    Lanes l = LoadLanes(lo + k), h = LoadLanes(hi + k), xv = LoadLanes(x + k);
    Lanes range = h - l;
    span4 += range;
    growth4 += (Max(h, xv) - Min(l, xv)) - range;
  }
  float growth = Sum(growth4);
  if (!(growth > 0)) return false;  // x is inside the box: no cut can separate it
  double r = rng->NextUnit() * (static_cast<double>(Sum(span4)) + growth);
  if (r >= growth) return false;
  int last = -1;
  double last_growth = 0;
  for (int i = 0; i < dimensions_; ++i) {
    double g = x[i] < lo[i]   ? static_cast<double>(lo[i]) - x[i]
               : x[i] > hi[i] ? static_cast<double>(x[i]) - hi[i]
                              : 0.0;
    if (g <= 0) continue;
    last = i;
    last_growth = g;
    if (r < g) break;
    r -= g;
  }
  // (Past the last growth only through rounding: then at its far end.)
  r = std::min(r, last_growth);
  *dim = last;
  if (x[last] < lo[last]) {
    // x goes left: x <= cut < lo. Rounding to float cannot go below x, itself a float.
    float c = static_cast<float>(x[last] + r);
    *cut = c < lo[last] ? c : std::nextafter(lo[last], kMinusInfinity);
  } else {
    // x goes right: hi <= cut < x.
    float c = static_cast<float>(hi[last] + r);
    *cut = c < x[last] ? c : std::nextafter(x[last], kMinusInfinity);
  }
  return true;
}

int32_t RandomCutTree::NewParent(int32_t child, int32_t leaf, const float* x, int dim, float cut) {
  int32_t n = free_node_;
  Header& node = header(n);
  free_node_ = node.child[0];
  node.dim = static_cast<uint16_t>(dim);
  node.cut = cut;
  auto child_side = static_cast<uint16_t>(child_mass(child));
  if (x[dim] <= cut) {
    node.child[0] = leaf;
    node.child[1] = child;
    node.mass[0] = 1;
    node.mass[1] = child_side;
  } else {
    node.child[0] = child;
    node.child[1] = leaf;
    node.mass[0] = child_side;
    node.mass[1] = 1;
  }
  const float* cmin = child_min(child);
  const float* cmax = child_max(child);
  float* min = box_min(n);
  float* max = min + padded_;
  for (int k = 0; k < padded_; k += kLanes) {
    Lanes xv = LoadLanes(x + k);
    StoreLanes(min + k, Min(LoadLanes(cmin + k), xv));
    StoreLanes(max + k, Max(LoadLanes(cmax + k), xv));
  }
  return n;
}

int RandomCutTree::Insert(const float* x, Rng* rng) {
  assert(mass_ < capacity_);
  ++mass_;
  if (root_ == kNone) {
    int slot = NewSlot(x);
    root_ = ~slot;
    return slot;
  }
  // Top-down (the paper's Algorithm for InsertPoint): at each node draw the cut the insertion
  // would make in the box extended by x; if it separates x from the box, x becomes a leaf beside
  // that subtree, otherwise the node's box grows to hold x and x follows the node's own cut.
  int32_t* link = &root_;
  int32_t node = root_;
  int dim = 0;
  float cut = 0;
  while (true) {
    if (IsLeaf(node)) {
      int slot = ~node;
      const float* p = point(slot);
      if (SamePoint(p, x)) {
        ++counts_[slot];
        return slot;
      }
      DrawCut(p, p, x, rng, &dim, &cut);  // two different points: always separates
      int new_slot = NewSlot(x);
      *link = NewParent(node, ~new_slot, x, dim, cut);
      return new_slot;
    }
    float* min = box_min(node);
    float* max = min + padded_;
    if (DrawCut(min, max, x, rng, &dim, &cut)) {
      int new_slot = NewSlot(x);
      *link = NewParent(node, ~new_slot, x, dim, cut);
      return new_slot;
    }
    for (int k = 0; k < padded_; k += kLanes) {
      Lanes xv = LoadLanes(x + k);
      StoreLanes(min + k, Min(LoadLanes(min + k), xv));
      StoreLanes(max + k, Max(LoadLanes(max + k), xv));
    }
    Header& h = header(node);
    if (x[h.dim] <= h.cut) {
      ++h.mass[0];
      link = &h.child[0];
    } else {
      ++h.mass[1];
      link = &h.child[1];
    }
    node = *link;
  }
}

bool RandomCutTree::RecomputeBox(int32_t node) {
  const Header& n = header(node);
  const float* lmin = child_min(n.child[0]);
  const float* lmax = child_max(n.child[0]);
  const float* rmin = child_min(n.child[1]);
  const float* rmax = child_max(n.child[1]);
  float* min = box_min(node);
  float* max = min + padded_;
  bool changed = false;
  for (int k = 0; k < padded_; k += kLanes) {
    Lanes lo = Min(LoadLanes(lmin + k), LoadLanes(rmin + k));
    Lanes hi = Max(LoadLanes(lmax + k), LoadLanes(rmax + k));
    Mask differs = (lo != LoadLanes(min + k)) | (hi != LoadLanes(max + k));
    changed |= (differs[0] | differs[1] | differs[2] | differs[3]) != 0;
    StoreLanes(min + k, lo);
    StoreLanes(max + k, hi);
  }
  return changed;
}

void RandomCutTree::Remove(int slot, std::vector<int32_t>* path) {
  // Every point of a subtree follows the cuts into it, so the cuts lead to the point's leaf.
  const float* x = point(slot);
  path->clear();
  int32_t node = root_;
  while (!IsLeaf(node)) {
    path->push_back(node);
    const Header& h = header(node);
    node = x[h.dim] <= h.cut ? h.child[0] : h.child[1];
  }
  assert(~node == slot);
  --mass_;
  // Every node on the path loses one point on x's side.
  auto lose_one = [&](int32_t n) {
    Header& h = header(n);
    --(x[h.dim] <= h.cut ? h.mass[0] : h.mass[1]);
  };
  if (counts_[slot] > 1) {
    --counts_[slot];
    for (int32_t n : *path) lose_one(n);
    return;
  }
  counts_[slot] = 0;
  free_slots_.push_back(static_cast<uint16_t>(slot));
  if (path->empty()) {
    root_ = kNone;
    return;
  }
  // The paper's deletion: the leaf's parent is replaced by the leaf's sibling; ancestors lose one
  // point and their boxes shrink to their children's.
  int32_t parent = path->back();
  path->pop_back();
  Header& p = header(parent);
  int32_t sibling = p.child[0] == node ? p.child[1] : p.child[0];
  p.child[0] = free_node_;
  free_node_ = parent;
  if (path->empty()) {
    root_ = sibling;
    return;
  }
  Header& grandparent = header(path->back());
  (grandparent.child[0] == parent ? grandparent.child[0] : grandparent.child[1]) = sibling;
  bool shrinking = true;  // once a box is unchanged, boxes above it are too
  for (auto it = path->rbegin(); it != path->rend(); ++it) {
    lose_one(*it);
    if (shrinking) shrinking = RecomputeBox(*it);
  }
}

double RandomCutTree::Score(const float* x, double* attribution) const {
  if (root_ == kNone) return 0;
  // Walking down the path the insertion would take: at node v the insertion cuts x off with
  // probability p_v = (growth of v's box's total range by x) / (the grown total range). Cut off at
  // v, x's displacement is max(m_v, D) where m_v is v's mass (x's sibling) and D the largest
  // |sibling| / |subtree holding x| met above v (x's subtree one point heavier). The expectation
  // sums reach * p_v * max(m_v, D), reach being the chance that no cut above v separated x.
  //
  // The growth of a coordinate's range is max(hi, x) - min(lo, x) - (hi - lo), exactly 0 when x
  // lies within it; with growth 0 every term is a no-op, and is skipped.
  double reach = 1;
  double above = 0;  // D
  double score = 0;
  int32_t node = root_;
  while (!IsLeaf(node)) {
    const Header& h = header(node);
    const float* min = box_min(node);
    const float* max = min + padded_;
    Lanes span4 = {};
    Lanes growth4 = {};
    for (int k = 0; k < padded_; k += kLanes) {
      Lanes lo = LoadLanes(min + k), hi = LoadLanes(max + k), xv = LoadLanes(x + k);
      Lanes range = hi - lo;
      span4 += range;
      growth4 += (Max(hi, xv) - Min(lo, xv)) - range;
    }
    float growth = Sum(growth4);
    // Within the box (most nodes, for a usual point) nothing can cut x off here.
    if (growth > 0) {
      float span = Sum(span4);
      double inverse_total = 1.0 / (static_cast<double>(span) + growth);
      double mass = h.mass[0] + h.mass[1];
      double per_unit = reach * MaxOf(mass, above) * inverse_total;
      for (int k = 0; k < padded_; k += kLanes) {
        Lanes lo = LoadLanes(min + k), hi = LoadLanes(max + k), xv = LoadLanes(x + k);
        Lanes g = (Max(hi, xv) - Min(lo, xv)) - (hi - lo);
        for (int j = 0; j < kLanes; ++j) attribution[k + j] += per_unit * g[j];
      }
      score += per_unit * growth;
      reach -= reach * growth * inverse_total;
    }
    int side = x[h.dim] <= h.cut ? 0 : 1;
    double path_mass = h.mass[side] + 1;
    double sibling_mass = h.mass[1 - side];
    above = MaxOf(above, sibling_mass / path_mass);
    node = h.child[side];
  }
  const float* p = point(~node);
  Lanes distance4 = {};
  for (int k = 0; k < padded_; k += kLanes) {
    Lanes d = LoadLanes(x + k) - LoadLanes(p + k);
    distance4 += Max(d, -d);
  }
  float distance = Sum(distance4);
  if (distance > 0) {
    // A different point at the leaf: the insertion cuts x off it for certain.
    double weight = reach * std::max(static_cast<double>(counts_[~node]), above);
    double per_unit = weight / distance;
    for (int i = 0; i < dimensions_; ++i) attribution[i] += per_unit * std::fabs(x[i] - p[i]);
    score += weight;
  } else if (above > 0) {
    // x joins its equal's leaf; no cut isolates it, so no coordinate stands out.
    double weight = reach * above;
    for (int i = 0; i < dimensions_; ++i) attribution[i] += weight / dimensions_;
    score += weight;
  }
  return score;
}

size_t RandomCutTree::HeapBytes() const {
  return nodes_.capacity() * sizeof(float) + points_.capacity() * sizeof(float) +
         counts_.capacity() * sizeof(uint16_t) + free_slots_.capacity() * sizeof(uint16_t);
}

void RandomCutTree::Save(core::BinaryWriter* w) const {
  // Free slots in stack order (so slots are reused in the same order), the held points by slot,
  // then the structure in pre-order.
  w->Put<uint16_t>(static_cast<uint16_t>(free_slots_.size()));
  for (uint16_t s : free_slots_) w->Put(s);
  for (int s = 0; s < capacity_; ++s) {
    if (counts_[s] == 0) continue;
    w->Put(counts_[s]);
    for (int i = 0; i < dimensions_; ++i) w->Put(point(s)[i]);
  }
  if (root_ == kNone) return;
  std::vector<int32_t> stack = {root_};
  while (!stack.empty()) {
    int32_t node = stack.back();
    stack.pop_back();
    if (IsLeaf(node)) {
      w->Put(kLeafTag);
      w->Put<uint16_t>(static_cast<uint16_t>(~node));
      continue;
    }
    const Header& n = header(node);
    w->Put(n.dim);
    w->Put(n.cut);
    stack.push_back(n.child[1]);
    stack.push_back(n.child[0]);
  }
}

absl::StatusOr<RandomCutTree> RandomCutTree::Restore(int dimensions, int capacity,
                                                     core::BinaryReader* r) {
  auto corrupt = [](const char* what) {
    return absl::InvalidArgumentError(std::string("random cut tree state: ") + what);
  };
  RandomCutTree tree(dimensions, capacity);
  uint16_t free_count = 0;
  if (!r->Get(&free_count) || free_count > capacity) return corrupt("bad free slot count");
  std::vector<uint8_t> is_free(static_cast<size_t>(capacity), 0);
  tree.free_slots_.clear();
  for (int k = 0; k < free_count; ++k) {
    uint16_t s = 0;
    if (!r->Get(&s) || s >= capacity || is_free[s]) return corrupt("bad free slot");
    is_free[s] = 1;
    tree.free_slots_.push_back(s);
  }
  int mass = 0;
  for (int s = 0; s < capacity; ++s) {
    if (is_free[s]) continue;
    uint16_t count = 0;
    if (!r->Get(&count) || count == 0) return corrupt("bad point count");
    tree.counts_[s] = count;
    mass += count;
    float* p = &tree.points_[static_cast<size_t>(s) * tree.padded_];
    for (int i = 0; i < dimensions; ++i) {
      if (!r->Get(&p[i]) || !(std::fabs(p[i]) <= kMaxCoordinate)) return corrupt("bad point");
    }
  }
  if (mass > capacity) return corrupt("more points than the capacity");
  tree.mass_ = mass;
  int distinct = capacity - free_count;
  if (distinct == 0) return tree;

  // Pre-order: nodes are numbered as they come, so a node's children have higher numbers.
  int32_t used_nodes = 0;
  std::vector<uint8_t> seen(static_cast<size_t>(capacity), 0);
  std::vector<std::pair<int32_t, int>> stack;  // node, children attached so far
  do {
    uint16_t tag = 0;
    if (!r->Get(&tag)) return corrupt("truncated structure");
    int32_t child;
    if (tag == kLeafTag) {
      uint16_t s = 0;
      if (!r->Get(&s) || s >= capacity || is_free[s] || seen[s]) return corrupt("bad leaf");
      seen[s] = 1;
      child = ~static_cast<int32_t>(s);
    } else {
      float cut = 0;
      if (tag >= dimensions || !r->Get(&cut) || !std::isfinite(cut)) return corrupt("bad cut");
      if (used_nodes >= distinct - 1) return corrupt("too many nodes");
      child = used_nodes++;
      tree.header(child) = Header{{kNone, kNone}, cut, tag, {0, 0}};
    }
    if (stack.empty()) {
      if (tree.root_ != kNone) return corrupt("trailing nodes");
      tree.root_ = child;
    } else {
      auto& [parent, attached] = stack.back();
      Header& h = tree.header(parent);
      (attached == 0 ? h.child[0] : h.child[1]) = child;
      if (++attached == 2) stack.pop_back();
    }
    if (!IsLeaf(child)) stack.emplace_back(child, 0);
  } while (!stack.empty());
  if (used_nodes != distinct - 1) return corrupt("leaves missing");

  // Masses and boxes from the leaves up; every cut must separate its children's boxes.
  for (int32_t n = used_nodes - 1; n >= 0; --n) {
    Header& node = tree.header(n);
    node.mass[0] = static_cast<uint16_t>(tree.child_mass(node.child[0]));
    node.mass[1] = static_cast<uint16_t>(tree.child_mass(node.child[1]));
    tree.RecomputeBox(n);
    if (!(tree.child_max(node.child[0])[node.dim] <= node.cut &&
          node.cut < tree.child_min(node.child[1])[node.dim])) {
      return corrupt("a cut does not separate its children");
    }
  }
  tree.free_node_ = kNone;
  for (int32_t n = capacity - 2; n >= used_nodes; --n) {
    tree.header(n).child[0] = tree.free_node_;
    tree.free_node_ = n;
  }
  return tree;
}

}  // namespace augur::detect
