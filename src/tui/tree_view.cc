#include "tui/tree_view.h"

#include <fnmatch.h>

#include <algorithm>

namespace strata {

const char* MarkName(Mark mark) {
  switch (mark) {
    case Mark::kAbsent:
      return "";
    case Mark::kUnchanged:
      return "unchanged";
    case Mark::kAdded:
      return "added";
    case Mark::kModified:
      return "modified";
    case Mark::kRemoved:
      return "removed";
  }
  return "";
}

namespace {

// The latest cut of |node| at or below |layer|; -1 when none.
int LatestCut(const PathNode& node, int layer) {
  int latest = -1;
  for (int cut : node.cuts)
    if (cut <= layer) latest = std::max(latest, cut);
  return latest;
}

// True when |node|'s own last event up to |layer| left it in place and no
// ancestor cut (the latest is |ancestor_cut|) came after that event. Cuts
// and entries of one layer: the cut applies first, so an entry of the same
// layer survives it.
bool OwnPresent(const PathHistory& history, NodeId node, int layer, int ancestor_cut) {
  if (layer < 0) return false;
  const PathEvent* event = history.LastEvent(node, layer);
  return event != nullptr && event->kind != ChangeKind::kRemoved && event->layer >= ancestor_cut;
}

Mark MarkFor(const PathEvent* at_layer, bool now, bool before) {
  if (!now) return before ? Mark::kRemoved : Mark::kAbsent;
  if (at_layer != nullptr) {
    switch (at_layer->kind) {
      case ChangeKind::kAdded:
        return Mark::kAdded;
      case ChangeKind::kModified:
      case ChangeKind::kMetadata:
        return Mark::kModified;
      default:
        break;
    }
  }
  return before ? Mark::kUnchanged : Mark::kAdded;
}

int64_t ContentSize(const PathEvent* event) {
  return event != nullptr && event->content != nullptr ? event->content->size : 0;
}

bool IsGlob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

}  // namespace

TreeView::TreeView(const PathHistory& history)
    : history_(history),
      marks_(history.size(), Mark::kAbsent),
      sizes_(history.size(), 0),
      visible_(history.size(), false),
      expanded_(history.size(), false) {
  expanded_[kRootNode] = true;
}

void TreeView::SetLayer(int layer) {
  layer = std::clamp(layer, 0, std::max(0, history_.layer_count() - 1));
  if (layer == layer_) return;
  layer_ = layer;
  state_dirty_ = true;
}

void TreeView::SetChangesOnly(bool changes_only) {
  if (changes_only == changes_only_) return;
  changes_only_ = changes_only;
  state_dirty_ = true;
}

void TreeView::SetFilter(const std::string& filter) {
  std::string cleaned = filter;
  while (!cleaned.empty() && cleaned.front() == '/') cleaned.erase(0, 1);
  if (cleaned == filter_) return;
  filter_ = cleaned;
  state_dirty_ = true;
}

void TreeView::SetHidden(Mark mark, bool hidden) {
  if (mark == Mark::kAbsent) return;
  hidden_[static_cast<int>(mark)] = hidden;
  state_dirty_ = true;
}

void TreeView::SetSort(TreeSort sort) {
  if (sort == sort_) return;
  sort_ = sort;
  rows_dirty_ = true;
}

// Two passes over every path, in the history's depth-first numbering so
// both read memory front to back: parents first, for the latest cut above
// each path and the filter match; then children first, for presence now
// and just before the layer, the mark, the rolled-up size, and whether the
// path or something beneath it passes the filters.
//
// TODO: a layer change only alters the paths the old and new layers
// touched and their parents; updating just those would make it constant
// time instead of about 0.1 s per million paths.
void TreeView::Recompute() {
  size_t count = history_.size();
  enum : uint8_t {
    kNow = 1,
    kBefore = 2,
    kChildNow = 4,
    kChildBefore = 8,
    kChildShown = 16,
    kMatch = 32
  };
  std::vector<uint8_t> flags(count, 0);
  std::vector<int> cut_now(count), cut_before(count);  // The latest at or above the path.
  std::vector<int64_t> size_now(count, 0), size_removed(count, 0);  // Of the children.

  bool filtering = !filter_.empty(), glob = IsGlob(filter_);
  std::vector<int> depth(filtering ? count : 0, 0);
  std::vector<size_t> length_at(1, 0);  // Path length by depth.
  std::string path;
  for (NodeId id = 0; id < count; ++id) {
    const PathNode& node = history_.node(id);
    int above_now = id == kRootNode ? -1 : cut_now[node.parent];
    int above_before = id == kRootNode ? -1 : cut_before[node.parent];
    cut_now[id] = std::max(above_now, LatestCut(node, layer_));
    cut_before[id] = std::max(above_before, LatestCut(node, layer_ - 1));
    if (!filtering || id == kRootNode) continue;

    int d = depth[id] = depth[node.parent] + 1;
    if (length_at.size() <= static_cast<size_t>(d)) length_at.resize(d + 1);
    path.resize(length_at[d - 1]);
    if (d > 1) path += '/';
    path += node.name;
    length_at[d] = path.size();
    bool match = glob ? fnmatch(filter_.c_str(), path.c_str(), 0) == 0
                      : path.find(filter_) != std::string::npos;
    if (match) flags[id] |= kMatch;
  }

  for (NodeId id = static_cast<NodeId>(count); id-- > 0;) {
    const PathNode& node = history_.node(id);
    bool root = id == kRootNode;
    int above_now = root ? -1 : cut_now[node.parent];
    int above_before = root ? -1 : cut_before[node.parent];
    uint8_t& f = flags[id];
    bool now = root || (f & kChildNow) || OwnPresent(history_, id, layer_, above_now);
    bool before = root || (f & kChildBefore) || OwnPresent(history_, id, layer_ - 1, above_before);

    const PathEvent* event = history_.LastEvent(id, layer_);
    const PathEvent* at_layer = event != nullptr && event->layer == layer_ ? event : nullptr;
    Mark mark = MarkFor(at_layer, now, before);
    marks_[id] = mark;
    // A path that was a directory in some layers may be a file in this one.
    const PathEvent* shown = event != nullptr && event->kind == ChangeKind::kRemoved
                                 ? history_.LastEvent(id, event->layer - 1)
                                 : event;
    if (shown != nullptr && shown->entry != nullptr && shown->entry->kind != EntryKind::kDirectory)
      sizes_[id] = ContentSize(shown);
    else
      sizes_[id] = mark == Mark::kRemoved ? size_removed[id] : size_now[id];

    bool changed = at_layer != nullptr || mark == Mark::kAdded || mark == Mark::kRemoved;
    bool passes = mark != Mark::kAbsent && !hidden_[static_cast<int>(mark)] &&
                  (!changes_only_ || changed) && (!filtering || (f & kMatch));
    bool visible = root || passes || (f & kChildShown);
    visible_[id] = visible;
    if (root) continue;

    uint8_t& up = flags[node.parent];
    if (now) {
      up |= kChildNow;
      size_now[node.parent] += sizes_[id];
    }
    if (before) up |= kChildBefore;
    if (visible) up |= kChildShown;
    if (mark == Mark::kRemoved) size_removed[node.parent] += sizes_[id];
  }
  state_dirty_ = false;
  rows_dirty_ = true;
}

std::vector<NodeId> TreeView::ShownChildren(NodeId node) const {
  std::vector<NodeId> shown;
  for (NodeId child : history_.node(node).children)
    if (visible_[child]) shown.push_back(child);
  if (sort_ == TreeSort::kSize)
    std::stable_sort(shown.begin(), shown.end(),
                     [this](NodeId a, NodeId b) { return sizes_[a] > sizes_[b]; });
  return shown;
}

// Depth-first over the open directories only, so a closed directory with
// a million entries beneath it costs nothing.
void TreeView::Flatten() {
  rows_.clear();
  std::vector<std::pair<std::vector<NodeId>, size_t>> stack;
  stack.emplace_back(ShownChildren(kRootNode), 0);
  while (!stack.empty()) {
    auto& [children, next] = stack.back();
    if (next == children.size()) {
      stack.pop_back();
      continue;
    }
    NodeId child = children[next++];
    rows_.push_back({child, static_cast<int>(stack.size()) - 1});
    if (expanded_[child] && !history_.node(child).children.empty())
      stack.emplace_back(ShownChildren(child), 0);
  }
  rows_dirty_ = false;

  // Keep the cursor on the same entry, or on its closest shown parent.
  for (NodeId at = cursor_node_; at != kRootNode; at = history_.node(at).parent) {
    auto it = std::find_if(rows_.begin(), rows_.end(),
                           [at](const TreeRow& row) { return row.node == at; });
    if (it != rows_.end()) {
      cursor_.Set(static_cast<size_t>(it - rows_.begin()), rows_.size());
      return;
    }
  }
  cursor_.Fit(rows_.size());
  // Nothing remembered yet (the first rows): remember the first row shown.
  if (cursor_node_ == kRootNode && !rows_.empty()) cursor_node_ = rows_[cursor_.cursor].node;
}

void TreeView::EnsureFresh() {
  if (state_dirty_) Recompute();
  if (rows_dirty_) Flatten();
}

const std::vector<TreeRow>& TreeView::rows() {
  EnsureFresh();
  return rows_;
}

void TreeView::SetHeight(size_t height) {
  cursor_.height = std::max<size_t>(1, height);
  cursor_.Fit(rows().size());
}

bool TreeView::CursorNode(NodeId* node) {
  const std::vector<TreeRow>& shown = rows();
  if (shown.empty()) return false;
  *node = shown[cursor_.cursor].node;
  return true;
}

// Every move remembers the node, so a rebuild of the rows finds it again.
void TreeView::Move(long delta) {
  cursor_.Move(delta, rows().size());
  CursorNode(&cursor_node_);
}

void TreeView::Page(int pages) {
  cursor_.Page(pages, rows().size());
  CursorNode(&cursor_node_);
}

void TreeView::Home() {
  cursor_.Set(0, rows().size());
  CursorNode(&cursor_node_);
}

void TreeView::End() {
  cursor_.Set(rows().size(), rows().size());
  CursorNode(&cursor_node_);
}

bool TreeView::IsDirectory(NodeId node) const {
  const PathEvent* event = Shown(node);
  if (event != nullptr && event->entry != nullptr)
    return event->entry->kind == EntryKind::kDirectory;
  return !history_.node(node).children.empty();
}

const PathEvent* TreeView::Shown(NodeId node) const {
  const PathEvent* event = history_.LastEvent(node, layer_);
  if (event != nullptr && event->kind == ChangeKind::kRemoved)
    event = history_.LastEvent(node, event->layer - 1);
  return event;
}

bool TreeView::Expand() {
  NodeId node;
  // A file that replaced a directory opens too: beneath it, what it removed.
  if (!CursorNode(&node) || history_.node(node).children.empty()) return false;
  cursor_node_ = node;
  if (!expanded_[node]) {
    expanded_[node] = true;
    rows_dirty_ = true;
  }
  return true;
}

void TreeView::Collapse() {
  NodeId node;
  if (!CursorNode(&node)) return;
  if (expanded_[node] && !history_.node(node).children.empty()) {
    expanded_[node] = false;
    cursor_node_ = node;
    rows_dirty_ = true;
    return;
  }
  NodeId parent = history_.node(node).parent;
  if (parent == kRootNode) return;
  cursor_node_ = parent;
  rows_dirty_ = true;  // Flatten moves the cursor to the remembered node.
}

void TreeView::Toggle() {
  NodeId node;
  if (!CursorNode(&node)) return;
  if (expanded_[node])
    Collapse();
  else
    Expand();
}

void TreeView::ExpandAll() {
  CursorNode(&cursor_node_);
  std::fill(expanded_.begin(), expanded_.end(), true);
  rows_dirty_ = true;
}

void TreeView::CollapseAll() {
  CursorNode(&cursor_node_);
  std::fill(expanded_.begin(), expanded_.end(), false);
  expanded_[kRootNode] = true;
  rows_dirty_ = true;
}

bool TreeView::Select(const std::string& path) {
  NodeId node;
  if (!history_.Find(path, &node) || node == kRootNode) return false;
  EnsureFresh();
  if (!visible_[node]) return false;
  for (NodeId at = history_.node(node).parent; at != kRootNode; at = history_.node(at).parent)
    expanded_[at] = true;
  cursor_node_ = node;
  rows_dirty_ = true;
  EnsureFresh();
  NodeId now;
  return CursorNode(&now) && now == node;
}

}  // namespace strata
