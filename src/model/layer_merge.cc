#include "model/layer_merge.h"

#include <fmt/core.h>

#include <cstdint>
#include <string_view>
#include <unordered_set>

#include "base/error.h"

namespace strata {

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kModified:
      return "modified";
    case ChangeKind::kMetadata:
      return "metadata";
    case ChangeKind::kRestored:
      return "unchanged";
    case ChangeKind::kRemoved:
      return "removed";
  }
  return "?";
}

static_assert(sizeof(Change) == 32, "a change per entry: keep it small");

Change::Change(std::string_view path, ChangeKind kind, EntryKind type, int64_t size,
               int64_t previous_or_files)
    : kind(kind),
      type(type),
      path_size_(static_cast<uint32_t>(path.size())),
      path_data_(path.data()),
      previous_or_files_(previous_or_files),
      size(size) {
  // Paths are held to --max-path-bytes long before; this is the backstop.
  if (path.size() > UINT32_MAX) Fail("a path of {} bytes is too long to report", path.size());
}

Change Change::Stored(std::string_view path, ChangeKind kind, EntryKind type, int64_t size,
                      int64_t previous_size) {
  return Change(path, kind, type, size, previous_size);
}

Change Change::Removed(std::string_view path, EntryKind type, int64_t bytes, int files) {
  return Change(path, ChangeKind::kRemoved, type, bytes, files);
}

namespace {

// What a path was before the layer, captured before the layer changes it.
struct Before {
  bool existed = false;
  EntryKind kind = EntryKind::kDirectory;
  const LayerEntry* entry = nullptr;
  const LayerEntry* content = nullptr;
  uint32_t mode = 0, uid = 0, gid = 0;
};

Before Capture(const FileNode* node) {
  Before before;
  if (node == nullptr) return before;
  before.existed = true;
  before.kind = node->kind();
  before.entry = node->entry;
  before.content = node->content;
  before.mode = node->mode();
  before.uid = node->uid();
  before.gid = node->gid();
  return before;
}

// Classifies what |after| (now in the tree) did to the path that was |before|.
// Returns false when nothing changed worth listing (a directory stored
// again as it was, which every layer does for the parents of its files).
bool Classify(const Before& before, const FileNode* after, ChangeKind* kind) {
  if (!before.existed) {
    *kind = ChangeKind::kAdded;
    return true;
  }

  bool same_metadata =
      before.mode == after->mode() && before.uid == after->uid() && before.gid == after->gid();
  if (before.kind == EntryKind::kDirectory && after->is_directory()) {
    *kind = ChangeKind::kMetadata;
    return !same_metadata;
  }

  bool same_content = before.kind == after->kind();
  if (same_content && after->kind() == EntryKind::kFile) {
    const LayerEntry* old_content = before.content;
    const LayerEntry* new_content = after->content;
    same_content = old_content != nullptr && new_content != nullptr &&
                   old_content->size == new_content->size &&
                   old_content->content_hash == new_content->content_hash;
  } else if (same_content && before.entry != nullptr && after->entry != nullptr) {
    same_content = before.entry->link == after->entry->link &&
                   before.entry->device_major() == after->entry->device_major() &&
                   before.entry->device_minor() == after->entry->device_minor();
  }

  if (!same_content)
    *kind = ChangeKind::kModified;
  else if (!same_metadata)
    *kind = ChangeKind::kMetadata;
  else
    *kind = ChangeKind::kRestored;
  return true;
}

struct SubtreeSize {
  int64_t bytes = 0;
  int files = 0;
};

SubtreeSize Measure(const FileNode* node) {
  SubtreeSize size;
  FileTree::Walk(node, "", [&size](const FileNode* n, const std::string&) {
    if (n->kind() == EntryKind::kFile) {
      size.bytes += n->size();
      ++size.files;
    }
  });
  return size;
}

}  // namespace

void LayerMerge::Apply(int index, const LayerContents& layer, std::vector<Change>* changes,
                       std::vector<std::string>* warnings) {
  // What each stored path was before this layer, for classifying later.
  const std::vector<LayerEntry>& entries = layer.entries;
  std::vector<Before> before(entries.size());
  for (size_t i = 0; i < entries.size(); ++i)
    if (!entries[i].is_whiteout()) before[i] = Capture(tree_.Find(entries[i].path));

  ApplyWhiteouts(index, layer, changes);

  for (const LayerEntry& entry : entries)
    if (!entry.is_whiteout()) ApplyEntry(index, entry, changes, warnings);

  for (size_t i = 0; i < entries.size(); ++i) {
    const LayerEntry& entry = entries[i];
    if (entry.is_whiteout() || entry.path.empty()) continue;
    const FileNode* after = tree_.Find(entry.path);
    ChangeKind kind;
    if (after == nullptr || !Classify(before[i], after, &kind)) continue;
    int64_t previous_size = before[i].content != nullptr ? before[i].content->size : 0;
    changes->push_back(Change::Stored(entry.path, kind, entry.kind, entry.size, previous_size));
  }
}

void LayerMerge::ApplyWhiteouts(int index, const LayerContents& layer,
                                std::vector<Change>* changes) {
  // Paths this layer stores again are changes of the layer, not removals.
  std::unordered_set<std::string_view> stored;
  for (const LayerEntry& entry : layer.entries)
    if (!entry.is_whiteout()) stored.insert(entry.path);

  auto record_removal = [&](const FileNode* node, std::string_view path) {
    if (stored.count(path)) return;
    SubtreeSize size = Measure(node);
    changes->push_back(Change::Removed(path, node->kind(), size.bytes, size.files));
  };

  for (const LayerEntry& entry : layer.entries) {
    if (entry.kind == EntryKind::kWhiteout) {
      FileNode* node = tree_.Find(entry.path);
      // A whiteout of a path no lower layer has is harmless.
      if (node == nullptr || node->parent == nullptr) continue;
      record_removal(node, entry.path);
      DropSubtree(node, index, !stored.count(entry.path));
      tree_.Remove(entry.path);
    } else if (entry.kind == EntryKind::kOpaque) {
      FileNode* dir = tree_.Find(entry.path);
      if (dir == nullptr || !dir->is_directory()) continue;
      for (const FileNode* child : dir->Children()) {
        std::string name(child->name());
        std::string path = entry.path.empty() ? name : fmt::format("{}/{}", entry.path, name);
        if (!stored.count(path)) record_removal(child, KeepPath(path));
        DropSubtree(child, index, !stored.count(path));
      }
      tree_.RemoveChildren(dir);
    }
  }
}

void LayerMerge::ApplyEntry(int index, const LayerEntry& entry, std::vector<Change>* changes,
                            std::vector<std::string>* warnings) {
  if (entry.path.empty()) {
    // The root directory itself: only its metadata can change.
    if (entry.kind == EntryKind::kDirectory) {
      tree_.root()->entry = &entry;
      tree_.root()->layer = index;
    }
    return;
  }

  FileNode* node = tree_.Ensure(
      entry.path, [this, index](FileNode* lost) { DropNode(lost, index, true); },
      FileTree::PathLife::kKept);  // The layers outlive the tree.

  // Resolve a hard link before the node changes: it may name itself.
  const LayerEntry* content = nullptr;
  if (entry.kind == EntryKind::kFile) {
    content = &entry;
  } else if (entry.kind == EntryKind::kHardlink) {
    const FileNode* target = tree_.Find(entry.link);
    if (target != nullptr && target->content != nullptr) {
      content = target->content;
    } else {
      warnings->push_back(fmt::format("layer {}: hard link /{} points to /{}, which is not a file",
                                      index + 1, entry.path, entry.link));
    }
  }

  bool keeps_children = entry.kind == EntryKind::kDirectory && node->is_directory();
  // A file replaced by a directory is gone from its path: removed, not
  // overwritten (its bytes are recoverable from its layer).
  DropNode(node, index, entry.kind == EntryKind::kDirectory);
  if (!keeps_children) {
    // A directory replaced by a file takes its children with it.
    for (const FileNode* child : node->Children()) {
      SubtreeSize size = Measure(child);
      changes->push_back(Change::Removed(KeepPath(fmt::format("{}/{}", entry.path, child->name())),
                                         child->kind(), size.bytes, size.files));
      DropSubtree(child, index, true);
    }
    tree_.RemoveChildren(node);
  }

  node->entry = &entry;
  node->content = content;
  node->layer = index;
}

std::string_view LayerMerge::KeepPath(std::string path) {
  return kept_paths_.emplace_back(std::move(path));
}

void LayerMerge::DropNode(const FileNode* node, int by_layer, bool removed) {
  if (node->entry != nullptr && node->entry->kind == EntryKind::kFile && node->entry->size > 0)
    dropped_.push_back({node->entry, node->layer, by_layer, removed});
}

void LayerMerge::DropSubtree(const FileNode* node, int by_layer, bool removed) {
  FileTree::Walk(node, "",
                 [&](const FileNode* n, const std::string&) { DropNode(n, by_layer, removed); });
}

int64_t LayerMerge::StoredBytesBeneath(std::string_view path) const {
  const FileNode* node = tree_.Find(path);
  if (node == nullptr || !node->is_directory()) return 0;
  int64_t bytes = 0;
  FileTree::Walk(node, "", [&bytes](const FileNode* n, const std::string&) {
    if (n->entry != nullptr && n->entry->kind == EntryKind::kFile) bytes += n->entry->size;
  });
  return bytes;
}

}  // namespace strata
