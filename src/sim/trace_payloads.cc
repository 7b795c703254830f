// GenerateTracePayloads (declared in simulator.h): the simulator's traces, cut into serialized
// Export requests without sending them.
#include <memory>
#include <string>
#include <vector>

#include "sim/fleet.h"
#include "sim/otlp_resources.h"
#include "sim/otlp_wire_encoder.h"
#include "sim/simulator.h"
#include "sim/telemetry_buffer.h"
#include "sim/trace_generator.h"
#include "sim/traffic.h"

namespace augur::sim {

namespace {
// The load shape of the default simulation; only the request times depend on it.
constexpr double kPayloadRate = 100;
}  // namespace

std::vector<std::string> GenerateTracePayloads(int services, int count, int spans_per_request,
                                               uint64_t seed, core::TimeNs start_time_ns) {
  std::vector<std::string> out;
  if (count <= 0 || spans_per_request <= 0) return out;
  FleetOptions options;
  options.services = services;
  options.seed = seed;
  absl::StatusOr<Fleet> built = Fleet::Build(options);
  if (!built.ok()) return out;
  const auto fleet = std::make_unique<const Fleet>(*std::move(built));

  const OtlpResources resources(*fleet);
  const TrafficShape traffic(kPayloadRate, seed);
  ArrivalProcess arrivals(&traffic, start_time_ns, seed);
  TraceGenerator generator(fleet.get(), nullptr, seed);
  TraceWireEncoder encoder(&resources);
  TelemetryBuffer buffer;
  out.reserve(count);
  while (static_cast<int>(out.size()) < count) {
    buffer.Clear();
    const core::TimeNs t = arrivals.Next();
    generator.Generate(t, traffic.Multiplier(t), buffer);
    for (const SimSpan& span : buffer.spans) {
      encoder.Add(buffer, span);
      if (encoder.size() == static_cast<uint64_t>(spans_per_request)) {
        out.push_back(encoder.Take().bytes);
        if (static_cast<int>(out.size()) == count) break;
      }
    }
  }
  return out;
}

}  // namespace augur::sim
