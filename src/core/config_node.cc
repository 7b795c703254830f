#include "core/config_node.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace augur::core {
namespace {

absl::Status KeyError(const std::string& key, std::string_view reason) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", key, reason));
}

}  // namespace

absl::StatusOr<YAML::Node> ConfigNode::Parse(std::string_view text, std::string_view source) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    if (node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) {
      return absl::InvalidArgumentError(fmt::format("{}: the top level must be a mapping", source));
    }
    return node;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("{}:{}:{}: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

std::string ConfigNode::KeyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

ConfigNode ConfigNode::Child(std::string_view key) const {
  YAML::Node child;
  if (node_.IsMap()) {
    const YAML::Node found = node_[std::string(key)];
    if (found) child = found;
  }
  return ConfigNode(child, KeyPath(key));
}

bool ConfigNode::Has(std::string_view key) const {
  return node_.IsMap() && static_cast<bool>(node_[std::string(key)]);
}

absl::Status ConfigNode::CheckKeys(std::initializer_list<std::string_view> known) const {
  if (!node_ || node_.IsNull()) return absl::OkStatus();
  if (!node_.IsMap()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: expected a mapping", path_.empty() ? "configuration" : path_));
  }
  for (const auto& kv : node_) {
    std::string key = kv.first.as<std::string>("");
    bool ok = false;
    for (std::string_view k : known) ok |= k == key;
    if (!ok) {
      std::string names;
      for (std::string_view k : known)
        names += names.empty() ? std::string(k) : ", " + std::string(k);
      return absl::InvalidArgumentError(
          fmt::format("unknown key '{}' (known here: {})", KeyPath(key), names));
    }
  }
  return absl::OkStatus();
}

absl::Status ConfigNode::Scalar(std::string_view key, std::string* out, bool* present) const {
  *present = false;
  if (!Has(key)) return absl::OkStatus();
  const YAML::Node v = node_[std::string(key)];
  if (v.IsNull()) return absl::OkStatus();
  if (!v.IsScalar()) return KeyError(KeyPath(key), "expected a single value");
  *out = v.Scalar();
  *present = true;
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, std::string* out) const {
  bool present;
  std::string s;
  if (auto st = Scalar(key, &s, &present); !st.ok()) return st;
  if (present) *out = s;
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, bool* out) const {
  bool present;
  std::string s;
  if (auto st = Scalar(key, &s, &present); !st.ok() || !present) return st;
  if (s == "true") {
    *out = true;
  } else if (s == "false") {
    *out = false;
  } else {
    return KeyError(KeyPath(key), fmt::format("expected true or false, got '{}'", s));
  }
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, int64_t* out) const {
  bool present;
  std::string s;
  if (auto st = Scalar(key, &s, &present); !st.ok() || !present) return st;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return KeyError(KeyPath(key), fmt::format("expected an integer, got '{}'", s));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, int* out) const {
  int64_t v = *out;
  if (auto st = Get(key, &v); !st.ok()) return st;
  if (v < INT32_MIN || v > INT32_MAX) return KeyError(KeyPath(key), "out of range");
  *out = static_cast<int>(v);
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, uint32_t* out) const {
  int64_t v = *out;
  if (auto st = Get(key, &v); !st.ok()) return st;
  if (v < 0 || v > UINT32_MAX) return KeyError(KeyPath(key), "must be between 0 and 4294967295");
  *out = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, size_t* out) const {
  int64_t v = static_cast<int64_t>(*out);
  if (auto st = Get(key, &v); !st.ok()) return st;
  if (v < 0) return KeyError(KeyPath(key), "must not be negative");
  *out = static_cast<size_t>(v);
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, double* out) const {
  bool present;
  std::string s;
  if (auto st = Scalar(key, &s, &present); !st.ok() || !present) return st;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    return KeyError(KeyPath(key), fmt::format("expected a number, got '{}'", s));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, std::vector<double>* out) const {
  if (!Has(key)) return absl::OkStatus();
  const YAML::Node v = node_[std::string(key)];
  if (!v.IsSequence()) return KeyError(KeyPath(key), "expected a list of numbers");
  std::vector<double> values;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string s = v[i].IsScalar() ? v[i].Scalar() : "";
    double d = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(d)) {
      return KeyError(fmt::format("{}[{}]", KeyPath(key), i),
                      fmt::format("expected a number, got '{}'", s));
    }
    values.push_back(d);
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status ConfigNode::Get(std::string_view key, std::vector<std::string>* out) const {
  if (!Has(key)) return absl::OkStatus();
  const YAML::Node v = node_[std::string(key)];
  if (!v.IsSequence()) return KeyError(KeyPath(key), "expected a list of strings");
  std::vector<std::string> values;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      return KeyError(fmt::format("{}[{}]", KeyPath(key), i), "expected a string");
    }
    values.push_back(v[i].Scalar());
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status ConfigNode::GetDuration(std::string_view key, TimeNs* out) const {
  bool present;
  std::string s;
  if (auto st = Scalar(key, &s, &present); !st.ok() || !present) return st;
  absl::StatusOr<TimeNs> d = ParseDuration(s);
  if (!d.ok()) return KeyError(KeyPath(key), std::string(d.status().message()));
  *out = *d;
  return absl::OkStatus();
}

absl::Status ConfigNode::GetBytes(std::string_view key, size_t* out) const {
  bool present;
  std::string s;
  if (auto st = Scalar(key, &s, &present); !st.ok() || !present) return st;
  absl::StatusOr<size_t> b = ParseBytes(s);
  if (!b.ok()) return KeyError(KeyPath(key), std::string(b.status().message()));
  *out = *b;
  return absl::OkStatus();
}

absl::StatusOr<TimeNs> ParseDuration(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        fmt::format("invalid duration '{}' (use e.g. 500ms, 10s, 5m, 1h30m)", text));
  };
  if (text.empty()) return invalid();
  if (text == "0") return 0;
  TimeNs total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return invalid();
    int64_t n = 0;
    std::from_chars(text.data() + start, text.data() + i, n);
    size_t unit_start = i;
    while (i < text.size() && !(text[i] >= '0' && text[i] <= '9')) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    TimeNs scale;
    if (unit == "ms") {
      scale = kNsPerMillisecond;
    } else if (unit == "s") {
      scale = kNsPerSecond;
    } else if (unit == "m") {
      scale = kNsPerMinute;
    } else if (unit == "h") {
      scale = 60 * kNsPerMinute;
    } else if (unit == "d") {
      scale = 24 * 60 * kNsPerMinute;
    } else if (unit == "w") {
      scale = 7 * 24 * 60 * kNsPerMinute;
    } else {
      return invalid();
    }
    if (n > INT64_MAX / scale - total / scale) return invalid();
    total += n * scale;
  }
  return total;
}

absl::StatusOr<size_t> ParseBytes(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) {
    return absl::InvalidArgumentError(
        fmt::format("invalid size '{}' (use e.g. 4096, 512KiB, 20MiB)", text));
  }
  uint64_t n = 0;
  std::from_chars(text.data(), text.data() + i, n);
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  uint64_t scale;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1ULL << 10;
  } else if (unit == "MiB") {
    scale = 1ULL << 20;
  } else if (unit == "GiB") {
    scale = 1ULL << 30;
  } else if (unit == "KB" || unit == "kB") {
    scale = 1000;
  } else if (unit == "MB") {
    scale = 1000 * 1000;
  } else if (unit == "GB") {
    scale = 1000 * 1000 * 1000;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("invalid size '{}' (units: B, KiB, MiB, GiB, KB, MB, GB)", text));
  }
  if (n > UINT64_MAX / scale)
    return absl::InvalidArgumentError(fmt::format("size '{}' too large", text));
  return static_cast<size_t>(n * scale);
}

std::string FormatDuration(TimeNs d) {
  if (d == 0) return "0s";
  if (d % kNsPerSecond != 0) return fmt::format("{}ms", d / kNsPerMillisecond);
  int64_t s = d / kNsPerSecond;
  std::string out;
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
    s %= 3600;
  }
  if (s >= 60) {
    out += fmt::format("{}m", s / 60);
    s %= 60;
  }
  if (s > 0) out += fmt::format("{}s", s);
  return out;
}

std::string FormatBytes(size_t bytes) {
  if (bytes != 0 && bytes % (1ULL << 30) == 0) return fmt::format("{}GiB", bytes >> 30);
  if (bytes != 0 && bytes % (1ULL << 20) == 0) return fmt::format("{}MiB", bytes >> 20);
  if (bytes != 0 && bytes % (1ULL << 10) == 0) return fmt::format("{}KiB", bytes >> 10);
  return fmt::format("{}", bytes);
}

absl::Status SetYamlValue(YAML::Node* root, std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(fmt::format("--set expects key=value, got '{}'", assignment));
  }
  std::string_view path = assignment.substr(0, eq);
  std::string value(assignment.substr(eq + 1));
  try {
    std::vector<std::string> keys;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      keys.emplace_back(path.substr(start, dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    YAML::Node node = *root;
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
      if (!node[keys[i]] || !node[keys[i]].IsMap()) node[keys[i]] = YAML::Node(YAML::NodeType::Map);
      node.reset(node[keys[i]]);
    }
    // A value in brackets is a YAML list ("[1, 2, 5]").
    node[keys.back()] = value.starts_with("[") ? YAML::Load(value) : YAML::Node(value);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("--set {}: {}", assignment, e.msg));
  }
  return absl::OkStatus();
}

}  // namespace augur::core
