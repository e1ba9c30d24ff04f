// The file tree on its own: lookups, creation of implied directories, and
// children in name order however they were added and removed.
#include "model/file_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "model/tree_visit.h"

namespace strata {
namespace {

void NoDrop(FileNode*) {}

std::vector<std::string> NamesOf(const std::vector<const FileNode*>& nodes) {
  std::vector<std::string> names;
  for (const FileNode* node : nodes) names.emplace_back(node->name());
  return names;
}

std::vector<std::string> ChildNames(const FileTree& tree, const std::string& dir) {
  return NamesOf(tree.Find(dir)->Children());
}

// The paths VisitSubtree gives, in its order.
std::vector<std::string> Visited(const FileTree& tree) {
  std::vector<std::string> paths;
  VisitSubtree(tree.root(), [&](const FileNode* node) { paths.push_back(FileTree::PathOf(node)); });
  return paths;
}

TEST(FileTreeTest, ChildrenComeInNameOrderWhateverOrderTheyWereAdded) {
  FileTree tree;
  for (const char* path : {"d/b", "d/c", "d/e"}) tree.Ensure(path, NoDrop);
  EXPECT_EQ(ChildNames(tree, "d"), (std::vector<std::string>{"b", "c", "e"}));

  tree.Ensure("d/a", NoDrop);  // Before the last one: the directory is out of order.
  tree.Ensure("d/d", NoDrop);
  EXPECT_EQ(ChildNames(tree, "d"), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(Visited(tree), (std::vector<std::string>{"", "d", "d/a", "d/b", "d/c", "d/d", "d/e"}));
}

TEST(FileTreeTest, RemovingTheLastChildKeepsAppendingInOrder) {
  FileTree tree;
  for (const char* path : {"d/a", "d/b", "d/c"}) tree.Ensure(path, NoDrop);
  tree.Remove("d/c");
  tree.Ensure("d/bb", NoDrop);  // After "b", the last child now.
  tree.Remove("d/a");
  tree.Ensure("d/z", NoDrop);
  EXPECT_EQ(ChildNames(tree, "d"), (std::vector<std::string>{"b", "bb", "z"}));
  EXPECT_EQ(Visited(tree), (std::vector<std::string>{"", "d", "d/b", "d/bb", "d/z"}));
}

TEST(FileTreeTest, AnEmptiedDirectoryStartsInOrderAgain) {
  FileTree tree;
  for (const char* path : {"d/b", "d/a"}) tree.Ensure(path, NoDrop);
  tree.RemoveChildren(tree.Find("d"));
  EXPECT_FALSE(tree.Find("d")->has_children());
  for (const char* path : {"d/y", "d/x"}) tree.Ensure(path, NoDrop);
  EXPECT_EQ(ChildNames(tree, "d"), (std::vector<std::string>{"x", "y"}));

  tree.Remove("d/x");
  tree.Remove("d/y");
  tree.Ensure("d/m", NoDrop);
  tree.Ensure("d/n", NoDrop);
  EXPECT_EQ(ChildNames(tree, "d"), (std::vector<std::string>{"m", "n"}));
}

TEST(FileTreeTest, NamesCompareAsBytes) {
  FileTree tree;
  // "a-x" sorts between "a" and "a/…"; 0xc3 after every ASCII byte.
  for (const char* path : {"a", "a-x", "\xc3\xa9", "B", "a0"}) tree.Ensure(path, NoDrop);
  EXPECT_EQ(ChildNames(tree, ""), (std::vector<std::string>{"B", "a", "a-x", "a0", "\xc3\xa9"}));
}

// Random adds and removals, checked against a set after every step.
TEST(FileTreeTest, ChildrenStayInNameOrderThroughRandomAddsAndRemovals) {
  std::mt19937 random(7);
  FileTree tree;
  std::set<std::string> want;
  for (int step = 0; step < 4000; ++step) {
    std::string name = "f" + std::to_string(random() % 300);
    // Mostly ascending runs, as layers store them, with strays between.
    if (random() % 4 != 0) name = "f" + std::to_string(step / 10 % 300);
    if (random() % 3 == 0) {
      tree.Remove("d/" + name);
      want.erase(name);
    } else {
      tree.Ensure("d/" + name, NoDrop);
      want.insert(name);
    }
    if (step % 97 != 0) continue;
    const FileNode* dir = tree.Find("d");
    std::vector<std::string> got =
        dir != nullptr ? NamesOf(dir->Children()) : std::vector<std::string>();
    ASSERT_EQ(got, std::vector<std::string>(want.begin(), want.end())) << "step " << step;
  }
  std::vector<std::string> walk = Visited(tree);
  EXPECT_TRUE(std::is_sorted(walk.begin(), walk.end()));
  EXPECT_EQ(walk.size(), want.size() + 2);
}

// The non-const lookups start from where the last one ended, one of its
// parents, or a directory a lookup ended in lately; they must find what
// the stateless const lookup finds, however paths alternate (cousins,
// prefixes of names, parents of the last path) and directories are
// removed, made again or replaced by files.
TEST(FileTreeTest, LookupsFromTheLastDirectoryFindWhatLookupsFromTheRootFind) {
  std::mt19937 random(3);
  const char* names[] = {"a", "ab", "a-", "b", "bb", "c"};
  auto random_path = [&] {
    std::string path = names[random() % 6];
    for (int depth = static_cast<int>(random() % 5); depth > 0; --depth)
      path += std::string("/") + names[random() % 6];
    return path;
  };

  // As the merge does when a layer stores a file where a directory was.
  LayerEntry file;
  file.kind = EntryKind::kFile;
  FileTree tree;
  const FileTree& stateless = tree;
  auto make_file = [&](FileNode* node) {
    tree.RemoveChildren(node);
    node->entry = &file;
  };
  for (int step = 0; step < 40000; ++step) {
    std::string path = random_path();
    switch (random() % 5) {
      case 0:
      case 1: {
        FileNode* node = tree.Ensure(path, NoDrop);
        ASSERT_EQ(FileTree::PathOf(node), path) << "step " << step;
        ASSERT_EQ(node, stateless.Find(path));
        break;
      }
      case 2:
        ASSERT_EQ(tree.Find(path), stateless.Find(path)) << path << " at step " << step;
        break;
      case 3:
        if (random() % 8 == 0) tree.Remove(path);
        break;
      case 4:
        if (FileNode* node = tree.Find(path); node != nullptr && random() % 8 == 0)
          make_file(node);
        break;
    }
  }
}

}  // namespace
}  // namespace strata
