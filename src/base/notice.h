// Lines that say why a long wait is happening (a registry asked again after
// a stall, a rate limit waited out), printed as it happens: off a terminal
// there is no progress line, and on one it cannot say why it stopped
// moving. The command line decides where they go (standard error, redacted
// as its errors are, none with -q); until it does they are dropped, so the
// library stays silent in tests and other callers.
#pragma once

#include <functional>
#include <string>

namespace strata {

using NoticeSink = std::function<void(const std::string& line)>;

// Sends every later notice to |sink|; an empty sink drops them.
void SetNoticeSink(NoticeSink sink);

// |line| is one sentence without "strata: " or a newline.
void Notice(const std::string& line);

}  // namespace strata
