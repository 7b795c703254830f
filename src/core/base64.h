// Standard base64 (RFC 4648 section 4), as protobuf's JSON mapping writes `bytes` fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace augur::core {

std::string Base64Encode(std::string_view bytes);

// Decodes standard or URL-safe base64, with or without padding. nullopt on invalid input.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace augur::core
