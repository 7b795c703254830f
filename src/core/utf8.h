// UTF-8 validation and truncation for untrusted strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace augur::core {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

// The longest prefix of valid UTF-8 `s` that fits in `max_bytes` without splitting a code point.
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

// `s` with every byte that does not start a well-formed sequence replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view s);

// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace augur::core
