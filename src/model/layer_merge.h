// Applies layers, in order, to a FileTree, as the OCI image spec defines
// it and as umoci's unpack (the oracle) writes it, and records what each
// layer did.
//
// Per layer, entries and markers in tar order, as umoci reads them. A
// whiteout or opaque marker speaks of the layers below: it removes what
// they left, never what its own layer stored before it (nor the
// directories holding that); what its layer stores after it is stored as
// usual. A file entry replaces what was at its path; a directory entry
// over a directory only updates its metadata and keeps its children; a
// hard link shares the content of its target as the tree holds it at
// that moment: a regular file's bytes, or a symbolic link's target (it
// is a second name of that link, as GNU tar and umoci make it).
//
// A path is found as an unpacker that keeps symbolic links inside the
// root finds it: an entry or marker stored beneath a path the tree holds
// as a link acts where the chain of links leads (model/image_path.h),
// and the link stays a link.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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

// An entry stored beneath a path the tree held as a symbolic link, or a
// whiteout or opaque marker stored beneath one (or, for an opaque marker,
// naming one): a tar made from a directory never holds one. umoci follows
// the link inside the root and writes (or deletes, or empties) where it
// leads, as the merge does; unpackers that follow it naively do so on the
// host. One is kept per link, layer and kind (entry or marker): the first.
struct LinkParent {
  const LayerEntry* entry;  // The first entry (or marker) stored beneath the link.
  int layer;                // Its layer.
  const LayerEntry* link;   // The first symbolic link on its path.
  // Where that link points, as stored: for a hard link to a symbolic
  // link, the linked one's target. A view into a layer's entry.
  std::string_view link_target;
  int link_layer;
  // Where the entry lands (for a whiteout, what it deletes; for an opaque
  // marker, the directory it empties), through every link on its way, as
  // the tree stood just before it. Where the merge put it too: when the
  // outcome is not kLands, the merge left the entry out (or the marker
  // removed nothing).
  Landing landing;
  // How many more of the layer's entries (or markers) lie beneath the same
  // link, each merged where its own chain leads.
  int64_t more = 0;
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

  // Every symbolic link that a layer's entries or markers lie beneath
  // (once per layer for each), in order.
  const std::vector<LinkParent>& link_parents() const { return link_parents_; }

  // Where the merge put |entry|: elsewhere than its own path when a link
  // on its way led there (a view the merge keeps), else its own path.
  std::string_view PlacedPath(const LayerEntry* entry) const;

  // The bytes of the regular files beneath |path| in the current tree, as
  // their tar headers give them (hard links count 0): dive's measure for a
  // whiteout of a directory. 0 when |path| is absent or not a directory.
  // TODO: the tree follows links on an entry's way and dive's does not: a
  // whiteout of a directory stored beneath a link (evil/d/f, then
  // evil/.wh.d) finds nothing here, where dive's tree, holding paths as
  // stored, has evil/d and its bytes.
  int64_t StoredBytesBeneath(std::string_view path) const;

 private:
  struct LayerPass;  // What applying one layer keeps between its entries.
  struct Moved;      // Where an entry went when a link on its way led elsewhere.

  // Applies |marker|, a whiteout or opaque marker of the layer, through
  // any link on its way. Adds the nodes it frees to |*freed| when given.
  void ApplyMarker(LayerPass* pass, const LayerEntry& marker,
                   std::unordered_set<const FileNode*>* freed);
  // Removes |node| at |path| for a marker, but not what the layer stored
  // before it. |named|: |path| is the marker's own (or a child of an opaque
  // marker's directory), as the layer stores it. |lasts|: |path| outlives
  // the merge.
  void RemoveForMarker(LayerPass* pass, FileNode* node, std::string_view path, bool named,
                       bool lasts, std::unordered_set<const FileNode*>* freed);
  // Removes |node| and everything beneath it for a marker: a removal of
  // the layer unless it stores |path| again, and waste.
  void RemoveWhole(LayerPass* pass, FileNode* node, std::string_view path, bool named, bool lasts,
                   std::unordered_set<const FileNode*>* freed);
  // Records |marker| when a symbolic link lies on its way; returns where
  // it acts then, through every link, or nothing when no link does.
  std::optional<Landing> NoteMarkerBeneathLink(LayerPass* pass, const LayerEntry& marker);
  // Records |entry|, stored beneath |link|, landing at |landing|.
  void NoteEntryBeneathLink(LayerPass* pass, const LayerEntry& entry, const FileNode* link,
                            const Landing& landing);
  // |*at| is the node at the entry's path when the caller knows it, else
  // null and set here (null again when the entry has nowhere to go).
  // |*moved| says where it went when a link led it elsewhere. Returns true
  // when nodes were freed.
  bool ApplyEntry(LayerPass* pass, const LayerEntry& entry, FileNode** at, Moved* moved,
                  std::vector<std::string>* warnings);
  // The node for an entry the tree has no node for yet: at its path, or
  // where the links on its way lead. Null when they lead nowhere.
  FileNode* Place(LayerPass* pass, const LayerEntry& entry, Moved* moved);
  // The node a hard link to |target| shares content with, or null.
  const FileNode* HardLinkTarget(const std::string& target);
  void DropSubtree(const FileNode* node, int by_layer, bool removed);
  void DropNode(const FileNode* node, int by_layer, bool removed);
  // Keeps |path| for as long as the merge lives; returns a view of it.
  std::string_view KeepPath(std::string path);

  FileTree tree_;
  std::deque<std::string> kept_paths_;  // Paths of changes no entry spells.
  std::vector<DroppedFile> dropped_;
  std::vector<LinkParent> link_parents_;
  std::unordered_map<const LayerEntry*, std::string_view> placed_elsewhere_;
  int64_t max_nodes_ = INT64_MAX;
  int64_t max_implied_ = INT64_MAX;
  int64_t implied_ = 0;
};

}  // namespace strata
