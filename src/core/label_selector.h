// Prometheus-style series selectors: `name{label="v", other!="w", re=~"a.*", not!~"b|c"}`, for
// choosing series in the REST API and in configuration (sensitivity rules, mutes). The name, when
// given, matches the series' family (label __name__). Regular expressions are anchored, as in
// Prometheus.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace augur::core {

class LabelSelector {
 public:
  enum class Op { kEqual, kNotEqual, kRegex, kNotRegex };
  struct Matcher {
    std::string name;
    Op op = Op::kEqual;
    std::string value;
    std::shared_ptr<const std::regex> regex;  // for kRegex / kNotRegex
  };

  // Parses a selector; an empty string selects everything.
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // `label(name)` returns the series' value of a label ("" when absent); "__name__" is asked for
  // the family.
  template <typename LabelFn>
  bool Matches(LabelFn label) const {
    for (const Matcher& m : matchers_) {
      if (!MatchOne(m, label(m.name))) return false;
    }
    return true;
  }

  const std::string& text() const { return text_; }
  bool empty() const { return matchers_.empty(); }

 private:
  static bool MatchOne(const Matcher& m, std::string_view value);

  std::string text_;
  std::vector<Matcher> matchers_;
};

}  // namespace augur::core
