// A walk of a FileTree for hot loops: FileTree::Walk builds every node's
// path and calls through a std::function, which on a tree of a million
// files cost more than the work done at each node. Callers that need a
// node's path rarely ask FileTree::PathOf for it.
#pragma once

#include <vector>

#include "model/file_tree.h"

namespace strata {

enum class ChildOrder {
  kByName,   // As FileTree::Walk: parents first, children in name order.
  kAsStored  // Parents first, children as they came: for walks whose order
             // never shows (sums, sets), which then sort no directory a
             // layer filled out of name order.
};

// Calls |visit|(node) for |node| and every node beneath it. Iterative,
// since a layer may nest directories deeper than the stack.
// TODO: LayerMerge's DropSubtree still takes name order: its order shows
// in the order of equal-sized waste.
template <typename Visit>
void VisitSubtree(const FileNode* node, Visit&& visit, ChildOrder order = ChildOrder::kByName) {
  std::vector<const FileNode*> stack = {node};
  while (!stack.empty()) {
    const FileNode* current = stack.back();
    stack.pop_back();
    visit(current);
    if (order == ChildOrder::kByName)
      current->PushChildrenReversed(&stack);
    else
      current->PushChildren(&stack);
  }
}

}  // namespace strata
