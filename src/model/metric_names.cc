#include "model/metric_names.h"

#include <array>
#include <utility>

#include "core/exposition.h"

namespace augur::model {
namespace {

std::string_view UnitWord(std::string_view unit) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kUnits = {{
      {"d", "days"},          {"h", "hours"},         {"min", "minutes"},    {"s", "seconds"},
      {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
      {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"}, {"TiBy", "tibibytes"},
      {"KBy", "kilobytes"},   {"MBy", "megabytes"},   {"GBy", "gigabytes"},  {"TBy", "terabytes"},
      {"m", "meters"},        {"V", "volts"},         {"A", "amperes"},      {"J", "joules"},
      {"W", "watts"},         {"g", "grams"},         {"Cel", "celsius"},    {"Hz", "hertz"},
  }};
  for (const auto& [code, word] : kUnits) {
    if (unit == code) return word;
  }
  if (unit == "%") return "percent";
  return {};
}

std::string UnitSuffix(std::string_view unit, bool is_counter) {
  // Annotations in braces ("{request}") carry no unit.
  if (unit.empty() || unit.front() == '{') return "";
  if (unit == "1") return is_counter ? "" : "ratio";
  size_t slash = unit.find('/');
  if (slash != std::string_view::npos) {
    std::string_view num = unit.substr(0, slash);
    std::string_view den = unit.substr(slash + 1);
    std::string n = UnitWord(num).empty() ? std::string(num) : std::string(UnitWord(num));
    std::string d = UnitWord(den).empty() ? std::string(den) : std::string(UnitWord(den));
    if (den == "s") d = "second";
    if (den == "m") d = "minute";
    if (den == "h") d = "hour";
    if (den == "d") d = "day";
    if (num.empty() || num.front() == '{') return "per_" + d;
    return n + "_per_" + d;
  }
  std::string_view word = UnitWord(unit);
  return word.empty() ? std::string(unit) : std::string(word);
}

}  // namespace

std::string PrometheusMetricName(std::string_view name, std::string_view unit, bool is_counter) {
  std::string out = core::SanitizeMetricName(name);
  std::string suffix = core::SanitizeMetricName(UnitSuffix(unit, is_counter));
  if (!UnitSuffix(unit, is_counter).empty()) {
    std::string tail = "_" + suffix;
    if (out.size() < tail.size() || out.compare(out.size() - tail.size(), tail.size(), tail) != 0) {
      out += tail;
    }
  }
  // A counter's "_total" is added at exposition; do not double it.
  if (is_counter && out.size() > 6 && out.compare(out.size() - 6, 6, "_total") == 0) {
    out.resize(out.size() - 6);
  }
  return out;
}

}  // namespace augur::model
