#include "core/label_selector.h"

#include <cctype>

#include <fmt/format.h>

namespace augur::core {
namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector selector;
  selector.text_ = std::string(text);
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto error = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        fmt::format("invalid selector '{}': {} at position {}", text, what, i));
  };
  auto read_name = [&]() -> std::string {
    size_t start = i;
    while (i < text.size() && IsNameChar(text[i], i == start)) ++i;
    return std::string(text.substr(start, i - start));
  };
  skip_space();
  if (i < text.size() && text[i] != '{') {
    std::string name = read_name();
    if (name.empty()) return error("expected a metric name or '{'");
    selector.matchers_.push_back(Matcher{.name = "__name__", .op = Op::kEqual, .value = name});
    skip_space();
  }
  if (i == text.size()) return selector;
  if (text[i] != '{') return error("expected '{'");
  ++i;
  while (true) {
    skip_space();
    if (i < text.size() && text[i] == '}') {
      ++i;
      break;
    }
    Matcher m;
    m.name = read_name();
    if (m.name.empty()) return error("expected a label name");
    skip_space();
    if (text.substr(i, 2) == "!=") {
      m.op = Op::kNotEqual;
      i += 2;
    } else if (text.substr(i, 2) == "=~") {
      m.op = Op::kRegex;
      i += 2;
    } else if (text.substr(i, 2) == "!~") {
      m.op = Op::kNotRegex;
      i += 2;
    } else if (i < text.size() && text[i] == '=') {
      m.op = Op::kEqual;
      i += 1;
    } else {
      return error("expected =, !=, =~ or !~");
    }
    skip_space();
    if (i >= text.size() || (text[i] != '"' && text[i] != '\''))
      return error("expected a quoted value");
    char quote = text[i++];
    while (i < text.size() && text[i] != quote) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      m.value += text[i++];
    }
    if (i >= text.size()) return error("unterminated string");
    ++i;
    if (m.op == Op::kRegex || m.op == Op::kNotRegex) {
      try {
        m.regex = std::make_shared<const std::regex>(m.value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return error(fmt::format("bad regular expression '{}'", m.value));
      }
    }
    selector.matchers_.push_back(std::move(m));
    skip_space();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '}') {
      ++i;
      break;
    }
    return error("expected ',' or '}'");
  }
  skip_space();
  if (i != text.size()) return error("unexpected text after '}'");
  return selector;
}

bool LabelSelector::MatchOne(const Matcher& m, std::string_view value) {
  switch (m.op) {
    case Op::kEqual:
      return value == m.value;
    case Op::kNotEqual:
      return value != m.value;
    case Op::kRegex:
      return std::regex_match(value.begin(), value.end(), *m.regex);
    case Op::kNotRegex:
      return !std::regex_match(value.begin(), value.end(), *m.regex);
  }
  return false;
}

}  // namespace augur::core
