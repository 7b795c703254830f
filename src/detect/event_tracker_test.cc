#include "detect/event_tracker.h"

#include "gtest/gtest.h"

namespace augur::detect {
namespace {

using Transition = EventTracker::Transition;

TEST(EventRuleTest, DefaultsAreValidAndBadRulesAreNot) {
  EXPECT_TRUE(EventRule{}.Validate().ok());
  EXPECT_FALSE((EventRule{.open_score = 1.5}).Validate().ok());
  EXPECT_FALSE((EventRule{.open_score = 0.9, .close_score = 0.95}).Validate().ok());
  EXPECT_FALSE((EventRule{.open_k = 4, .open_n = 3}).Validate().ok());
  EXPECT_FALSE((EventRule{.open_k = 0}).Validate().ok());
  EXPECT_FALSE((EventRule{.open_n = EventRule::kMaxN + 1}).Validate().ok());
  EXPECT_FALSE((EventRule{.close_m = 0}).Validate().ok());
}

EventRule ThreeOfFive() {
  return {.open_score = 0.99, .open_k = 3, .open_n = 5, .close_score = 0.9, .close_m = 3};
}

TEST(EventTrackerTest, OpensOnKOfN) {
  EventTracker e(ThreeOfFive());
  EXPECT_EQ(e.Update(1, 0.995, false), Transition::kNone);
  EXPECT_EQ(e.Update(2, 0.5, false), Transition::kNone);
  EXPECT_EQ(e.Update(3, 0.999, false), Transition::kNone);
  EXPECT_EQ(e.Update(4, 0.5, false), Transition::kNone);
  EXPECT_FALSE(e.open());
  EXPECT_EQ(e.Update(5, 0.992, false), Transition::kOpened);
  EXPECT_TRUE(e.open());
  EXPECT_EQ(e.opened_ns(), 1);  // the first high point
  EXPECT_EQ(e.peak_ns(), 3);
  EXPECT_DOUBLE_EQ(e.peak_score(), 0.999);
}

TEST(EventTrackerTest, HighPointsOutsideTheWindowDoNotCount) {
  EventTracker e(ThreeOfFive());
  e.Update(1, 0.995, false);
  e.Update(2, 0.995, false);
  for (int t = 3; t <= 6; ++t) e.Update(t, 0.1, false);
  EXPECT_EQ(e.Update(7, 0.995, false), Transition::kNone);  // the first two fell out
  EXPECT_FALSE(e.open());
}

TEST(EventTrackerTest, ClosesWithHysteresis) {
  EventTracker e(ThreeOfFive());
  for (int t = 1; t <= 3; ++t) e.Update(t, 0.995, false);
  ASSERT_TRUE(e.open());
  // Between close and open thresholds: still open.
  for (int t = 4; t < 20; ++t) EXPECT_EQ(e.Update(t, 0.95, false), Transition::kNone);
  EXPECT_EQ(e.Update(20, 0.5, false), Transition::kNone);
  EXPECT_EQ(e.Update(21, 0.5, false), Transition::kNone);
  EXPECT_EQ(e.Update(22, 0.95, false), Transition::kNone);  // the calm run restarts
  EXPECT_EQ(e.Update(23, 0.5, false), Transition::kNone);
  EXPECT_EQ(e.Update(24, 0.5, false), Transition::kNone);
  EXPECT_EQ(e.Update(25, 0.5, false), Transition::kClosed);
  EXPECT_FALSE(e.open());
  // A new event needs k fresh high points.
  EXPECT_EQ(e.Update(26, 0.999, false), Transition::kNone);
}

TEST(EventTrackerTest, NothingOpensWhileLearning) {
  EventTracker e(ThreeOfFive());
  for (int t = 1; t <= 10; ++t) EXPECT_EQ(e.Update(t, 1.0, true), Transition::kNone);
  EXPECT_FALSE(e.open());
  EventTracker single;  // the default rule
  EXPECT_EQ(single.Update(1, 1.0, true), Transition::kNone);
  EXPECT_FALSE(single.open());
}

TEST(EventTrackerTest, DefaultRuleOpensOnOneAlarmAndStaysOpenWhileHeld) {
  EventTracker e;
  EventRule rule;
  EXPECT_EQ(e.Update(1, rule.open_score, false), Transition::kOpened);
  for (int t = 2; t < 30; ++t) EXPECT_EQ(e.Update(t, 0.98, false), Transition::kNone);
  EXPECT_TRUE(e.open());
  Transition last = Transition::kNone;
  for (int t = 30; t < 30 + rule.close_m; ++t) last = e.Update(t, 0.1, false);
  EXPECT_EQ(last, Transition::kClosed);
}

TEST(EventTrackerTest, ASparseSeriesClosesAtACalmPointLongAfterItsLastHighOne) {
  constexpr core::TimeNs kMin = core::kNsPerMinute;
  EventRule rule;  // close_m 5, close_after 3 min
  EventTracker e(rule);
  ASSERT_EQ(e.Update(0, 1.0, false), Transition::kOpened);
  EXPECT_EQ(e.Update(2 * kMin, 0.98, false), Transition::kNone);  // still high: the clock restarts
  EXPECT_EQ(e.Update(4 * kMin, 0.1, false), Transition::kNone);   // calm, 2 min after the last high
  // Saved and restored mid-event, the last high point survives.
  std::string state;
  e.Save(&state);
  EventTracker restored(rule);
  std::string_view in = state;
  ASSERT_TRUE(restored.Restore(&in).ok());
  for (EventTracker* t : {&e, &restored}) {
    EXPECT_EQ(t->Update(5 * kMin, 0.1, false), Transition::kClosed);  // 3 min after: closed
  }
  // Without close_after it takes close_m calm points.
  rule.close_after_ns = 0;
  EventTracker counting(rule);
  ASSERT_EQ(counting.Update(0, 1.0, false), Transition::kOpened);
  for (int i = 1; i < rule.close_m; ++i) {
    EXPECT_EQ(counting.Update(i * 10 * kMin, 0.1, false), Transition::kNone);
  }
  EXPECT_EQ(counting.Update(rule.close_m * 10 * kMin, 0.1, false), Transition::kClosed);
  EXPECT_FALSE((EventRule{.close_after_ns = -1}).Validate().ok());
  // A gap (no value) closes only once close_after has passed since the last high point.
  EventTracker gaps;
  ASSERT_EQ(gaps.Update(0, 1.0, false), Transition::kOpened);
  EXPECT_EQ(gaps.Gap(2 * kMin), Transition::kNone);
  EXPECT_EQ(gaps.Gap(3 * kMin), Transition::kClosed);
  EXPECT_EQ(gaps.Gap(4 * kMin), Transition::kNone);  // nothing left to close
}

TEST(EventTrackerTest, SaveRestoreRoundTrip) {
  EventTracker a(ThreeOfFive());
  a.Update(1, 0.995, false);
  a.Update(2, 0.995, false);
  std::string state;
  a.Save(&state);
  state += "next";
  EventTracker b(ThreeOfFive());
  std::string_view in = state;
  ASSERT_TRUE(b.Restore(&in).ok());
  EXPECT_EQ(in, "next");
  EXPECT_EQ(a.Update(3, 0.995, false), Transition::kOpened);
  EXPECT_EQ(b.Update(3, 0.995, false), Transition::kOpened);
  EXPECT_EQ(a.opened_ns(), b.opened_ns());
  std::string sa, sb;
  a.Save(&sa);
  b.Save(&sb);
  EXPECT_EQ(sa, sb);
}

TEST(EventTrackerTest, RestoreRejectsGarbage) {
  EventTracker e(ThreeOfFive());
  std::string_view empty;
  EXPECT_FALSE(e.Restore(&empty).ok());
  std::string junk(64, '\x09');
  std::string_view in = junk;
  EXPECT_FALSE(e.Restore(&in).ok());
  std::string state;
  e.Save(&state);
  std::string_view truncated = std::string_view(state).substr(0, state.size() - 1);
  EXPECT_FALSE(e.Restore(&truncated).ok());
}

}  // namespace
}  // namespace augur::detect
