// Text a peer sent (a command's standard error, what answered a request),
// as one line of strata's own may quote it: the peer chose every byte, so
// a quote is one short line without terminal escapes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata {

// How long a quoted line may be: the reasons ssh and shells give are one
// short line.
constexpr size_t kMaxQuotedLineBytes = 200;

// |line| as a message may quote it: terminal escape sequences
// ("\033[1m") and other control characters dropped, a tab made a blank,
// blanks around it trimmed, and cut to |max_bytes| (before a UTF-8
// continuation byte) with "…" when longer. "" when nothing is left.
std::string QuotableLine(std::string_view line, size_t max_bytes = kMaxQuotedLineBytes);

// True when |bytes| read as text: valid UTF-8 (a sequence cut at the end
// of |bytes| counts as valid) without control characters other than tab,
// line feed, carriage return and the escape that starts a terminal
// sequence.
bool LooksLikeText(std::string_view bytes);

// The first line of |bytes| that QuotableLine leaves something of,
// unquoted ("" when there is none); a last line without its end counts.
std::string_view FirstLineWithText(std::string_view bytes);

}  // namespace strata
