#include "model/file_tree.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace strata {

static_assert(sizeof(uintptr_t) == 8, "the file tree keeps hash bits in 64-bit slots");
static_assert(sizeof(FileNode) == 64, "a node per path: keep it small");

namespace {

constexpr size_t kNodesPerBlock = 4096;

}  // namespace

EntryKind FileNode::kind() const {
  if (entry == nullptr) return EntryKind::kDirectory;
  if (entry->kind == EntryKind::kHardlink)
    return content != nullptr ? content->kind : EntryKind::kFile;
  return entry->kind;
}

const std::string& FileNode::symlink_target() const {
  static const std::string kNone;
  if (kind() != EntryKind::kSymlink) return kNone;
  return content != nullptr ? content->link() : entry->link();
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

namespace {

bool NameBefore(const FileNode* a, const FileNode* b) { return a->name() < b->name(); }

}  // namespace

std::vector<const FileNode*> FileNode::Children() const {
  std::vector<const FileNode*> children;
  for (const FileNode* child = first_child_; child != nullptr; child = child->next_sibling_)
    children.push_back(child);
  if (children_unordered_) std::sort(children.begin(), children.end(), NameBefore);
  return children;
}

void FileNode::PushChildrenReversed(std::vector<const FileNode*>* stack) const {
  if (first_child_ == nullptr) return;
  if (!children_unordered_) {
    for (const FileNode* child = first_child_->previous_sibling_;;
         child = child->previous_sibling_) {
      stack->push_back(child);
      if (child == first_child_) return;
    }
  }
  size_t begin = stack->size();
  for (const FileNode* child = first_child_; child != nullptr; child = child->next_sibling_)
    stack->push_back(child);
  std::sort(stack->begin() + static_cast<ptrdiff_t>(begin), stack->end(),
            [](const FileNode* a, const FileNode* b) { return NameBefore(b, a); });
}

void FileNode::PushChildren(std::vector<const FileNode*>* stack) const {
  for (const FileNode* child = first_child_; child != nullptr; child = child->next_sibling_)
    stack->push_back(child);
}

std::vector<FileNode*> FileNode::Children() {
  std::vector<FileNode*> children;
  for (const FileNode* child : static_cast<const FileNode*>(this)->Children())
    children.push_back(const_cast<FileNode*>(child));
  return children;
}

FileTree::FileTree() : slots_(1024) { root_ = NewNode(nullptr, "", PathLife::kCopy, 0); }

FileTree::~FileTree() = default;
FileTree::FileTree(FileTree&&) noexcept = default;
FileTree& FileTree::operator=(FileTree&&) noexcept = default;

FileNode* FileTree::NewNode(FileNode* parent, std::string_view name, PathLife life, uint64_t hash) {
  FileNode* node;
  if (free_nodes_ != nullptr) {
    node = free_nodes_;
    free_nodes_ = node->next_sibling_;
  } else {
    if (node_blocks_.empty() || used_in_block_ == kNodesPerBlock) {
      node_blocks_.push_back(std::make_unique<FileNode[]>(kNodesPerBlock));
      used_in_block_ = 0;
      // Linux hands user space addresses under 2^47 unless a program asks
      // for more; the slots need the bits above 2^48 free.
      uintptr_t end = reinterpret_cast<uintptr_t>(node_blocks_.back().get() + kNodesPerBlock);
      if ((end & kTagBits) != 0)
        Fail("the file tree's memory lies above 2^48, which it cannot use");
    }
    node = &node_blocks_.back()[used_in_block_++];
  }
  *node = FileNode();
  // Paths are held to --max-path-bytes long before; this is the backstop.
  if (name.size() > INT32_MAX) Fail("a path component of {} bytes is too long", name.size());
  if (life == PathLife::kCopy) name = names_.Keep(name);
  node->name_data_ = name.data();
  node->name_size_ = static_cast<uint32_t>(name.size());
  node->parent = parent;
  if (parent != nullptr) {
    Append(parent, node);
    Insert(node, hash);
  }
  ++count_;
  return node;
}

uint64_t FileTree::HashOf(const FileNode* parent, std::string_view name) {
  uint64_t seed = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(parent));
  return XXH3_64bits_withSeed(name.data(), name.size(), seed);
}

void FileTree::Insert(FileNode* node, uint64_t hash) {
  if ((count_ + 1) * 10 > slots_.size() * 7) Grow();
  size_t mask = slots_.size() - 1;
  size_t slot = hash & mask;
  while (slots_[slot] != 0) slot = (slot + 1) & mask;
  slots_[slot] = SlotValue(node, hash);
}

void FileTree::Reserve(size_t nodes) {
  size_t size = slots_.size();
  while (nodes * 10 > size * 7) size *= 2;
  if (size > slots_.size()) Rehash(size);
}

void FileTree::Grow() { Rehash(slots_.size() * 2); }

void FileTree::Rehash(size_t size) {
  ZeroedArray<uint64_t> old(size);
  std::swap(old, slots_);
  size_t mask = slots_.size() - 1;
  for (uint64_t value : old) {
    if (value == 0) continue;
    FileNode* node = NodeIn(value);
    size_t slot = HashOf(node->parent, node->name()) & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = value;
  }
}

void FileTree::Erase(const FileNode* node) {
  size_t mask = slots_.size() - 1;
  size_t slot = HashOf(node->parent, node->name()) & mask;
  while (NodeIn(slots_[slot]) != node) slot = (slot + 1) & mask;
  slots_[slot] = 0;

  // Shift back the rest of the run: every node must stay reachable from
  // its home slot without crossing an empty one.
  for (size_t next = (slot + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
    const FileNode* moved = NodeIn(slots_[next]);
    size_t home = HashOf(moved->parent, moved->name()) & mask;
    // Move it when the hole lies between its home and where it is.
    bool hole_in_run = slot <= next ? (home <= slot || home > next) : (home <= slot && home > next);
    if (hole_in_run) {
      slots_[slot] = slots_[next];
      slots_[next] = 0;
      slot = next;
    }
  }
}

const FileNode* FileTree::Child(const FileNode* dir, std::string_view name) const {
  return Child(dir, name, HashOf(dir, name));
}

const FileNode* FileTree::Child(const FileNode* dir, std::string_view name, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  uint64_t tag = hash & kTagBits;
  for (size_t slot = hash & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
    if ((slots_[slot] & kTagBits) != tag) continue;
    const FileNode* node = NodeIn(slots_[slot]);
    if (node->parent == dir && node->name() == name) return node;
  }
  return nullptr;
}

FileNode* FileTree::StartOf(std::string_view* path) {
  pending_recent_ = kRecentDirs;
  std::string_view known = remembered_dir_ != nullptr ? remembered_path_ : std::string_view();
  size_t same =
      std::mismatch(known.begin(), known.end(), path->begin(), path->end()).first - known.begin();
  if (remembered_dir_ != nullptr && same == known.size() && same < path->size() &&
      (*path)[same] == '/' && remembered_dir_->is_directory()) {
    path->remove_prefix(same + 1);
    return remembered_dir_;
  }

  std::string_view dir_path = DirName(*path);
  if (!dir_path.empty()) {
    size_t slot;
    if (FileNode* dir = RecentDirAt(dir_path, &slot)) {
      path->remove_prefix(dir_path.size() + 1);
      return dir;
    }
    pending_recent_ = slot;
  }

  // Else the deepest directory both paths are beneath: up from the
  // remembered one by the components |known| has past it. Layers often
  // go from one directory to its cousin (a/b/c, then a/b/d).
  if (remembered_dir_ == nullptr || same == 0) return root_;
  size_t slash = known.rfind('/', std::min(same, known.size()) - 1);
  if (slash == std::string_view::npos) return root_;
  FileNode* dir = remembered_dir_;
  for (size_t at = slash; at != std::string_view::npos; at = known.find('/', at + 1))
    dir = dir->parent;
  path->remove_prefix(slash + 1);
  return dir;
}

FileNode* FileTree::RecentDirAt(std::string_view dir_path, size_t* slot) {
  if (recent_dirs_ == nullptr) recent_dirs_ = std::make_unique<RecentDir[]>(kRecentDirs);
  *slot = XXH3_64bits(dir_path.data(), dir_path.size()) & (kRecentDirs - 1);
  const RecentDir& recent = recent_dirs_[*slot];
  if (recent.generation != generation_ || !recent.node->is_directory()) return nullptr;

  // The node's names from the last up must spell |dir_path| to the root.
  std::string_view rest = dir_path;
  for (const FileNode* node = recent.node; node != root_; node = node->parent) {
    std::string_view name = node->name();
    if (rest.size() < name.size() || rest.substr(rest.size() - name.size()) != name)
      return nullptr;
    rest.remove_suffix(name.size());
    if (node->parent == root_) break;
    if (rest.empty() || rest.back() != '/') return nullptr;
    rest.remove_suffix(1);
  }
  return rest.empty() ? recent.node : nullptr;
}

void FileTree::Prefetch(std::string_view path) {
  std::string_view dir_path = DirName(path);
  FileNode* dir = nullptr;
  size_t slot;
  if (dir_path.empty())
    dir = root_;
  else if (remembered_dir_ != nullptr && remembered_path_ == dir_path)
    dir = remembered_dir_;
  else if (recent_dirs_ != nullptr)
    dir = RecentDirAt(dir_path, &slot);
  if (dir == nullptr) return;

  std::string_view name = dir_path.empty() ? path : path.substr(dir_path.size() + 1);
  __builtin_prefetch(&slots_[HashOf(dir, name) & (slots_.size() - 1)]);
}

void FileTree::Remember(FileNode* dir, std::string_view full_path) {
  std::string_view dir_path = DirName(full_path);
  if (dir_path.empty()) {
    remembered_dir_ = nullptr;
    return;
  }
  remembered_dir_ = dir;
  remembered_path_.assign(dir_path);
  if (pending_recent_ < kRecentDirs) recent_dirs_[pending_recent_] = {dir, generation_};
  pending_recent_ = kRecentDirs;
}

void FileTree::Forget() {
  remembered_dir_ = nullptr;
  pending_recent_ = kRecentDirs;
  ++generation_;
}

FileNode* FileTree::Find(std::string_view path) {
  std::string_view full = path;
  FileNode* node = StartOf(&path);
  FileNode* parent = nullptr;
  while (!path.empty() && node != nullptr) {
    size_t slash = path.find('/');
    parent = node;
    node = const_cast<FileNode*>(Child(node, path.substr(0, slash)));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  // A path missing only its last component ends in its directory too.
  if (parent != nullptr && (node != nullptr || (path.empty() && parent->is_directory())))
    Remember(parent, full);
  return node;
}

const FileNode* FileTree::Find(std::string_view path) const {
  const FileNode* node = root_;
  while (!path.empty() && node != nullptr) {
    size_t slash = path.find('/');
    node = Child(node, path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return node;
}

FileNode* FileTree::Ensure(std::string_view path, const std::function<void(FileNode*)>& on_drop,
                           PathLife life, const FileNode** link) {
  std::string_view full = path;
  FileNode* node = StartOf(&path);
  FileNode* parent = nullptr;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    bool last = slash == std::string_view::npos;
    path = last ? std::string_view() : path.substr(slash + 1);

    // A parent that is not a directory cannot hold children: the layer
    // that stores beneath it replaces it with a directory. Only existing
    // directories came before it (a node made here is an empty one), so
    // stopping at a link leaves the tree as it was.
    if (link != nullptr && node->kind() == EntryKind::kSymlink) {
      *link = node;
      return nullptr;
    }
    if (!node->is_directory()) {
      on_drop(node);
      node->entry = nullptr;
      node->content = nullptr;
      node->layer = -1;
    }

    // One hash for the lookup and, when the name is new, the insertion.
    uint64_t hash = HashOf(node, name);
    FileNode* child = const_cast<FileNode*>(Child(node, name, hash));
    parent = node;
    node = child != nullptr ? child : NewNode(node, name, life, hash);
  }
  if (parent != nullptr) Remember(parent, full);
  return node;
}

void FileTree::Append(FileNode* parent, FileNode* node) {
  FileNode* first = parent->first_child_;
  if (first == nullptr) {
    parent->first_child_ = node;
    node->previous_sibling_ = node;
    return;
  }
  FileNode* last = first->previous_sibling_;
  last->next_sibling_ = node;
  node->previous_sibling_ = last;
  first->previous_sibling_ = node;
  if (!parent->children_unordered_ && !NameBefore(last, node)) parent->children_unordered_ = 1;
}

void FileTree::Unlink(FileNode* node) {
  FileNode* parent = node->parent;
  FileNode* first = parent->first_child_;
  FileNode* next = node->next_sibling_;
  if (node == first)
    parent->first_child_ = next;
  else
    node->previous_sibling_->next_sibling_ = next;
  // The last child's successor is the first child's back link.
  if (next != nullptr)
    next->previous_sibling_ = node->previous_sibling_;
  else if (node != first)
    first->previous_sibling_ = node->previous_sibling_;
  if (parent->first_child_ == nullptr) parent->children_unordered_ = 0;
}

// Frees |node| and everything beneath it; |node| must be unlinked already.
// Iterative: a hostile layer may nest directories thousands deep.
void FileTree::FreeSubtree(FileNode* node) {
  Forget();
  std::vector<FileNode*> stack = {node};
  while (!stack.empty()) {
    FileNode* current = stack.back();
    stack.pop_back();
    for (FileNode* child = current->first_child_; child != nullptr; child = child->next_sibling_)
      stack.push_back(child);
    Erase(current);
    --count_;
    // A copied name stays in the arena: names are small, and a block
    // holds names of nodes still alive.
    current->next_sibling_ = free_nodes_;
    free_nodes_ = current;
  }
}

void FileTree::Remove(std::string_view path) {
  FileNode* node = Find(path);
  if (node != nullptr) Remove(node);
}

void FileTree::Remove(FileNode* node) {
  if (node->parent == nullptr) return;
  Unlink(node);
  FreeSubtree(node);
}

void FileTree::RemoveChildren(FileNode* dir) {
  // Nothing freed, nothing to forget: every entry new to the tree comes
  // here (its node is born empty), and forgetting at each made the
  // remembered directories useless. A node that stops being a directory
  // is not trusted as one anyway (StartOf, RecentDirAt).
  if (dir->first_child_ == nullptr) return;
  Forget();
  FileNode* child = dir->first_child_;
  dir->first_child_ = nullptr;
  dir->children_unordered_ = 0;
  while (child != nullptr) {
    FileNode* next = child->next_sibling_;
    FreeSubtree(child);
    child = next;
  }
}

std::string FileTree::PathOf(const FileNode* node) {
  std::vector<std::string_view> names;
  for (; node != nullptr && node->parent != nullptr; node = node->parent)
    names.push_back(node->name());
  std::string path;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!path.empty()) path += '/';
    path += *it;
  }
  return path;
}

// Iterative: a layer may nest directories as deep as --max-path-bytes
// lets it, deeper than the stack.
void FileTree::Walk(const FileNode* node, const std::string& path,
                    const std::function<void(const FileNode*, const std::string&)>& visit) {
  std::vector<std::pair<const FileNode*, std::string>> stack;
  stack.emplace_back(node, path);
  while (!stack.empty()) {
    auto [current, current_path] = std::move(stack.back());
    stack.pop_back();
    visit(current, current_path);
    std::vector<const FileNode*> children = current->Children();
    // Pushed last first, so that they come off the stack in name order.
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      std::string name((*it)->name());
      stack.emplace_back(*it, current_path.empty() ? name : current_path + "/" + name);
    }
  }
}

}  // namespace strata
