// Where entry paths and node names live: the arena that holds them, a
// LayerContents that moves with its arena, the cursor's path that lasts one
// entry, and tree nodes named with the bytes of the layers' paths.
#include "base/text_arena.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "layer/layer_cursor.h"
#include "layer/layer_reader.h"
#include "model/layer_merge.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::MakeTar;
using testing::ReadTar;

TEST(TextArena, KeptTextStaysPutWhileMoreIsKept) {
  TextArena arena;
  std::vector<std::string_view> kept;
  std::vector<std::string> originals;
  // Enough to fill many blocks, with one text longer than any block.
  for (int i = 0; i < 20000; ++i) originals.push_back("usr/share/doc/package-" + std::to_string(i));
  originals.push_back(std::string(200000, 'x'));
  for (const std::string& text : originals) kept.push_back(arena.Keep(text));

  for (size_t i = 0; i < originals.size(); ++i) {
    EXPECT_EQ(kept[i], originals[i]);
    EXPECT_NE(kept[i].data(), originals[i].data());
  }
  EXPECT_GE(arena.capacity(), 200000u + 20000u * 22);
}

TEST(TextArena, EmptyTextTakesNothing) {
  TextArena arena;
  EXPECT_TRUE(arena.Keep("").empty());
  EXPECT_EQ(arena.capacity(), 0u);
}

TEST(TextArena, MovedArenaKeepsTheSameBytes) {
  TextArena arena;
  std::string_view kept = arena.Keep("etc/passwd");
  TextArena moved = std::move(arena);
  EXPECT_EQ(kept, "etc/passwd");
  EXPECT_EQ(moved.Keep("etc/group"), "etc/group");
  EXPECT_EQ(kept, "etc/passwd");
}

std::string ManyFilesTar(int files) {
  std::vector<testing::TarMember> members;
  for (int i = 0; i < files; ++i)
    members.push_back({"srv/data/file-with-a-long-name-" + std::to_string(i), '0', "x"});
  members.push_back({"srv/data/.wh.gone-with-a-name-longer-than-sso", '0'});
  return MakeTar(members);
}

// The paths point into the layer's arena, not into the cursor that read
// them nor a std::string of the entry: they survive the reader, moves of
// the layer and moves of the vector holding it.
TEST(LayerContentsPaths, SurviveMovesOfTheLayer) {
  LayerContents read = ReadTar(ManyFilesTar(3000));
  const LayerEntry* first = &read.entries[0];
  LayerContents moved = std::move(read);
  EXPECT_EQ(&moved.entries[0], first);

  std::vector<LayerContents> layers;
  layers.push_back(std::move(moved));
  for (int i = 0; i < 8; ++i) layers.push_back(ReadTar(ManyFilesTar(1)));  // Reallocates.
  const LayerContents& layer = layers[0];
  ASSERT_EQ(layer.entries.size(), 3001u);
  for (int i = 0; i < 3000; ++i)
    ASSERT_EQ(layer.entries[i].path, "srv/data/file-with-a-long-name-" + std::to_string(i));
  EXPECT_EQ(layer.entries[3000].path, "srv/data/gone-with-a-name-longer-than-sso");
  EXPECT_EQ(layer.entries[3000].kind, EntryKind::kWhiteout);
}

TEST(LayerContentsPaths, AddCopiesThePathIn) {
  LayerContents layer;
  {
    std::string path = "var/lib/dpkg/status-of-something-long";
    LayerEntry entry;
    entry.path = path;
    layer.Add(entry);
    path.assign(path.size(), '?');
  }
  EXPECT_EQ(layer.entries[0].path, "var/lib/dpkg/status-of-something-long");
}

// A streamed entry's path is the cursor's until the next entry: a whiteout
// (whose path the cursor builds) and the entry after it each read right,
// and a path kept by the caller before moving on stays right.
TEST(LayerCursorPaths, StreamedPathLastsUntilTheNextEntry) {
  std::string tar = MakeTar({{"a-directory-with-a-long-name/", '5'},
                             {"a-directory-with-a-long-name/.wh.removed-file-long-name", '0'},
                             {"a-directory-with-a-long-name/.wh..wh..opq", '0'},
                             {"a-directory-with-a-long-name/kept-file-with-long-name", '0', "x"}});
  ViewReader reader(tar);
  LayerCursor cursor(&reader, "test layer");
  LayerEntry entry;
  std::vector<std::string> seen;
  while (cursor.Next(&entry)) seen.emplace_back(entry.path);
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "a-directory-with-a-long-name",
                      "a-directory-with-a-long-name/removed-file-long-name",
                      "a-directory-with-a-long-name",
                      "a-directory-with-a-long-name/kept-file-with-long-name",
                  }));
}

// A node's name is copied unless its path outlives the tree.
TEST(FileTreeNames, CopiedUnlessThePathIsKept) {
  FileTree tree;
  {
    std::string path = "opt/a-directory-with-a-long-name/and-a-file-with-a-long-name";
    tree.Ensure(path, [](FileNode*) {});
    path.assign(path.size(), '?');
  }
  const FileNode* copied =
      tree.Find("opt/a-directory-with-a-long-name/and-a-file-with-a-long-name");
  ASSERT_NE(copied, nullptr);
  EXPECT_EQ(copied->name(), "and-a-file-with-a-long-name");
  EXPECT_EQ(copied->parent->name(), "a-directory-with-a-long-name");

  TextArena kept;
  std::string_view path = kept.Keep("opt/another-directory/another-file");
  FileNode* node = tree.Ensure(
      path, [](FileNode*) {}, FileTree::PathLife::kKept);
  EXPECT_EQ(node->name(), "another-file");
  EXPECT_EQ(node->name().data(), path.data() + path.rfind('/') + 1);
  EXPECT_EQ(node->parent->name().data(), path.data() + 4);
  EXPECT_EQ(node->parent->parent, copied->parent->parent);  // "opt" was there already.
}

// The merge names nodes with the bytes of the layers' paths; they stay
// right after the layers move and after nodes are removed and made again.
TEST(FileTreeNames, MergedNodesReadTheLayersPaths) {
  std::vector<std::unique_ptr<LayerContents>> layers;
  layers.push_back(std::make_unique<LayerContents>(ReadTar(ManyFilesTar(2000))));
  layers.push_back(std::make_unique<LayerContents>(
      ReadTar(MakeTar({{"srv/data/.wh.file-with-a-long-name-7", '0'},
                       {"srv/.wh..wh..opq", '0'},
                       {"srv/data/file-with-a-long-name-7", '0', "again"}}))));
  LayerMerge merge;
  std::vector<Change> changes;
  std::vector<std::string> warnings;
  for (int i = 0; i < 2; ++i) merge.Apply(i, *layers[i], &changes, &warnings);
  std::vector<std::unique_ptr<LayerContents>> moved = std::move(layers);

  const FileNode* node = merge.tree().Find("srv/data/file-with-a-long-name-7");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->name(), "file-with-a-long-name-7");
  EXPECT_EQ(node->layer, 1);
  EXPECT_EQ(merge.tree().Find("srv/data/file-with-a-long-name-8"), nullptr);
  EXPECT_EQ(FileTree::PathOf(node), "srv/data/file-with-a-long-name-7");
}

}  // namespace
}  // namespace strata
