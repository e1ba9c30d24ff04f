#include "base/text_arena.h"

#include <algorithm>
#include <cstring>

namespace strata {

namespace {

// Blocks start small and double up to 64 KiB: a layer of ten entries
// keeps one small block, a layer of a million wastes at most part of its
// last 64 KiB one. 64 KiB stays under glibc's mmap threshold.
constexpr size_t kFirstBlock = 1024;
constexpr size_t kLargestBlock = 64 * 1024;

}  // namespace

std::string_view TextArena::Keep(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() > left_) {
    // A text longer than a block gets a block of its own.
    size_t size = std::clamp(capacity_, kFirstBlock, kLargestBlock);
    size = std::max(size, text.size());
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    next_ = blocks_.back().get();
    left_ = size;
    capacity_ += size;
  }
  char* kept = next_;
  std::memcpy(kept, text.data(), text.size());
  next_ += text.size();
  left_ -= text.size();
  return {kept, text.size()};
}

}  // namespace strata
