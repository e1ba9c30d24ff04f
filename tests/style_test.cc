// Text layout for terminals: how many columns a name takes.
#include "report/style.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

// A CJK name took one column a character where a terminal gives two, and
// pushed the explorer's size column out of line.
TEST(Style, WideCharactersTakeTwoColumns) {
  EXPECT_EQ(PadRight("日本", 6), "日本  ");
  EXPECT_EQ(PadLeft("日本", 6), "  日本");
  EXPECT_EQ(Truncate("日本語のファイル.txt", 7), "日本語…");
  EXPECT_EQ(Truncate("ab日本", 4), "ab…");  // 日 would end past the third column.
  EXPECT_EQ(Truncate("日本", 4), "日本");
}

TEST(Style, CombiningMarksTakeNone) {
  std::string decomposed = "cafe\xcc\x81";  // "café" with U+0301.
  EXPECT_EQ(PadRight(decomposed, 6), decomposed + "  ");
  EXPECT_EQ(Truncate(decomposed, 4), decomposed);
}

TEST(Style, NarrowTextAndInvalidBytesTakeOneEach) {
  EXPECT_EQ(PadRight("café", 6), "café  ");
  EXPECT_EQ(Truncate("café.txt", 5), "café…");
  EXPECT_EQ(PadRight("a\xff", 4), "a\xff  ");
}

}  // namespace
}  // namespace strata
