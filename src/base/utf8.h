// Reading UTF-8 a sequence at a time, for text that comes from images and
// files (which may hold any bytes).
#pragma once

#include <cstddef>
#include <string_view>

namespace strata {

// The length of the UTF-8 sequence at |text[i]|: 1 to 4, or 0 when the
// bytes there are no sequence (a stray continuation byte, a lead byte
// without its continuation bytes). One cut by the end of |text| is none
// too, unless |cut_counts|: then its length is the bytes left.
size_t Utf8SequenceLength(std::string_view text, size_t i, bool cut_counts = false);

}  // namespace strata
