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

// Found by a user trial: a long path was cut at its end, hiding the file
// name (/srv/segment00…/segment02_with_… for …/.env).
TEST(Style, APathIsCutInItsMiddle) {
  std::string path = "/srv/segment00/segment01/segment02_with_long_name/app/.env";
  std::string cut = TruncateMiddle(path, 30);
  EXPECT_EQ(cut, "/srv/segm…h_long_name/app/.env");
  EXPECT_EQ(Columns(cut), 30);
  EXPECT_EQ(TruncateMiddle("/short/.env", 30), "/short/.env");
  std::string wide = TruncateMiddle("/日本語のファイル/とても長い名前/日本.txt", 15);
  EXPECT_LE(Columns(wide), 15);
  EXPECT_TRUE(wide.ends_with("日本.txt")) << wide;
  EXPECT_EQ(TruncateMiddle("/abcdef", 4), "/ab…");
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

// A finding's detail was cut to the table's width; it is wrapped whole.
TEST(Style, WrapWholeKeepsEveryWordAndSplitsNone) {
  using Lines = std::vector<std::string>;
  EXPECT_EQ(WrapWhole("(also stored in layers 2, 3 and 4)", 12, 12),
            (Lines{"(also stored", "in layers 2,", "3 and 4)"}));
  // A first line narrower than the rest, too narrow for the first word.
  EXPECT_EQ(WrapWhole("name: x (also)", 6, 10), (Lines{"name:", "x (also)"}));
  EXPECT_EQ(WrapWhole("stored again", 3, 10), (Lines{"", "stored", "again"}));
  // A word wider than a line goes on over the next, in columns.
  EXPECT_EQ(WrapWhole("a 0123456789ab", 8, 8), (Lines{"a", "01234567", "89ab"}));
  EXPECT_EQ(WrapWhole("日本語の名前", 5, 5), (Lines{"日本", "語の", "名前"}));
  EXPECT_EQ(WrapWhole("", 10, 10), Lines{""});
  EXPECT_EQ(Columns("日本x"), 5);
}

}  // namespace
}  // namespace strata
