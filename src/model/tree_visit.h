// A walk of a FileTree for hot loops: FileTree::Walk builds every node's
// path and calls through a std::function, which on a tree of a million
// files cost more than the work done at each node. Callers that need a
// node's path rarely ask FileTree::PathOf for it.
#pragma once

#include <vector>

#include "model/file_tree.h"

namespace strata {

// Calls |visit|(node) for |node| and every node beneath it in the order
// FileTree::Walk uses: parents first, children in name order. Iterative,
// since a layer may nest directories deeper than the stack.
// TODO: children sorted only where the order shows (findings, dropped
// files) would need a FileTree call that lists them unsorted.
template <typename Visit>
void VisitSubtree(const FileNode* node, Visit&& visit) {
  std::vector<const FileNode*> stack = {node};
  while (!stack.empty()) {
    const FileNode* current = stack.back();
    stack.pop_back();
    visit(current);
    if (!current->has_children()) continue;

    // Pushed last first, so that they come off the stack in name order.
    std::vector<const FileNode*> children = current->Children();
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
}

}  // namespace strata
