// The OTLP Resource of every service instance (service.*, k8s.*, host.name, telemetry.sdk.*,
// deployment.environment, ...) and the instrumentation scope its telemetry is reported under,
// built once per fleet and copied into each Export request. Immutable; thread-safe.
#pragma once

#include <vector>

#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "sim/fleet.h"

namespace augur::sim {

class OtlpResources {
 public:
  explicit OtlpResources(const Fleet& fleet);

  const opentelemetry::proto::resource::v1::Resource& resource(int instance) const {
    return resources_[instance];
  }
  const opentelemetry::proto::common::v1::InstrumentationScope& scope(int instance) const {
    return scopes_[instance];
  }
  size_t size() const { return resources_.size(); }

 private:
  std::vector<opentelemetry::proto::resource::v1::Resource> resources_;
  std::vector<opentelemetry::proto::common::v1::InstrumentationScope> scopes_;
};

}  // namespace augur::sim
