// Throughput of the log template miner on real logs: the Loghub 2k samples of every system found
// under $AUGUR_LOGHUB (default: ../shared/datasets/loghub from the repository root), one miner per
// system as Augur keeps one per service.
//
//   ninja -C build augur_log_miner_bench && build/src/derive/augur_log_miner_bench
//
// BM_Match: lines matched against the templates learned from their system's sample, cycling
// through all samples until 1,000,000 lines are matched per iteration. BM_LearnFromScratch: every
// sample learned by a fresh miner. items_per_second is lines per second on one core.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "derive/log_template_miner.h"
#include "eval/loghub.h"

namespace augur::derive {
namespace {

constexpr size_t kMatchedLines = 1'000'000;

std::string LoghubDir() {
  if (const char* env = std::getenv("AUGUR_LOGHUB")) return env;
  // The benchmark runs from the repository root, the build directory or a subdirectory of it.
  for (const char* candidate :
       {"../shared/datasets/loghub", "../../shared/datasets/loghub",
        "../../../shared/datasets/loghub", "../../../../shared/datasets/loghub"}) {
    if (std::filesystem::is_directory(candidate)) return candidate;
  }
  return "../shared/datasets/loghub";
}

struct Corpus {
  std::vector<eval::LoghubSystem> systems;
  size_t lines = 0;
  size_t bytes = 0;

  static const Corpus& Get() {
    static const Corpus* corpus = [] {
      auto* c = new Corpus;
      std::string dir = LoghubDir();
      absl::StatusOr<std::vector<std::string>> names = eval::ListLoghubSystems(dir);
      if (!names.ok()) return c;
      for (const std::string& name : *names) {
        absl::StatusOr<eval::LoghubSystem> system = eval::ReadLoghubSystem(dir, name);
        if (!system.ok()) continue;
        for (const std::string& line : system->contents) c->bytes += line.size();
        c->lines += system->contents.size();
        c->systems.push_back(std::move(*system));
      }
      return c;
    }();
    return *corpus;
  }
};

void BM_Match(benchmark::State& state) {
  const Corpus& corpus = Corpus::Get();
  if (corpus.lines == 0) {
    state.SkipWithError("no Loghub data: set AUGUR_LOGHUB");
    return;
  }
  std::vector<LogTemplateMiner> miners;
  for (const eval::LoghubSystem& system : corpus.systems) {
    LogTemplateMiner& miner = miners.emplace_back();
    for (const std::string& line : system.contents) miner.Learn(line);
  }
  size_t matched = 0;
  for (auto _ : state) {
    size_t done = 0;
    uint64_t unmatched = 0;
    while (done < kMatchedLines) {
      for (size_t s = 0; s < corpus.systems.size() && done < kMatchedLines; ++s) {
        for (const std::string& line : corpus.systems[s].contents) {
          unmatched += miners[s].Match(line) == LogTemplateMiner::kNoTemplate;
          if (++done == kMatchedLines) break;
        }
      }
    }
    benchmark::DoNotOptimize(unmatched);
    matched += done;
  }
  state.SetItemsProcessed(static_cast<int64_t>(matched));
  state.SetBytesProcessed(
      static_cast<int64_t>(static_cast<double>(matched) * static_cast<double>(corpus.bytes) /
                           static_cast<double>(corpus.lines)));
}
BENCHMARK(BM_Match)->Unit(benchmark::kMillisecond);

void BM_LearnFromScratch(benchmark::State& state) {
  const Corpus& corpus = Corpus::Get();
  if (corpus.lines == 0) {
    state.SkipWithError("no Loghub data: set AUGUR_LOGHUB");
    return;
  }
  size_t learned = 0;
  for (auto _ : state) {
    size_t templates = 0;
    for (const eval::LoghubSystem& system : corpus.systems) {
      LogTemplateMiner miner;
      for (const std::string& line : system.contents) miner.Learn(line);
      templates += miner.template_count();
    }
    benchmark::DoNotOptimize(templates);
    learned += corpus.lines;
  }
  state.SetItemsProcessed(static_cast<int64_t>(learned));
  state.SetBytesProcessed(static_cast<int64_t>(learned * corpus.bytes / corpus.lines));
}
BENCHMARK(BM_LearnFromScratch)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace augur::derive

BENCHMARK_MAIN();
