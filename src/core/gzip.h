// gzip (RFC 1952) via zlib, with a bound on the inflated size against decompression bombs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace augur::core {

// Inflates gzip (or zlib) data. Fails with InvalidArgument on corrupt or truncated input and with
// ResourceExhausted ("decompressed body exceeds N bytes") as soon as the output would pass
// `max_output_bytes`, without producing more than that.
absl::StatusOr<std::string> GunzipBounded(std::string_view compressed, size_t max_output_bytes);

// Compresses `data` as gzip at the default level.
std::string Gzip(std::string_view data);

}  // namespace augur::core
