// Writing JSON text straight into a buffer, for the exporters' row and document formats (the
// rows are many and small: building a JSON object per row would cost more than the row itself).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "model/mined_log.h"

namespace augur::exporter {

// A JSON string literal: quotes, backslashes and control characters escaped; bytes that are not
// UTF-8 written as U+FFFD, so the output is always valid JSON whatever `s` holds.
void AppendJsonString(std::string_view s, std::string* out);

// Attributes as a JSON object: {"key": "string value", "n": 42, "list": [1, 2]}. Values marked
// `json` are written as they are (they are JSON text already); the others as strings.
void AppendJsonAttributes(std::span<const model::MinedLogAttribute> attributes, std::string* out);

// The same object, as a JSON string literal holding it (a column of JSON text).
std::string JsonAttributesText(std::span<const model::MinedLogAttribute> attributes);

}  // namespace augur::exporter
