// Reading configuration from YAML (yaml-cpp) with errors that name the key.
//
// A ConfigNode is a view of one mapping in the document plus its dotted path ("limits",
// "receivers.otlp.grpc"). Getters leave the output untouched when the key is absent (so structs
// keep their defaults) and fail with the full key and the reason when the value is malformed.
// CheckKeys() rejects unknown keys, so a typo fails at start-up instead of being ignored.
// yaml-cpp's exceptions stop here.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/time.h"

namespace augur::core {

class ConfigNode {
 public:
  // Parses YAML text; `source` names it in errors (a file name). Empty text is an empty mapping.
  static absl::StatusOr<YAML::Node> Parse(std::string_view text, std::string_view source);

  ConfigNode(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  // The mapping under `key` (an empty node when absent). Fails later, at CheckKeys or a getter,
  // if it is not a mapping.
  ConfigNode Child(std::string_view key) const;
  bool Has(std::string_view key) const;
  // Fails when the node is neither absent nor a mapping, or has keys outside `known`.
  absl::Status CheckKeys(std::initializer_list<std::string_view> known) const;

  absl::Status Get(std::string_view key, std::string* out) const;
  absl::Status Get(std::string_view key, bool* out) const;
  absl::Status Get(std::string_view key, int* out) const;
  absl::Status Get(std::string_view key, int64_t* out) const;
  absl::Status Get(std::string_view key, uint32_t* out) const;
  absl::Status Get(std::string_view key, size_t* out) const;
  absl::Status Get(std::string_view key, double* out) const;
  absl::Status Get(std::string_view key, std::vector<double>* out) const;
  absl::Status Get(std::string_view key, std::vector<std::string>* out) const;
  // "500ms", "10s", "5m", "1h30m", "7d" (Prometheus durations).
  absl::Status GetDuration(std::string_view key, TimeNs* out) const;
  // "1048576", "512KiB", "20MiB", "1GiB", "4MB" (binary and decimal units).
  absl::Status GetBytes(std::string_view key, size_t* out) const;

  std::string KeyPath(std::string_view key) const;
  // The underlying YAML (for structures the getters do not cover, such as lists of mappings).
  const YAML::Node& Raw() const { return node_; }

 private:
  absl::Status Scalar(std::string_view key, std::string* out, bool* present) const;

  YAML::Node node_;
  std::string path_;
};

// Durations and sizes as the configuration writes them.
absl::StatusOr<TimeNs> ParseDuration(std::string_view text);
absl::StatusOr<size_t> ParseBytes(std::string_view text);
std::string FormatDuration(TimeNs d);   // "10s", "5m", "1h30m", "250ms"
std::string FormatBytes(size_t bytes);  // "20MiB", "4096"

// Sets `dotted.key=value` in a YAML document (creating mappings on the way), as --set does.
absl::Status SetYamlValue(YAML::Node* root, std::string_view assignment);

}  // namespace augur::core
