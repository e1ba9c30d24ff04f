// The filesystem as a stack of layers leaves it: one node per path, each
// pointing at the layer entry that put it there. Entries are owned by the
// layers (LayerContents); the tree only points at them, so the tree costs a
// node per path and no copy of any metadata.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/text_arena.h"
#include "base/zeroed_array.h"
#include "layer/layer_entry.h"

namespace strata {

// A node is 64 bytes, from blocks the tree owns, found through the tree's
// one hash table of (parent, name). Its name is a view: of the path of the
// entry that made it when the merge says that path outlives the tree (the
// layers do), else of a copy in the tree's name arena. A std::map per
// directory cost about 170 bytes a node.
struct FileNode {
  std::string_view name() const { return {name_data_, name_size_}; }

  FileNode* parent = nullptr;

  // The entry that made this node; null for the root and for directories
  // that exist only because a layer stored something beneath them.
  const LayerEntry* entry = nullptr;

  // The entry whose content this node has: |entry| itself for a regular
  // file; for a hard link, what it links to: a regular file, or a
  // symbolic link, FIFO, device node or socket, whose inode it shares
  // (link(2) links such a file itself: GNU tar and umoci unpack the entry
  // as a second name of it). Null for everything else, symbolic links
  // included.
  const LayerEntry* content = nullptr;

  int layer = -1;  // Index of the layer that stored |entry|.

 private:
  friend class FileTree;
  // Here, beside |layer|, so that the two fill 8 bytes.
  uint32_t name_size_ : 31 = 0;
  // Set once a child came that sorts before the last one; cleared when the
  // directory empties.
  uint32_t children_unordered_ : 1 = 0;
  const char* name_data_ = nullptr;

 public:
  // The node's type as it appears on disk: a hard link has its target's
  // (a regular file, symbolic link, FIFO, device node or socket), or is a
  // regular file when the tree had nothing it could link to.
  EntryKind kind() const;
  bool is_directory() const { return kind() == EntryKind::kDirectory; }

  // What a symbolic link points to, as stored (a hard link to a link
  // points where that link does); "" when kind() is not kSymlink.
  const std::string& symlink_target() const;

  // The entry that describes the node's inode: what a hard link links to,
  // else the node's own entry (null for an implied directory). A device
  // node's numbers are read from it, for both of its names.
  const LayerEntry* inode() const { return content != nullptr ? content : entry; }

  // Bytes of content (hard links count their target's bytes).
  int64_t size() const { return content != nullptr ? content->size : 0; }

  // Permission bits, owner; a hard link reports its target's, as the
  // shared inode has them. Implied directories are 0755 root:root.
  uint32_t mode() const;
  uint32_t uid() const;
  uint32_t gid() const;

  bool has_children() const { return first_child_ != nullptr; }

  // The children in name order (byte order). The tree keeps them in the
  // order they came, and notes whether that is name order (layers mostly
  // store a directory's entries sorted): only when it is not are they
  // sorted, on each call. Adding a child costs the same in any directory.
  std::vector<const FileNode*> Children() const;
  std::vector<FileNode*> Children();

  // Appends the children to |stack| in reverse name order, so that popping
  // them gives name order: a depth-first walk's step, without a vector a
  // directory.
  void PushChildrenReversed(std::vector<const FileNode*>* stack) const;
  // Appends the children in the order they came, unsorted.
  void PushChildren(std::vector<const FileNode*>* stack) const;

 private:
  FileNode* first_child_ = nullptr;
  FileNode* next_sibling_ = nullptr;
  // The first child's is the last child, so that appending costs one step.
  FileNode* previous_sibling_ = nullptr;
};

class FileTree {
 public:
  FileTree();
  ~FileTree();
  FileTree(FileTree&&) noexcept;
  FileTree& operator=(FileTree&&) noexcept;
  FileTree(const FileTree&) = delete;
  FileTree& operator=(const FileTree&) = delete;

  FileNode* root() { return root_; }
  const FileNode* root() const { return root_; }

  // The node at |path| (cleaned, "" is the root), or null. The non-const
  // one starts from the directory the last non-const lookup ended in, or
  // the deepest of its parents that |path| is beneath; the const one keeps
  // no state, so that readers on several threads may share a tree.
  FileNode* Find(std::string_view path);
  const FileNode* Find(std::string_view path) const;

  // The child |name| of |dir|, or null.
  const FileNode* Child(const FileNode* dir, std::string_view name) const;

  // Asks the processor to fetch where a lookup of |path| will look, when
  // its directory is one the tree remembers; does nothing else. A merge
  // calls it a few entries ahead: each lookup of a path new to a table of
  // millions misses the cache, and misses fetched together overlap.
  void Prefetch(std::string_view path);

  // How long the bytes of a path given to Ensure last.
  enum class PathLife {
    kCopy,  // Not beyond the call: new nodes' names are copied in.
    kKept,  // Longer than the tree (a layer's entry): names point into it.
  };

  // The node at |path|, creating implied directories on the way; the node
  // itself is returned as it was (or new and empty) for the caller to fill.
  // A parent that is not a directory becomes an implied directory, after
  // |on_drop| is told about the entry it loses; except, when |link| is
  // given, a parent that is a symbolic link: there the walk stops, with
  // the tree unchanged, |*link| set to that parent and null returned (an
  // unpacker follows the link instead).
  FileNode* Ensure(std::string_view path, const std::function<void(FileNode*)>& on_drop,
                   PathLife life = PathLife::kCopy, const FileNode** link = nullptr);

  // Removes the node at |path| and everything beneath it (the root stays).
  void Remove(std::string_view path);
  // Removes |node|, a node of this tree, and everything beneath it (the
  // root stays).
  void Remove(FileNode* node);

  // Removes everything beneath |dir|.
  void RemoveChildren(FileNode* dir);

  // Nodes in the tree, the root included.
  size_t size() const { return count_; }

  // Makes room for |nodes| nodes in the hash table at once: growing it
  // step by step rehashes every node each time it doubles (about a tenth
  // of the merge of a million new paths).
  void Reserve(size_t nodes);

  // The full path of |node| ("" for the root).
  static std::string PathOf(const FileNode* node);

  // Calls |visit| for |node| and every node beneath it, parents first,
  // children in name order, with the node's full path.
  static void Walk(const FileNode* node, const std::string& path,
                   const std::function<void(const FileNode*, const std::string&)>& visit);

 private:
  // |name| is copied into |names_| unless |life| says it lasts. |hash| is
  // HashOf(parent, name); unused for the root.
  FileNode* NewNode(FileNode* parent, std::string_view name, PathLife life, uint64_t hash);
  const FileNode* Child(const FileNode* dir, std::string_view name, uint64_t hash) const;
  void FreeSubtree(FileNode* node);
  // Makes |node| the last child of |parent|, noting when that breaks name
  // order.
  static void Append(FileNode* parent, FileNode* node);
  void Unlink(FileNode* node);

  // Where a non-const lookup of |*path| starts: the deepest of the
  // remembered directory and its parents that |*path| is beneath (the
  // rest left in |*path|), else the root.
  FileNode* StartOf(std::string_view* path);
  void Remember(FileNode* dir, std::string_view full_path);
  // Makes every remembered directory unknown: called before any node is
  // freed (its memory may come back as another node).
  void Forget();

  // The hash table: open addressing, linear probing, no tombstones
  // (removal shifts the rest of a run back).
  // A node's slot is its hash's low bits. A slot holds the node's address
  // in its low 48 bits (all x86-64 and AArch64 user space uses) and 16
  // bits of the hash above them, so that a probe passes other nodes
  // without reading them: each read is a cache miss.
  static uint64_t HashOf(const FileNode* parent, std::string_view name);
  static uint64_t SlotValue(const FileNode* node, uint64_t hash) {
    return reinterpret_cast<uintptr_t>(node) | (hash & kTagBits);
  }
  static FileNode* NodeIn(uint64_t slot) {
    return reinterpret_cast<FileNode*>(static_cast<uintptr_t>(slot & ~kTagBits));
  }
  static constexpr uint64_t kTagBits = 0xffffULL << 48;
  void Insert(FileNode* node, uint64_t hash);
  void Erase(const FileNode* node);
  void Grow();
  void Rehash(size_t slots);  // A power of two that holds every node.

  std::vector<std::unique_ptr<FileNode[]>> node_blocks_;
  size_t used_in_block_ = 0;
  FileNode* free_nodes_ = nullptr;  // Removed nodes, chained by next_sibling_.
  TextArena names_;                 // Names no entry's path holds for as long.

  // A layer stores a directory's entries together, so the next path is
  // usually beneath the last one's directory or one of its parents:
  // walking down from there saves a hash lookup per component (a third of
  // the merge's time on an image of 120 layers). Forgotten whenever a
  // node is freed.
  FileNode* remembered_dir_ = nullptr;
  std::string remembered_path_;

  // Directories lookups ended in lately, by a hash of their paths: layers
  // written by programs that spread files over directories in turn (one
  // file in each of a thousand directories, then again) leave the one
  // remembered directory behind at every entry, and each lookup walked
  // down from the root, a hash lookup per component. A slot is trusted
  // only while |generation| is the tree's and the node's names, read
  // upwards, spell the path: a hash alone could be made to collide.
  struct RecentDir {
    FileNode* node = nullptr;
    uint64_t generation = 0;
  };
  static constexpr size_t kRecentDirs = 4096;
  FileNode* RecentDirAt(std::string_view dir_path, size_t* slot);
  std::unique_ptr<RecentDir[]> recent_dirs_;
  uint64_t generation_ = 1;
  size_t pending_recent_ = kRecentDirs;  // The slot StartOf missed, for Remember.

  ZeroedArray<uint64_t> slots_;  // 0: empty.
  size_t count_ = 0;
  FileNode* root_ = nullptr;
};

}  // namespace strata
