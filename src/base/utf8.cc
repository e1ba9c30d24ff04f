#include "base/utf8.h"

namespace strata {

size_t Utf8SequenceLength(std::string_view text, size_t i, bool cut_counts) {
  unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x06 ? 2
                  : (lead >> 4) == 0x0e ? 3
                  : (lead >> 3) == 0x1e ? 4
                                        : 0;
  if (length == 0) return 0;
  if (i + length > text.size()) {
    if (!cut_counts) return 0;
    length = text.size() - i;
  }
  for (size_t k = 1; k < length; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 0;
  return length;
}

}  // namespace strata
