// Applies layers, in order, to a FileTree, exactly as the OCI image spec
// defines it, and records what each layer did.
//
// Per layer: whiteouts and opaque markers first (they speak of the layers
// below, never of their own layer), then the entries in tar order. A file
// entry replaces what was at its path; a directory entry over a directory
// only updates its metadata and keeps its children; a hard link shares the
// content of its target as the tree holds it at that moment.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "layer/layer_reader.h"
#include "model/file_tree.h"
#include "model/image_path.h"

namespace strata {

enum class ChangeKind : uint8_t {
  kAdded,     // The path did not exist below.
  kModified,  // Content, type or link target changed.
  kMetadata,  // Only mode or owner changed, yet the layer stores a full copy.
  kRestored,  // Stored again with nothing changed: pure waste.
  kRemoved,   // A whiteout or opaque directory removed it.
};

const char* ChangeKindName(ChangeKind kind);

// 24 bytes: an image of a million entries makes a million changes. The
// path is a pointer and a 24-bit length packed with the two kinds, and the
// sizes are 48 bits each (256 TiB), which no layer within --max-image-bytes
// comes near; a removal's previous size (always the bytes it hid, its
// size) gives its room to the file count.
class Change {
 public:
  // What storing |path| did. |previous_size|: bytes the path had below
  // (files: its content). |path| must outlive the change, as below.
  static Change Stored(std::string_view path, ChangeKind kind, EntryKind type, int64_t size,
                       int64_t previous_size);
  // A removal of |path| (a whiteout, an opaque directory, a directory
  // replaced by a file) that hid |bytes| in |files| regular files.
  static Change Removed(std::string_view path, EntryKind type, int64_t bytes, int64_t files);

  // Points into the layer's entry, or for the children of a removed or
  // replaced directory into the LayerMerge that made the change: a million
  // changes do not copy a million paths.
  std::string_view path() const { return {path_data_, path_and_kinds_ & kPathSizeMask}; }
  ChangeKind kind() const { return static_cast<ChangeKind>((path_and_kinds_ >> 24) & 0xf); }
  // The new entry's type; for removals the old one's.
  EntryKind type() const { return static_cast<EntryKind>(path_and_kinds_ >> 28); }
  // Points the change at |path| instead, as outputs show it (a name that
  // spells a secret, redacted); |path| must outlive the change.
  void set_path(std::string_view path);

  // Bytes stored by this layer (removed: bytes it hid).
  int64_t size() const { return Join(size_low_, size_high_); }
  int64_t previous_size() const {
    return kind() == ChangeKind::kRemoved ? size() : Join(other_low_, other_high_);
  }
  // For removals: how many files the subtree held; otherwise 1.
  int64_t files() const {
    return kind() == ChangeKind::kRemoved ? Join(other_low_, other_high_) : 1;
  }

 private:
  Change(std::string_view path, ChangeKind kind, EntryKind type, int64_t size, int64_t other);

  static constexpr uint32_t kPathSizeMask = (1u << 24) - 1;
  static int64_t Join(uint32_t low, uint16_t high) {
    return static_cast<int64_t>((uint64_t{high} << 32) | low);
  }

  const char* path_data_ = nullptr;
  uint32_t path_and_kinds_ = 0;  // Length in the low 24 bits, kind, then type.
  uint32_t size_low_ = 0;
  uint32_t other_low_ = 0;  // previous_size(), or files() for removals.
  uint16_t size_high_ = 0;
  uint16_t other_high_ = 0;
};

// A stored file version that does not reach the final filesystem.
struct DroppedFile {
  const LayerEntry* entry;
  int layer;     // Layer that stored it.
  int by_layer;  // Layer that removed or replaced it.
  bool removed;  // True: its path was removed; false: overwritten.
};

// An entry stored beneath a path the tree held as a symbolic link. The
// merge makes the link a directory; unpackers (umoci, Docker) follow the
// link inside the root and write the entry where it points, and naive
// ones follow it out of the root. A tar made from a directory never holds
// one.
//
// A whiteout or opaque marker stored beneath a link (or, for an opaque
// marker, naming one) is one too: umoci follows the link and deletes
// where it leads (checked), naive unpackers delete on the host. The merge
// leaves the link as it is and removes nothing through it.
// TODO: resolve such parents through the link as umoci does, so that ls,
// cat and export show what an unpacked image holds (and so that a later
// landing through the same link is not computed against the directory
// strata made of it).
// TODO: markers are checked against the layers below only (the merge
// applies them first), not against a link their own layer stores before
// them, which umoci, reading in tar order, would follow.
struct LinkParent {
  const LayerEntry* entry;  // The first entry (or marker) stored beneath the link.
  int layer;                // Its layer.
  const LayerEntry* link;   // The first symbolic link on its path.
  int link_layer;
  // Where the entry lands (for a whiteout, what it deletes; for an opaque
  // marker, the directory it empties), through every link on its way, as
  // the tree stood just before it.
  Landing landing;
  // Markers: how many more of the layer's markers lie beneath the same link.
  int64_t more_markers = 0;
};

class LayerMerge {
 public:
  // Applies layer |index| (layers must come in order 0, 1, 2, …). Appends
  // to |changes| what the layer did, largest-first ordering left to the
  // caller, and to |warnings| what looked wrong (dangling hard links).
  // |layer| must outlive the merge: the tree points at its entries and
  // names its nodes with their paths' bytes.
  void Apply(int index, const LayerContents& layer, std::vector<Change>* changes,
             std::vector<std::string>* warnings);

  const FileTree& tree() const { return tree_; }

  // Makes room for |nodes| paths, for a caller that knows how many entries
  // are coming.
  void Reserve(size_t nodes) { tree_.Reserve(nodes); }

  // Applying a layer fails once the tree holds more than |max| nodes: a
  // few thousand entries nested thousands deep imply millions of
  // directories, which no count of entries bounds.
  void set_max_nodes(int64_t max) { max_nodes_ = max; }

  // Applying a layer fails once the directories that paths implied, made
  // before any entry stored them (a/b/f makes a and a/b), number more than
  // |max| over all layers so far (ReadLimits::ImpliedDirsFor).
  void set_max_implied(int64_t max) { max_implied_ = max; }

  // The directories made so far because a path implied them before any
  // entry stored them.
  int64_t implied_directories() const { return implied_; }

  // Every file version dropped so far, in the order they were dropped.
  // Hard-link targets that stay reachable are removed by the caller.
  const std::vector<DroppedFile>& dropped() const { return dropped_; }

  // Every symbolic link replaced by a directory so far, and every link
  // that a layer's markers lie beneath (once per layer), in order.
  const std::vector<LinkParent>& link_parents() const { return link_parents_; }

  // The bytes of the regular files beneath |path| in the current tree, as
  // their tar headers give them (hard links count 0): dive's measure for a
  // whiteout of a directory. 0 when |path| is absent or not a directory.
  int64_t StoredBytesBeneath(std::string_view path) const;

 private:
  void ApplyWhiteouts(int index, const LayerContents& layer, std::vector<Change>* changes);
  // Records |marker| (a whiteout or opaque marker the tree has no node
  // for) when a symbolic link lies on its way; |first| maps each link
  // already recorded for this layer to its record.
  void NoteMarkerBeneathLink(int index, const LayerEntry& marker,
                             std::unordered_map<const FileNode*, size_t>* first);
  // |*at| is the node at the entry's path when the caller knows it, else
  // null and set here. Returns true when nodes were freed.
  bool ApplyEntry(int index, const LayerEntry& entry, FileNode** at, std::vector<Change>* changes,
                  std::vector<std::string>* warnings);
  void DropSubtree(const FileNode* node, int by_layer, bool removed);
  void DropNode(const FileNode* node, int by_layer, bool removed);
  // Keeps |path| for as long as the merge lives; returns a view of it.
  std::string_view KeepPath(std::string path);

  FileTree tree_;
  std::deque<std::string> kept_paths_;  // Paths of changes no entry spells.
  std::vector<DroppedFile> dropped_;
  std::vector<LinkParent> link_parents_;
  int64_t max_nodes_ = INT64_MAX;
  int64_t max_implied_ = INT64_MAX;
  int64_t implied_ = 0;
};

}  // namespace strata
