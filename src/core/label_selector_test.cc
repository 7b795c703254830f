#include "core/label_selector.h"

#include <gtest/gtest.h>

#include <map>

namespace augur::core {
namespace {

bool Match(const LabelSelector& s, std::map<std::string, std::string> labels) {
  return s.Matches([&](std::string_view name) -> std::string_view {
    auto it = labels.find(std::string(name));
    return it == labels.end() ? std::string_view() : std::string_view(it->second);
  });
}

TEST(LabelSelectorTest, MatchesEqualityAndRegexLikePrometheus) {
  auto s = LabelSelector::Parse(R"(span_metrics{service_name="cart", signal=~"rate|error_ratio"})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(
      Match(*s, {{"__name__", "span_metrics"}, {"service_name", "cart"}, {"signal", "rate"}}));
  EXPECT_FALSE(
      Match(*s, {{"__name__", "span_metrics"}, {"service_name", "cart"}, {"signal", "rates"}}));
  EXPECT_FALSE(Match(*s, {{"__name__", "service"}, {"service_name", "cart"}, {"signal", "rate"}}));
  auto n = LabelSelector::Parse(R"({service_name!="cart",span_name!~"GET .*"})");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(Match(*n, {{"service_name", "checkout"}, {"span_name", "POST /x"}}));
  EXPECT_FALSE(Match(*n, {{"service_name", "checkout"}, {"span_name", "GET /x"}}));
  EXPECT_TRUE(Match(*LabelSelector::Parse(""), {{"a", "b"}}));
  EXPECT_TRUE(Match(*LabelSelector::Parse("{missing=\"\"}"), {{"a", "b"}}));
}

TEST(LabelSelectorTest, RejectsMalformedSelectorsWithAPosition) {
  EXPECT_EQ(LabelSelector::Parse("{a=b}").status().message(),
            "invalid selector '{a=b}': expected a quoted value at position 3");
  EXPECT_FALSE(LabelSelector::Parse("{a=\"b\"").ok());
  EXPECT_FALSE(LabelSelector::Parse("{a=~\"(\"}").ok());
  EXPECT_FALSE(LabelSelector::Parse("{a==\"b\"}").ok());
  EXPECT_FALSE(LabelSelector::Parse("x{} y").ok());
}

}  // namespace
}  // namespace augur::core
