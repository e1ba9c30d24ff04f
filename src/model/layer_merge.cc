#include "model/layer_merge.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_set>

#include "base/error.h"
#include "model/tree_visit.h"

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

static_assert(sizeof(Change) == 24, "a change per entry: keep it small");
static_assert(static_cast<int>(EntryKind::kOpaque) < 16 &&
                  static_cast<int>(ChangeKind::kRemoved) < 16,
              "a change keeps each kind in 4 bits");

Change::Change(std::string_view path, ChangeKind kind, EntryKind type, int64_t size,
               int64_t other) {
  // Paths are held to --max-path-bytes long before, and sizes to
  // --max-image-bytes; these are the backstops.
  if (path.size() > kPathSizeMask) Fail("a path of {} bytes is too long to report", path.size());
  constexpr int64_t kLargest = (int64_t{1} << 48) - 1;
  if (size < 0 || size > kLargest || other < 0 || other > kLargest)
    Fail("/{}: a size of more than 256 TiB cannot be reported", path);

  path_data_ = path.data();
  path_and_kinds_ = static_cast<uint32_t>(path.size()) | static_cast<uint32_t>(kind) << 24 |
                    static_cast<uint32_t>(type) << 28;
  size_low_ = static_cast<uint32_t>(size);
  size_high_ = static_cast<uint16_t>(size >> 32);
  other_low_ = static_cast<uint32_t>(other);
  other_high_ = static_cast<uint16_t>(other >> 32);
}

void Change::set_path(std::string_view path) {
  if (path.size() > kPathSizeMask) Fail("a path of {} bytes is too long to report", path.size());
  path_data_ = path.data();
  path_and_kinds_ = (path_and_kinds_ & ~kPathSizeMask) | static_cast<uint32_t>(path.size());
}

Change Change::Stored(std::string_view path, ChangeKind kind, EntryKind type, int64_t size,
                      int64_t previous_size) {
  return Change(path, kind, type, size, previous_size);
}

Change Change::Removed(std::string_view path, EntryKind type, int64_t bytes, int64_t files) {
  return Change(path, ChangeKind::kRemoved, type, bytes, files);
}

namespace {

// How many entries ahead the merge has the tree fetch where it will look.
constexpr size_t kPrefetchAhead = 8;

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
    same_content = before.entry->link() == after->entry->link() &&
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
  auto add = [&size](const FileNode* n) {
    if (n->kind() == EntryKind::kFile) {
      size.bytes += n->size();
      ++size.files;
    }
  };
  VisitSubtree(node, add, ChildOrder::kAsStored);
  return size;
}

// The paths |layer| stores that ApplyWhiteouts asks about: those its
// whiteouts name, or that lie directly in a directory it marks opaque.
// When the layer stores fewer paths than it has markers, simply all of its
// paths: the smaller set, for the same answers (a set of every path of a
// layer of files cost a twelfth of the merge).
std::unordered_set<std::string_view> StoredAgain(const LayerContents& layer) {
  std::unordered_set<std::string_view> whiteouts, opaque_dirs, stored;
  size_t markers = 0;
  for (const LayerEntry& entry : layer.entries) markers += entry.is_whiteout();
  if (markers == 0) return stored;
  if (markers * 2 > layer.entries.size()) {
    for (const LayerEntry& entry : layer.entries)
      if (!entry.is_whiteout()) stored.insert(entry.path);
    return stored;
  }

  for (const LayerEntry& entry : layer.entries) {
    if (entry.kind == EntryKind::kWhiteout) whiteouts.insert(entry.path);
    if (entry.kind == EntryKind::kOpaque) opaque_dirs.insert(entry.path);
  }
  for (const LayerEntry& entry : layer.entries) {
    if (entry.is_whiteout()) continue;
    std::string_view path = entry.path;
    if (whiteouts.contains(path) ||
        (!opaque_dirs.empty() && !path.empty() && opaque_dirs.contains(DirName(path))))
      stored.insert(path);
  }
  return stored;
}

// The nodes |layer|'s whiteouts and opaque markers will free, sorted (a
// few more when one removes what another does).
std::vector<const FileNode*> HiddenBy(const FileTree& tree, const LayerContents& layer) {
  std::vector<const FileNode*> hidden;
  for (const LayerEntry& entry : layer.entries) {
    if (!entry.is_whiteout()) continue;
    const FileNode* node = tree.Find(entry.path);
    bool opaque = entry.kind == EntryKind::kOpaque;
    // As ApplyWhiteouts: the root stays; an opaque marker keeps its directory.
    if (node == nullptr || (opaque ? !node->is_directory() : node->parent == nullptr)) continue;
    auto hide = [&](const FileNode* n) {
      if (n != node || !opaque) hidden.push_back(n);
    };
    VisitSubtree(node, hide, ChildOrder::kAsStored);
  }
  std::sort(hidden.begin(), hidden.end());
  return hidden;
}

}  // namespace

void LayerMerge::Apply(int index, const LayerContents& layer, std::vector<Change>* changes,
                       std::vector<std::string>* warnings) {
  // TODO: an entry new to the tree still costs two walks (the Find here,
  // then Ensure) and three hashes of its name; a FileTree call that
  // creates from where a failed Find stopped would save one of each.
  //
  // What each stored path was before this layer, for classifying later.
  // The node found here is also where the entry goes and, at the end,
  // what it became, for as long as no node is freed: one lookup an entry
  // instead of three (lookups were most of the merge's time).
  const std::vector<LayerEntry>& entries = layer.entries;
  std::vector<FileNode*> nodes(entries.size(), nullptr);
  std::vector<Before> before(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + kPrefetchAhead < entries.size()) tree_.Prefetch(entries[i + kPrefetchAhead].path);
    if (entries[i].is_whiteout()) continue;
    nodes[i] = tree_.Find(entries[i].path);
    before[i] = Capture(nodes[i]);
  }

  bool found_any = std::any_of(nodes.begin(), nodes.end(), [](FileNode* n) { return n; });
  std::vector<const FileNode*> hidden;
  if (found_any) hidden = HiddenBy(tree_, layer);
  ApplyWhiteouts(index, layer, changes);
  for (size_t i = 0; i < entries.size() && !hidden.empty(); ++i)
    if (nodes[i] != nullptr && std::binary_search(hidden.begin(), hidden.end(), nodes[i]))
      nodes[i] = nullptr;

  // Nodes found before the last entry that freed nodes may be gone.
  size_t valid_from = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].is_whiteout()) continue;
    if (valid_from > 0) nodes[i] = nullptr;
    if (i + kPrefetchAhead < entries.size() && nodes[i + kPrefetchAhead] == nullptr)
      tree_.Prefetch(entries[i + kPrefetchAhead].path);
    if (ApplyEntry(index, entries[i], &nodes[i], changes, warnings)) valid_from = i + 1;
  }

  for (size_t i = 0; i < entries.size(); ++i) {
    const LayerEntry& entry = entries[i];
    if (entry.is_whiteout() || entry.path.empty()) continue;
    const FileNode* after = i >= valid_from ? nodes[i] : tree_.Find(entry.path);
    ChangeKind kind;
    if (after == nullptr || !Classify(before[i], after, &kind)) continue;
    int64_t previous_size = before[i].content != nullptr ? before[i].content->size : 0;
    changes->push_back(Change::Stored(entry.path, kind, entry.kind, entry.size, previous_size));
  }
}

void LayerMerge::ApplyWhiteouts(int index, const LayerContents& layer,
                                std::vector<Change>* changes) {
  // Paths this layer stores again are changes of the layer, not removals.
  std::unordered_set<std::string_view> stored = StoredAgain(layer);

  auto record_removal = [&](const FileNode* node, std::string_view path) {
    if (stored.count(path)) return;
    SubtreeSize size = Measure(node);
    changes->push_back(Change::Removed(path, node->kind(), size.bytes, size.files));
  };

  std::unordered_map<const FileNode*, size_t> links_noted;
  for (const LayerEntry& entry : layer.entries) {
    if (entry.kind == EntryKind::kWhiteout) {
      FileNode* node = tree_.Find(entry.path);
      // A whiteout of a path no lower layer has is harmless, unless a
      // link on its way leads an unpacker elsewhere.
      if (node == nullptr) NoteMarkerBeneathLink(index, entry, &links_noted);
      if (node == nullptr || node->parent == nullptr) continue;
      record_removal(node, entry.path);
      DropSubtree(node, index, !stored.count(entry.path));
      tree_.Remove(entry.path);
    } else if (entry.kind == EntryKind::kOpaque) {
      FileNode* dir = tree_.Find(entry.path);
      if (dir == nullptr || !dir->is_directory()) {
        NoteMarkerBeneathLink(index, entry, &links_noted);
        continue;
      }
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

void LayerMerge::NoteMarkerBeneathLink(int index, const LayerEntry& marker,
                                       std::unordered_map<const FileNode*, size_t>* first) {
  // The directory an unpacker resolves: a whiteout's parent, an opaque
  // marker's own directory. Only directories have children, so the walk
  // ends at the first name that is not one.
  bool opaque = marker.kind == EntryKind::kOpaque;
  std::string_view dir = opaque ? std::string_view(marker.path) : DirName(marker.path);
  const FileNode* node = tree_.root();
  while (!dir.empty() && node != nullptr && node->is_directory()) {
    size_t slash = dir.find('/');
    node = tree_.Child(node, dir.substr(0, slash));
    dir = slash == std::string_view::npos ? std::string_view() : dir.substr(slash + 1);
  }
  if (node == nullptr || node->kind() != EntryKind::kSymlink) return;

  auto [noted, is_new] = first->emplace(node, link_parents_.size());
  if (!is_new) {
    ++link_parents_[noted->second].more_markers;
    return;
  }
  link_parents_.push_back(
      {&marker, index, node->entry, node->layer, LandingOf(tree_, marker.path, opaque)});
}

bool LayerMerge::ApplyEntry(int index, const LayerEntry& entry, FileNode** at,
                            std::vector<Change>* changes, std::vector<std::string>* warnings) {
  if (entry.path.empty()) {
    // The root directory itself: only its metadata can change.
    if (entry.kind == EntryKind::kDirectory) {
      tree_.root()->entry = &entry;
      tree_.root()->layer = index;
    }
    return false;
  }

  // A node already there needs no Ensure: its parents are directories,
  // since only a directory has children.
  if (*at == nullptr) {
    auto on_drop = [this, index, &entry](FileNode* lost) {
      // The tree is still as it was: the landing follows the whole chain.
      if (lost->entry != nullptr && lost->entry->kind == EntryKind::kSymlink)
        link_parents_.push_back(
            {&entry, index, lost->entry, lost->layer, LandingOf(tree_, entry.path, false)});
      DropNode(lost, index, true);
    };
    size_t nodes = tree_.size();
    *at = tree_.Ensure(entry.path, on_drop, FileTree::PathLife::kKept);  // Layers outlive it.
    // Every node made but the entry's own is a directory its path implied.
    if (tree_.size() > nodes + 1) implied_ += static_cast<int64_t>(tree_.size() - nodes - 1);
    if (static_cast<int64_t>(tree_.size()) > max_nodes_)
      Fail(
          "layer {}: with the layers below, its paths make more than {} files and directories; "
          "raise --max-entries to read it",
          index + 1, max_nodes_);
    if (implied_ > max_implied_)
      Fail(
          "layer {}: with the layers below, its paths imply more than {} directories that no "
          "entry stores; raise --max-implied-dirs to read it",
          index + 1, max_implied_);
  }
  FileNode* node = *at;

  // Resolve a hard link before the node changes: it may name itself.
  const LayerEntry* content = nullptr;
  if (entry.kind == EntryKind::kFile) {
    content = &entry;
  } else if (entry.kind == EntryKind::kHardlink) {
    const FileNode* target = tree_.Find(entry.link());
    if (target != nullptr && target->content != nullptr) {
      content = target->content;
    } else {
      warnings->push_back(fmt::format("layer {}: hard link /{} points to /{}, which is not a file",
                                      index + 1, entry.path, entry.link()));
    }
  }

  bool keeps_children = entry.kind == EntryKind::kDirectory && node->is_directory();
  bool frees = !keeps_children && node->has_children();
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
  return frees;
}

std::string_view LayerMerge::KeepPath(std::string path) {
  return kept_paths_.emplace_back(std::move(path));
}

void LayerMerge::DropNode(const FileNode* node, int by_layer, bool removed) {
  if (node->entry != nullptr && node->entry->kind == EntryKind::kFile && node->entry->size > 0)
    dropped_.push_back({node->entry, node->layer, by_layer, removed});
}

void LayerMerge::DropSubtree(const FileNode* node, int by_layer, bool removed) {
  VisitSubtree(node, [&](const FileNode* n) { DropNode(n, by_layer, removed); });
}

int64_t LayerMerge::StoredBytesBeneath(std::string_view path) const {
  const FileNode* node = tree_.Find(path);
  if (node == nullptr || !node->is_directory()) return 0;
  int64_t bytes = 0;
  auto add = [&bytes](const FileNode* n) {
    if (n->entry != nullptr && n->entry->kind == EntryKind::kFile) bytes += n->entry->size;
  };
  VisitSubtree(node, add, ChildOrder::kAsStored);
  return bytes;
}

}  // namespace strata
