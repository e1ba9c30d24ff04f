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
template <typename Visit>
void VisitSubtree(const FileNode* node, Visit&& visit) {
  std::vector<const FileNode*> stack = {node};
  while (!stack.empty()) {
    const FileNode* current = stack.back();
    stack.pop_back();
    visit(current);
    current->PushChildrenReversed(&stack);
  }
}

// The same nodes in no particular order, for walks whose order never
// shows (sums, sets): directories a layer filled out of name order are
// not sorted.
// TODO: the walks of the merge (Measure, DropSubtree) still take name
// order; DropSubtree's order shows in the order of equal-sized waste.
template <typename Visit>
void VisitSubtreeUnordered(const FileNode* node, Visit&& visit) {
  std::vector<const FileNode*> stack = {node};
  while (!stack.empty()) {
    const FileNode* current = stack.back();
    stack.pop_back();
    visit(current);
    current->PushChildren(&stack);
  }
}

}  // namespace strata
