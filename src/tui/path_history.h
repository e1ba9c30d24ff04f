// Every path any layer of an image ever had, each with what every layer did
// to it: the one structure the explorer reads to show the filesystem "as of
// layer N" for any N without merging the layers again.
//
// Built once, in one pass of LayerMerge over the analysed layers; after
// that, the state of a path at a layer is a lookup in its short event list
// and in the cuts of its ancestors (see TreeView::Recompute).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/analysis.h"

namespace strata {

// What one layer did to one path.
struct PathEvent {
  int layer = 0;
  ChangeKind kind = ChangeKind::kAdded;
  const LayerEntry* entry = nullptr;    // The entry stored; null for removals.
  const LayerEntry* content = nullptr;  // As FileNode::content has it.
};

using NodeId = uint32_t;
constexpr NodeId kRootNode = 0;

struct PathNode {
  std::string name;
  NodeId parent = kRootNode;
  std::vector<NodeId> children;  // In name order.
  // Its events (PathHistory::Events), in layer order, one per layer at most.
  uint32_t first_event = 0, event_count = 0;
  // Layers that hid everything lower layers put beneath this path
  // (whiteouts of it, opaque markers in it, its removal, its replacement
  // by a file): a descendant whose last event is older than a cut is gone
  // from that layer on.
  std::vector<int> cuts;
};

class PathHistory {
 public:
  // Replays the layers of |analysis|, which must outlive this object (the
  // events point into its layers' entries).
  explicit PathHistory(const Analysis& analysis);

  // Nodes are numbered depth-first: a parent before its children, children
  // in name order, so the subtree of |id| is the ids [id, id + its size).
  const PathNode& node(NodeId id) const { return nodes_[id]; }
  std::span<const PathEvent> Events(NodeId id) const {
    return {events_.data() + nodes_[id].first_event, nodes_[id].event_count};
  }
  size_t size() const { return nodes_.size(); }
  int layer_count() const { return layer_count_; }

  // The full path of |id|, without a leading "/" ("" for the root).
  std::string PathOf(NodeId id) const;

  // The node of |path| (cleaned, no leading "/"); false when no layer had it.
  bool Find(const std::string& path, NodeId* id) const;

  // The last event of |id| at or below |layer|, or null.
  const PathEvent* LastEvent(NodeId id, int layer) const;

 private:
  // Children are appended while building and sorted once at the end; the
  // lookup by path lives only as long as the build.
  using PathIndex = std::unordered_map<std::string, NodeId>;
  NodeId Ensure(const std::string& path, PathIndex* index);
  void Renumber(std::vector<std::vector<PathEvent>>* events);

  std::vector<PathNode> nodes_;
  std::vector<PathEvent> events_;
  int layer_count_ = 0;
};

}  // namespace strata
