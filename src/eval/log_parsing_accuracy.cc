#include "eval/log_parsing_accuracy.h"

#include <utility>

#include "absl/container/flat_hash_map.h"

namespace augur::eval {
namespace {

constexpr std::string_view kWildcard = "<*>";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsJoiner(char c) {
  return c == ' ' || c == ':' || c == '/' || c == '.' || c == '-' || c == '_' || c == '@';
}

}  // namespace

double GroupingAccuracy(const std::vector<uint32_t>& predicted,
                        const std::vector<std::string>& truth) {
  size_t n = std::min(predicted.size(), truth.size());
  if (n == 0) return 0.0;
  absl::flat_hash_map<std::string_view, uint32_t> truth_ids;
  std::vector<uint32_t> truth_of(n);
  for (size_t i = 0; i < n; ++i) {
    truth_of[i] =
        truth_ids.try_emplace(truth[i], static_cast<uint32_t>(truth_ids.size())).first->second;
  }
  absl::flat_hash_map<uint32_t, size_t> predicted_size, truth_size;
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, size_t> both;
  for (size_t i = 0; i < n; ++i) {
    ++predicted_size[predicted[i]];
    ++truth_size[truth_of[i]];
    ++both[{predicted[i], truth_of[i]}];
  }
  // A line is grouped correctly when its predicted group and its truth group are the same set,
  // i.e. their intersection is as large as each of them.
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t common = both[{predicted[i], truth_of[i]}];
    if (common == predicted_size[predicted[i]] && common == truth_size[truth_of[i]]) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

std::string NormalizeTemplate(std::string_view text) {
  std::string spaced;
  spaced.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (IsSpace(text[i])) {
      while (i < text.size() && IsSpace(text[i])) ++i;
      if (!spaced.empty() && i < text.size()) spaced.push_back(' ');
      continue;
    }
    spaced.push_back(text[i++]);
  }
  std::string out;
  out.reserve(spaced.size());
  std::string_view s = spaced;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, kWildcard.size(), kWildcard) != 0) {
      out.push_back(s[i++]);
      continue;
    }
    out.append(kWildcard);
    i += kWildcard.size();
    // Swallow joiners followed by another wildcard, as often as they come.
    while (true) {
      size_t j = i;
      while (j < s.size() && IsJoiner(s[j])) ++j;
      if (s.compare(j, kWildcard.size(), kWildcard) != 0) break;
      i = j + kWildcard.size();
    }
  }
  return out;
}

double ParsingAccuracy(const std::vector<std::string>& produced,
                       const std::vector<std::string>& truth) {
  size_t n = std::min(produced.size(), truth.size());
  if (n == 0) return 0.0;
  size_t correct = 0;
  for (size_t i = 0; i < n; ++i) {
    if (NormalizeTemplate(produced[i]) == NormalizeTemplate(truth[i])) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace augur::eval
