// Path globs for rules: "*" matches within one path component, "**" any
// number of whole components (none included), "?" one character. Paths
// are layer paths (no leading "/"). Several globs may be joined with "|".
#pragma once

#include <string>
#include <string_view>

namespace strata {

// True when |path| matches |glob| (or one of its "|"-separated parts).
bool GlobMatch(std::string_view glob, std::string_view path);

// Why |glob| can never match what its author meant, or "" when it is valid:
// an empty glob or "|" part, an empty component ("a//b"), "**" joined to
// other characters ("**.sql"), a trailing "/" ("build/**/", which
// elsewhere means directories only), or the [...], {...} and \ of shell
// globs, which this syntax does not have (they would match only themselves).
std::string GlobError(std::string_view glob);

}  // namespace strata
