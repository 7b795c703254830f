// RandomCutForest::Update and Score throughput on the per-service vector [request rate, error
// ratio, p95 latency, saturation], one core, trees=50, sample_size=256 (the defaults):
//
//   ninja -C build augur_rcf_bench && build/src/detect/augur_rcf_bench
//
// The forest is warmed up with 5,000 observations first, so the samples are full and the timed
// updates pay for the steady-state mix of scoring every tree and replacing sampled points.
#include <benchmark/benchmark.h>

#include <array>
#include <random>
#include <vector>

#include "detect/random_cut_forest.h"

namespace augur::detect {
namespace {

constexpr int kWarmUp = 5000;
constexpr size_t kStreamLength = 1 << 14;

// The observations, made once.
const std::vector<std::array<double, 4>>& Stream() {
  static const auto* stream = [] {
    std::mt19937_64 rng(1);
    std::normal_distribution<double> rate(1000, 30), errors(0.001, 0.0003), latency(0.2, 0.02),
        saturation(0.5, 0.05);
    auto* s = new std::vector<std::array<double, 4>>(kStreamLength);
    for (auto& p : *s) p = {rate(rng), errors(rng), latency(rng), saturation(rng)};
    return s;
  }();
  return *stream;
}

RandomCutForest WarmForest(int shingle_size, double time_decay) {
  RandomCutForestOptions o;
  o.shingle_size = shingle_size;
  o.time_decay = time_decay;
  RandomCutForest forest(o);
  for (int i = 0; i < kWarmUp; ++i) forest.Update(Stream()[i % kStreamLength]);
  return forest;
}

// Args: shingle size, time decay in units of 1/2560 (0 = uniform reservoir).
void BM_Update(benchmark::State& state) {
  const auto& stream = Stream();
  RandomCutForest forest = WarmForest(static_cast<int>(state.range(0)), state.range(1) / 2560.0);
  size_t i = kWarmUp;
  for (auto _ : state) {
    ForestAssessment a = forest.Update(stream[i++ % kStreamLength]);
    benchmark::DoNotOptimize(a.raw_score);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_bytes"] = static_cast<double>(forest.MemoryBytes());
}
BENCHMARK(BM_Update)->Args({1, 1})->Args({4, 1})->Args({1, 0})->Args({4, 0})->MinTime(2.0);

// Arg: shingle size.
void BM_Score(benchmark::State& state) {
  const auto& stream = Stream();
  RandomCutForest forest = WarmForest(static_cast<int>(state.range(0)), 1 / 2560.0);
  size_t i = 0;
  for (auto _ : state) {
    ForestAssessment a = forest.Score(stream[i++ % kStreamLength]);
    benchmark::DoNotOptimize(a.raw_score);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Score)->Arg(1)->Arg(4)->MinTime(2.0);

}  // namespace
}  // namespace augur::detect

BENCHMARK_MAIN();
