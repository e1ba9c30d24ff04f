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

#include "layer/layer_entry.h"

namespace strata {

// A node is 72 bytes, from blocks the tree owns; its name is kept once, in
// the tree's name blocks, and found through the tree's one hash table of
// (parent, name). A std::map per directory cost about 170 bytes a node.
struct FileNode {
  std::string_view name;
  FileNode* parent = nullptr;

  // The entry that made this node; null for the root and for directories
  // that exist only because a layer stored something beneath them.
  const LayerEntry* entry = nullptr;

  // The regular-file entry whose bytes this node has: |entry| itself, or
  // for a hard link the file it links to. Null for everything else.
  const LayerEntry* content = nullptr;

  int layer = -1;  // Index of the layer that stored |entry|.

  // The node's type as it appears on disk: hard links are regular files.
  EntryKind kind() const;
  bool is_directory() const { return kind() == EntryKind::kDirectory; }

  // Bytes of content (hard links count their target's bytes).
  int64_t size() const { return content != nullptr ? content->size : 0; }

  // Permission bits, owner; a hard link reports its target's, as the
  // shared inode has them. Implied directories are 0755 root:root.
  uint32_t mode() const;
  uint32_t uid() const;
  uint32_t gid() const;

  bool has_children() const { return first_child_ != nullptr; }

  // The children in name order (byte order), sorted on each call: the
  // tree keeps them unordered, so that adding one costs the same in any
  // directory whatever order a layer stores them in.
  std::vector<const FileNode*> Children() const;
  std::vector<FileNode*> Children();

 private:
  friend class FileTree;
  FileNode* first_child_ = nullptr;
  FileNode* next_sibling_ = nullptr;
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

  // The node at |path| (cleaned, "" is the root), or null.
  FileNode* Find(std::string_view path);
  const FileNode* Find(std::string_view path) const;

  // The child |name| of |dir|, or null.
  const FileNode* Child(const FileNode* dir, std::string_view name) const;

  // The node at |path|, creating implied directories on the way; the node
  // itself is returned as it was (or new and empty) for the caller to fill.
  // A parent that is not a directory becomes an implied directory, after
  // |on_drop| is told about the entry it loses.
  FileNode* Ensure(std::string_view path, const std::function<void(FileNode*)>& on_drop);

  // Removes the node at |path| and everything beneath it (the root stays).
  void Remove(std::string_view path);

  // Removes everything beneath |dir|.
  void RemoveChildren(FileNode* dir);

  // Nodes in the tree, the root included.
  size_t size() const { return count_; }

  // The full path of |node| ("" for the root).
  static std::string PathOf(const FileNode* node);

  // Calls |visit| for |node| and every node beneath it, parents first,
  // children in name order, with the node's full path.
  static void Walk(const FileNode* node, const std::string& path,
                   const std::function<void(const FileNode*, const std::string&)>& visit);

 private:
  FileNode* NewNode(FileNode* parent, std::string_view name);
  void FreeSubtree(FileNode* node);
  void Unlink(FileNode* node);
  std::string_view KeepName(std::string_view name);

  // The hash table: open addressing, linear probing, no tombstones
  // (removal shifts the rest of a run back).
  size_t SlotOf(const FileNode* parent, std::string_view name) const;
  void Insert(FileNode* node);
  void Erase(const FileNode* node);
  void Grow();

  std::vector<std::unique_ptr<FileNode[]>> node_blocks_;
  size_t used_in_block_ = 0;
  FileNode* free_nodes_ = nullptr;  // Removed nodes, chained by next_sibling_.
  std::vector<std::unique_ptr<char[]>> name_blocks_;
  size_t name_left_ = 0;
  char* name_next_ = nullptr;

  std::vector<FileNode*> slots_;
  size_t count_ = 0;
  FileNode* root_ = nullptr;
};

}  // namespace strata
