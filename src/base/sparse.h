// A value that nearly every owner leaves empty, in 8 bytes: a layer
// entry's link target and extended attributes, kept for every one of a
// million entries, cost a null pointer unless the entry has them.
#pragma once

#include <memory>

namespace strata {

// Holds a T, or nothing while it equals T{}; reads of nothing see an
// empty T. Copies copy the value.
template <typename T>
class Sparse {
 public:
  Sparse() = default;
  Sparse(const Sparse& other) { *this = other; }
  Sparse(Sparse&&) noexcept = default;
  Sparse& operator=(const Sparse& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  Sparse& operator=(Sparse&&) noexcept = default;

  const T& get() const { return value_ ? *value_ : Empty(); }
  // Makes the value real, to be written.
  T& mutable_get() {
    if (!value_) value_ = std::make_unique<T>();
    return *value_;
  }

 private:
  static const T& Empty() {
    static const T empty;
    return empty;
  }

  std::unique_ptr<T> value_;
};

}  // namespace strata
