// Online log template mining: every log line becomes a template ("Connection from <*> closed
// after <*>") with a stable id, in the manner of Drain (He, Zhu, Zheng, Lyu: "Drain: An Online Log
// Parsing Approach with Fixed Depth Tree", ICWS 2017), improved where Drain is weak. One miner per
// service. docs/logs.md describes the algorithm and its evaluation.
//
// A line is masked first (log_masker.h: ids, addresses, numbers, paths, dates... become "<*>"),
// then routed by its token count and its first token (a first token that is a value routes to a
// wildcard branch, so lines starting with ids still meet) to a leaf of templates. It joins the
// template it agrees with on at least `similarity_threshold` of its positions, generalising the
// positions where they differ, or starts a new template. Beyond Drain:
//  - a settled template (`settled_lines` lines) keeps its words: a line that differs in a word
//    starts a sibling template, and only a third word in the same place makes it a variable, so
//    one "... proxy <*> SOCKS5" line does not dissolve "... proxy <*> HTTPS" seen 950 times,
//    while user names still merge;
//  - a template drifts from its first line by at most as many words as one line may differ, so
//    chains of small differences do not generalise every word away;
//  - a line that differs from a template only where it has masked values joins it, even across
//    first-token branches ("alice logged in" and "<*> logged in");
//  - templates that converge (one covers another: equal wherever it is not a wildcard) merge.
//
// Ids are stable: assigned in order of creation, never reused; a template keeps its id as it
// generalises, merged templates live on as the older id (Canonical maps the newer one), and
// Save/Restore carries ids across restarts.
//
// Memory is bounded whatever the input: at most `max_templates` ids are ever created (lines that
// need more go to kOverflowTemplate, counted), lines are cut at `max_line_bytes` and
// `max_tokens`, and nothing else grows with the number of distinct lines. MemoryBytes() stays
// below LogTemplateMinerOptions::MemoryBoundBytes(): 64 KiB + 6 x max_line_bytes +
// 160 x max_tokens + max_templates x (512 + max_line_bytes + 16 x max_tokens), 27.4 MB with the
// defaults (a template of real logs takes 300 to 400 bytes).
//
// Not thread-safe: owned by the shard of its service. Match() and the other const methods do not
// modify the miner, so they may run concurrently with each other but not with Learn or Restore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace augur::derive {

struct LogTemplateMinerOptions {
  size_t max_templates = 4096;   // per miner; beyond it lines go to an overflow template
  size_t max_line_bytes = 4096;  // longer lines are cut before mining
  size_t max_tokens = 128;       // tokens of a line beyond this are dropped
  // Fraction of a template's positions a line must agree with to join it (Drain's st). Agreeing
  // means an equal token or a generalised position; masking has already made values equal.
  double similarity_threshold = 0.75;
  // A template that has absorbed this many lines keeps its words: a line that differs from it in
  // a word (not a masked value) starts a new template instead of generalising it.
  uint64_t settled_lines = 10;

  absl::Status Validate() const;
  // The most MemoryBytes() can report with these options (see the header comment).
  size_t MemoryBoundBytes() const;
};

class LogTemplateMiner {
 public:
  static constexpr uint32_t kNoTemplate = UINT32_MAX;
  // Where Learn puts lines once max_templates ids exist; TemplateCount counts them.
  static constexpr uint32_t kOverflowTemplate = UINT32_MAX - 1;

  explicit LogTemplateMiner(LogTemplateMinerOptions options = {});
  ~LogTemplateMiner();
  LogTemplateMiner(LogTemplateMiner&&) noexcept;
  LogTemplateMiner& operator=(LogTemplateMiner&&) noexcept;

  // The id of the template `line` belongs to, learning from it (a new template, or a known one
  // generalised).
  uint32_t Learn(std::string_view line);
  // The id of the learned template `line` matches, without learning; kNoTemplate if none.
  uint32_t Match(std::string_view line) const;

  // The template's text with variables as "<*>"; its line count. For a merged id, the survivor's.
  std::string_view TemplateText(uint32_t id) const;
  uint64_t TemplateCount(uint32_t id) const;
  // The id `id` is now known as (itself unless it was merged).
  uint32_t Canonical(uint32_t id) const;
  size_t template_count() const;

  void Save(std::string* out) const;
  absl::Status Restore(std::string_view state);
  size_t MemoryBytes() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace augur::derive
