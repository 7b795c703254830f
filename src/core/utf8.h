// UTF-8 validation and truncation for untrusted strings.
#pragma once

#include <cstddef>
#include <string_view>

namespace augur::core {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

// The longest prefix of valid UTF-8 `s` that fits in `max_bytes` without splitting a code point.
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

}  // namespace augur::core
