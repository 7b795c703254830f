// The OTLP Resource of every service instance (service.*, k8s.*, host.name, telemetry.sdk.*,
// deployment.environment, ...) and the instrumentation scope its telemetry is reported under,
// built once per fleet and copied into each Export request. Faults that change who an instance is
// (a deploy changes service.version, a restart service.instance.id) add resources the instance
// reports from then on: ResourceIndexAt says which. Immutable; thread-safe.
#pragma once

#include <utility>
#include <vector>

#include "core/time.h"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "sim/fault.h"
#include "sim/fleet.h"

namespace augur::sim {

class OtlpResources {
 public:
  // `faults` (may be null) adds the identities its faults give instances over time.
  explicit OtlpResources(const Fleet& fleet, const FaultSchedule* faults = nullptr);

  // A resource by index: an instance's index is its resource at the start; ResourceIndexAt gives
  // the one it reports at some time.
  const opentelemetry::proto::resource::v1::Resource& resource(int index) const {
    return resources_[index];
  }
  const opentelemetry::proto::common::v1::InstrumentationScope& scope(int instance) const {
    return scopes_[instance];
  }
  // Instances.
  size_t size() const { return scopes_.size(); }
  // Resources: one per instance, plus those faults give instances later.
  size_t resource_count() const { return resources_.size(); }
  // The index of the resource `instance` reports at `t`.
  int ResourceIndexAt(int instance, core::TimeNs t) const;

 private:
  std::vector<opentelemetry::proto::resource::v1::Resource> resources_;
  std::vector<opentelemetry::proto::common::v1::InstrumentationScope> scopes_;
  // Per instance: (from when, resource index), in time order; empty when its identity is fixed.
  std::vector<std::vector<std::pair<core::TimeNs, int>>> changes_;
};

}  // namespace augur::sim
