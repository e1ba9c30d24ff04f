#include "model/image_path.h"

#include <string_view>
#include <vector>

#include "base/error.h"

namespace strata {

namespace {

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
    if (child->symlink_target().empty()) return nullptr;  // The kernel's ENOENT.
    if (++hops_ > kMaxLinkHops)
      Fail("{}: too many levels of symbolic links in the image", original_);
    // A relative target starts from the directory holding the link.
    return Resolve(node, child->symlink_target(), true);
  }

  const FileTree& tree_;
  const std::string& original_;
  int hops_ = 0;
};

// The walk behind LandingOf: components resolved so far, and the node they
// name while the tree has one.
// TODO: PathResolver above walks the same way but stops at the first name
// the tree lacks; ResolvePath could be this walk plus a check that the
// landing is a node (its errors, ELOOP and a non-directory parent, kept).
class Lander {
 public:
  explicit Lander(const FileTree& tree) : tree_(tree), at_(tree.root()) {}

  // Walks |path| from where the walk is (from the root when absolute).
  // Returns false once the outcome is a failure.
  bool Walk(std::string_view path, bool follow_last) {
    if (path.starts_with("/")) {
      parts_.clear();
      at_ = tree_.root();
    }
    while (!path.empty()) {
      size_t slash = path.find('/');
      std::string_view name = path.substr(0, slash);
      path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
      bool last = path.find_first_not_of('/') == std::string_view::npos;
      if (!Step(name, !last || follow_last)) return false;
    }
    return true;
  }

  Landing Result() {
    if (landing_.outcome == Landing::kLands) landing_.path = Joined();
    return std::move(landing_);
  }

 private:
  bool Step(std::string_view name, bool follow) {
    if (name.empty() || name == ".") return true;
    if (name == "..") {
      if (!parts_.empty()) parts_.pop_back();
      // Past the tree, the parent may be in it again.
      at_ = at_ != nullptr ? (at_->parent != nullptr ? at_->parent : at_) : tree_.Find(Joined());
      return true;
    }
    const FileNode* child = at_ != nullptr ? tree_.Child(at_, name) : nullptr;
    if (child == nullptr || !follow || child->kind() != EntryKind::kSymlink) {
      parts_.emplace_back(name);
      at_ = child;
      return true;
    }
    return Follow(child);
  }

  bool Follow(const FileNode* link) {
    const std::string& target = link->symlink_target();
    if (target.empty()) {
      landing_.outcome = Landing::kEmptyLink;
      landing_.path = FileTree::PathOf(link);
      return false;
    }
    if (++landing_.links > kMaxLinkHops) {
      landing_.outcome = Landing::kTooManyLinks;
      return false;
    }
    // A relative target starts from the directory holding the link: where
    // the walk is.
    return Walk(target, true);
  }

  std::string Joined() const {
    std::string path;
    for (const std::string& part : parts_) {
      if (!path.empty()) path += '/';
      path += part;
    }
    return path;
  }

  const FileTree& tree_;
  std::vector<std::string> parts_;
  const FileNode* at_;  // The node |parts_| name, or null past the tree.
  Landing landing_;
};

}  // namespace

Landing LandingOf(const FileTree& tree, std::string_view path, bool follow_last) {
  Lander lander(tree);
  lander.Walk(path, follow_last);
  return lander.Result();
}

const FileNode* ResolvePath(const FileTree& tree, const std::string& path, bool follow_last) {
  bool trailing_slash = path.size() > 1 && path.ends_with("/");
  const FileNode* node =
      PathResolver(tree, path).Resolve(tree.root(), path, follow_last || trailing_slash);
  if (node != nullptr && trailing_slash && !node->is_directory()) return nullptr;
  return node;
}

}  // namespace strata
