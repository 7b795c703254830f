// Observe() throughput per detector type: update + score of one point, on a noisy daily signal at
// a 10 s spacing, one series per benchmark (the model stays hot in cache, as a shard's working set
// of recently updated series would). Items per second = points per second on one core.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "detect/detector.h"
#include "detect/score_calibrator.h"

namespace augur::detect {
namespace {

constexpr core::TimeNs kSpacing = 10 * core::kNsPerSecond;

std::vector<double> Signal(size_t n) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = 100 + 10 * std::sin(2 * M_PI * static_cast<double>(i) / 8640) + noise(rng);
  }
  return v;
}

void BM_Observe(benchmark::State& state, std::string type) {
  std::vector<double> values = Signal(1 << 16);
  std::unique_ptr<Detector> d = MakeDetector(type, {});
  core::TimeNs t = 0;
  size_t i = 0;
  // Past the learning period first.
  for (; i < 20000; ++i, t += kSpacing) d->Observe(t, values[i & 0xffff]);
  for (auto _ : state) {
    Assessment a = d->Observe(t, values[i++ & 0xffff]);
    benchmark::DoNotOptimize(a);
    t += kSpacing;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_bytes"] = static_cast<double>(d->MemoryBytes());
}

BENCHMARK_CAPTURE(BM_Observe, seasonal, std::string("seasonal"));
BENCHMARK_CAPTURE(BM_Observe, holt_winters, std::string("holt_winters"));
BENCHMARK_CAPTURE(BM_Observe, anomaly_likelihood, std::string("anomaly_likelihood"));

void BM_CalibratorScoreAndLearn(benchmark::State& state) {
  ScoreCalibrator c;
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> exp1(1);
  std::vector<double> raw(4096);
  for (double& r : raw) r = exp1(rng);
  for (double r : raw) c.Learn(r);
  size_t i = 0;
  for (auto _ : state) {
    double r = raw[i++ & 4095];
    benchmark::DoNotOptimize(c.Score(r));
    c.Learn(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CalibratorScoreAndLearn);

}  // namespace
}  // namespace augur::detect

BENCHMARK_MAIN();
