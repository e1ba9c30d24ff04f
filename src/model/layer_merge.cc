#include "model/layer_merge.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/units.h"
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
  const LayerEntry* inode = nullptr;  // A device's numbers, for a hard link to one too.
  std::string_view symlink_target;    // Points into a layer's entry, as the tree does.
  uint32_t mode = 0, uid = 0, gid = 0;
};

Before Capture(const FileNode* node) {
  Before before;
  if (node == nullptr) return before;
  before.existed = true;
  before.kind = node->kind();
  before.entry = node->entry;
  before.content = node->content;
  before.inode = node->inode();
  before.symlink_target = node->symlink_target();
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
  } else if (same_content && after->kind() == EntryKind::kSymlink) {
    same_content = before.symlink_target == after->symlink_target();
  } else if (same_content && before.inode != nullptr && after->inode() != nullptr) {
    same_content = before.inode->device_major() == after->inode()->device_major() &&
                   before.inode->device_minor() == after->inode()->device_minor();
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

// Which paths a layer stores (not as markers): a path a marker removes that
// its layer stores again is a change of the layer, not a removal. Built
// for the paths the markers name as stored (a whiteout's own path, what
// lies directly in an opaque marker's directory); when the layer stores
// fewer paths than it has markers, simply all of its paths, the smaller
// set for the same answers (a set of every path of a layer of files cost
// a twelfth of the merge). A path no marker names (where a link led one,
// or beneath what the layer stored before it) makes the whole set, once.
class StoredPaths {
 public:
  explicit StoredPaths(const LayerContents& layer) : layer_(layer) {
    size_t markers = 0;
    for (const LayerEntry& entry : layer.entries) markers += entry.is_whiteout();
    if (markers * 2 > layer.entries.size()) {
      AddAll();
      return;
    }
    std::unordered_set<std::string_view> whiteouts, opaque_dirs;
    for (const LayerEntry& entry : layer.entries) {
      if (entry.kind == EntryKind::kWhiteout) whiteouts.insert(entry.path);
      if (entry.kind == EntryKind::kOpaque) opaque_dirs.insert(entry.path);
    }
    for (const LayerEntry& entry : layer.entries) {
      if (entry.is_whiteout()) continue;
      std::string_view path = entry.path;
      if (whiteouts.contains(path) ||
          (!opaque_dirs.empty() && !path.empty() && opaque_dirs.contains(DirName(path))))
        paths_.insert(path);
    }
  }

  // Whether the layer stores |path|; |named|: a path a marker names.
  bool Has(std::string_view path, bool named) {
    if (!named && !all_) AddAll();
    return paths_.contains(path);
  }

 private:
  void AddAll() {
    for (const LayerEntry& entry : layer_.entries)
      if (!entry.is_whiteout()) paths_.insert(entry.path);
    all_ = true;
  }

  const LayerContents& layer_;
  std::unordered_set<std::string_view> paths_;
  bool all_ = false;
};

// The nodes at and beneath |node| that are, or hold, a node layer |index|
// stored: what a marker of that layer keeps, as umoci keeps every path its
// layer wrote before the marker, and the directories holding them. Empty
// when there are none, as for nearly every marker.
std::unordered_set<const FileNode*> HoldersOf(const FileNode* node, int index) {
  std::unordered_set<const FileNode*> holders;
  auto hold = [&](const FileNode* stored) {
    if (stored->layer != index) return;
    for (const FileNode* up = stored; holders.insert(up).second && up != node; up = up->parent) {
    }
  };
  VisitSubtree(node, hold, ChildOrder::kAsStored);
  return holders;
}

// What a hard link to |node| shares: a regular file's content, or the
// inode of anything else link(2) can name (a symbolic link, a FIFO, a
// device node, a socket: GNU tar and umoci make the link a second name of
// it); null for a directory, which no hard link names.
const LayerEntry* LinkedContent(const FileNode* node) {
  if (node->kind() == EntryKind::kFile) return node->content;
  if (node->is_directory()) return nullptr;
  return node->inode();
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}

}  // namespace

struct LayerMerge::LayerPass {
  LayerPass(int index, const LayerContents& layer, std::vector<Change>* changes)
      : index(index), layer(layer), changes(changes) {}

  StoredPaths& stored() {
    if (!stored_paths) stored_paths.emplace(layer);
    return *stored_paths;
  }

  int index;
  const LayerContents& layer;
  std::vector<Change>* changes;
  // Made once a marker of the layer removes something.
  std::optional<StoredPaths> stored_paths;
  // The record of each link (by its entry) that entries, and that markers,
  // of the layer lie beneath.
  std::unordered_map<const LayerEntry*, size_t> entry_links, marker_links;
  // A file (or link) of this very layer that an entry beneath it turned
  // into a directory: the first, the entry beneath it, and how many.
  const LayerEntry* own_replaced = nullptr;
  const LayerEntry* own_beneath = nullptr;
  int own_replaced_count = 0;
};

struct LayerMerge::Moved {
  bool moved = false;   // A link on the entry's way led elsewhere.
  bool placed = false;  // And somewhere: the landing is in the tree.
  std::string_view path;
  Before before;  // What was at |path| before the entry.
};

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
  bool found_any = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + kPrefetchAhead < entries.size()) tree_.Prefetch(entries[i + kPrefetchAhead].path);
    if (entries[i].is_whiteout()) continue;
    nodes[i] = tree_.Find(entries[i].path);
    before[i] = Capture(nodes[i]);
    found_any |= nodes[i] != nullptr;
  }

  // In tar order. Nodes found above that a marker frees are noted, and
  // forgotten before an entry's new node can take their memory; after an
  // entry that freed nodes, every node found above is.
  LayerPass pass(index, layer, changes);
  std::unordered_set<const FileNode*> freed;
  std::unordered_map<size_t, Moved> moved;
  size_t valid_from = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].is_whiteout()) {
      ApplyMarker(&pass, entries[i], found_any ? &freed : nullptr);
      continue;
    }
    if (valid_from > 0 || (!freed.empty() && freed.contains(nodes[i]))) nodes[i] = nullptr;
    if (i + kPrefetchAhead < entries.size() && nodes[i + kPrefetchAhead] == nullptr)
      tree_.Prefetch(entries[i + kPrefetchAhead].path);
    Moved went;
    if (ApplyEntry(&pass, entries[i], &nodes[i], &went, warnings)) valid_from = i + 1;
    if (went.moved) moved.emplace(i, went);
  }
  if (pass.own_replaced != nullptr)
    warnings->push_back(fmt::format(
        "layer {}: /{} is stored beneath /{}, which the same layer stores as {}: /{} is taken "
        "for a directory, and its bytes are waste{}",
        index + 1, pass.own_beneath->path, pass.own_replaced->path,
        EntryKindNoun(pass.own_replaced->kind), pass.own_replaced->path,
        pass.own_replaced_count > 1 ? fmt::format(" ({} more such)", pass.own_replaced_count - 1)
                                    : ""));

  for (size_t i = 0; i < entries.size(); ++i) {
    const LayerEntry& entry = entries[i];
    if (entry.is_whiteout() || entry.path.empty()) continue;
    // A change is where the tree changed: where a link led the entry.
    std::string_view path = entry.path;
    const Before* was = &before[i];
    if (auto it = moved.find(i); it != moved.end()) {
      if (!it->second.placed) continue;
      path = it->second.path;
      was = &it->second.before;
    }
    const FileNode* after = i >= valid_from ? nodes[i] : tree_.Find(path);
    ChangeKind kind;
    if (after == nullptr || !Classify(*was, after, &kind)) continue;
    int64_t previous_size = was->content != nullptr ? was->content->size : 0;
    changes->push_back(Change::Stored(path, kind, entry.kind, entry.size, previous_size));
  }
}

void LayerMerge::ApplyMarker(LayerPass* pass, const LayerEntry& marker,
                             std::unordered_set<const FileNode*>* freed) {
  // An opaque marker empties its own directory; a whiteout removes its path.
  bool opaque = marker.kind == EntryKind::kOpaque;
  std::string_view path = marker.path;
  bool named = true;
  FileNode* target = tree_.Find(path);
  if (target == nullptr || (opaque && !target->is_directory())) {
    // Not there, unless a link on the way leads elsewhere (a whiteout of
    // a path no lower layer has is harmless).
    std::optional<Landing> landing = NoteMarkerBeneathLink(pass, marker);
    if (!landing || landing->outcome != Landing::kLands) return;
    path = KeepPath(std::move(landing->path));
    named = false;
    target = tree_.Find(path);
    if (target == nullptr) return;
  }

  if (!opaque) {
    // The root stays.
    if (target->parent != nullptr) RemoveForMarker(pass, target, path, named, true, freed);
    return;
  }
  if (!target->is_directory()) return;
  for (FileNode* child : target->Children())
    RemoveForMarker(pass, child, JoinPath(path, child->name()), named, false, freed);
}

void LayerMerge::RemoveForMarker(LayerPass* pass, FileNode* node, std::string_view path, bool named,
                                 bool lasts, std::unordered_set<const FileNode*>* freed) {
  std::unordered_set<const FileNode*> holders = HoldersOf(node, pass->index);
  if (holders.empty()) {
    RemoveWhole(pass, node, path, named, lasts, freed);
    return;
  }

  // The layer stored something here before the marker: remove the rest
  // around it. Iterative: a layer may nest directories deeper than the
  // stack.
  std::vector<std::pair<FileNode*, std::string>> kept = {{node, std::string(path)}};
  while (!kept.empty()) {
    auto [dir, dir_path] = std::move(kept.back());
    kept.pop_back();
    for (FileNode* child : dir->Children()) {
      std::string child_path = JoinPath(dir_path, child->name());
      if (holders.contains(child))
        kept.emplace_back(child, std::move(child_path));
      else
        RemoveWhole(pass, child, child_path, false, false, freed);
    }
  }
}

void LayerMerge::RemoveWhole(LayerPass* pass, FileNode* node, std::string_view path, bool named,
                             bool lasts, std::unordered_set<const FileNode*>* freed) {
  bool stored_again = pass->stored().Has(path, named);
  if (!stored_again) {
    SubtreeSize size = Measure(node);
    std::string_view kept = lasts ? path : KeepPath(std::string(path));
    pass->changes->push_back(Change::Removed(kept, node->kind(), size.bytes, size.files));
  }
  DropSubtree(node, pass->index, !stored_again);
  if (freed != nullptr)
    VisitSubtree(
        node, [freed](const FileNode* n) { freed->insert(n); }, ChildOrder::kAsStored);
  tree_.Remove(node);
}

std::optional<Landing> LayerMerge::NoteMarkerBeneathLink(LayerPass* pass,
                                                         const LayerEntry& marker) {
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
  if (node == nullptr || node->kind() != EntryKind::kSymlink) return std::nullopt;

  Landing landing = LandingOf(tree_, marker.path, opaque);
  auto [noted, is_new] = pass->marker_links.emplace(node->entry, link_parents_.size());
  if (is_new)
    link_parents_.push_back(
        {&marker, pass->index, node->entry, node->symlink_target(), node->layer, landing});
  else
    ++link_parents_[noted->second].more;
  return landing;
}

void LayerMerge::NoteEntryBeneathLink(LayerPass* pass, const LayerEntry& entry,
                                      const FileNode* link, const Landing& landing) {
  auto [noted, is_new] = pass->entry_links.emplace(link->entry, link_parents_.size());
  if (is_new)
    link_parents_.push_back(
        {&entry, pass->index, link->entry, link->symlink_target(), link->layer, landing});
  else
    ++link_parents_[noted->second].more;
}

FileNode* LayerMerge::Place(LayerPass* pass, const LayerEntry& entry, Moved* moved) {
  int index = pass->index;
  auto on_drop = [this, index, pass, &entry](FileNode* lost) {
    // No tar of a directory stores a file and then entries beneath it;
    // the tree takes the file for a directory, and says so (Apply).
    if (lost->layer == index && lost->entry != nullptr && lost->entry != &entry) {
      if (pass->own_replaced == nullptr) {
        pass->own_replaced = lost->entry;
        pass->own_beneath = &entry;
      }
      ++pass->own_replaced_count;
    }
    DropNode(lost, index, true);
  };
  size_t nodes = tree_.size();
  const FileNode* link = nullptr;
  // Layers outlive the tree: nodes are named with their paths' bytes.
  FileNode* node = tree_.Ensure(entry.path, on_drop, FileTree::PathLife::kKept, &link);
  if (node == nullptr) {
    // A link on the way: umoci follows it, and every link it leads to,
    // inside the root, and writes where the chain ends; the link stays.
    // The landing's parents are no links, so Ensure there makes no turn.
    Landing landing = LandingOf(tree_, entry.path, false);
    NoteEntryBeneathLink(pass, entry, link, landing);
    moved->moved = true;
    if (landing.outcome == Landing::kLands) {
      moved->path = KeepPath(std::move(landing.path));
      node = tree_.Find(moved->path);
      moved->before = Capture(node);
      if (node == nullptr)
        node = tree_.Ensure(moved->path, on_drop, FileTree::PathLife::kKept, &link);
    }
    // A loop, or a link that leads nowhere: no unpacker can write it, and
    // its bytes reach no path (still stored in its layer).
    if (node == nullptr) {
      if (entry.kind == EntryKind::kFile && entry.size > 0)
        dropped_.push_back({&entry, index, index, true});
      return nullptr;
    }
    moved->placed = true;
    placed_elsewhere_[&entry] = moved->path;
  }

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
  return node;
}

const FileNode* LayerMerge::HardLinkTarget(const std::string& target) {
  if (const FileNode* node = tree_.Find(target)) return node;
  // umoci resolves the links on the target's way inside the root (the
  // last name it takes as it is, as link(2) does).
  Landing landing = LandingOf(tree_, target, false);
  return landing.outcome == Landing::kLands ? tree_.Find(landing.path) : nullptr;
}

bool LayerMerge::ApplyEntry(LayerPass* pass, const LayerEntry& entry, FileNode** at, Moved* moved,
                            std::vector<std::string>* warnings) {
  int index = pass->index;
  if (entry.path.empty()) {
    // The root directory itself: only its metadata can change. Anything
    // else named "", "." or "/" (GNU tar reads a file there as ".") has no
    // place in the tree, and its bytes are still in the layer: said, not
    // dropped in silence.
    if (entry.kind == EntryKind::kDirectory) {
      tree_.root()->entry = &entry;
      tree_.root()->layer = index;
    } else {
      warnings->push_back(fmt::format(
          "layer {}: an entry that is not a directory names the root ({}, {}); it is left out",
          index + 1, EntryKindNoun(entry.kind), Count(entry.size, "byte")));
    }
    return false;
  }

  // A node already there needs no Ensure: its parents are directories,
  // since only a directory has children.
  if (*at == nullptr) *at = Place(pass, entry, moved);
  if (*at == nullptr) return false;
  FileNode* node = *at;
  std::string_view path = moved->placed ? moved->path : std::string_view(entry.path);

  // Resolve a hard link before the node changes: it may name itself.
  const LayerEntry* content = nullptr;
  if (entry.kind == EntryKind::kFile) {
    content = &entry;
  } else if (entry.kind == EntryKind::kHardlink) {
    const FileNode* target = HardLinkTarget(entry.link());
    if (target != nullptr) content = LinkedContent(target);
    if (content == nullptr) {
      // A node placed just now, for this very entry, is no directory yet.
      bool itself = target == node && node->entry == nullptr && !node->has_children();
      const char* why = target == nullptr        ? "which is missing"
                        : itself                 ? "itself, with nothing there before it"
                        : target->is_directory() ? "a directory"
                                                 : "a hard link to nothing";
      warnings->push_back(fmt::format("layer {}: hard link /{} points to /{}, {}", index + 1,
                                      entry.path, entry.link(), why));
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
      pass->changes->push_back(Change::Removed(KeepPath(JoinPath(path, child->name())),
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

std::string_view LayerMerge::PlacedPath(const LayerEntry* entry) const {
  auto it = placed_elsewhere_.find(entry);
  return it != placed_elsewhere_.end() ? it->second : std::string_view(entry->path);
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
