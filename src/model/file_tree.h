// The filesystem as a stack of layers leaves it: one node per path, each
// pointing at the layer entry that put it there. Entries are owned by the
// layers (LayerContents); the tree only points at them, so the tree costs a
// node per path and no copy of any metadata.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "layer/layer_entry.h"

namespace strata {

// TODO: memory. A node costs about 170 bytes (the node, its name twice:
// here and as its map key, a std::map node), which with the entry and its
// change puts a million-entry image near 440 bytes per entry, over the
// 200 bytes aimed for. Missing: children keyed by views of |name| (or a
// sorted vector), nodes from an arena, names interned per directory.
struct FileNode {
  std::string name;
  FileNode* parent = nullptr;
  std::map<std::string, std::unique_ptr<FileNode>, std::less<>> children;

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
};

class FileTree {
 public:
  FileTree();

  FileNode* root() { return root_.get(); }
  const FileNode* root() const { return root_.get(); }

  // The node at |path| (cleaned, "" is the root), or null.
  FileNode* Find(std::string_view path);
  const FileNode* Find(std::string_view path) const;

  // The node at |path|, creating implied directories on the way; the node
  // itself is returned as it was (or new and empty) for the caller to fill.
  // A parent that is not a directory becomes an implied directory, after
  // |on_drop| is told about the entry it loses.
  FileNode* Ensure(std::string_view path, const std::function<void(FileNode*)>& on_drop);

  // Detaches the node at |path| and returns it (null when absent).
  std::unique_ptr<FileNode> Remove(std::string_view path);

  // The full path of |node| ("" for the root).
  static std::string PathOf(const FileNode* node);

  // Calls |visit| for |node| and every node beneath it, parents first,
  // children in name order, with the node's full path.
  static void Walk(const FileNode* node, const std::string& path,
                   const std::function<void(const FileNode*, const std::string&)>& visit);

 private:
  std::unique_ptr<FileNode> root_;
};

}  // namespace strata
