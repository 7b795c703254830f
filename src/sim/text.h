// String building for the simulator. absl::StrCat takes only absl::string_view, which in this
// build is not std::string_view; these take anything convertible to std::string_view, and format
// numbers with fmt.
#pragma once

#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

namespace augur::sim {

template <typename T>
void AppendPiece(std::string& out, const T& piece) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(piece));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", piece);
  }
}

// Appends the pieces (strings or numbers) to `out`.
template <typename... Pieces>
void Append(std::string& out, const Pieces&... pieces) {
  (AppendPiece(out, pieces), ...);
}

// The pieces (strings or numbers) concatenated.
template <typename... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string out;
  (AppendPiece(out, pieces), ...);
  return out;
}

}  // namespace augur::sim
