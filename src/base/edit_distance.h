// Edit distance, for "did you mean" in usage errors.
#pragma once

#include <cstddef>
#include <string_view>

namespace strata {

// The Levenshtein distance between |a| and |b|: insertions, deletions and
// substitutions of one byte each cost 1.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace strata
