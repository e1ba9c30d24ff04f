#include "model/image_path.h"

#include <string_view>

#include "base/error.h"

namespace strata {

namespace {

// Linux's limit on symbolic links followed while resolving one path.
constexpr int kMaxLinkHops = 40;

class PathResolver {
 public:
  PathResolver(const FileTree& tree, const std::string& original)
      : tree_(tree), original_(original) {}

  // Walks |path| from |from| (or from the root when it is absolute).
  const FileNode* Resolve(const FileNode* from, std::string_view path, bool follow_last) {
    const FileNode* node = path.starts_with("/") ? tree_.root() : from;
    while (node != nullptr) {
      while (path.starts_with("/")) path.remove_prefix(1);
      if (path.empty()) return node;
      size_t slash = path.find('/');
      std::string_view name = path.substr(0, slash);
      path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
      bool last = path.find_first_not_of('/') == std::string_view::npos;
      node = Step(node, name, !last || follow_last);
    }
    return nullptr;
  }

 private:
  const FileNode* Step(const FileNode* node, std::string_view name, bool follow) {
    if (!node->is_directory()) return nullptr;
    if (name == ".") return node;
    if (name == "..") return node->parent != nullptr ? node->parent : node;  // "/.." is "/".
    const FileNode* child = tree_.Child(node, name);
    if (child == nullptr) return nullptr;
    if (!follow || child->kind() != EntryKind::kSymlink) return child;
    if (child->entry->link().empty()) return nullptr;  // The kernel's ENOENT.
    if (++hops_ > kMaxLinkHops)
      Fail("{}: too many levels of symbolic links in the image", original_);
    // A relative target starts from the directory holding the link.
    return Resolve(node, child->entry->link(), true);
  }

  const FileTree& tree_;
  const std::string& original_;
  int hops_ = 0;
};

}  // namespace

const FileNode* ResolvePath(const FileTree& tree, const std::string& path, bool follow_last) {
  bool trailing_slash = path.size() > 1 && path.ends_with("/");
  const FileNode* node =
      PathResolver(tree, path).Resolve(tree.root(), path, follow_last || trailing_slash);
  if (node != nullptr && trailing_slash && !node->is_directory()) return nullptr;
  return node;
}

}  // namespace strata
