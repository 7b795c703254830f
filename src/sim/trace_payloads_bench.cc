// Generation speed of the simulator's traces: spans per second generated, encoded as OTLP and
// serialized (GenerateTracePayloads), and generated only (TraceGenerator).
#include <benchmark/benchmark.h>

#include "sim/fleet.h"
#include "sim/simulator.h"
#include "sim/trace_generator.h"
#include "sim/traffic.h"

namespace augur::sim {
namespace {

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

void BM_GenerateTracePayloads(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(GenerateTracePayloads(500, count, 512, 1, kStart));
  }
  state.SetItemsProcessed(state.iterations() * count * 512);
}
// 1 payload measures mostly building the fleet; 400 payloads (204800 spans) the steady rate.
BENCHMARK(BM_GenerateTracePayloads)->Arg(1)->Arg(400)->Unit(benchmark::kMillisecond);

void BM_TraceGenerator(benchmark::State& state) {
  FleetOptions options;
  options.services = 500;
  const Fleet fleet = *Fleet::Build(options);
  TraceGenerator generator(&fleet, nullptr, 1);
  TelemetryBuffer buffer;
  core::TimeNs t = kStart;
  int64_t spans = 0;
  for (auto _ : state) {
    buffer.Clear();
    spans += generator.Generate(t, 1.0, buffer).spans;
    t += 10 * core::kNsPerMillisecond;
  }
  state.SetItemsProcessed(spans);
}
BENCHMARK(BM_TraceGenerator);

}  // namespace
}  // namespace augur::sim

BENCHMARK_MAIN();
