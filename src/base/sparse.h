// Fields that nearly every value leaves empty, in 8 bytes instead of the
// 24 or 32 of a std::vector or std::string: a layer entry's link target and
// extended attributes, kept for every one of a million entries.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

// A std::string that costs a pointer while empty. Reads go through str(),
// or the conversion to const std::string&.
class SparseText {
 public:
  SparseText() = default;
  SparseText(std::string text) { *this = std::move(text); }        // NOLINT: a string.
  SparseText(const char* text) : SparseText(std::string(text)) {}  // NOLINT: a string.
  SparseText(const SparseText& other) { *this = other.str(); }
  SparseText(SparseText&&) noexcept = default;
  SparseText& operator=(const SparseText& other) { return *this = other.str(); }
  SparseText& operator=(SparseText&&) noexcept = default;
  SparseText& operator=(std::string text) {
    text_ = text.empty() ? nullptr : std::make_unique<std::string>(std::move(text));
    return *this;
  }

  SparseText& operator=(const char* text) { return *this = std::string(text); }

  const std::string& str() const { return text_ ? *text_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT: reads as a string.
  operator std::string_view() const { return str(); }    // NOLINT: reads as a string.

  bool empty() const { return text_ == nullptr; }
  size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }
  const char* data() const { return str().data(); }
  bool starts_with(std::string_view prefix) const { return str().starts_with(prefix); }
  bool ends_with(std::string_view suffix) const { return str().ends_with(suffix); }
  size_t find(std::string_view what, size_t from = 0) const { return str().find(what, from); }
  std::string substr(size_t from, size_t count = std::string::npos) const {
    return str().substr(from, count);
  }

  friend bool operator==(const SparseText& a, const SparseText& b) { return a.str() == b.str(); }
  friend bool operator==(const SparseText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SparseText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SparseText& a, const char* b) { return a.str() == b; }
  friend std::string operator+(std::string a, const SparseText& b) { return a += b.str(); }
  friend std::string operator+(const char* a, const SparseText& b) { return a + b.str(); }
  friend std::string operator+(const SparseText& a, std::string_view b) {
    return a.str() + std::string(b);
  }

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }

  std::unique_ptr<std::string> text_;
};

// A std::vector that costs a pointer while empty.
template <typename T>
class SparseList {
 public:
  using value_type = T;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  SparseList() = default;
  SparseList(std::initializer_list<T> items) {
    if (items.size() > 0) items_ = std::make_unique<std::vector<T>>(items);
  }
  SparseList(const SparseList& other) { *this = other; }
  SparseList(SparseList&&) noexcept = default;
  SparseList& operator=(const SparseList& other) {
    items_ = other.empty() ? nullptr : std::make_unique<std::vector<T>>(*other.items_);
    return *this;
  }
  SparseList& operator=(SparseList&&) noexcept = default;

  bool empty() const { return items_ == nullptr || items_->empty(); }
  size_t size() const { return items_ ? items_->size() : 0; }
  const T& operator[](size_t i) const { return (*items_)[i]; }
  T& operator[](size_t i) { return (*items_)[i]; }

  const_iterator begin() const { return items_ ? items_->cbegin() : Empty().cbegin(); }
  const_iterator end() const { return items_ ? items_->cend() : Empty().cend(); }
  // Mutable iteration makes the list real: an empty one has nothing to
  // hand out but its own (empty) vector.
  iterator begin() { return Items().begin(); }
  iterator end() { return Items().end(); }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return Items().emplace_back(std::forward<Args>(args)...);
  }
  void push_back(T item) { Items().push_back(std::move(item)); }

  friend bool operator==(const SparseList& a, const SparseList& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }

 private:
  std::vector<T>& Items() {
    if (!items_) items_ = std::make_unique<std::vector<T>>();
    return *items_;
  }
  static const std::vector<T>& Empty() {
    static const std::vector<T> empty;
    return empty;
  }

  std::unique_ptr<std::vector<T>> items_;
};

}  // namespace strata
