// What a peer sent, as an error line quotes it (source/peer_text.h).
#include "source/peer_text.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

TEST(PeerText, QuotableLineDropsEscapesAndControls) {
  EXPECT_EQ(QuotableLine("\033[1;31mdenied\033[0m\tnow\r"), "denied now");
  EXPECT_EQ(QuotableLine("a\033(Bb\x07"
                         "c"),
            "abc");
  EXPECT_EQ(QuotableLine("  \t\r"), "");
  // An escape at the very end, or a sequence cut short, is dropped whole.
  EXPECT_EQ(QuotableLine("end\033"), "end");
  EXPECT_EQ(QuotableLine("end\033[12"), "end");
}

TEST(PeerText, QuotableLineIsCutBeforeACharacter) {
  EXPECT_EQ(QuotableLine(std::string(300, 'x')), std::string(200, 'x') + "…");
  // "é" is two bytes: the cut at 5 bytes falls inside the third one.
  EXPECT_EQ(QuotableLine("ééééé", 5), "éé…");
  EXPECT_EQ(QuotableLine("abc", 3), "abc");
}

TEST(PeerText, LooksLikeText) {
  EXPECT_TRUE(LooksLikeText("This account is currently not available.\n"));
  EXPECT_TRUE(LooksLikeText("\033[1mWelcome\033[0m\r\n\tcafé"));
  // A character cut by the end of what was read.
  EXPECT_TRUE(LooksLikeText("caf\xc3"));
  EXPECT_FALSE(LooksLikeText("\x01\x02"));
  EXPECT_FALSE(LooksLikeText("a\xff\xfe"));
  EXPECT_FALSE(LooksLikeText("caf\xc3x"));
  EXPECT_FALSE(LooksLikeText(std::string("a\0b", 3)));
}

TEST(PeerText, FirstLineWithText) {
  EXPECT_EQ(FirstLineWithText("\n \r\n\033[0m\nhello\nworld\n"), "hello");
  EXPECT_EQ(FirstLineWithText("no end"), "no end");
  EXPECT_EQ(FirstLineWithText("\n\n"), "");
}

}  // namespace
}  // namespace strata
