// Path globs for rules: "*" matches within one path component, "**" any
// number of whole components (none included), "?" one character. Paths
// are layer paths (no leading "/"). Several globs may be joined with "|".
#pragma once

#include <string_view>

namespace strata {

// True when |path| matches |glob| (or one of its "|"-separated parts).
bool GlobMatch(std::string_view glob, std::string_view path);

}  // namespace strata
