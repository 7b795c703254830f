#include "eval/log_eval.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "eval/log_parsing_accuracy.h"
#include "eval/loghub.h"

namespace augur::eval {
namespace {

// testdata/loghub_mini holds two hand-made systems (and a directory that is not one):
//  Alpha: 6 lines. The miner groups {1,2} "Connection from <*> closed", {3,4} "Disk <*> is
//    full", {5,6} "User <*> logged in"; the truth splits 5 and 6 into "User alice logged in" and
//    "User bob logged in". GA = PA = 4/6 (lines 1-4 right; the truth "Connection   from <*>:<*>
//    closed" normalises to the miner's template).
//  Beta: 4 lines, CRLF line ends and quoted fields with commas and doubled quotes. Both
//    templates right: GA = PA = 1.
const std::string kMiniDir = std::string(AUGUR_SOURCE_DIR) + "/testdata/loghub_mini";

TEST(LoghubTest, ParsesQuotedCsv) {
  auto rows = ParseCsv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,,\"multi\nline\"\n\nlast");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"a", "b,c", "say \"hi\""}));
  EXPECT_EQ((*rows)[1], (std::vector<std::string>{"1", "", "multi\nline"}));
  EXPECT_EQ((*rows)[2], (std::vector<std::string>{""}));
  EXPECT_EQ((*rows)[3], (std::vector<std::string>{"last"}));
  EXPECT_FALSE(ParseCsv("a,\"unterminated\n").ok());
}

TEST(LoghubTest, DiscoversSystemsAndReadsColumns) {
  auto names = ListLoghubSystems(kMiniDir);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"Alpha", "Beta"}));
  auto beta = ReadLoghubSystem(kMiniDir, "Beta");
  ASSERT_TRUE(beta.ok()) << beta.status();
  ASSERT_EQ(beta->contents.size(), 4u);
  EXPECT_EQ(beta->contents[0], "Job 1 done, status \"ok\"");
  EXPECT_EQ(beta->templates[0], "Job <*> done, status \"ok\"");
  EXPECT_EQ(beta->templates[3], "Shutting down");  // no '\r' left
  EXPECT_FALSE(ListLoghubSystems(kMiniDir + "/missing").ok());
  EXPECT_FALSE(ReadLoghubSystem(kMiniDir, "NotASystem").ok());
}

TEST(LogParsingAccuracyTest, GroupingAccuracyNeedsExactlyTheSameGroups) {
  std::vector<std::string> truth = {"A", "A", "B", "B", "C"};
  EXPECT_DOUBLE_EQ(GroupingAccuracy({7, 7, 8, 8, 9}, truth), 1.0);
  // Merging B and C loses all three of their lines; splitting A loses both of its.
  EXPECT_DOUBLE_EQ(GroupingAccuracy({1, 1, 2, 2, 2}, truth), 2.0 / 5);
  EXPECT_DOUBLE_EQ(GroupingAccuracy({1, 3, 2, 2, 4}, truth), 3.0 / 5);
  EXPECT_DOUBLE_EQ(GroupingAccuracy({}, {}), 0.0);
}

TEST(LogParsingAccuracyTest, NormalizationCollapsesWhitespaceAndJoinedVariables) {
  EXPECT_EQ(NormalizeTemplate("  a   b\t c "), "a b c");
  EXPECT_EQ(NormalizeTemplate("from <*>:<*> to <*> <*>"), "from <*> to <*>");
  EXPECT_EQ(NormalizeTemplate("Old: <*>/<*>:<*> New"), "Old: <*> New");
  EXPECT_EQ(NormalizeTemplate("<*><*>"), "<*>");
  EXPECT_EQ(NormalizeTemplate("(<*>, <*>)"), "(<*>, <*>)");  // a comma separates values
  EXPECT_EQ(NormalizeTemplate("node-<*>"), "node-<*>");      // text before a value stays
  EXPECT_EQ(NormalizeTemplate("a <*>. b"), "a <*>. b");
}

TEST(LogParsingAccuracyTest, ParsingAccuracyComparesNormalizedTemplates) {
  std::vector<std::string> truth = {"send <*>:<*> ok", "send <*>:<*> ok", "User alice in"};
  EXPECT_DOUBLE_EQ(ParsingAccuracy({"send <*> ok", "send <*>  ok", "User <*> in"}, truth), 2.0 / 3);
}

TEST(LogEvalTest, ScoresTheMiniDirectoryAsComputedByHand) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(RunLogEval({kMiniDir, true}), 0);
  std::string json = testing::internal::GetCapturedStdout();
  EXPECT_EQ(json,
            "{\"ga_mean\":0.8333,\"pa_mean\":0.8333,\"per_system\":{"
            "\"Alpha\":{\"ga\":0.6667,\"pa\":0.6667,\"lines\":6,\"templates\":3,"
            "\"truth_templates\":4},"
            "\"Beta\":{\"ga\":1.0000,\"pa\":1.0000,\"lines\":4,\"templates\":2,"
            "\"truth_templates\":2}}}\n");

  testing::internal::CaptureStdout();
  EXPECT_EQ(RunLogEval({kMiniDir, false}), 0);
  std::string table = testing::internal::GetCapturedStdout();
  EXPECT_NE(table.find("Alpha"), std::string::npos);
  EXPECT_NE(table.find("0.667"), std::string::npos);
  EXPECT_NE(table.find("0.833"), std::string::npos);
}

TEST(LogEvalTest, UnreadableDirectoryExitsOne) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunLogEval({kMiniDir + "/does-not-exist", false}), 1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("cannot read"), std::string::npos);
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunLogEval({kMiniDir + "/NotASystem", false}), 1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("no Loghub systems"), std::string::npos);
}

}  // namespace
}  // namespace augur::eval
