#include "core/json_text.h"

#include <gtest/gtest.h>

namespace augur::core {
namespace {

TEST(JsonTextTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out = "x";
  AppendJsonString("a\"b\\c\n\r\t\b\f\x01 é", &out);
  EXPECT_EQ(out, R"(x"a\"b\\c\n\r\t\b\f\u0001 é")");
  out.clear();
  AppendJsonString(std::string_view("\0", 1), &out);
  EXPECT_EQ(out, R"("\u0000")");
}

}  // namespace
}  // namespace augur::core
