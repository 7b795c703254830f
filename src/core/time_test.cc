#include "core/time.h"

#include <gtest/gtest.h>

namespace augur::core {
namespace {

TEST(TimeTest, FloorToRoundsDownIncludingNegatives) {
  EXPECT_EQ(FloorTo(25, 10), 20);
  EXPECT_EQ(FloorTo(20, 10), 20);
  EXPECT_EQ(FloorTo(-1, 10), -10);
  EXPECT_EQ(FloorTo(-10, 10), -10);
}

TEST(TimeTest, FormatsRfc3339InUtc) {
  // 2021-01-01T00:00:01.5Z
  TimeNs t = 1609459201 * kNsPerSecond + 500 * kNsPerMillisecond;
  EXPECT_EQ(FormatRfc3339(t), "2021-01-01T00:00:01.500Z");
}

TEST(TimeTest, ParsesRfc3339) {
  EXPECT_EQ(*ParseRfc3339("2021-01-01T00:00:01.500Z"),
            1609459201 * kNsPerSecond + 500 * kNsPerMillisecond);
  EXPECT_EQ(*ParseRfc3339("2021-01-01T01:00:01+01:00"), 1609459201 * kNsPerSecond);
  EXPECT_FALSE(ParseRfc3339("2021-01-01").ok());
  EXPECT_FALSE(ParseRfc3339("2021-01-01T00:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("2021-13-01T00:00:00Z").ok());
}

TEST(TimeTest, RealClockAdvances) {
  TimeNs a = Clock::Real().NowNs();
  TimeNs b = Clock::Real().NowNs();
  EXPECT_GT(a, 1'600'000'000 * kNsPerSecond);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace augur::core
