// Anomaly events: a series (or a service, for the multi-signal model) whose score stayed high,
// with the evidence a person checks first.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "detect/detector.h"

namespace augur::detect {

// One labelled signal of one series, e.g. span_metrics{service_name="cart",span_name="GET /cart",
// span_kind="SPAN_KIND_SERVER"} signal "p95_latency_ms".
struct SeriesRef {
  std::string family;  // "span_metrics", "service", "service_graph", "logs", or an ingested name
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
  std::string signal;  // "rate", "error_ratio", "p95_latency_ms", "value", "multi_signal"

  std::string_view Label(std::string_view name) const;
  // family{k="v",...}:signal — unique per signal, stable across restarts.
  std::string Key() const;
};

// A signal's share in a multi-signal anomaly.
struct Contribution {
  std::string signal;
  double share = 0;  // fraction of the anomaly attributed to it, in [0, 1]
};

struct AnomalyEvent {
  uint64_t id = 0;
  std::string service;
  SeriesRef series;
  bool open = true;
  bool muted = false;      // raised while a mute matched: kept, not alerted on
  bool dismissed = false;  // a user said "not an anomaly"
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;  // 0 while open
  core::TimeNs peak_ns = 0;
  // Its last point at or above the close score (so far, while open): how long it was high, which
  // a sparse series' event outlives by the close_after wait.
  core::TimeNs last_high_ns = 0;
  double peak_score = 0;
  // The assessment at the peak: what was observed against what was expected.
  double observed = 0;
  double expected = 0;
  double lower = 0;
  double upper = 0;
  Seasonality seasonality = Seasonality::kNone;
  std::vector<Contribution> contributions;  // multi-signal events only
  // Log events (family "logs"): the template's text and up to kMaxExamples lines that show it.
  std::string log_template;
  std::vector<std::string> examples;
  static constexpr size_t kMaxExamples = 3;
};

// What the series is, in words: `operation "GET /cart" (SPAN_KIND_SERVER) of service "cart"`.
std::string DescribeSeries(const SeriesRef& series);
// One sentence a person can check, e.g. `p95_latency_ms of operation "GET /cart" of service
// "cart" was 812 against an expected 121 (band 80 to 190), score 0.9993, daily seasonality; since
// 2026-11-21T10:00:00.000Z for 2m30s`. `now` dates an open event's duration.
std::string ExplainEvent(const AnomalyEvent& event, core::TimeNs now);

}  // namespace augur::detect
