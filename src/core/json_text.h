// A JSON string literal written straight into a buffer, for the hand-written JSON of the decoders,
// the exporters and the simulator's ground truth (all write many small values).
#pragma once

#include <string>
#include <string_view>

namespace augur::core {

// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped, every
// other byte as it is (the caller sees to UTF-8).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace augur::core
