#include "eval/log_eval.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "derive/log_template_miner.h"
#include "eval/log_parsing_accuracy.h"
#include "eval/loghub.h"

namespace augur::eval {
namespace {

struct SystemResult {
  std::string name;
  size_t lines = 0;
  size_t templates = 0;
  size_t truth_templates = 0;
  double ga = 0;
  double pa = 0;
};

// Feeds every line to a fresh miner with Learn, in file order (the miner is online), then scores
// each line by the template its id is known as once all lines are learned.
SystemResult Evaluate(const LoghubSystem& system) {
  derive::LogTemplateMiner miner;
  std::vector<uint32_t> ids;
  ids.reserve(system.contents.size());
  for (const std::string& line : system.contents) ids.push_back(miner.Learn(line));
  std::vector<std::string> produced;
  produced.reserve(ids.size());
  for (uint32_t& id : ids) {
    id = miner.Canonical(id);
    produced.emplace_back(miner.TemplateText(id));
  }
  SystemResult r;
  r.name = system.name;
  r.lines = ids.size();
  r.templates = std::set<uint32_t>(ids.begin(), ids.end()).size();
  r.truth_templates =
      std::set<std::string>(system.templates.begin(), system.templates.end()).size();
  r.ga = GroupingAccuracy(ids, system.templates);
  r.pa = ParsingAccuracy(produced, system.templates);
  return r;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

int RunLogEval(const LogEvalOptions& options) {
  absl::StatusOr<std::vector<std::string>> names = ListLoghubSystems(options.dir);
  if (!names.ok()) {
    std::fprintf(stderr, "augur eval logs: %s\n", std::string(names.status().message()).c_str());
    return 1;
  }
  if (names->empty()) {
    std::fprintf(stderr,
                 "augur eval logs: no Loghub systems in %s (expected <System>/"
                 "<System>_2k.log_structured.csv)\n",
                 options.dir.c_str());
    return 1;
  }
  std::vector<SystemResult> results;
  for (const std::string& name : *names) {
    absl::StatusOr<LoghubSystem> system = ReadLoghubSystem(options.dir, name);
    if (!system.ok()) {
      std::fprintf(stderr, "augur eval logs: %s\n", std::string(system.status().message()).c_str());
      return 1;
    }
    results.push_back(Evaluate(*system));
  }
  double ga_mean = 0, pa_mean = 0;
  for (const SystemResult& r : results) {
    ga_mean += r.ga / static_cast<double>(results.size());
    pa_mean += r.pa / static_cast<double>(results.size());
  }

  if (options.json) {
    char means[96];
    std::snprintf(means, sizeof(means), "{\"ga_mean\":%.4f,\"pa_mean\":%.4f,\"per_system\":{",
                  ga_mean, pa_mean);
    std::string out = means;
    for (size_t i = 0; i < results.size(); ++i) {
      const SystemResult& r = results[i];
      if (i > 0) out += ",";
      char buf[256];
      std::snprintf(buf, sizeof(buf),
                    ":{\"ga\":%.4f,\"pa\":%.4f,\"lines\":%zu,\"templates\":%zu,"
                    "\"truth_templates\":%zu}",
                    r.ga, r.pa, r.lines, r.templates, r.truth_templates);
      out += JsonString(r.name) + buf;
    }
    out += "}}\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  std::printf("%-12s %7s %10s %8s %7s %7s\n", "system", "lines", "templates", "truth", "GA", "PA");
  for (const SystemResult& r : results) {
    std::printf("%-12s %7zu %10zu %8zu %7.3f %7.3f\n", r.name.c_str(), r.lines, r.templates,
                r.truth_templates, r.ga, r.pa);
  }
  std::printf("%-12s %7s %10s %8s %7.3f %7.3f\n", "mean", "", "", "", ga_mean, pa_mean);
  return 0;
}

}  // namespace augur::eval
