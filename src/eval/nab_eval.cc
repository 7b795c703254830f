#include "eval/nab_eval.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "detect/anomaly_likelihood.h"
#include "detect/detector.h"
#include "detect/event_tracker.h"
#include "eval/nab_data.h"
#include "eval/nab_scorer.h"
#include "nlohmann/json.hpp"

namespace augur::eval {
namespace {

// The shipped default alarm threshold: the default detector's alarm level, where it declares an
// alarm and starts holding repeats. (Events for people open at the stricter EventRule::open_score,
// chosen for quiet production at 10 s resolution; reported too, as "event_rule".)
double DefaultThreshold() { return detect::DetectorOptions{}.alarm_score; }
double EventThreshold() { return detect::EventRule{}.open_score; }

// Streams the file through a fresh detector, row by row; the score is 0 while it learns.
std::vector<double> DetectFile(const NabFile& file, std::string_view type) {
  std::unique_ptr<detect::Detector> detector =
      detect::MakeDetector(type, detect::DetectorOptions{});
  std::vector<double> scores(file.values.size());
  for (size_t i = 0; i < file.values.size(); ++i) {
    detect::Assessment a = detector->Observe(file.timestamps[i], file.values[i]);
    scores[i] = a.learning ? 0 : a.score;
  }
  return scores;
}

bool WriteResults(const std::string& dir, std::string_view type, const NabFile& file,
                  const std::vector<double>& scores) {
  namespace fs = std::filesystem;
  fs::path name(file.name);
  fs::path path =
      fs::path(dir) / name.parent_path() / (std::string(type) + "_" + name.filename().string());
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path);
  if (!out) return false;
  out << "timestamp,value,anomaly_score,label\n";
  size_t w = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    while (w < file.windows.size() && file.windows[w].last_row < i) ++w;
    bool label = w < file.windows.size() && file.windows[w].first_row <= i;
    char line[128];
    std::snprintf(line, sizeof(line), ",%.17g,%.17g,%d\n", file.values[i], scores[i],
                  label ? 1 : 0);
    out << file.timestamp_text[i] << line;
  }
  return static_cast<bool>(out);
}

struct ProfileResult {
  double best_threshold = 1.1;
  NabOutcome best;
  NabOutcome at_default;
  NabOutcome at_event;
  std::map<std::string, NabOutcome> category_best;
  std::map<std::string, NabOutcome> category_default;
};

nlohmann::json OutcomeJson(const NabOutcome& o, const NabProfile& p) {
  double normalized = NabNormalized(o.raw, o.windows, p);
  nlohmann::json j = {{"raw", o.raw},
                      {"windows", o.windows},
                      {"detected", o.detected},
                      {"false_positives", o.false_positives}};
  j["score"] = std::isnan(normalized) ? nlohmann::json(nullptr) : nlohmann::json(normalized);
  return j;
}

std::string Cell(const NabOutcome& o, const NabProfile& p) {
  double normalized = NabNormalized(o.raw, o.windows, p);
  char text[64];
  if (std::isnan(normalized)) {
    std::snprintf(text, sizeof(text), "(raw %.2f)", o.raw);
  } else {
    std::snprintf(text, sizeof(text), "%.1f", normalized);
  }
  return text;
}

}  // namespace

int RunNabEval(const NabEvalOptions& options) {
  auto started = std::chrono::steady_clock::now();
  std::string type =
      options.detector.empty() ? std::string(detect::DefaultDetectorType()) : options.detector;
  if (detect::MakeDetector(type, detect::DetectorOptions{}) == nullptr) {
    std::fprintf(stderr, "augur eval nab: unknown detector type \"%s\"\n", type.c_str());
    return 2;
  }
  absl::StatusOr<NabCorpus> corpus = LoadNabCorpus(options.dir);
  if (!corpus.ok()) {
    std::fprintf(stderr, "augur eval nab: %s\n", std::string(corpus.status().message()).c_str());
    return 2;
  }
  if (corpus->files.empty()) {
    std::fprintf(stderr, "augur eval nab: no data files under %s/data\n", options.dir.c_str());
    return 2;
  }
  std::vector<std::vector<double>> scores;
  size_t rows = 0;
  for (const NabFile& file : corpus->files) {
    scores.push_back(DetectFile(file, type));
    rows += file.values.size();
    if (!options.results_dir.empty() &&
        !WriteResults(options.results_dir, type, file, scores.back())) {
      std::fprintf(stderr, "augur eval nab: cannot write results for %s under %s\n",
                   file.name.c_str(), options.results_dir.c_str());
      return 2;
    }
  }
  std::vector<NabScoredFile> all;
  std::map<std::string, std::vector<NabScoredFile>> by_category;
  for (size_t i = 0; i < corpus->files.size(); ++i) {
    NabScoredFile f{scores[i], corpus->files[i].windows};
    all.push_back(f);
    by_category[corpus->files[i].category].push_back(f);
  }
  const double default_threshold = DefaultThreshold();
  std::vector<ProfileResult> results;
  for (const NabProfile& profile : corpus->profiles) {
    ProfileResult r;
    NabBest best = BestThreshold(all, profile);
    r.best_threshold = best.threshold;
    r.best = ScoreAtThreshold(all, profile, best.threshold);
    r.at_default = ScoreAtThreshold(all, profile, default_threshold);
    r.at_event = ScoreAtThreshold(all, profile, EventThreshold());
    for (const auto& [category, files] : by_category) {
      r.category_best[category] = ScoreAtThreshold(files, profile, best.threshold);
      r.category_default[category] = ScoreAtThreshold(files, profile, default_threshold);
    }
    results.push_back(std::move(r));
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (options.json) {
    nlohmann::json out;
    nlohmann::json at_default = {{"threshold", default_threshold}};
    nlohmann::json at_event = {{"threshold", EventThreshold()}};
    nlohmann::json thresholds, details, per_category;
    for (size_t p = 0; p < corpus->profiles.size(); ++p) {
      const NabProfile& profile = corpus->profiles[p];
      const ProfileResult& r = results[p];
      out[profile.name] = NabNormalized(r.best.raw, r.best.windows, profile);
      at_default[profile.name] = NabNormalized(r.at_default.raw, r.at_default.windows, profile);
      at_event[profile.name] = NabNormalized(r.at_event.raw, r.at_event.windows, profile);
      thresholds[profile.name] = r.best_threshold;
      details[profile.name] = {{"best", OutcomeJson(r.best, profile)},
                               {"default", OutcomeJson(r.at_default, profile)}};
      for (const auto& [category, o] : r.category_best) {
        per_category[category][profile.name] = {
            {"best", OutcomeJson(o, profile)},
            {"default", OutcomeJson(r.category_default.at(category), profile)}};
      }
    }
    out["threshold"] = results[0].best_threshold;
    out["default"] = at_default;
    out["event_rule"] = at_event;
    out["thresholds"] = thresholds;
    out["details"] = details;
    out["per_category"] = per_category;
    out["detector"] = type;
    out["files"] = corpus->files.size();
    out["rows"] = rows;
    out["seconds"] = seconds;
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }

  std::printf("NAB evaluation of detector \"%s\": %zu files, %zu rows, %.1f s\n\n", type.c_str(),
              corpus->files.size(), rows, seconds);
  for (int at_best = 1; at_best >= 0; --at_best) {
    if (at_best) {
      std::printf(
          "At the best threshold per profile (standard %.6g, reward_low_fp %.6g, "
          "reward_low_fn %.6g):\n",
          results[0].best_threshold, results[1].best_threshold, results[2].best_threshold);
    } else {
      std::printf("\nAt the shipped default alarm threshold %.6g:\n", default_threshold);
    }
    std::printf("  %-24s %10s %14s %14s %9s %5s\n", "category", "standard", "reward_low_fp",
                "reward_low_fn", "detected", "FP");
    auto row = [&](const std::string& name, auto outcome_of) {
      const NabOutcome& s = outcome_of(0);
      std::printf("  %-24s %10s %14s %14s %5d/%-3d %5d\n", name.c_str(),
                  Cell(s, corpus->profiles[0]).c_str(),
                  Cell(outcome_of(1), corpus->profiles[1]).c_str(),
                  Cell(outcome_of(2), corpus->profiles[2]).c_str(), s.detected, s.windows,
                  s.false_positives);
    };
    for (const auto& [category, unused] : by_category) {
      row(category, [&](int p) -> const NabOutcome& {
        return at_best ? results[p].category_best.at(category)
                       : results[p].category_default.at(category);
      });
    }
    row("overall", [&](int p) -> const NabOutcome& {
      return at_best ? results[p].best : results[p].at_default;
    });
  }
  std::printf(
      "\nAt the event rule's open_score %.6g (what opens an event for people): standard %.1f, "
      "reward_low_fp %.1f, reward_low_fn %.1f.\n",
      EventThreshold(),
      NabNormalized(results[0].at_event.raw, results[0].at_event.windows, corpus->profiles[0]),
      NabNormalized(results[1].at_event.raw, results[1].at_event.windows, corpus->profiles[1]),
      NabNormalized(results[2].at_event.raw, results[2].at_event.windows, corpus->profiles[2]));
  std::printf(
      "\nScores are 100 * (raw - null) / (perfect - null); a category without windows shows "
      "its raw score (false positives only).\n");
  return 0;
}

}  // namespace augur::eval
