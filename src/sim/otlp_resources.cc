#include "sim/otlp_resources.h"

#include <string_view>

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

}  // namespace

OtlpResources::OtlpResources(const Fleet& fleet) {
  resources_.reserve(fleet.instances.size());
  scopes_.reserve(fleet.instances.size());
  for (const Instance& inst : fleet.instances) {
    const Service& s = fleet.services[inst.service];
    const SdkInfo sdk = SdkFor(s.language);
    Resource& r = resources_.emplace_back();
    Add(r, "service.name", s.name);
    Add(r, "service.namespace", "shop");
    Add(r, "service.version", s.version);
    Add(r, "service.instance.id", inst.instance_id);
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

    InstrumentationScope& scope = scopes_.emplace_back();
    scope.set_name(sdk.scope.data(), sdk.scope.size());
    scope.set_version(sdk.version.data(), sdk.version.size());
  }
}

}  // namespace augur::sim
