#include "eval/nab_data.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace augur::eval {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant, "chrono-Compatible
// Low-Level Date Algorithms", days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ReadInt(std::string_view text, size_t pos, size_t len, int* out) {
  if (pos + len > text.size()) return false;
  auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, *out);
  return ec == std::errc() && p == text.data() + pos + len;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\n'))
    s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<core::TimeNs> ParseNabTimestamp(std::string_view text) {
  text = Trim(text);
  int year, month, day, hour, minute, second;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':' ||
      !ReadInt(text, 0, 4, &year) || !ReadInt(text, 5, 2, &month) || !ReadInt(text, 8, 2, &day) ||
      !ReadInt(text, 11, 2, &hour) || !ReadInt(text, 14, 2, &minute) ||
      !ReadInt(text, 17, 2, &second) || month < 1 || month > 12 || day < 1 || day > 31 ||
      hour > 23 || minute > 59 || second > 60) {
    return absl::InvalidArgumentError(absl::StrCat("bad timestamp \"", std::string(text), "\""));
  }
  core::TimeNs fraction = 0;
  if (text.size() > 19) {
    if (text[19] != '.')
      return absl::InvalidArgumentError(absl::StrCat("bad timestamp \"", std::string(text), "\""));
    core::TimeNs unit = core::kNsPerSecond / 10;
    for (size_t i = 20; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return absl::InvalidArgumentError(
            absl::StrCat("bad timestamp \"", std::string(text), "\""));
      }
      fraction += (text[i] - '0') * unit;
      unit /= 10;
    }
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  return seconds * core::kNsPerSecond + fraction;
}

absl::StatusOr<NabFile> ReadNabFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWhole(path);
  if (!text.ok()) return text.status();
  NabFile file;
  std::string_view rest = *text;
  bool header = true;
  size_t line_no = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = Trim(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    size_t comma = line.find(',');
    if (comma == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected timestamp,value"));
    }
    absl::StatusOr<core::TimeNs> t = ParseNabTimestamp(line.substr(0, comma));
    if (!t.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": ", t.status().message()));
    std::string value_text(Trim(line.substr(comma + 1)));
    char* end = nullptr;
    double value = std::strtod(value_text.c_str(), &end);
    if (value_text.empty() || end != value_text.c_str() + value_text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": bad value \"", value_text, "\""));
    }
    if (!file.timestamps.empty() && *t < file.timestamps.back()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": time goes backwards"));
    }
    file.timestamp_text.emplace_back(Trim(line.substr(0, comma)));
    file.timestamps.push_back(*t);
    file.values.push_back(value);
  }
  return file;
}

std::vector<NabWindow> WindowRows(
    const std::vector<core::TimeNs>& timestamps,
    const std::vector<std::pair<core::TimeNs, core::TimeNs>>& limits) {
  std::vector<NabWindow> windows;
  for (const auto& [start, end] : limits) {
    auto first = std::lower_bound(timestamps.begin(), timestamps.end(), start);
    auto last = std::upper_bound(timestamps.begin(), timestamps.end(), end);
    if (first == timestamps.end() || last == timestamps.begin() || first >= last) continue;
    windows.push_back({static_cast<size_t>(first - timestamps.begin()),
                       static_cast<size_t>(last - timestamps.begin()) - 1});
  }
  std::sort(windows.begin(), windows.end(),
            [](const NabWindow& a, const NabWindow& b) { return a.first_row < b.first_row; });
  return windows;
}

absl::StatusOr<NabCorpus> LoadNabCorpus(const std::string& dir) {
  namespace fs = std::filesystem;
  NabCorpus corpus;
  nlohmann::json labels;
  {
    absl::StatusOr<std::string> text =
        ReadWhole((fs::path(dir) / "labels" / "combined_windows.json").string());
    if (!text.ok()) return text.status();
    try {
      labels = nlohmann::json::parse(*text);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("labels/combined_windows.json: ", e.what()));
    }
    if (!labels.is_object()) {
      return absl::InvalidArgumentError("labels/combined_windows.json: expected an object");
    }
  }
  corpus.profiles = {
      {"standard", 1, 0.11, 1}, {"reward_low_fp", 1, 0.22, 1}, {"reward_low_fn", 1, 0.11, 2}};
  fs::path profiles_path = fs::path(dir) / "profiles.json";
  if (fs::exists(profiles_path)) {
    absl::StatusOr<std::string> text = ReadWhole(profiles_path.string());
    if (!text.ok()) return text.status();
    try {
      nlohmann::json profiles = nlohmann::json::parse(*text);
      const std::pair<const char*, const char*> names[] = {{"standard", "standard"},
                                                           {"reward_low_FP_rate", "reward_low_fp"},
                                                           {"reward_low_FN_rate", "reward_low_fn"}};
      for (size_t i = 0; i < 3; ++i) {
        if (!profiles.contains(names[i].first)) continue;
        const nlohmann::json& cost = profiles.at(names[i].first).at("CostMatrix");
        corpus.profiles[i] = {names[i].second, cost.at("tpWeight").get<double>(),
                              cost.at("fpWeight").get<double>(), cost.at("fnWeight").get<double>()};
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("profiles.json: ", e.what()));
    }
  }
  fs::path data_dir = fs::path(dir) / "data";
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) {
    return absl::NotFoundError(absl::StrCat(data_dir.string(), " is not a directory"));
  }
  for (const auto& entry : fs::recursive_directory_iterator(data_dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".csv") continue;
    std::string name = fs::relative(entry.path(), data_dir).generic_string();
    absl::StatusOr<NabFile> file = ReadNabFile(entry.path().string());
    if (!file.ok()) return file.status();
    file->name = name;
    file->category = name.substr(0, name.find('/'));
    if (!labels.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " has no entry in combined_windows.json"));
    }
    std::vector<std::pair<core::TimeNs, core::TimeNs>> limits;
    try {
      for (const auto& window : labels.at(name)) {
        absl::StatusOr<core::TimeNs> start = ParseNabTimestamp(window.at(0).get<std::string>());
        absl::StatusOr<core::TimeNs> end = ParseNabTimestamp(window.at(1).get<std::string>());
        if (!start.ok() || !end.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(name, ": bad window in combined_windows.json"));
        }
        limits.emplace_back(*start, *end);
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("combined_windows.json, ", name, ": ", e.what()));
    }
    file->windows = WindowRows(file->timestamps, limits);
    corpus.files.push_back(std::move(*file));
  }
  if (ec)
    return absl::InternalError(absl::StrCat("listing ", data_dir.string(), ": ", ec.message()));
  std::sort(corpus.files.begin(), corpus.files.end(),
            [](const NabFile& a, const NabFile& b) { return a.name < b.name; });
  return corpus;
}

}  // namespace augur::eval
