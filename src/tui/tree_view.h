// The file tree pane's model: the filesystem as of one layer, each entry
// marked by what that layer did to it, flattened into rows for display.
//
// No terminal here: the renderer asks for rows() and draws the ones in the
// window; the tests drive it directly. Changing the layer, the mode or a
// filter recomputes the state of every path in one pass (O(paths)); the
// rows are rebuilt only from expanded directories, and cursor moves cost
// nothing. Single-threaded: call from the UI thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tui/list_cursor.h"
#include "tui/path_history.h"

namespace strata {

// What the selected layer did to a path, as the explorer marks it.
enum class Mark : uint8_t { kAbsent, kUnchanged, kAdded, kModified, kRemoved };

// "unchanged", "added", "modified", "removed" ("" for absent).
const char* MarkName(Mark mark);

enum class TreeSort : uint8_t { kName, kSize };

struct TreeRow {
  NodeId node;
  int depth;  // 0 for entries of the root directory.
};

class TreeView {
 public:
  // |history| must outlive the view. Starts at layer 0, everything shown,
  // top-level directories collapsed.
  explicit TreeView(const PathHistory& history);

  // The layer whose filesystem is shown (0-based, clamped).
  void SetLayer(int layer);
  int layer() const { return layer_; }

  // True: only what the layer changed (and the directories above it);
  // false: everything up to the layer.
  void SetChangesOnly(bool changes_only);
  bool changes_only() const { return changes_only_; }

  // Shows only paths that match |filter|, and the directories above them:
  // a glob when it has * ? or [ (matched against the path without "/"),
  // else a substring of the path. "" shows everything.
  void SetFilter(const std::string& filter);
  const std::string& filter() const { return filter_; }

  // Hides entries marked |mark| (kAbsent is never shown).
  void SetHidden(Mark mark, bool hidden);
  bool hidden(Mark mark) const { return hidden_[static_cast<int>(mark)]; }

  void SetSort(TreeSort sort);
  TreeSort sort() const { return sort_; }

  // The rows to show, rebuilt when something changed.
  const std::vector<TreeRow>& rows();

  // The cursor over rows(); its height is set by the renderer.
  ListCursor& cursor() { return cursor_; }
  void SetHeight(size_t height);
  void Move(long delta);
  void Page(int pages);
  void Home();
  void End();

  // The node under the cursor; false when there are no rows.
  bool CursorNode(NodeId* node);

  // Opens the directory under the cursor. Returns false when no layer
  // ever had anything beneath its path (a file that replaced a directory
  // opens, to show what it removed).
  bool Expand();
  // Closes the directory under the cursor, or moves to its parent when it
  // is closed or not a directory.
  void Collapse();
  void Toggle();
  void ExpandAll();
  void CollapseAll();
  bool expanded(NodeId node) const { return expanded_[node]; }

  // Shows |path| and puts the cursor on it, opening its parents. Returns
  // false when the path is not shown at this layer with these filters.
  bool Select(const std::string& path);

  // The state of |node| at the selected layer.
  Mark MarkOf(NodeId node) const { return marks_[node]; }
  int64_t SizeOf(NodeId node) const { return sizes_[node]; }
  bool IsDirectory(NodeId node) const;

  // The event that stored the version shown: the last one up to the
  // layer, or for a removed entry the last one before it. Null for a
  // directory no layer stored (implied by what is beneath it).
  const PathEvent* Shown(NodeId node) const;

  const PathHistory& history() const { return history_; }

 private:
  void Recompute();
  void Flatten();
  void EnsureFresh();
  std::vector<NodeId> ShownChildren(NodeId node) const;

  const PathHistory& history_;
  int layer_ = 0;
  bool changes_only_ = false;
  std::string filter_;
  bool hidden_[5] = {true, false, false, false, false};
  TreeSort sort_ = TreeSort::kName;

  // Per node, at the selected layer (indexed by NodeId).
  std::vector<Mark> marks_;
  std::vector<int64_t> sizes_;
  std::vector<bool> visible_;  // Shown itself or through a descendant.
  std::vector<bool> expanded_;

  bool state_dirty_ = true;
  bool rows_dirty_ = true;
  std::vector<TreeRow> rows_;
  ListCursor cursor_;
  NodeId cursor_node_ = kRootNode;  // Kept across rebuilds of the rows.
};

}  // namespace strata
