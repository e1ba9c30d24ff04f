#include "model/file_tree.h"

#include <vector>

namespace strata {

EntryKind FileNode::kind() const {
  if (entry == nullptr) return EntryKind::kDirectory;
  if (entry->kind == EntryKind::kHardlink) return EntryKind::kFile;
  return entry->kind;
}

uint32_t FileNode::mode() const {
  if (content != nullptr) return content->mode;
  return entry != nullptr ? entry->mode : 0755;
}

uint32_t FileNode::uid() const {
  if (content != nullptr) return content->uid;
  return entry != nullptr ? entry->uid : 0;
}

uint32_t FileNode::gid() const {
  if (content != nullptr) return content->gid;
  return entry != nullptr ? entry->gid : 0;
}

FileTree::FileTree() : root_(std::make_unique<FileNode>()) {}

FileNode* FileTree::Find(std::string_view path) {
  FileNode* node = root_.get();
  while (!path.empty() && node != nullptr) {
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    auto it = node->children.find(name);
    node = it == node->children.end() ? nullptr : it->second.get();
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return node;
}

const FileNode* FileTree::Find(std::string_view path) const {
  return const_cast<FileTree*>(this)->Find(path);
}

FileNode* FileTree::Ensure(std::string_view path, const std::function<void(FileNode*)>& on_drop) {
  FileNode* node = root_.get();
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    bool last = slash == std::string_view::npos;
    path = last ? std::string_view() : path.substr(slash + 1);

    // A parent that is not a directory cannot hold children: the layer
    // that stores beneath it replaces it with a directory.
    if (!node->is_directory()) {
      on_drop(node);
      node->entry = nullptr;
      node->content = nullptr;
      node->layer = -1;
    }

    auto it = node->children.find(name);
    if (it == node->children.end()) {
      auto child = std::make_unique<FileNode>();
      child->name = std::string(name);
      child->parent = node;
      it = node->children.emplace(child->name, std::move(child)).first;
    }
    node = it->second.get();
  }
  return node;
}

std::unique_ptr<FileNode> FileTree::Remove(std::string_view path) {
  FileNode* node = Find(path);
  if (node == nullptr || node->parent == nullptr) return nullptr;
  auto& siblings = node->parent->children;
  auto it = siblings.find(node->name);
  std::unique_ptr<FileNode> detached = std::move(it->second);
  siblings.erase(it);
  detached->parent = nullptr;
  return detached;
}

std::string FileTree::PathOf(const FileNode* node) {
  std::vector<const std::string*> names;
  for (; node != nullptr && node->parent != nullptr; node = node->parent)
    names.push_back(&node->name);
  std::string path;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!path.empty()) path += '/';
    path += **it;
  }
  return path;
}

void FileTree::Walk(const FileNode* node, const std::string& path,
                    const std::function<void(const FileNode*, const std::string&)>& visit) {
  visit(node, path);
  for (const auto& [name, child] : node->children)
    Walk(child.get(), path.empty() ? name : path + "/" + name, visit);
}

}  // namespace strata
