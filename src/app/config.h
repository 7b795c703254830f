// Augur's configuration: augur.yaml, with every key optional (zero configuration works) and
// validated at start-up. docs/configuration.md documents each key; `augur config check FILE`
// prints the resolved configuration or the first error with its key.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "app/pipeline.h"
#include "core/http_server.h"
#include "ingest/otlp_ingester.h"

namespace augur::app {

struct AugurConfig {
  std::string otlp_grpc_endpoint = "0.0.0.0:4317";
  std::string otlp_http_endpoint = "0.0.0.0:4318";
  std::string api_endpoint = "0.0.0.0:8080";
  int http_threads = 2;
  bool loki_receiver = true;  // POST /loki/api/v1/push on the API server
  ingest::OtlpReceiverConfig receiver;
  PipelineConfig pipeline;
  std::string log_level = "info";

  absl::Status Validate() const;
};

// Loads `path` ("" = defaults only), then applies `overrides` ("dotted.key=value", as --set).
absl::StatusOr<AugurConfig> LoadConfig(const std::string& path,
                                       const std::vector<std::string>& overrides);
// Parses configuration text; `source` names it in errors.
absl::StatusOr<AugurConfig> ParseConfig(std::string_view yaml, std::string_view source,
                                        const std::vector<std::string>& overrides);

// The resolved configuration as YAML, every key present (a valid augur.yaml).
std::string ConfigToYaml(const AugurConfig& config);

// "host:port" -> address and port; the port must be 0..65535.
absl::Status ParseEndpoint(std::string_view endpoint, std::string_view key, std::string* host,
                           uint16_t* port);

}  // namespace augur::app
