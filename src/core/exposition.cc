#include "core/exposition.h"

#include <cmath>

#include <fmt/format.h>

namespace augur::core {
namespace {

void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  for (char c : s) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '"':
        if (quote) {
          *out += "\\\"";
        } else {
          *out += c;
        }
        break;
      default:
        *out += c;
    }
  }
}

void AppendLabel(std::string* out, const Label& label, bool* first) {
  *out += *first ? '{' : ',';
  *first = false;
  out->append(label.first);
  *out += "=\"";
  AppendEscaped(out, label.second, true);
  *out += '"';
}

std::string_view KindName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
    case MetricKind::kSummary:
      return "summary";
  }
  return "untyped";
}

}  // namespace

ExpositionFormat NegotiateExposition(std::string_view accept_header) {
  return accept_header.find("application/openmetrics-text") != std::string_view::npos
             ? ExpositionFormat::kOpenMetrics
             : ExpositionFormat::kPrometheusText;
}

std::string_view ExpositionContentType(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

void Exposition::Family::Sample(std::string_view suffix, LabelList labels, const Label* extra,
                                double value) {
  body_.append(name_);
  body_.append(suffix);
  bool first = true;
  for (const Label& label : labels) AppendLabel(&body_, label, &first);
  if (extra != nullptr) AppendLabel(&body_, *extra, &first);
  if (!first) body_ += '}';
  body_ += ' ';
  body_ += FormatSampleValue(value);
  body_ += '\n';
}

void Exposition::Family::Counter(LabelList labels, double value) {
  Sample("_total", labels, nullptr, value);
}

void Exposition::Family::Gauge(LabelList labels, double value) {
  Sample("", labels, nullptr, value);
}

void Exposition::Family::Histogram(LabelList labels, std::span<const double> bounds,
                                   std::span<const uint64_t> bucket_counts, double sum) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bucket_counts.size(); ++i) {
    cumulative += bucket_counts[i];
    std::string le = i < bounds.size() ? FormatSampleValue(bounds[i]) : "+Inf";
    Label extra{"le", le};
    Sample("_bucket", labels, &extra, static_cast<double>(cumulative));
  }
  Sample("_sum", labels, nullptr, sum);
  Sample("_count", labels, nullptr, static_cast<double>(cumulative));
}

void Exposition::Family::Summary(LabelList labels,
                                 std::span<const std::pair<double, double>> quantiles, double sum,
                                 uint64_t count) {
  for (const auto& [q, v] : quantiles) {
    std::string qs = FormatSampleValue(q);
    Label extra{"quantile", qs};
    Sample("", labels, &extra, v);
  }
  Sample("_sum", labels, nullptr, sum);
  Sample("_count", labels, nullptr, static_cast<double>(count));
}

Exposition::Family& Exposition::GetFamily(std::string_view name, MetricKind kind,
                                          std::string_view help) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family()).first;
    it->second.name_ = std::string(name);
    it->second.kind_ = kind;
    it->second.help_ = std::string(help);
  }
  return it->second;
}

void Exposition::Merge(Exposition&& other) {
  for (auto& [name, family] : other.families_) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      families_.emplace(name, std::move(family));
    } else if (it->second.kind_ == family.kind_) {
      it->second.body_.append(family.body_);
    }
    // A family of another kind under the same name would make the exposition invalid: the first
    // one stands.
  }
  other.families_.clear();
}

std::string Exposition::Render(ExpositionFormat format) const {
  std::string out;
  size_t size = 0;
  for (const auto& [name, family] : families_) size += family.body_.size() + 128;
  out.reserve(size);
  for (const auto& [name, family] : families_) {
    if (family.body_.empty()) continue;
    // Prometheus text names a counter family by its sample name; OpenMetrics by the base name.
    std::string header_name = name;
    if (family.kind_ == MetricKind::kCounter && format == ExpositionFormat::kPrometheusText) {
      header_name += "_total";
    }
    out += "# HELP ";
    out += header_name;
    out += ' ';
    AppendEscaped(&out, family.help_, false);
    out += "\n# TYPE ";
    out += header_name;
    out += ' ';
    out += KindName(family.kind_);
    out += '\n';
    out += family.body_;
  }
  if (format == ExpositionFormat::kOpenMetrics) out += "# EOF\n";
  return out;
}

namespace {

std::string Sanitize(std::string_view name, bool allow_colon) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (allow_colon && c == ':');
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

}  // namespace

std::string SanitizeMetricName(std::string_view name) { return Sanitize(name, true); }
std::string SanitizeLabelName(std::string_view name) { return Sanitize(name, false); }

}  // namespace augur::core
