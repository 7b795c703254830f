#include "eval/nab_data.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "eval/nab_eval.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace augur::eval {
namespace {

TEST(NabDataTest, ParsesTimestamps) {
  absl::StatusOr<core::TimeNs> t = ParseNabTimestamp("2014-04-01 00:05:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1396310700LL * core::kNsPerSecond);
  t = ParseNabTimestamp("2014-04-10 16:15:00.500000");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1397146500LL * core::kNsPerSecond + core::kNsPerSecond / 2);
  EXPECT_FALSE(ParseNabTimestamp("2014-13-01 00:00:00").ok());
  EXPECT_FALSE(ParseNabTimestamp("yesterday").ok());
  EXPECT_FALSE(ParseNabTimestamp("2014-04-01 00:05:00x").ok());
}

TEST(NabDataTest, MapsWindowsToRows) {
  std::vector<core::TimeNs> ts = {10, 20, 30, 40, 50};
  std::vector<NabWindow> w = WindowRows(ts, {{20, 40}, {45, 100}, {60, 70}});
  ASSERT_EQ(w.size(), 2u);  // the last window holds no row
  EXPECT_EQ(w[0].first_row, 1u);
  EXPECT_EQ(w[0].last_row, 3u);
  EXPECT_EQ(w[1].first_row, 4u);
  EXPECT_EQ(w[1].last_row, 4u);
}

class NabCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("augur_nab_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "data" / "synthetic");
    std::filesystem::create_directories(dir_ / "labels");
    std::ofstream csv(dir_ / "data" / "synthetic" / "spike.csv");
    csv << "timestamp,value\n";
    for (int i = 0; i < 1200; ++i) {
      int minutes = i * 5;
      char line[64];
      std::snprintf(line, sizeof(line), "2014-04-%02d %02d:%02d:00,%d\n", 1 + minutes / 1440,
                    minutes % 1440 / 60, minutes % 60, i == 900 ? 500 : 10 + (i * 7919) % 5);
      csv << line;
    }
    csv.close();
    // Row 900 is 2014-04-04 03:00:00; the window is rows 880..919.
    std::ofstream labels(dir_ / "labels" / "combined_windows.json");
    labels
        << R"({"synthetic/spike.csv": [["2014-04-04 01:20:00.000000", "2014-04-04 04:35:00.000000"]]})";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(NabCorpusTest, LoadsFilesWindowsAndDefaultProfiles) {
  absl::StatusOr<NabCorpus> corpus = LoadNabCorpus(dir_.string());
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->files.size(), 1u);
  const NabFile& f = corpus->files[0];
  EXPECT_EQ(f.name, "synthetic/spike.csv");
  EXPECT_EQ(f.category, "synthetic");
  EXPECT_EQ(f.values.size(), 1200u);
  ASSERT_EQ(f.windows.size(), 1u);
  EXPECT_EQ(f.windows[0].first_row, 880u);
  EXPECT_EQ(f.windows[0].last_row, 919u);
  ASSERT_EQ(corpus->profiles.size(), 3u);
  EXPECT_EQ(corpus->profiles[2].name, "reward_low_fn");
  EXPECT_EQ(corpus->profiles[2].fn, 2);
}

TEST_F(NabCorpusTest, RejectsDataWithoutLabels) {
  std::ofstream(dir_ / "data" / "synthetic" / "unlabelled.csv") << "timestamp,value\n";
  EXPECT_FALSE(LoadNabCorpus(dir_.string()).ok());
}

TEST_F(NabCorpusTest, EvaluationFindsTheSpikeAndWritesResults) {
  NabEvalOptions options;
  options.dir = dir_.string();
  options.json = true;
  options.results_dir = (dir_ / "results").string();
  ::testing::internal::CaptureStdout();
  int code = RunNabEval(options);
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(code, 0);
  nlohmann::json j = nlohmann::json::parse(out);
  for (const char* key : {"standard", "reward_low_fp", "reward_low_fn", "threshold", "default"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GT(j["standard"].get<double>(), 50);  // the spike is found inside its window
  EXPECT_TRUE(j["default"].contains("standard"));
  std::ifstream results(dir_ / "results" / "synthetic" / "anomaly_likelihood_spike.csv");
  std::string header;
  std::getline(results, header);
  EXPECT_EQ(header, "timestamp,value,anomaly_score,label");
  EXPECT_EQ(RunNabEval({.dir = dir_.string(), .detector = "no_such_detector"}), 2);
}

}  // namespace
}  // namespace augur::eval
