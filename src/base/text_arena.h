// Keeps many short strings (the paths of a layer's entries, the names of a
// tree's nodes) in a few large blocks, so that each costs its bytes and no
// heap block of its own: a std::string of 26 bytes costs 32 inline and a
// 48-byte heap block, a kept one 26 bytes and a 16-byte view.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace strata {

class TextArena {
 public:
  TextArena() = default;
  // Moving hands over the blocks themselves: views of the kept text stay
  // valid in the arena moved to. A copy would leave them pointing at the
  // original, so there is none.
  TextArena(TextArena&&) noexcept = default;
  TextArena& operator=(TextArena&&) noexcept = default;
  TextArena(const TextArena&) = delete;
  TextArena& operator=(const TextArena&) = delete;

  // Copies |text| in; the view returned stays valid, at the same address,
  // until the arena is destroyed (or assigned to). "" is kept as an empty
  // view that points at nothing.
  std::string_view Keep(std::string_view text);

  // Bytes held in blocks, used or not.
  size_t capacity() const { return capacity_; }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
  size_t capacity_ = 0;
};

}  // namespace strata
