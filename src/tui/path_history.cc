#include "tui/path_history.h"

#include <algorithm>
#include <unordered_map>

namespace strata {

PathHistory::PathHistory(const Analysis& analysis) {
  nodes_.emplace_back();  // The root.
  layer_count_ = static_cast<int>(analysis.layers.size());

  PathIndex index;
  index.emplace("", kRootNode);
  std::vector<std::vector<PathEvent>> events(1);  // By node, while building.
  LayerMerge merge;
  std::vector<Change> changes;
  std::vector<std::string> warnings;
  for (int i = 0; i < layer_count_; ++i) {
    changes.clear();
    const LayerContents& contents = analysis.layers[i].contents;
    merge.Apply(i, contents, &changes, &warnings);

    // Cuts first: whiteouts and opaque markers of this layer.
    for (const LayerEntry& entry : contents.entries) {
      if (!entry.is_whiteout()) continue;
      NodeId id = Ensure(std::string(entry.path), &index);
      std::vector<int>& cuts = nodes_[id].cuts;
      if (cuts.empty() || cuts.back() != i) cuts.push_back(i);
    }

    for (const Change& change : changes) {
      const std::string path(change.path());
      NodeId id = Ensure(path, &index);
      PathEvent event{i, change.kind(), nullptr, nullptr};
      if (change.kind() != ChangeKind::kRemoved) {
        const FileNode* now = merge.tree().Find(path);
        if (now != nullptr) {
          event.entry = now->entry;
          event.content = now->content;
        }
      }
      // Whatever was beneath a removed path, or beneath a path that is now
      // something other than a directory, is gone from this layer on.
      if (event.entry == nullptr || event.entry->kind != EntryKind::kDirectory) {
        std::vector<int>& cuts = nodes_[id].cuts;
        if (cuts.empty() || cuts.back() != i) cuts.push_back(i);
      }
      events.resize(nodes_.size());
      std::vector<PathEvent>& mine = events[id];
      // A path removed (by an opaque parent) and stored again in the same
      // layer: the stored version is what the layer leaves.
      if (!mine.empty() && mine.back().layer == i)
        mine.back() = event;
      else
        mine.push_back(event);
    }
  }
  events.resize(nodes_.size());

  for (PathNode& node : nodes_)
    std::sort(node.children.begin(), node.children.end(),
              [this](NodeId a, NodeId b) { return nodes_[a].name < nodes_[b].name; });
  Renumber(&events);
}

// Puts the nodes in depth-first order (parents before children, children
// in name order, every subtree contiguous) and their events in one array in
// the same order, so a pass over every path reads memory front to back.
void PathHistory::Renumber(std::vector<std::vector<PathEvent>>* events) {
  std::vector<NodeId> order;  // New id -> old id.
  order.reserve(nodes_.size());
  std::vector<NodeId> stack = {kRootNode};
  while (!stack.empty()) {
    NodeId old = stack.back();
    stack.pop_back();
    order.push_back(old);
    const std::vector<NodeId>& children = nodes_[old].children;
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
  }
  std::vector<NodeId> new_id(nodes_.size());
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<NodeId>(i);

  std::vector<PathNode> nodes(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    PathNode& node = nodes[i];
    node = std::move(nodes_[order[i]]);
    node.parent = i == 0 ? kRootNode : new_id[node.parent];
    for (NodeId& child : node.children) child = new_id[child];
    const std::vector<PathEvent>& mine = (*events)[order[i]];
    node.first_event = static_cast<uint32_t>(events_.size());
    node.event_count = static_cast<uint32_t>(mine.size());
    events_.insert(events_.end(), mine.begin(), mine.end());
  }
  nodes_ = std::move(nodes);
}

NodeId PathHistory::Ensure(const std::string& path, PathIndex* index) {
  auto found = index->find(path);
  if (found != index->end()) return found->second;

  NodeId parent = Ensure(std::string(DirName(path)), index);
  NodeId id = static_cast<NodeId>(nodes_.size());
  PathNode node;
  node.name = std::string(BaseName(path));
  node.parent = parent;
  nodes_.push_back(std::move(node));
  nodes_[parent].children.push_back(id);
  index->emplace(path, id);
  return id;
}

std::string PathHistory::PathOf(NodeId id) const {
  std::vector<NodeId> chain;
  for (NodeId at = id; at != kRootNode; at = nodes_[at].parent) chain.push_back(at);
  std::string path;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!path.empty()) path += '/';
    path += nodes_[*it].name;
  }
  return path;
}

bool PathHistory::Find(const std::string& path, NodeId* id) const {
  NodeId at = kRootNode;
  size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string_view name(path.data() + start, slash - start);
    const std::vector<NodeId>& children = nodes_[at].children;
    auto it = std::lower_bound(children.begin(), children.end(), name,
                               [this](NodeId a, std::string_view n) { return nodes_[a].name < n; });
    if (it == children.end() || nodes_[*it].name != name) return false;
    at = *it;
    start = slash + 1;
  }
  *id = at;
  return true;
}

const PathEvent* PathHistory::LastEvent(NodeId id, int layer) const {
  const PathNode& node = nodes_[id];
  for (uint32_t i = node.event_count; i > 0; --i) {
    const PathEvent& event = events_[node.first_event + i - 1];
    if (event.layer <= layer) return &event;
  }
  return nullptr;
}

}  // namespace strata
