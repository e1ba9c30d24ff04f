// Terminal styling for the text reports: colour only when the output is a
// terminal, NO_COLOR is unset and TERM is not "dumb".
#pragma once

#include <string>
#include <vector>

#include "rules/finding.h"

namespace strata {

struct Style {
  bool color = false;
  int width = 100;  // Columns available; long cells are cut to fit.

  std::string Bold(const std::string& text) const { return Wrap("1", text); }
  std::string Dim(const std::string& text) const { return Wrap("2", text); }
  std::string Red(const std::string& text) const { return Wrap("31", text); }
  std::string Green(const std::string& text) const { return Wrap("32", text); }
  std::string Yellow(const std::string& text) const { return Wrap("33", text); }

 private:
  std::string Wrap(const char* code, const std::string& text) const {
    if (!color || text.empty()) return text;
    return "\033[" + std::string(code) + "m" + text + "\033[0m";
  }
};

// The style for writing to file descriptor |fd|.
Style StyleFor(int fd);

// Cuts |text| to at most |width| display columns, ending in "…" when cut.
// Counts columns as a terminal shows UTF-8: two for a wide (CJK)
// character, none for a combining mark; an invalid byte counts one.
std::string Truncate(const std::string& text, int width);

// Cuts a path to at most |width| columns in its middle ("/srv/a…/app/.env"):
// its end names the file, its start where it lies; a third of the room
// for the start, the rest for the end.
std::string TruncateMiddle(const std::string& text, int width);

// The display columns of |text|, counted as Truncate counts them.
int Columns(const std::string& text);

// Splits |text| at spaces into lines of at most |width| columns; a word
// longer than |width| is cut.
std::vector<std::string> WrapWords(const std::string& text, int width);

// Splits |text| at spaces into lines that show it whole: the first of at
// most |first_width| columns (left empty when its first word does not fit
// and later lines are wider), the others of at most |width|. A word
// longer than a line is split over lines, never cut. Never returns an
// empty vector.
std::vector<std::string> WrapWhole(const std::string& text, int first_width, int width);

// Pads |text| with spaces to |width| columns (left-aligned), or right-aligns.
std::string PadRight(const std::string& text, int width);
std::string PadLeft(const std::string& text, int width);

// Replaces control characters, invalid UTF-8 and the bidirectional
// formatting characters with escapes ("\x1b", "\u{202e}"), so a hostile
// file name cannot move the cursor, change colours or read backwards.
std::string Printable(const std::string& text);

// |name| as a layer stores it, for text reports: Printable, and in double
// quotes (with '"' and '\\' escaped) when a reader could misread it
// otherwise: it has a space, a quote, a backslash or a byte Printable
// escapes.
std::string QuotedName(const std::string& name);

// A finding's path as the text reports show it (ShownPath): "/etc/x"
// escaped, a stored name quoted as needed (QuotedName); "" for none.
std::string PathText(const Finding& finding);

}  // namespace strata
