#include "detect/random_cut_forest.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/binary_io.h"
#include "core/hash.h"
#include "core/status_util.h"
#include "detect/random_cut_forest_state.h"
#include "detect/random_cut_tree.h"
#include "fmt/format.h"

namespace augur::detect {
namespace {

static_assert(std::endian::native == std::endian::little, "state is saved little-endian");

constexpr uint32_t kStateMagic = 0x46435241;  // "ARCF"
constexpr uint32_t kStateVersion = 1;

constexpr int kMaxTrees = 1000;
constexpr int kMaxPointDimensions = 1024;
constexpr double kMaxForestBytes = 256.0 * 1024 * 1024;
// Once the trees are full, a point with a calibrated score at or above this is learned by the
// calibrator as this quantile (see Update).
constexpr double kNotLearnedAbove = 0.999;

absl::Status OptionError(std::string_view name, std::string_view rule, double got) {
  return absl::InvalidArgumentError(fmt::format("forest.{} must be {} (got {})", name, rule, got));
}

}  // namespace

absl::Status RandomCutForestOptions::Validate() const {
  if (dimensions < 1) return OptionError("dimensions", "at least 1", dimensions);
  if (shingle_size < 1) return OptionError("shingle_size", "at least 1", shingle_size);
  if (static_cast<int64_t>(dimensions) * shingle_size > kMaxPointDimensions) {
    return OptionError("dimensions * shingle_size", "at most 1024",
                       static_cast<double>(dimensions) * shingle_size);
  }
  if (trees < 1 || trees > kMaxTrees) return OptionError("trees", "in [1, 1000]", trees);
  if (sample_size < 2 || sample_size > RandomCutTree::kMaxCapacity) {
    return OptionError("sample_size", "in [2, 65535]", sample_size);
  }
  if (!(time_decay >= 0) || !std::isfinite(time_decay)) {
    return OptionError("time_decay", "finite and at least 0", time_decay);
  }
  if (output_after < 0) return OptionError("output_after", "at least 0", output_after);
  // About what the trees take (RandomCutTree's layout: per point a node record and the point).
  double padded = RandomCutTree::PaddedDimensions(dimensions * shingle_size);
  double bytes = static_cast<double>(trees) * sample_size * (12 * padded + 40);
  if (bytes > kMaxForestBytes) {
    return absl::InvalidArgumentError(fmt::format(
        "forest: trees * sample_size * dimensions * shingle_size is too large ({:.0f} MiB per "
        "forest, at most 256)",
        bytes / (1024 * 1024)));
  }
  if (!(normalize_decay >= 0 && normalize_decay < 1)) {
    return OptionError("normalize_decay", "in [0, 1)", normalize_decay);
  }
  return absl::OkStatus();
}

RandomCutForest::RandomCutForest(RandomCutForestOptions options) : options_(options) {
  // Invalid options (callers Validate() configuration first) leave state_ empty: every
  // observation is skipped.
  if (options_.Validate().ok()) state_ = std::make_unique<State>(options_);
}

RandomCutForest::~RandomCutForest() = default;
RandomCutForest::RandomCutForest(RandomCutForest&&) noexcept = default;
RandomCutForest& RandomCutForest::operator=(RandomCutForest&&) noexcept = default;

ForestAssessment RandomCutForest::Update(std::span<const double> values) {
  ForestAssessment a;
  a.attribution.assign(static_cast<size_t>(std::max(options_.dimensions, 0)), 0.0);
  if (state_ == nullptr) return a;
  State& s = *state_;
  State::Scratch& scratch = s.scratch;
  if (!s.Prepare(options_, values, &scratch)) return a;
  a.learning = s.observations < static_cast<uint64_t>(options_.output_after);
  if (s.BuildPoint(&scratch)) {
    uint64_t held = std::min<uint64_t>(s.points, options_.sample_size);  // before this point
    s.ScoreTreesAndSample(options_, &scratch, &a);
    double unit = s.CalibrationUnit(a.raw_score, held);
    double calibrated = s.calibrator.Score(unit);
    if (!a.learning) a.score = calibrated;
    // Points scored against empty trees say nothing. While the trees fill up every score is
    // learned; after that a score that is itself anomalous counts as the kNotLearnedAbove
    // quantile, so that anomalies do not teach the calibrator that they are normal, while the
    // calibrator still sees how often its upper quantile is exceeded (skipping them instead
    // thins the learned tail and ratchets the threshold down).
    if (held > 0) {
      if (held < static_cast<uint64_t>(options_.sample_size) || calibrated < kNotLearnedAbove) {
        s.calibrator.Learn(unit);
      } else {
        s.calibrator.Learn(s.calibrator.Quantile(kNotLearnedAbove));
      }
    }
  } else {
    a.learning = true;
  }
  s.Commit(scratch);
  return a;
}

ForestAssessment RandomCutForest::Score(std::span<const double> values) const {
  ForestAssessment a;
  a.attribution.assign(static_cast<size_t>(std::max(options_.dimensions, 0)), 0.0);
  if (state_ == nullptr) return a;
  const State& s = *state_;
  State::Scratch scratch;
  s.InitScratch(&scratch);
  if (!s.Prepare(options_, values, &scratch)) return a;
  a.learning = s.observations < static_cast<uint64_t>(options_.output_after);
  if (s.BuildPoint(&scratch)) {
    uint64_t held = std::min<uint64_t>(s.points, options_.sample_size);
    s.ScoreTrees(&scratch, &a);
    if (!a.learning) a.score = s.calibrator.Score(s.CalibrationUnit(a.raw_score, held));
  } else {
    a.learning = true;
  }
  return a;
}

void RandomCutForest::Save(std::string* out) const {
  size_t start = out->size();
  core::BinaryWriter w(out);
  w.Put(kStateMagic);
  w.Put(kStateVersion);
  const RandomCutForestOptions& o = options_;
  w.Put<int32_t>(o.dimensions);
  w.Put<int32_t>(o.shingle_size);
  w.Put<int32_t>(o.trees);
  w.Put<int32_t>(o.sample_size);
  w.Put(o.time_decay);
  w.Put<int32_t>(o.output_after);
  w.Put<uint64_t>(o.seed);
  w.Put<uint8_t>(o.normalize ? 1 : 0);
  w.Put(o.normalize_decay);
  w.Put<uint8_t>(state_ != nullptr ? 1 : 0);
  if (state_ != nullptr) {
    const State& s = *state_;
    // Roughly what the trees take (a point, its count and sample key, a node's cut).
    out->reserve(out->size() + static_cast<size_t>(o.trees) * o.sample_size *
                                   (4 * static_cast<size_t>(s.point_dimensions) + 20));
    w.Put(s.observations);
    w.Put(s.points);
    w.Put(s.norm_weight);
    for (double v : s.norm_mean) w.Put(v);
    for (double v : s.norm_m2) w.Put(v);
    w.Put<int32_t>(s.shingle_count);
    for (float v : s.shingle) w.Put(v);
    std::string calibrator;
    s.calibrator.Save(&calibrator);
    w.PutString(calibrator);
    w.Put(s.base_point);
    for (const State::Tree& t : s.trees) {
      w.Put(t.rng.state());
      t.sample.Save(&w);
      t.tree.Save(&w);
    }
  }
  w.Put(core::StableHash(std::string_view(*out).substr(start)));
}

absl::Status RandomCutForest::Restore(std::string_view state) {
  auto corrupt = [](std::string_view what) {
    return absl::InvalidArgumentError(fmt::format("random cut forest state: {}", what));
  };
  core::BinaryReader r(state);
  uint32_t magic = 0, version = 0;
  if (!r.Get(&magic) || magic != kStateMagic) return corrupt("not a random cut forest state");
  if (!r.Get(&version) || version != kStateVersion) {
    return absl::InvalidArgumentError(
        fmt::format("random cut forest state: version {} is not supported (this build reads {})",
                    version, kStateVersion));
  }
  if (state.size() < 16) return corrupt("truncated");
  uint64_t checksum = 0;
  std::memcpy(&checksum, state.data() + state.size() - 8, 8);
  if (core::StableHash(state.substr(0, state.size() - 8)) != checksum) {
    return corrupt("checksum mismatch (truncated or corrupt)");
  }
  r = core::BinaryReader(state.substr(8, state.size() - 16));

  RandomCutForestOptions o;
  auto get_int = [&r](int* out) {
    int32_t v = 0;
    r.Get(&v);
    *out = v;
  };
  get_int(&o.dimensions);
  get_int(&o.shingle_size);
  get_int(&o.trees);
  get_int(&o.sample_size);
  r.Get(&o.time_decay);
  get_int(&o.output_after);
  r.Get(&o.seed);
  uint8_t normalize = 0;
  r.Get(&normalize);
  o.normalize = normalize != 0;
  r.Get(&o.normalize_decay);
  uint8_t has_state = 0;
  r.Get(&has_state);
  if (!r.ok()) return corrupt("truncated options");
  if (has_state == 0) {
    if (!r.done()) return corrupt("trailing bytes");
    options_ = o;
    state_.reset();
    return absl::OkStatus();
  }
  if (absl::Status valid = o.Validate(); !valid.ok()) {
    return corrupt(fmt::format("invalid options: {}", core::MessageOf(valid)));
  }

  auto s = std::make_unique<State>(o);
  r.Get(&s->observations);
  r.Get(&s->points);
  r.Get(&s->norm_weight);
  for (double& v : s->norm_mean) r.Get(&v);
  for (double& v : s->norm_m2) r.Get(&v);
  int32_t shingle_count = 0;
  r.Get(&shingle_count);
  for (float& v : s->shingle) r.Get(&v);
  if (!r.ok()) return corrupt("truncated");
  if (s->points > s->observations) return corrupt("more points than observations");
  // Within what valid observations can produce (State::kMaxValue), so updates cannot overflow.
  if (!(s->norm_weight >= 0 && s->norm_weight <= 1e18)) return corrupt("bad normaliser");
  for (int d = 0; d < s->dimensions; ++d) {
    if (!(std::fabs(s->norm_mean[d]) <= State::kMaxValue) ||
        !(s->norm_m2[d] >= 0 && s->norm_m2[d] <= 1e250)) {
      return corrupt("bad normaliser");
    }
  }
  if (shingle_count < 0 || shingle_count > static_cast<int32_t>(s->shingle.size()) ||
      shingle_count % s->dimensions != 0) {
    return corrupt("bad shingle");
  }
  s->shingle_count = shingle_count;
  for (float v : s->shingle) {
    if (!(std::fabs(v) <= RandomCutTree::kMaxCoordinate)) return corrupt("bad shingle");
  }
  std::string_view calibrator;
  if (!r.GetString(&calibrator)) return corrupt("truncated calibrator");
  if (absl::Status c = s->calibrator.Restore(&calibrator); !c.ok()) {
    return corrupt(fmt::format("calibrator: {}", core::MessageOf(c)));
  }
  if (!calibrator.empty()) return corrupt("calibrator: trailing bytes");

  if (!r.Get(&s->base_point) || s->base_point > s->points) return corrupt("bad sample base");
  for (State::Tree& t : s->trees) {
    uint64_t rng_state = 0;
    if (!r.Get(&rng_state)) return corrupt("truncated");
    t.rng = RandomCutTree::Rng(rng_state);
    if (absl::Status c = t.sample.Restore(&r); !c.ok()) {
      return corrupt(core::MessageOf(c));
    }
    absl::StatusOr<RandomCutTree> tree =
        RandomCutTree::Restore(s->point_dimensions, o.sample_size, &r);
    if (!tree.ok()) return corrupt(core::MessageOf(tree.status()));
    t.tree = *std::move(tree);
    // The sample holds each slot as often as the tree counts it.
    std::vector<int> held(static_cast<size_t>(o.sample_size), 0);
    for (int i = 0; i < t.sample.size(); ++i) {
      if (t.sample.handle(i) >= o.sample_size) return corrupt("bad sample slot");
      ++held[t.sample.handle(i)];
    }
    for (int slot = 0; slot < o.sample_size; ++slot) {
      if (held[slot] != t.tree.count(slot)) return corrupt("sample and tree disagree");
    }
  }
  if (!r.done()) return corrupt("trailing bytes");
  options_ = o;
  state_ = std::move(s);
  return absl::OkStatus();
}

size_t RandomCutForest::MemoryBytes() const {
  return sizeof(*this) + (state_ != nullptr ? state_->MemoryBytes() : 0);
}

}  // namespace augur::detect
