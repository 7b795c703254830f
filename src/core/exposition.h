// Prometheus text format 0.0.4 and OpenMetrics 1.0 exposition.
//
// An Exposition collects metric families whose sample lines are appended in any order and from
// several producers (shards render their series into their own Exposition; the /metrics handler
// merges them), then renders each family once with its HELP and TYPE. Sample lines are the same in
// both formats; headers differ (OpenMetrics names a counter family without "_total" and ends with
// "# EOF"). Not thread-safe; one producer per instance.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace augur::core {

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

// Picks OpenMetrics when the Accept header asks for application/openmetrics-text.
ExpositionFormat NegotiateExposition(std::string_view accept_header);
// The Content-Type to answer with.
std::string_view ExpositionContentType(ExpositionFormat format);

enum class MetricKind { kCounter, kGauge, kHistogram, kSummary };

using Label = std::pair<std::string_view, std::string_view>;
using LabelList = std::span<const Label>;

class Exposition {
 public:
  // One metric family. `name` is the family name: for counters without the "_total" suffix.
  class Family {
   public:
    // A counter sample: name_total{labels} value.
    void Counter(LabelList labels, double value);
    // A gauge sample: name{labels} value.
    void Gauge(LabelList labels, double value);
    // A histogram: name_bucket{labels,le="b"} for each bound and +Inf (cumulative counts), then
    // name_sum and name_count. `bucket_counts` holds per-bucket (non-cumulative) counts, one more
    // than `bounds` (the last is the +Inf bucket).
    void Histogram(LabelList labels, std::span<const double> bounds,
                   std::span<const uint64_t> bucket_counts, double sum);
    // A summary: name{labels,quantile="q"} per quantile, then name_sum and name_count.
    void Summary(LabelList labels, std::span<const std::pair<double, double>> quantiles, double sum,
                 uint64_t count);

   private:
    friend class Exposition;
    void Sample(std::string_view suffix, LabelList labels, const Label* extra, double value);

    std::string name_;
    MetricKind kind_ = MetricKind::kGauge;
    std::string help_;
    std::string body_;
  };

  // The family `name`, created on first use. Later calls with the same name return the same family
  // (the first kind and help win).
  Family& GetFamily(std::string_view name, MetricKind kind, std::string_view help);

  // Appends the samples of `other`'s families to this one's (families are matched by name).
  void Merge(Exposition&& other);

  // Families sorted by name, each with HELP and TYPE headers.
  std::string Render(ExpositionFormat format) const;

 private:
  std::map<std::string, Family, std::less<>> families_;
};

// A metric or label name made valid for Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]* (label names without
// ':'); other characters become '_', a leading digit gets a '_' prefix.
std::string SanitizeMetricName(std::string_view name);
std::string SanitizeLabelName(std::string_view name);

// Prometheus number formatting: shortest round-trip, "+Inf", "-Inf", "NaN".
std::string FormatSampleValue(double value);

}  // namespace augur::core
