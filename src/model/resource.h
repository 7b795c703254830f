// The entity that produced telemetry (OTLP Resource), with the service identity extracted once.
#pragma once

#include <string_view>

#include "model/attributes.h"

namespace augur::model {

// The service name OpenTelemetry SDKs report when none is configured.
inline constexpr std::string_view kUnknownService = "unknown_service";

struct Resource {
  AttributeRange attributes;  // in the owning batch's attribute pool
  // "service.name", or kUnknownService when absent or empty.
  std::string_view service_name = kUnknownService;
  std::string_view service_namespace;    // "service.namespace"
  std::string_view service_version;      // "service.version"
  std::string_view service_instance_id;  // "service.instance.id"
};

}  // namespace augur::model
