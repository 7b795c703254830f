#include "derive/log_template_miner.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/binary_io.h"
#include "core/hash.h"
#include "core/utf8.h"
#include "derive/log_masker.h"

namespace augur::derive {
namespace {

constexpr uint64_t kWildcardHash = core::StableHash(kLogWildcard);
constexpr std::string_view kOverflowText = "<overflow>";
constexpr char kMagic[4] = {'A', 'L', 'T', 'M'};
constexpr uint32_t kFormatVersion = 1;
// Templates of a line's length that Find compares it with when its leaves have no fit.
constexpr size_t kMaxCompatibleScan = 64;

bool IsOpening(char c) { return c == '(' || c == '[' || c == '{' || c == '"' || c == '\''; }
bool IsClosing(char c) {
  return c == ')' || c == ']' || c == '}' || c == '"' || c == '\'' || c == ',' || c == ';' ||
         c == ':' || c == '.';
}

// A wildcard in brackets, quotes or before punctuation: "(<*>)", "'<*>'", "<*>,". It stands for
// any token with the same wrapping, so "(<*>)" covers "(adsl.example.net)" and the empty "()".
bool IsWrappedWildcard(std::string_view tok, size_t* prefix, size_t* suffix) {
  size_t p = tok.find(kLogWildcard);
  if (p == std::string_view::npos || tok.size() == kLogWildcard.size()) return false;
  for (size_t i = 0; i < p; ++i) {
    if (!IsOpening(tok[i])) return false;
  }
  for (size_t i = p + kLogWildcard.size(); i < tok.size(); ++i) {
    if (!IsClosing(tok[i])) return false;
  }
  *prefix = p;
  *suffix = tok.size() - p - kLogWildcard.size();
  return true;
}

// A position where a template and a line disagree becomes a wildcard that keeps the brackets and
// punctuation both tokens share: "(<*>)" and "(adsl.net)" give "(<*>)", "alice," and "bob," give
// "<*>,".
std::string Generalize(std::string_view a, std::string_view b) {
  size_t shortest = std::min(a.size(), b.size());
  size_t prefix = 0;
  while (prefix < shortest && a[prefix] == b[prefix] && IsOpening(a[prefix])) ++prefix;
  size_t suffix = 0;
  while (prefix + suffix < shortest && a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix] &&
         IsClosing(a[a.size() - 1 - suffix])) {
    ++suffix;
  }
  std::string out(a.substr(0, prefix));
  out.append(kLogWildcard);
  out.append(a.substr(a.size() - suffix));
  return out;
}

enum class Agreement {
  kEqual,    // the same token
  kCovered,  // the template has a wildcard there that stands for the token
  kDiffer,
};

// A template: its tokens are the words of `text` (joined by single spaces), wildcards as "<*>".
struct Template {
  uint32_t id = 0;
  uint64_t count = 0;
  // Positions generalised because two words disagreed there (not because a line had a value).
  uint32_t generalized_words = 0;
  std::string text;
  std::vector<uint32_t> offsets;  // start of each token in `text`
  std::vector<uint64_t> hashes;   // core::StableHash of each token
  uint64_t leaf = 0;              // the tree leaf that holds it

  size_t size() const { return offsets.size(); }
  std::string_view token(size_t i) const {
    size_t end = i + 1 < offsets.size() ? offsets[i + 1] - 1 : text.size();
    return std::string_view(text).substr(offsets[i], end - offsets[i]);
  }
  Agreement Compare(size_t i, std::string_view tok, uint64_t hash) const {
    if (hashes[i] == hash && token(i) == tok) return Agreement::kEqual;
    if (hashes[i] == kWildcardHash && token(i) == kLogWildcard) return Agreement::kCovered;
    size_t prefix = 0, suffix = 0;
    std::string_view mine = token(i);
    if (IsWrappedWildcard(mine, &prefix, &suffix) && tok.size() >= prefix + suffix &&
        tok.substr(0, prefix) == mine.substr(0, prefix) &&
        tok.substr(tok.size() - suffix) == mine.substr(mine.size() - suffix)) {
      return Agreement::kCovered;
    }
    return Agreement::kDiffer;
  }
  size_t MemoryBytes() const {
    return sizeof(Template) + text.capacity() + offsets.capacity() * sizeof(uint32_t) +
           hashes.capacity() * sizeof(uint64_t);
  }
};

// Sets the template's tokens, sizing its buffers exactly (they are not appended to later).
template <typename GetToken>
void SetTokens(Template* t, size_t n, GetToken get) {
  size_t bytes = n > 0 ? n - 1 : 0;
  for (size_t i = 0; i < n; ++i) bytes += get(i).size();
  std::string text;
  text.reserve(bytes);
  std::vector<uint32_t> offsets;
  offsets.reserve(n);
  std::vector<uint64_t> hashes;
  hashes.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) text.push_back(' ');
    std::string_view tok = get(i);
    offsets.push_back(static_cast<uint32_t>(text.size()));
    hashes.push_back(core::StableHash(tok));
    text.append(tok);
  }
  t->text = std::move(text);
  t->offsets = std::move(offsets);
  t->hashes = std::move(hashes);
}

bool TokenIsVariable(std::string_view tok) {
  // Wildcards and punctuation only.
  bool any = false;
  for (size_t i = 0; i < tok.size();) {
    if (tok.compare(i, kLogWildcard.size(), kLogWildcard) == 0) {
      any = true;
      i += kLogWildcard.size();
      continue;
    }
    auto c = static_cast<uint8_t>(tok[i]);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) {
      return false;
    }
    ++i;
  }
  return any;
}

// The leaf of the parse tree for lines of `length` tokens whose first token hashes to
// `first_hash`: Drain's length layer and first-token layer folded into one key. A first token that
// is a value routes to the wildcard branch.
uint64_t LeafKey(size_t length, uint64_t first_hash) {
  uint64_t h = first_hash ^ (static_cast<uint64_t>(length) * 0x9E3779B97F4A7C15ULL);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 29);
}

uint64_t TemplateLeaf(const Template& t) {
  if (t.size() == 0) return LeafKey(0, 0);
  return LeafKey(t.size(), TokenIsVariable(t.token(0)) ? kWildcardHash : t.hashes[0]);
}

uint64_t LineLeaf(const MaskedLine& line) {
  if (line.empty()) return LeafKey(0, 0);
  return LeafKey(line.size(), line.info(0).variable ? kWildcardHash : line.info(0).hash);
}

// Where a line cut to `max_bytes` ends, stepping back so that no UTF-8 sequence is split.
std::string_view CutLine(std::string_view line, size_t max_bytes) {
  if (line.size() <= max_bytes) return line;
  size_t n = max_bytes;
  for (int back = 0; back < 3 && n > 0 && (static_cast<uint8_t>(line[n]) & 0xC0) == 0x80; ++back) {
    --n;
  }
  return line.substr(0, n);
}

}  // namespace

absl::Status LogTemplateMinerOptions::Validate() const {
  if (max_templates == 0 || max_templates >= LogTemplateMiner::kOverflowTemplate) {
    return absl::InvalidArgumentError("log_templates.max_templates must be in [1, 2^32-2)");
  }
  if (max_line_bytes < 16 || max_line_bytes > (size_t{1} << 24)) {
    return absl::InvalidArgumentError("log_templates.max_line_bytes must be in [16, 16 MiB]");
  }
  if (max_tokens == 0 || max_tokens > 65536) {
    return absl::InvalidArgumentError("log_templates.max_tokens must be in [1, 65536]");
  }
  if (!(similarity_threshold > 0.0 && similarity_threshold <= 1.0)) {
    return absl::InvalidArgumentError("log_templates.similarity_threshold must be in (0, 1]");
  }
  return absl::OkStatus();
}

size_t LogTemplateMinerOptions::MemoryBoundBytes() const {
  // Fixed part and the masking buffers: the masked text (3 bytes per input byte at most), the
  // sanitised copy of a line with invalid UTF-8 (as much), the tokens and the words.
  size_t fixed = size_t{64} * 1024 + 6 * max_line_bytes + 160 * max_tokens;
  // Per template: its record, text (masked bytes plus separators) and per-token offset and hash,
  // and its share of the id vectors and of the leaf and length indexes (hash-map slots and
  // vector capacity at most twice the entries).
  size_t per_template = 512 + max_line_bytes + 16 * max_tokens;
  return fixed + max_templates * per_template;
}

struct LogTemplateMiner::State {
  explicit State(const LogTemplateMinerOptions& o)
      : options(o), masker(o.max_tokens, o.max_line_bytes) {}

  LogTemplateMinerOptions options;
  LogLineMasker masker;
  // Indexed by id; null once the template was merged into another.
  std::vector<std::unique_ptr<Template>> templates;
  std::vector<uint32_t> canonical;  // indexed by id: the id it is now known as
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> leaves;     // leaf key -> live ids
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> by_length;  // tokens -> live ids
  size_t live = 0;
  uint64_t overflow_count = 0;
  MaskedLine scratch;

  // How many of a line's `n` positions must agree with a template.
  size_t Required(size_t n) const {
    auto required = static_cast<size_t>(
        std::ceil(options.similarity_threshold * static_cast<double>(n) - 1e-9));
    return std::min(required, n);
  }

  struct Candidate {
    uint32_t id = kNoTemplate;
    size_t agree = 0;
    size_t exact = 0;
  };

  enum class Fit { kNo, kYes, kWordsOfSettled };

  // Drain's similarity (He et al. 2017, sec. III-D): the positions where the template agrees with
  // the line, here counting generalised positions as agreeing; the line fits when they are at
  // least `required`. A settled template fits only a line that agrees with each of its words
  // (kWordsOfSettled otherwise): a word that stayed the same over many lines is text, and a line
  // with another word there is more likely another event than a value.
  Fit Score(const Template& t, const MaskedLine& line, size_t required, Candidate* c) const {
    size_t n = line.size();
    size_t misses = 0;
    size_t allowed = n - required;
    size_t exact = 0;
    size_t new_words = 0;
    bool words_differ = false;
    for (size_t i = 0; i < n; ++i) {
      const MaskedToken& tok = line.info(i);
      Agreement a = t.Compare(i, line.token(i), tok.hash);
      if (a == Agreement::kEqual) {
        exact += tok.variable ? 0 : 1;
        continue;
      }
      if (a == Agreement::kCovered) continue;
      // Only a word against a word counts here: where the template holds a value ("(<*>)"), the
      // position is known to vary.
      if (!tok.variable && !TokenIsVariable(t.token(i))) {
        words_differ = true;
        // A template drifts no further from its first line, word by word, than one line may
        // differ from it: otherwise chains of small steps ("from A to B", "from B to C", ...)
        // generalise every word away.
        if (t.generalized_words + ++new_words > allowed) return Fit::kNo;
      }
      if (++misses > allowed) return Fit::kNo;
    }
    c->agree = n - misses;
    c->exact = exact;
    return words_differ && t.count >= options.settled_lines ? Fit::kWordsOfSettled : Fit::kYes;
  }

  static bool Better(const Candidate& a, const Candidate& b) {
    if (a.agree != b.agree) return a.agree > b.agree;
    if (a.exact != b.exact) return a.exact > b.exact;
    return a.id < b.id;
  }

  struct Search {
    Candidate fit;      // the best template the line fits
    Candidate settled;  // the best settled template it fits but for words
    size_t settled_count = 0;
  };

  void ScoreLeaf(uint64_t key, const MaskedLine& line, size_t required, Search* search) const {
    auto it = leaves.find(key);
    if (it == leaves.end()) return;
    for (uint32_t id : it->second) {
      Candidate c;
      c.id = id;
      switch (Score(*templates[id], line, required, &c)) {
        case Fit::kNo:
          break;
        case Fit::kYes:
          if (search->fit.id == kNoTemplate || Better(c, search->fit)) search->fit = c;
          break;
        case Fit::kWordsOfSettled:
          ++search->settled_count;
          if (search->settled.id == kNoTemplate || Better(c, search->settled)) search->settled = c;
          break;
      }
    }
  }

  // True when the template differs from the line only where one of them holds a value (a
  // wildcard in the template, a masked value in the line) and shares the words of at least half
  // of the positions with it: the line is the template with a value where the template so far
  // saw only one.
  static bool Compatible(const Template& t, const MaskedLine& line) {
    size_t shared = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const MaskedToken& tok = line.info(i);
      Agreement a = t.Compare(i, line.token(i), tok.hash);
      if (a == Agreement::kEqual) {
        shared += tok.variable ? 0 : 1;
        continue;
      }
      if (!tok.variable && a == Agreement::kDiffer) return false;
    }
    return 2 * shared >= line.size();
  }

  // The template a line belongs to, or kNoTemplate. Looks in the line's leaf and the wildcard
  // leaf of its length, then among all templates of its length for one it is compatible with.
  uint32_t Find(const MaskedLine& line) const {
    size_t n = line.size();
    size_t required = Required(n);
    Search search;
    uint64_t own = LineLeaf(line);
    ScoreLeaf(own, line, required, &search);
    uint64_t wild = n > 0 ? LeafKey(n, kWildcardHash) : own;
    if (wild != own) ScoreLeaf(wild, line, required, &search);
    if (search.fit.id != kNoTemplate) return search.fit.id;
    // Two or more settled templates that the line fits but for words: the place where they
    // differ has now taken a third word, so those words are values after all. The best of them
    // generalises, and merges with the siblings it then covers.
    if (search.settled_count >= 2) return search.settled.id;
    auto it = by_length.find(static_cast<uint32_t>(n));
    if (it == by_length.end()) return kNoTemplate;
    // Oldest first, and only so many: an unknown line costs a bounded scan.
    size_t scan = std::min(it->second.size(), kMaxCompatibleScan);
    for (size_t i = 0; i < scan; ++i) {
      if (Compatible(*templates[it->second[i]], line)) return it->second[i];
    }
    return kNoTemplate;
  }

  static void Erase(std::vector<uint32_t>* ids, uint32_t id) {
    auto it = std::find(ids->begin(), ids->end(), id);
    if (it != ids->end()) ids->erase(it);
  }

  void Index(Template* t) {
    t->leaf = TemplateLeaf(*t);
    leaves[t->leaf].push_back(t->id);
    // Sorted by id, so that the scan in Find sees the same templates before and after a restore.
    std::vector<uint32_t>& same_length = by_length[static_cast<uint32_t>(t->size())];
    same_length.insert(std::lower_bound(same_length.begin(), same_length.end(), t->id), t->id);
  }

  void Unindex(const Template& t) {
    auto leaf = leaves.find(t.leaf);
    if (leaf != leaves.end()) {
      Erase(&leaf->second, t.id);
      if (leaf->second.empty()) leaves.erase(leaf);
    }
    auto len = by_length.find(static_cast<uint32_t>(t.size()));
    if (len != by_length.end()) {
      Erase(&len->second, t.id);
      if (len->second.empty()) by_length.erase(len);
    }
  }

  uint32_t Create(const MaskedLine& line) {
    if (templates.size() >= options.max_templates) {
      ++overflow_count;
      return kOverflowTemplate;
    }
    auto t = std::make_unique<Template>();
    t->id = static_cast<uint32_t>(templates.size());
    t->count = 1;
    SetTokens(t.get(), line.size(), [&](size_t i) { return line.token(i); });
    Index(t.get());
    canonical.push_back(t->id);
    templates.push_back(std::move(t));
    ++live;
    return canonical.back();
  }

  // Generalises template `id` to cover `line` (every disagreeing position becomes a wildcard),
  // then merges the templates it now covers. Returns the id the template is known as afterwards.
  uint32_t Absorb(uint32_t id, const MaskedLine& line) {
    Template& t = *templates[id];
    ++t.count;
    bool changed = false;
    for (size_t i = 0; i < line.size() && !changed; ++i) {
      changed = t.Compare(i, line.token(i), line.info(i).hash) == Agreement::kDiffer;
    }
    if (!changed) return id;
    std::vector<std::string> tokens(t.size());
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.Compare(i, line.token(i), line.info(i).hash) != Agreement::kDiffer) {
        tokens[i] = t.token(i);
        continue;
      }
      tokens[i] = Generalize(t.token(i), line.token(i));
      if (!line.info(i).variable && !TokenIsVariable(t.token(i))) ++t.generalized_words;
    }
    Template general;
    SetTokens(&general, t.size(), [&](size_t i) { return std::string_view(tokens[i]); });
    Retoken(&t, std::move(general));
    return MergeCovered(id);
  }

  void Retoken(Template* t, Template&& tokens) {
    Unindex(*t);
    t->text = std::move(tokens.text);
    t->offsets = std::move(tokens.offsets);
    t->hashes = std::move(tokens.hashes);
    Index(t);
  }

  static bool Covers(const Template& general, const Template& other) {
    for (size_t i = 0; i < general.size(); ++i) {
      if (general.Compare(i, other.token(i), other.hashes[i]) == Agreement::kDiffer) return false;
    }
    return true;
  }

  // Templates of the same length that template `id` now covers (equal where it is not a
  // wildcard) describe the same event: they merge into the oldest of them, which takes the
  // general tokens and the summed count.
  uint32_t MergeCovered(uint32_t id) {
    auto len = by_length.find(static_cast<uint32_t>(templates[id]->size()));
    std::vector<uint32_t> covered;
    for (uint32_t other : len->second) {
      if (other != id && Covers(*templates[id], *templates[other])) covered.push_back(other);
    }
    if (covered.empty()) return id;
    covered.push_back(id);
    uint32_t survivor = *std::min_element(covered.begin(), covered.end());
    if (survivor != id) {
      Template tokens;
      tokens.text = templates[id]->text;
      tokens.offsets = templates[id]->offsets;
      tokens.hashes = templates[id]->hashes;
      Retoken(templates[survivor].get(), std::move(tokens));
      templates[survivor]->generalized_words = templates[id]->generalized_words;
    }
    for (uint32_t victim : covered) {
      if (victim == survivor) continue;
      templates[survivor]->count += templates[victim]->count;
      Unindex(*templates[victim]);
      templates[victim].reset();
      --live;
      for (uint32_t& c : canonical) {
        if (c == victim) c = survivor;
      }
    }
    return survivor;
  }

  uint32_t Learn(std::string_view line) {
    masker.Mask(CutLine(line, options.max_line_bytes), &scratch);
    uint32_t id = Find(scratch);
    if (id == kNoTemplate) return Create(scratch);
    return Absorb(id, scratch);
  }

  size_t MemoryBytes() const {
    size_t bytes = sizeof(State) + templates.capacity() * sizeof(templates[0]) +
                   canonical.capacity() * sizeof(uint32_t) + scratch.CapacityBytes();
    for (const auto& t : templates) {
      if (t) bytes += t->MemoryBytes();
    }
    bytes += leaves.capacity() * (sizeof(std::pair<uint64_t, std::vector<uint32_t>>) + 1);
    for (const auto& [key, ids] : leaves) bytes += ids.capacity() * sizeof(uint32_t);
    bytes += by_length.capacity() * (sizeof(std::pair<uint32_t, std::vector<uint32_t>>) + 1);
    for (const auto& [key, ids] : by_length) bytes += ids.capacity() * sizeof(uint32_t);
    return bytes;
  }
};

LogTemplateMiner::LogTemplateMiner(LogTemplateMinerOptions options)
    : state_(std::make_unique<State>(options)) {}
LogTemplateMiner::~LogTemplateMiner() = default;
LogTemplateMiner::LogTemplateMiner(LogTemplateMiner&&) noexcept = default;
LogTemplateMiner& LogTemplateMiner::operator=(LogTemplateMiner&&) noexcept = default;

uint32_t LogTemplateMiner::Learn(std::string_view line) { return state_->Learn(line); }

uint32_t LogTemplateMiner::Match(std::string_view line) const {
  // Match is const and may run beside other readers of a miner no one is writing to, so it masks
  // into a per-thread buffer.
  thread_local MaskedLine scratch;
  state_->masker.Mask(CutLine(line, state_->options.max_line_bytes), &scratch);
  uint32_t id = state_->Find(scratch);
  return id == kNoTemplate ? id : state_->canonical[id];
}

std::string_view LogTemplateMiner::TemplateText(uint32_t id) const {
  if (id == kOverflowTemplate) return kOverflowText;
  if (id >= state_->canonical.size()) return {};
  return state_->templates[state_->canonical[id]]->text;
}

uint64_t LogTemplateMiner::TemplateCount(uint32_t id) const {
  if (id == kOverflowTemplate) return state_->overflow_count;
  if (id >= state_->canonical.size()) return 0;
  return state_->templates[state_->canonical[id]]->count;
}

uint32_t LogTemplateMiner::Canonical(uint32_t id) const {
  if (id >= state_->canonical.size()) return id;
  return state_->canonical[id];
}

size_t LogTemplateMiner::template_count() const { return state_->live; }

// The state format, version 1 (little-endian): "ALTM", u32 version, u32 ids, u64 overflow count,
// then per id in order u32 canonical id and, for a live template (canonical == id), u64 count,
// u32 generalised words and the u32-length-prefixed text. Tokens, leaves and indexes are rebuilt.
void LogTemplateMiner::Save(std::string* out) const {
  const State& s = *state_;
  out->clear();
  out->append(kMagic, sizeof(kMagic));
  core::BinaryWriter w(out);
  w.Put<uint32_t>(kFormatVersion);
  w.Put<uint32_t>(static_cast<uint32_t>(s.templates.size()));
  w.Put<uint64_t>(s.overflow_count);
  for (size_t id = 0; id < s.templates.size(); ++id) {
    w.Put<uint32_t>(s.canonical[id]);
    if (s.canonical[id] != id) continue;
    const Template& t = *s.templates[id];
    w.Put<uint64_t>(t.count);
    w.Put<uint32_t>(t.generalized_words);
    w.PutString(t.text);
  }
}

absl::Status LogTemplateMiner::Restore(std::string_view state) {
  auto corrupt = [](const std::string& why) {
    return absl::DataLossError("log template state: " + why);
  };
  if (state.substr(0, sizeof(kMagic)) != std::string_view(kMagic, sizeof(kMagic))) {
    return corrupt("not a log template miner state");
  }
  core::BinaryReader r(state.substr(sizeof(kMagic)));
  uint32_t version = 0, ids = 0;
  uint64_t overflow = 0;
  if (!r.Get(&version)) return corrupt("truncated header");
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError("log template state: format version " +
                                         std::to_string(version) + ", this build reads " +
                                         std::to_string(kFormatVersion));
  }
  if (!r.Get(&ids) || !r.Get(&overflow)) return corrupt("truncated header");
  const LogTemplateMinerOptions& options = state_->options;
  if (ids > options.max_templates) {
    return absl::FailedPreconditionError("log template state: " + std::to_string(ids) +
                                         " template ids, more than max_templates " +
                                         std::to_string(options.max_templates));
  }
  auto restored = std::make_unique<State>(options);
  State& s = *restored;
  s.overflow_count = overflow;
  s.templates.resize(ids);
  s.canonical.resize(ids);
  for (uint32_t id = 0; id < ids; ++id) {
    uint32_t canonical = 0;
    if (!r.Get(&canonical)) return corrupt("truncated template " + std::to_string(id));
    // A merged id points at the live template that absorbed it, which is older: already read.
    if (canonical > id || (canonical < id && s.templates[canonical] == nullptr)) {
      return corrupt("template " + std::to_string(id) + " merged into an invalid id");
    }
    s.canonical[id] = canonical;
    if (canonical != id) continue;
    uint64_t count = 0;
    uint32_t generalized_words = 0;
    std::string_view text;
    if (!r.Get(&count) || !r.Get(&generalized_words) || !r.GetString(&text)) {
      return corrupt("truncated template " + std::to_string(id));
    }
    if (text.size() > options.max_line_bytes + options.max_tokens || !core::IsValidUtf8(text)) {
      return corrupt("template " + std::to_string(id) + " has an invalid text");
    }
    std::vector<std::string_view> tokens;
    if (!text.empty()) {
      size_t start = 0;
      while (true) {
        size_t space = text.find(' ', start);
        std::string_view tok = text.substr(start, space - start);
        if (tok.empty()) return corrupt("template " + std::to_string(id) + " has an empty token");
        tokens.push_back(tok);
        if (space == std::string_view::npos) break;
        start = space + 1;
      }
    }
    if (tokens.size() > options.max_tokens) {
      return corrupt("template " + std::to_string(id) + " has more than max_tokens tokens");
    }
    auto t = std::make_unique<Template>();
    t->id = id;
    t->count = count;
    t->generalized_words = generalized_words;
    SetTokens(t.get(), tokens.size(), [&](size_t i) { return tokens[i]; });
    s.Index(t.get());
    s.templates[id] = std::move(t);
    ++s.live;
  }
  if (!r.done()) return corrupt("trailing bytes");
  state_ = std::move(restored);
  return absl::OkStatus();
}

size_t LogTemplateMiner::MemoryBytes() const { return state_->MemoryBytes(); }

}  // namespace augur::derive
