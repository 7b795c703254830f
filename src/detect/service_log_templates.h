// The log templates of one service in stage 2: counts per template from the derive stage's
// partials, and the log anomalies modelled on them each time a window closes:
//  - per template (and severity) its rate, with the series' detector and the event rule; only
//    rises count (a SURGE), and its events carry the template and example lines;
//  - a NEW error template: one first seen at severity ERROR or FATAL after the service's learning
//    period raises an event (signal "new_template") as soon as it has new_template_min_lines lines
//    within its first minute, closing after events.close_m quiet windows;
//  - the SHARE of ERROR and FATAL lines among the service's lines (signal "error_ratio"), under the
//    volume rule (windows with at least detection.min_requests lines), rises only.
//
// Bounded: at most `max_templates` templates are held (further ones are dropped and counted); at
// most `max_modelled_templates` non-error templates (the most frequent) and `max_error_templates`
// error templates (the most frequent of those) are modelled. Templates without lines for
// `template_idle_timeout_ns` of event time are forgotten.
//
// Owned by the series shard of its service; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/time.h"
#include "detect/series_models.h"
#include "model/partials.h"

namespace augur::detect {

struct LogDetectionConfig {
  // A template first seen at ERROR or worse is "new" only this long (event time) after the
  // service's first log line: before that, the service is still showing its usual templates.
  core::TimeNs learning_period_ns = 60 * core::kNsPerMinute;
  // A new error template raises its event once it has this many lines within its first minute
  // (kNewWithinWindows windows): one stray line of a rare error is not news, a repeating one is.
  uint64_t new_template_min_lines = 3;
  size_t max_modelled_templates = 50;  // per service: the most frequent non-error templates
  size_t max_error_templates = 100;    // per service: error templates, most frequent first
  size_t max_templates = 5000;         // held per service, modelled or not
  core::TimeNs template_idle_timeout_ns = 24 * 60 * core::kNsPerMinute;  // event time

  absl::Status Validate() const;
};

// One template as GET /api/v1/logs/templates shows it.
struct LogTemplateSummary {
  std::string service;
  uint32_t id = 0;
  std::string text;
  uint64_t count = 0;
  core::TimeNs first_seen_ns = 0;
  core::TimeNs last_seen_ns = 0;
  std::array<uint64_t, 7> by_severity{};  // by model::Severity
  std::string example;                    // the latest
  bool modelled = false;
};

class ServiceLogTemplates {
 public:
  ServiceLogTemplates(const LogDetectionConfig* config, core::TimeNs window_ns);
  ~ServiceLogTemplates();

  // Merges a partial; false when its template was dropped (a new one over max_templates): its
  // lines still count in the service's lines per window.
  bool Add(const model::LogPartial& p);
  // The service's lines at `severity` (WARN, or ERROR: FATAL counts apart) in window `start`, by
  // the time their records carry, not by when they arrived; 0 for a window older than the ring.
  uint64_t Lines(model::Severity severity, core::TimeNs start) const;
  // Hands window `start`'s points of the service's log series to `models`.
  void CloseWindow(std::string_view service, core::TimeNs start, uint64_t min_requests,
                   SeriesModels* models);
  // Forgets templates without lines since before `cutoff` (event time).
  void ExpireIdle(core::TimeNs cutoff);

  void Collect(std::string_view service, std::vector<LogTemplateSummary>* out) const;
  bool empty() const { return templates_.empty(); }
  size_t size() const { return templates_.size(); }
  size_t MemoryBytes() const;

 private:
  struct Template;
  struct Slot {
    int64_t index = INT64_MIN;  // window number, INT64_MIN when unused
    uint64_t count = 0;
    uint64_t errors = 0;
  };
  static constexpr int kSlots = 6;  // the windows stage 2 may still close (RecentWindows)
  using Ring = std::array<Slot, kSlots>;
  void AddToRing(Ring* ring, core::TimeNs window_start, uint64_t count, uint64_t errors) const;
  const Slot* FindInRing(const Ring& ring, core::TimeNs window_start) const;
  void SelectModelled();

  const LogDetectionConfig* config_;
  core::TimeNs window_ns_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<Template>> templates_;
  core::TimeNs service_first_seen_ns_ = INT64_MAX;
  Ring totals_;       // every line of the service per window, and its ERROR and FATAL lines
  Ring warn_lines_;   // its WARN lines per window (count)
  Ring error_lines_;  // its ERROR lines per window (count)
  bool share_modelled_ = false;  // a window has had enough lines to model the error share
  SeriesModels::Slot share_model_;
};

}  // namespace augur::detect
