// A cursor over a list shown in a window of |height| rows: the selected
// row and the first row shown, kept so the selected row is always visible.
// Every pane of the explorer (layers, tree, waste, findings) uses one.
#pragma once

#include <algorithm>
#include <cstddef>

namespace strata {

struct ListCursor {
  size_t cursor = 0;  // Selected row; 0 when the list is empty.
  size_t scroll = 0;  // First row shown.
  size_t height = 1;  // Rows the window shows (at least 1).

  // Moves the selection by |delta| rows, clamped to a list of |count|.
  void Move(long delta, size_t count) {
    long target = static_cast<long>(cursor) + delta;
    long last = count == 0 ? 0 : static_cast<long>(count) - 1;
    cursor = static_cast<size_t>(std::clamp(target, 0L, last));
    Fit(count);
  }

  void Page(int pages, size_t count) { Move(static_cast<long>(height) * pages, count); }

  // Puts the selection at |row| (clamped).
  void Set(size_t row, size_t count) {
    cursor = count == 0 ? 0 : std::min(row, count - 1);
    Fit(count);
  }

  // Keeps the cursor inside the list and inside the window.
  void Fit(size_t count) {
    if (height == 0) height = 1;
    if (count == 0) {
      cursor = scroll = 0;
      return;
    }
    cursor = std::min(cursor, count - 1);
    if (cursor < scroll) scroll = cursor;
    if (cursor >= scroll + height) scroll = cursor - height + 1;
    // No empty rows below the list when it could fill the window.
    if (count >= height)
      scroll = std::min(scroll, count - height);
    else
      scroll = 0;
  }
};

}  // namespace strata
