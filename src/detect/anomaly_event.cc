#include "detect/anomaly_event.h"

#include <cmath>

#include <fmt/format.h>

#include "core/config_node.h"

namespace augur::detect {

std::string_view SeriesRef::Label(std::string_view name) const {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return {};
}

std::string SeriesRef::Key() const {
  std::string key = family;
  key += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) key += ',';
    first = false;
    key += k;
    key += "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') key += '\\';
      key += c;
    }
    key += '"';
  }
  key += "}:";
  key += signal;
  return key;
}

namespace {

std::string Number(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::fabs(v) >= 100 || v == std::floor(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::string DescribeSeries(const SeriesRef& s) {
  if (s.family == "span_metrics") {
    return fmt::format("operation \"{}\" ({}) of service \"{}\"", s.Label("span_name"),
                       s.Label("span_kind"), s.Label("service_name"));
  }
  if (s.family == "service") return fmt::format("service \"{}\"", s.Label("service_name"));
  if (s.family == "service_graph") {
    return fmt::format("calls from \"{}\" to \"{}\"", s.Label("client"), s.Label("server"));
  }
  if (s.family == "logs") {
    if (!s.Label("template_id").empty()) {
      return fmt::format("log template {} ({}) of service \"{}\"", s.Label("template_id"),
                         s.Label("severity"), s.Label("service_name"));
    }
    if (!s.Label("severity").empty()) {
      return fmt::format("{} logs of service \"{}\"", s.Label("severity"), s.Label("service_name"));
    }
    return fmt::format("logs of service \"{}\"", s.Label("service_name"));
  }
  std::string labels;
  for (const auto& [k, v] : s.labels) {
    labels += labels.empty() ? "" : ",";
    labels += fmt::format("{}=\"{}\"", k, v);
  }
  return fmt::format("{}{{{}}}", s.family, labels);
}

std::string ExplainEvent(const AnomalyEvent& e, core::TimeNs now) {
  const core::TimeNs end = e.open ? now : e.end_ns;
  const std::string since =
      fmt::format("since {} for {}", core::FormatRfc3339(e.start_ns),
                  core::FormatDuration(std::max<core::TimeNs>(
                      0, core::FloorTo(end - e.start_ns, core::kNsPerSecond))));
  if (!e.contributions.empty()) {
    std::string parts;
    for (const Contribution& c : e.contributions) {
      if (c.share < 0.05) continue;
      parts += parts.empty() ? "" : ", ";
      parts += fmt::format("{} {:.0f}%", c.signal, 100 * c.share);
    }
    return fmt::format(
        "service \"{}\" behaved unusually across its signals (score {:.4g}); "
        "contributing: {}; {}",
        e.service, e.peak_score, parts.empty() ? "no single signal" : parts, since);
  }
  std::string log_part;
  if (!e.log_template.empty()) log_part = fmt::format("; template \"{}\"", e.log_template);
  if (e.series.signal == "new_template") {
    // Never seen before the event: expected 0. `observed` is the most lines in one window.
    return fmt::format(
        "new {} appeared after the service's learning period, up to {} lines per "
        "window{}; {}",
        DescribeSeries(e.series), Number(e.observed), log_part, since);
  }
  return fmt::format(
      "{} of {} was {} against an expected {} (band {} to {}), score {:.4g}, {} "
      "seasonality{}; {}",
      e.series.signal, DescribeSeries(e.series), Number(e.observed), Number(e.expected),
      Number(e.lower), Number(e.upper), e.peak_score, SeasonalityName(e.seasonality), log_part,
      since);
}

}  // namespace augur::detect
