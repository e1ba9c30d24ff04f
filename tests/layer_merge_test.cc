// Layer semantics on small in-memory layers: whiteouts, opaque directories,
// type changes, hard links, and the waste and dive figures they produce.
#include "model/layer_merge.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "model/dive_metrics.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::MakeTar;
using testing::ReadTar;
using testing::TarMember;

// A change packs its path's length, its kinds and two 48-bit sizes into
// 24 bytes: each comes back as given, at the edges of its room.
TEST(ChangeTest, KeepsEveryFieldAtTheEdgesOfItsRoom) {
  std::string path(200, 'p');
  int64_t big = (int64_t{1} << 48) - 1;
  Change stored = Change::Stored(path, ChangeKind::kMetadata, EntryKind::kOpaque, big, big - 7);
  EXPECT_EQ(stored.path(), path);
  EXPECT_EQ(stored.path().data(), path.data());
  EXPECT_EQ(stored.kind(), ChangeKind::kMetadata);
  EXPECT_EQ(stored.type(), EntryKind::kOpaque);
  EXPECT_EQ(stored.size(), big);
  EXPECT_EQ(stored.previous_size(), big - 7);
  EXPECT_EQ(stored.files(), 1);

  int64_t five_tib = int64_t{5} << 40;
  Change removed = Change::Removed("", EntryKind::kDirectory, five_tib + 3, 70'000);
  EXPECT_EQ(removed.path(), "");
  EXPECT_EQ(removed.kind(), ChangeKind::kRemoved);
  EXPECT_EQ(removed.type(), EntryKind::kDirectory);
  EXPECT_EQ(removed.size(), five_tib + 3);
  EXPECT_EQ(removed.previous_size(), five_tib + 3);
  EXPECT_EQ(removed.files(), 70'000);
}

TEST(ChangeTest, RefusesWhatItCannotHold) {
  EXPECT_THROW(Change::Stored("f", ChangeKind::kAdded, EntryKind::kFile, int64_t{1} << 48, 0),
               Error);
  EXPECT_THROW(Change::Stored("f", ChangeKind::kAdded, EntryKind::kFile, 1, -1), Error);
  std::string long_path((size_t{1} << 24), 'x');
  EXPECT_THROW(Change::Removed(long_path, EntryKind::kFile, 0, 0), Error);
}

// Applies the given layers in order, keeping them alive for the tree.
class MergeTest : public ::testing::Test {
 protected:
  void Apply(const std::vector<TarMember>& members) {
    layers_.push_back(std::make_unique<LayerContents>(ReadTar(MakeTar(members))));
    int index = static_cast<int>(layers_.size()) - 1;
    dive_.AddLayer(index, *layers_.back(), merge_);
    changes_.emplace_back();
    merge_.Apply(index, *layers_.back(), &changes_.back(), &warnings_);
  }

  const FileNode* Find(const std::string& path) { return merge_.tree().Find(path); }

  // The kind of the node at |path|; a socket, which no test stores, when
  // there is none.
  EntryKind KindOf(const std::string& path) {
    const FileNode* node = Find(path);
    return node != nullptr ? node->kind() : EntryKind::kSocket;
  }

  const Change* ChangeOf(int layer, const std::string& path) {
    for (const Change& change : changes_[layer])
      if (change.path() == path) return &change;
    return nullptr;
  }

  int64_t DroppedBytes() {
    int64_t bytes = 0;
    for (const DroppedFile& dropped : merge_.dropped()) bytes += dropped.entry->size;
    return bytes;
  }

  std::vector<std::unique_ptr<LayerContents>> layers_;
  LayerMerge merge_;
  DiveMetricsBuilder dive_;
  std::vector<std::vector<Change>> changes_;
  std::vector<std::string> warnings_;
};

TEST_F(MergeTest, WhiteoutRemovesLowerFileAndCountsItAsRecoverableWaste) {
  Apply({{"etc/", '5'}, {"etc/secret", '0', "hunter2"}});
  Apply({{"etc/.wh.secret", '0'}});

  EXPECT_EQ(Find("etc/secret"), nullptr);
  ASSERT_NE(Find("etc"), nullptr);
  const Change* removal = ChangeOf(1, "etc/secret");
  ASSERT_NE(removal, nullptr);
  EXPECT_EQ(removal->kind(), ChangeKind::kRemoved);
  EXPECT_EQ(removal->size(), 7);
  ASSERT_EQ(merge_.dropped().size(), 1u);
  EXPECT_TRUE(merge_.dropped()[0].removed);
  EXPECT_EQ(merge_.dropped()[0].layer, 0);
  EXPECT_EQ(merge_.dropped()[0].by_layer, 1);
}

TEST_F(MergeTest, WhiteoutOfMissingPathIsHarmless) {
  Apply({{"a", '0', "x"}});
  Apply({{".wh.never-existed", '0'}});
  EXPECT_NE(Find("a"), nullptr);
  EXPECT_TRUE(changes_[1].empty());
  EXPECT_TRUE(merge_.dropped().empty());
}

TEST_F(MergeTest, OpaqueDirectoryHidesLowerChildrenButKeepsItsOwn) {
  Apply({{"d/", '5'}, {"d/old1", '0', "11"}, {"d/sub/", '5'}, {"d/sub/old2", '0', "222"}});
  Apply({{"d/", '5'}, {"d/.wh..wh..opq", '0'}, {"d/new", '0', "n"}});

  EXPECT_EQ(Find("d/old1"), nullptr);
  EXPECT_EQ(Find("d/sub"), nullptr);
  ASSERT_NE(Find("d/new"), nullptr);
  EXPECT_EQ(DroppedBytes(), 5);
  ASSERT_NE(ChangeOf(1, "d/sub"), nullptr);
  EXPECT_EQ(ChangeOf(1, "d/sub")->size(), 3);
  EXPECT_EQ(ChangeOf(1, "d/new")->kind(), ChangeKind::kAdded);
}

TEST_F(MergeTest, WhiteoutAppliesToLowerLayersOnlyNotToItsOwnEntries) {
  Apply({{"x", '0', "old"}});
  // A layer that removes x and stores it again, in either order.
  Apply({{"x", '0', "newer"}, {".wh.x", '0'}});
  ASSERT_NE(Find("x"), nullptr);
  EXPECT_EQ(Find("x")->size(), 5);
  EXPECT_EQ(ChangeOf(1, "x")->kind(), ChangeKind::kModified);
}

// A change is packed into 32 bytes: a removal keeps its file count where a
// stored path keeps its previous size.
TEST_F(MergeTest, ChangesKeepPreviousSizesAndRemovedFileCounts) {
  Apply({{"d/", '5'}, {"d/a", '0', "aaa"}, {"d/b", '0', "bbbbb"}, {"f", '0', "old"}});
  Apply({{".wh.d", '0'}, {"f", '0', "longer"}, {"g", '0', "new"}});

  const Change* removal = ChangeOf(1, "d");
  ASSERT_NE(removal, nullptr);
  EXPECT_EQ(removal->kind(), ChangeKind::kRemoved);
  EXPECT_EQ(removal->type(), EntryKind::kDirectory);
  EXPECT_EQ(removal->size(), 8);
  EXPECT_EQ(removal->previous_size(), 8);
  EXPECT_EQ(removal->files(), 2);

  const Change* modified = ChangeOf(1, "f");
  ASSERT_NE(modified, nullptr);
  EXPECT_EQ(modified->kind(), ChangeKind::kModified);
  EXPECT_EQ(modified->size(), 6);
  EXPECT_EQ(modified->previous_size(), 3);
  EXPECT_EQ(modified->files(), 1);
  EXPECT_EQ(ChangeOf(1, "g")->previous_size(), 0);
}

TEST_F(MergeTest, FileReplacedByDirectoryAndBack) {
  Apply({{"p", '0', "file-content"}});
  Apply({{"p/", '5'}, {"p/child", '0', "c"}});
  ASSERT_TRUE(Find("p")->is_directory());
  EXPECT_EQ(ChangeOf(1, "p")->kind(), ChangeKind::kModified);

  Apply({{"p", '0', "again"}});
  EXPECT_EQ(Find("p")->kind(), EntryKind::kFile);
  EXPECT_EQ(Find("p/child"), nullptr);
  // Both the first file and the child are stored but gone, and removed:
  // neither path holds that content any more.
  EXPECT_EQ(DroppedBytes(), 12 + 1);
  for (const DroppedFile& dropped : merge_.dropped())
    EXPECT_TRUE(dropped.removed) << dropped.entry->path;
  ASSERT_NE(ChangeOf(2, "p/child"), nullptr);
  EXPECT_EQ(ChangeOf(2, "p/child")->kind(), ChangeKind::kRemoved);
}

// The merge reuses the node it found before a layer for the layer's
// entries; these layers free nodes in between, which it must notice.
TEST_F(MergeTest, PathWhitedOutAndStoredAgainInOneLayerIsRestored) {
  Apply({{"a/", '5'}, {"a/f1", '0', "one"}, {"a/f2", '0', "two"}});
  // New paths first, so that they take the freed nodes' memory.
  Apply({{"b/", '5'},
         {"b/n1", '0', "x"},
         {"b/n2", '0', "y"},
         {".wh.a", '0'},
         {"a/", '5'},
         {"a/f1", '0', "one"}});

  EXPECT_EQ(Find("a/f2"), nullptr);
  ASSERT_NE(Find("a/f1"), nullptr);
  EXPECT_EQ(Find("a/f1")->layer, 1);
  EXPECT_EQ(Find("b/n2")->layer, 1);
  EXPECT_EQ(ChangeOf(1, "a/f1")->kind(), ChangeKind::kRestored);
  EXPECT_EQ(ChangeOf(1, "b/n1")->kind(), ChangeKind::kAdded);
  bool f2_dropped = false;
  for (const DroppedFile& dropped : merge_.dropped())
    f2_dropped |= dropped.entry->path == "a/f2" && dropped.by_layer == 1;
  EXPECT_TRUE(f2_dropped);
}

TEST_F(MergeTest, DirectoryReplacedByFileThenStoredBeneathInOneLayer) {
  Apply({{"d/", '5'}, {"d/old", '0', "old"}, {"e/", '5'}, {"e/keep", '0', "k"}});
  // "d" as a file frees d/old's node, which the merge found before the layer.
  Apply({{"e/keep", '0', "k2"},
         {"d", '0', "file"},
         {"b/new", '0', "n"},
         {"d/old", '0', "again"},
         {"e/keep", '0', "k3"}});

  ASSERT_NE(Find("d/old"), nullptr);
  EXPECT_EQ(Find("d/old")->entry, &layers_[1]->entries[3]);
  EXPECT_TRUE(Find("d")->is_directory());
  EXPECT_EQ(Find("b/new")->entry, &layers_[1]->entries[2]);
  // Both copies of e/keep classify against the layer below and the last.
  EXPECT_EQ(Find("e/keep")->entry, &layers_[1]->entries[4]);
  EXPECT_EQ(ChangeOf(1, "e/keep")->kind(), ChangeKind::kModified);
  int changes_of_old = 0;
  for (const Change& change : changes_[1]) changes_of_old += change.path() == "d/old";
  EXPECT_EQ(changes_of_old, 2);  // Removed with "d", then stored again.
}

TEST_F(MergeTest, DirectoryRestoredWithSameMetadataIsNoChange) {
  Apply({{"usr/", '5'}, {"usr/a", '0', "a"}});
  Apply({{"usr/", '5'}, {"usr/b", '0', "b"}});
  EXPECT_EQ(ChangeOf(1, "usr"), nullptr);
  EXPECT_NE(Find("usr/a"), nullptr);
  EXPECT_NE(Find("usr/b"), nullptr);
}

TEST_F(MergeTest, ChmodOnlyIsMetadataChangeButStillWaste) {
  Apply({{"bin/tool", '0', "binary", "", 0644}});
  Apply({{"bin/tool", '0', "binary", "", 0755}});
  EXPECT_EQ(ChangeOf(1, "bin/tool")->kind(), ChangeKind::kMetadata);
  EXPECT_EQ(Find("bin/tool")->mode(), 0755u);
  ASSERT_EQ(merge_.dropped().size(), 1u);
  EXPECT_FALSE(merge_.dropped()[0].removed);
}

TEST_F(MergeTest, IdenticalCopyIsUnchangedAndRewriteIsModified) {
  Apply({{"f", '0', "same"}, {"g", '0', "one"}});
  Apply({{"f", '0', "same"}, {"g", '0', "two"}});
  EXPECT_EQ(ChangeOf(1, "f")->kind(), ChangeKind::kRestored);
  EXPECT_EQ(ChangeOf(1, "g")->kind(), ChangeKind::kModified);
}

TEST_F(MergeTest, HardLinkSharesTargetContentAcrossLayers) {
  Apply({{"data", '0', "0123456789"}});
  Apply({{"link", '1', "", "data"}});
  Apply({{".wh.data", '0'}});

  const FileNode* link = Find("link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->kind(), EntryKind::kFile);
  EXPECT_EQ(link->size(), 10);
  // The bytes still reach the final filesystem through the link: the
  // analysis filters such versions out of waste by reachability.
  EXPECT_EQ(link->content, &layers_[0]->entries[0]);
}

TEST_F(MergeTest, DanglingHardLinkWarns) {
  Apply({{"link", '1', "", "nowhere"}});
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("nowhere"), std::string::npos);
}

// Found by a user trial: a hard link naming itself was said to point to
// "a directory": the node placed for it, empty, reads as one.
TEST_F(MergeTest, AHardLinkToItselfIsSaidToBeOne) {
  Apply({{"h", '1', "", "h"}, {"d/x", '0', "x"}, {"d", '1', "", "d"}});
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_EQ(warnings_[0],
            "layer 1: hard link /h points to /h, itself, with nothing there before it");
  // A directory its layer's paths made is one.
  EXPECT_EQ(warnings_[1], "layer 1: hard link /d points to /d, a directory");
}

// Found by a user trial: a file with an empty name (GNU tar lists it as
// ".") vanished without a word, its bytes still in the layer. A directory
// there is the root's own metadata, as before.
TEST_F(MergeTest, AFileNamingTheRootIsLeftOutWithAWarning) {
  Apply({{"a", '0', "x"}, {"", '0', "0123456789"}, {"./", '5'}});
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0],
            "layer 1: an entry that is not a directory names the root (a regular file, 10 "
            "bytes); it is left out");
  EXPECT_TRUE(merge_.tree().root()->is_directory());
  ASSERT_NE(Find("a"), nullptr);
}

// Found by a user trial: a layer storing a file and then entries beneath
// it made the file a directory in silence (its bytes only waste).
TEST_F(MergeTest, AFileTheSameLayerStoresEntriesBeneathIsSaidToBeADirectory) {
  Apply({{"x", '0', "abcd"}, {"x/y", '0', "1"}, {"q", '0', "x"}, {"q/r", '0', "2"}});
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0],
            "layer 1: /x/y is stored beneath /x, which the same layer stores as a regular file: "
            "/x is taken for a directory, and its bytes are waste (1 more such)");
  EXPECT_TRUE(Find("x")->is_directory());

  // Beneath a lower layer's file: the usual replacement, no warning.
  warnings_.clear();
  Apply({{"a", '0', "x"}});
  Apply({{"a/b", '0', "y"}});
  EXPECT_TRUE(warnings_.empty()) << warnings_[0];
  EXPECT_TRUE(Find("a")->is_directory());
}

TEST_F(MergeTest, ImpliedParentDirectoriesAreCreated) {
  Apply({{"a/b/c/file", '0', "x"}});
  ASSERT_NE(Find("a/b/c"), nullptr);
  EXPECT_TRUE(Find("a/b")->is_directory());
  EXPECT_EQ(Find("a")->mode(), 0755u);
}

// Directories made because a path implied them are counted, and bounded:
// a directory stored later, or by an earlier layer, is not implied again.
TEST_F(MergeTest, ImpliedDirectoriesAreCountedAndBounded) {
  merge_.set_max_implied(4);
  Apply({{"a/b/c/file", '0', "x"}, {"a/b/d/", '5'}});
  EXPECT_EQ(merge_.implied_directories(), 3);  // a, a/b, a/b/c.
  Apply({{"a/b/c/other", '0', "y"}, {"e/f", '0', "z"}});
  EXPECT_EQ(merge_.implied_directories(), 4);  // And e.
  try {
    Apply({{"g/h", '0', "w"}});
    ADD_FAILURE() << "a fifth implied directory was merged";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "layer 3: with the layers below, its paths imply more than 4 directories that no "
              "entry stores; raise --max-implied-dirs to read it");
  }
}

// An entry stored beneath a symbolic link lands where the link leads,
// inside the root, as umoci writes it; the link stays a link. What it
// replaces there is its layer's change, and waste as any overwrite is.
TEST_F(MergeTest, EntryBeneathALinkLandsWhereTheLinkLeads) {
  Apply({{"tmp/", '5'}, {"tmp/x", '0', "old"}, {"evil", '2', "", "/tmp"}});
  Apply({{"evil/x", '0', "newer"}, {"evil/d/y", '0', "y"}});

  EXPECT_EQ(KindOf("evil"), EntryKind::kSymlink);
  EXPECT_EQ(Find("evil/x"), nullptr);
  ASSERT_NE(Find("tmp/x"), nullptr);
  EXPECT_EQ(Find("tmp/x")->entry, &layers_[1]->entries[0]);
  EXPECT_EQ(KindOf("tmp/d"), EntryKind::kDirectory);
  ASSERT_NE(Find("tmp/d/y"), nullptr);
  EXPECT_EQ(Find("tmp/d/y")->entry, &layers_[1]->entries[1]);
  EXPECT_EQ(merge_.PlacedPath(&layers_[1]->entries[0]), "tmp/x");
  EXPECT_EQ(merge_.PlacedPath(&layers_[0]->entries[1]), "tmp/x");

  ASSERT_NE(ChangeOf(1, "tmp/x"), nullptr);
  EXPECT_EQ(ChangeOf(1, "tmp/x")->kind(), ChangeKind::kModified);
  EXPECT_EQ(ChangeOf(1, "tmp/x")->previous_size(), 3);
  ASSERT_NE(ChangeOf(1, "tmp/d/y"), nullptr);
  EXPECT_EQ(ChangeOf(1, "tmp/d/y")->kind(), ChangeKind::kAdded);
  EXPECT_EQ(ChangeOf(1, "evil/x"), nullptr);
  ASSERT_EQ(merge_.dropped().size(), 1u);
  EXPECT_EQ(merge_.dropped()[0].entry, &layers_[0]->entries[1]);
  EXPECT_FALSE(merge_.dropped()[0].removed);
  EXPECT_EQ(merge_.dropped()[0].by_layer, 1);

  // One record for the link and layer, with the first entry's landing.
  ASSERT_EQ(merge_.link_parents().size(), 1u);
  const LinkParent& parent = merge_.link_parents()[0];
  EXPECT_EQ(parent.entry, &layers_[1]->entries[0]);
  EXPECT_EQ(parent.link, &layers_[0]->entries[2]);
  EXPECT_EQ(parent.landing.path, "tmp/x");
  EXPECT_EQ(parent.more, 1);
  EXPECT_EQ(dive_.Finish().wasted_bytes, 0) << "dive sees stored paths only";
}

// A link the same layer stored earlier is followed too, as umoci reads a
// layer in tar order; a chain of links ending in a loop, or at a link with
// an empty target, leaves the entry nowhere: its bytes are waste of its
// own layer, and the links stay.
TEST_F(MergeTest, EntryBeneathALoopIsLeftOutAndItsBytesAreWaste) {
  Apply({{"etc/", '5'}});
  Apply({{"same", '2', "", "/etc"},
         {"same/f", '0', "f"},
         {"a", '2', "", "b"},
         {"b", '2', "", "a"},
         {"a/g", '0', "gg"},
         {"empty", '2', "", ""},
         {"empty/h", '0', "hhh"}});

  ASSERT_NE(Find("etc/f"), nullptr);
  EXPECT_EQ(Find("etc/f")->entry, &layers_[1]->entries[1]);
  EXPECT_EQ(KindOf("a"), EntryKind::kSymlink);
  EXPECT_EQ(KindOf("empty"), EntryKind::kSymlink);
  EXPECT_EQ(merge_.tree().size(), 7u);  // /, etc, etc/f and the four links.
  ASSERT_EQ(merge_.dropped().size(), 2u);
  for (const DroppedFile& dropped : merge_.dropped()) {
    EXPECT_TRUE(dropped.removed);
    EXPECT_EQ(dropped.layer, 1);
    EXPECT_EQ(dropped.by_layer, 1);
  }
  EXPECT_EQ(ChangeOf(1, "a/g"), nullptr);
  ASSERT_EQ(merge_.link_parents().size(), 3u);
  EXPECT_EQ(merge_.link_parents()[0].landing.path, "etc/f");
  EXPECT_EQ(merge_.link_parents()[1].landing.outcome, Landing::kTooManyLinks);
  EXPECT_EQ(merge_.link_parents()[2].landing.outcome, Landing::kEmptyLink);
}

// Whiteouts and opaque markers beneath a link delete and empty where it
// leads; the link stays.
TEST_F(MergeTest, MarkersBeneathALinkActWhereTheLinkLeads) {
  Apply({{"tmp/", '5'},
         {"tmp/x", '0', "xx"},
         {"tmp/keep", '0', "k"},
         {"o/", '5'},
         {"o/a", '0', "aaa"},
         {"e", '2', "", "/tmp"},
         {"p", '2', "", "o"}});
  Apply({{"e/.wh.x", '0'}, {"p/.wh..wh..opq", '0'}});

  EXPECT_EQ(Find("tmp/x"), nullptr);
  EXPECT_NE(Find("tmp/keep"), nullptr);
  ASSERT_NE(Find("o"), nullptr);
  EXPECT_TRUE(Find("o")->is_directory());
  EXPECT_FALSE(Find("o")->has_children());
  EXPECT_EQ(KindOf("e"), EntryKind::kSymlink);
  EXPECT_EQ(KindOf("p"), EntryKind::kSymlink);
  ASSERT_NE(ChangeOf(1, "tmp/x"), nullptr);
  EXPECT_EQ(ChangeOf(1, "tmp/x")->kind(), ChangeKind::kRemoved);
  EXPECT_EQ(ChangeOf(1, "tmp/x")->size(), 2);
  ASSERT_NE(ChangeOf(1, "o/a"), nullptr);
  EXPECT_EQ(ChangeOf(1, "o/a")->kind(), ChangeKind::kRemoved);
  EXPECT_EQ(DroppedBytes(), 5);
  for (const DroppedFile& dropped : merge_.dropped()) EXPECT_TRUE(dropped.removed);
}

// umoci reads a layer in tar order: a marker after a link its own layer
// stored follows that link; a marker before it does not.
TEST_F(MergeTest, MarkersFollowALinkTheirLayerStoredBeforeThem) {
  Apply({{"tmp/", '5'}, {"tmp/x", '0', "x"}, {"tmp/y", '0', "y"}});
  Apply({{"e/.wh.y", '0'}, {"e", '2', "", "/tmp"}, {"e/.wh.x", '0'}});

  EXPECT_EQ(Find("tmp/x"), nullptr);
  EXPECT_NE(Find("tmp/y"), nullptr);
  EXPECT_EQ(KindOf("e"), EntryKind::kSymlink);
  ASSERT_EQ(merge_.link_parents().size(), 1u);
  EXPECT_EQ(merge_.link_parents()[0].link_layer, 1);
  EXPECT_EQ(merge_.link_parents()[0].landing.path, "tmp/x");
}

// A marker never removes what its own layer stored before it, nor the
// directories holding that: umoci removes the rest around them, and the
// directory keeps what the lower layer made it.
TEST_F(MergeTest, MarkerKeepsWhatItsLayerStoredBeforeIt) {
  Apply({{"d/", '5', "", "", 0700}, {"d/a", '0', "a"}, {"d/s/", '5'}, {"d/s/b", '0', "bb"}});
  Apply({{"d/s/c", '0', "c"}, {".wh.d", '0'}, {"d/e", '0', "e"}});

  ASSERT_NE(Find("d"), nullptr);
  EXPECT_EQ(Find("d")->mode(), 0700u);
  EXPECT_EQ(Find("d")->layer, 0);
  EXPECT_EQ(Find("d/a"), nullptr);
  EXPECT_EQ(Find("d/s/b"), nullptr);
  EXPECT_NE(Find("d/s/c"), nullptr);
  EXPECT_NE(Find("d/e"), nullptr);
  ASSERT_NE(ChangeOf(1, "d/a"), nullptr);
  EXPECT_EQ(ChangeOf(1, "d/a")->kind(), ChangeKind::kRemoved);
  ASSERT_NE(ChangeOf(1, "d/s/b"), nullptr);
  EXPECT_EQ(ChangeOf(1, "d/s/b")->kind(), ChangeKind::kRemoved);
  EXPECT_EQ(ChangeOf(1, "d"), nullptr);
  EXPECT_EQ(DroppedBytes(), 3);
}

// A hard link's target is found as umoci finds it: through the links on
// its way (the last name taken as it is).
TEST_F(MergeTest, HardLinkTargetIsFoundThroughLinks) {
  Apply({{"usr/bin/", '5'}, {"usr/bin/sh", '0', "shell"}, {"bin", '2', "", "usr/bin"}});
  Apply({{"h", '1', "", "bin/sh"}});
  ASSERT_NE(Find("h"), nullptr);
  EXPECT_EQ(Find("h")->content, &layers_[0]->entries[1]);
  EXPECT_TRUE(warnings_.empty());
}

// A hard link to a symbolic link is a second name of the link (link(2)
// links the link itself, and GNU tar and umoci unpack it so): a link with
// the same target, compared with what was there by that target.
TEST_F(MergeTest, HardLinkToASymbolicLinkIsASecondNameOfTheLink) {
  Apply({{"d/", '5'},
         {"d/s", '2', "", "target", 0777},
         {"d/h", '1', "", "d/s"},
         {"d/t", '2', "", "other", 0777}});
  EXPECT_TRUE(warnings_.empty()) << warnings_[0];
  ASSERT_EQ(KindOf("d/h"), EntryKind::kSymlink);
  EXPECT_EQ(Find("d/h")->symlink_target(), "target");
  EXPECT_EQ(Find("d/h")->mode(), 0777u);

  Apply({{"d/x", '2', "", "target", 0777}, {"d/h", '1', "", "d/x"}});
  EXPECT_EQ(ChangeOf(1, "d/h")->kind(), ChangeKind::kRestored);
  Apply({{"d/h", '1', "", "d/t"}});
  EXPECT_EQ(ChangeOf(2, "d/h")->kind(), ChangeKind::kModified);
  EXPECT_EQ(Find("d/h")->symlink_target(), "other");
  EXPECT_TRUE(warnings_.empty());
}

// The case ../DIVE-METRICS.md describes: a directory filled in one layer and
// removed in the next, never seen as a leaf itself. dive sees one occurrence
// of each path and reports no waste; strata counts the stored bytes.
TEST_F(MergeTest, DiveMissesRemovedDirectoryThatStrataCounts) {
  Apply({{"base", '0', "b"}});
  Apply({{"x/", '5'}, {"x/big", '0', std::string(1000, 'z')}});
  Apply({{".wh.x", '0'}});

  DiveMetrics dive = dive_.Finish();
  // x is a leaf whiteout in layer 3 whose size is what lay beneath it
  // (1000), so "x" has one occurrence and "x/big" another: no repeats.
  EXPECT_EQ(dive.wasted_bytes, 0);
  EXPECT_EQ(DroppedBytes(), 1000);
}

TEST_F(MergeTest, DiveCountsRewrittenFileInEveryOccurrence) {
  Apply({{"f", '0', std::string(100, 'a')}});
  Apply({{"f", '0', std::string(40, 'b')}});
  DiveMetrics dive = dive_.Finish();
  EXPECT_EQ(dive.wasted_bytes, 140);
  EXPECT_DOUBLE_EQ(dive.efficiency, 40.0 / 140.0);
  EXPECT_EQ(dive.user_size, 40);
  EXPECT_DOUBLE_EQ(dive.user_wasted_fraction, 140.0 / 40.0);
}

}  // namespace
}  // namespace strata
