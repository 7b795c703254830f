#include "sim/otlp_resources.h"

#include <string_view>
#include <vector>

namespace augur::sim {

namespace {

using opentelemetry::proto::common::v1::InstrumentationScope;
using opentelemetry::proto::resource::v1::Resource;

void Add(Resource& r, std::string_view key, std::string_view value) {
  auto* kv = r.add_attributes();
  kv->set_key(key.data(), key.size());
  kv->mutable_value()->set_string_value(value.data(), value.size());
}

// SDK versions and the instrumentation scope name each language's auto-instrumentation reports.
struct SdkInfo {
  std::string_view version;
  std::string_view scope;
};

SdkInfo SdkFor(Language language) {
  switch (language) {
    case Language::kGo:
      return {"1.28.0", "go.opentelemetry.io/contrib/instrumentation"};
    case Language::kJava:
      return {"1.40.0", "io.opentelemetry.javaagent"};
    case Language::kPython:
      return {"1.25.0", "opentelemetry.instrumentation"};
    case Language::kNodeJs:
      return {"1.25.0", "@opentelemetry/auto-instrumentations-node"};
    case Language::kDotNet:
      return {"1.9.0", "OpenTelemetry.AutoInstrumentation"};
    case Language::kRuby:
      return {"1.5.0", "OpenTelemetry::Instrumentation"};
    case Language::kPhp:
      return {"1.0.0", "io.opentelemetry.contrib.php"};
  }
  return {"1.0.0", "opentelemetry"};
}

Resource MakeResource(const Fleet& fleet, const Instance& inst, std::string_view version,
                      std::string_view instance_id) {
  const Service& s = fleet.services[inst.service];
  const SdkInfo sdk = SdkFor(s.language);
  Resource r;
  Add(r, "service.name", s.name);
  Add(r, "service.namespace", "shop");
  Add(r, "service.version", version);
  Add(r, "service.instance.id", instance_id);
  Add(r, "host.name", inst.pod_name);
  Add(r, "k8s.namespace.name", "shop");
  Add(r, "k8s.deployment.name", s.name);
  Add(r, "k8s.pod.name", inst.pod_name);
  Add(r, "k8s.node.name", inst.node_name);
  Add(r, "deployment.environment", "production");
  Add(r, "cloud.provider", "aws");
  Add(r, "cloud.region", "eu-west-1");
  Add(r, "telemetry.sdk.name", "opentelemetry");
  Add(r, "telemetry.sdk.language", LanguageName(s.language));
  Add(r, "telemetry.sdk.version", sdk.version);
  return r;
}

}  // namespace

OtlpResources::OtlpResources(const Fleet& fleet, const FaultSchedule* faults) {
  resources_.reserve(fleet.instances.size());
  scopes_.reserve(fleet.instances.size());
  for (const Instance& inst : fleet.instances) {
    const Service& s = fleet.services[inst.service];
    const SdkInfo sdk = SdkFor(s.language);
    resources_.push_back(MakeResource(fleet, inst, s.version, inst.instance_id));
    InstrumentationScope& scope = scopes_.emplace_back();
    scope.set_name(sdk.scope.data(), sdk.scope.size());
    scope.set_version(sdk.version.data(), sdk.version.size());
  }
  if (faults == nullptr) return;
  changes_.resize(fleet.instances.size());
  for (int i = 0; i < static_cast<int>(fleet.instances.size()); ++i) {
    const std::vector<FaultSchedule::IdentitySegment>& segments = faults->IdentityChanges(i);
    for (size_t k = 1; k < segments.size(); ++k) {
      const FaultSchedule::IdentitySegment& seg = segments[k];
      int index = i;
      if (seg.version != fleet.services[fleet.instances[i].service].version ||
          seg.instance_id != fleet.instances[i].instance_id) {
        index = static_cast<int>(resources_.size());
        resources_.push_back(MakeResource(fleet, fleet.instances[i], seg.version, seg.instance_id));
      }
      changes_[i].push_back({seg.start_ns, index});
    }
  }
}

int OtlpResources::ResourceIndexAt(int instance, core::TimeNs t) const {
  if (changes_.empty() || changes_[instance].empty()) return instance;
  int index = instance;
  for (const auto& [start_ns, i] : changes_[instance]) {
    if (start_ns > t) break;
    index = i;
  }
  return index;
}

}  // namespace augur::sim
