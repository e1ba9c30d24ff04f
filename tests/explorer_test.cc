// The explorer's view models on real images, without a terminal: the
// filesystem as of every layer against the merge the reports use, marks
// against each layer's changes, roll-ups, filters, sorting, cursor moves,
// jumps from the waste and findings lists, and saving a file.
#include "tui/explorer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "base/error.h"
#include "base/stop_signals.h"
#include "blob/byte_reader.h"
#include "rules/evaluate.h"
#include "test_support.h"
#include "tui/file_saver.h"
#include "tui/path_history.h"
#include "tui/tree_view.h"

namespace strata {
namespace {

using testing::CorpusDir;
using testing::FixturesDir;
using testing::ReadFileText;
using testing::TempDir;

Analysis Fixture(const std::string& name) {
  return testing::AnalyzePath(FixturesDir() + "/" + name + ".oci");
}

// Every row the view shows with everything open: path -> (mark, size).
std::map<std::string, std::pair<Mark, int64_t>> Shown(TreeView* tree) {
  tree->ExpandAll();
  std::map<std::string, std::pair<Mark, int64_t>> shown;
  for (const TreeRow& row : tree->rows())
    shown[tree->history().PathOf(row.node)] = {tree->MarkOf(row.node), tree->SizeOf(row.node)};
  return shown;
}

// The path of each row, in order.
std::vector<std::string> RowPaths(TreeView* tree) {
  std::vector<std::string> paths;
  for (const TreeRow& row : tree->rows()) paths.push_back(tree->history().PathOf(row.node));
  return paths;
}

// An image read as explore reads it: the built-in rules' content scanner
// sees the files, and the rules run over the result.
struct Audited {
  explicit Audited(const std::string& image) : scanner(MakeContentScanner(config)) {
    AnalyzeOptions options;
    options.inspector = scanner.get();
    analysis = Analyze(OpenImage(image, OpenOptions()), options);
    findings = EvaluateRules(analysis, config, *scanner, "2026-01-01").findings;
  }

  RuleConfig config;
  std::unique_ptr<ContentScanner> scanner;
  Analysis analysis;
  std::vector<Finding> findings;
};

std::string CursorPath(TreeView* tree) {
  NodeId node;
  return tree->CursorNode(&node) ? tree->history().PathOf(node) : "(none)";
}

// The invariant the whole explorer rests on: at every layer, the entries
// not marked removed are exactly the merged filesystem of layers 0..N, and
// each directory's size is the sum of the file sizes beneath it there.
void ExpectEveryLayerMatchesTheMerge(const Analysis& analysis, const std::string& name) {
  PathHistory history(analysis);
  TreeView tree(history);
  for (int layer = 0; layer < static_cast<int>(analysis.layers.size()); ++layer) {
    tree.SetLayer(layer);
    std::map<std::string, std::pair<Mark, int64_t>> shown = Shown(&tree);

    LayerMerge merge = MergeThrough(analysis, layer);
    std::map<std::string, int64_t> want;
    FileTree::Walk(merge.tree().root(), "", [&](const FileNode* node, const std::string& path) {
      if (node->parent == nullptr) return;
      want[path] = node->kind() == EntryKind::kFile ? node->size() : 0;
      if (node->kind() == EntryKind::kFile)
        for (const FileNode* up = node->parent; up->parent != nullptr; up = up->parent)
          want[FileTree::PathOf(up)] += node->size();
    });

    std::map<std::string, int64_t> got;
    for (const auto& [path, state] : shown)
      if (state.first != Mark::kRemoved) got[path] = state.second;
    for (const auto& [path, size] : want)
      if (!got.count(path) || got[path] != size)
        ADD_FAILURE() << name << " layer " << layer + 1 << ": /" << path << " " << size
                      << " bytes in the merge, "
                      << (got.count(path) ? std::to_string(got[path]) + " bytes" : "absent")
                      << " in the view";
    for (const auto& [path, size] : got)
      if (!want.count(path))
        ADD_FAILURE() << name << " layer " << layer + 1 << ": /" << path
                      << " is shown but not in the merge";
  }
}

// The marks of each layer agree with the changes the reports list.
void ExpectMarksFollowTheChanges(const Analysis& analysis, const std::string& name) {
  PathHistory history(analysis);
  TreeView tree(history);
  for (const Layer& layer : analysis.layers) {
    tree.SetLayer(layer.index);
    std::map<std::string, std::pair<Mark, int64_t>> shown = Shown(&tree);
    for (const Change& change : layer.changes) {
      Mark want = change.kind() == ChangeKind::kAdded      ? Mark::kAdded
                  : change.kind() == ChangeKind::kRemoved  ? Mark::kRemoved
                  : change.kind() == ChangeKind::kRestored ? Mark::kUnchanged
                                                           : Mark::kModified;
      const std::string path(change.path());
      ASSERT_TRUE(shown.count(path)) << name << " layer " << layer.index + 1 << " " << path;
      EXPECT_EQ(MarkName(shown[path].first), std::string(MarkName(want)))
          << name << " layer " << layer.index + 1 << " " << change.path();
    }
  }
}

TEST(TreeView, EveryLayerMatchesTheMerge) {
  REQUIRE_FIXTURES();
  for (const char* name : {"semantics", "removed", "multi"})
    ExpectEveryLayerMatchesTheMerge(Fixture(name), name);
}

TEST(TreeView, MarksFollowTheLayersChanges) {
  REQUIRE_FIXTURES();
  for (const char* name : {"semantics", "removed", "multi"})
    ExpectMarksFollowTheChanges(Fixture(name), name);
}

// Entries and markers beneath symbolic links, which the merge places where
// the links lead, and markers after entries of their own layer.
TEST(TreeView, PathsBeneathLinksMatchTheMerge) {
  const std::vector<std::vector<std::vector<testing::TarMember>>> images = {
      {{{"tmp/", '5'}, {"tmp/x", '0', "old"}, {"evil", '2', "", "/tmp"}},
       {{"evil/x", '0', "newer"},
        {"evil/d/y", '0', "y"},
        {"a", '2', "", "b"},
        {"b", '2', "", "a"},
        {"a/f", '0', "f"}},
       {{"tmp/x", '0', "third"}, {"evil", '5'}, {"evil/g", '0', "g"}}},
      {{{"tmp/", '5'},
        {"tmp/x", '0', "x"},
        {"tmp/y", '0', "yy"},
        {"o/", '5'},
        {"o/a", '0', "a"},
        {"p", '2', "", "o"}},
       {{"e/.wh.y", '0'}, {"e", '2', "", "/tmp"}, {"e/.wh.x", '0'}, {"p/.wh..wh..opq", '0'}},
       {{"tmp/s/c", '0', "c"}, {".wh.tmp", '0'}}},
  };
  for (size_t i = 0; i < images.size(); ++i) {
    Analysis analysis = testing::AnalyzePath(testing::WriteImage(TempDir() + "/image", images[i]));
    ExpectEveryLayerMatchesTheMerge(analysis, "image " + std::to_string(i + 1));
    ExpectMarksFollowTheChanges(analysis, "image " + std::to_string(i + 1));
  }
}

// churn: 30 layers of rewrites, links, odd names, a directory deleted and
// made again; leaky-app: files deleted in later layers.
TEST(TreeView, CorpusImagesMatchTheMerge) {
  for (const char* name : {"churn", "leaky-app"}) {
    std::string image = CorpusDir() + "/corpus/" + name + ".oci";
    if (!std::filesystem::exists(image)) GTEST_SKIP() << "no corpus at " << CorpusDir();
    Analysis analysis = testing::AnalyzePath(image);
    ExpectEveryLayerMatchesTheMerge(analysis, name);
    ExpectMarksFollowTheChanges(analysis, name);
  }
}

TEST(TreeView, RemovedSubtreeShowsWhatWasThere) {
  REQUIRE_FIXTURES();
  Analysis analysis = Fixture("removed");
  PathHistory history(analysis);
  TreeView tree(history);
  tree.SetLayer(3);  // rm big files and the tree.
  std::map<std::string, std::pair<Mark, int64_t>> shown = Shown(&tree);
  EXPECT_EQ(shown["r/big-zero.bin"], std::make_pair(Mark::kRemoved, int64_t{2048 * 1024}));
  EXPECT_EQ(shown["r/tree"], std::make_pair(Mark::kRemoved, int64_t{64 * 4096}));
  EXPECT_EQ(shown["r/tree/c/7.dat"].first, Mark::kRemoved);
  EXPECT_EQ(shown["r/keep.txt"], std::make_pair(Mark::kUnchanged, int64_t{5}));
  EXPECT_EQ(shown["r"].first, Mark::kUnchanged);
  EXPECT_EQ(shown["r"].second, 5);  // Only keep.txt is left beneath it.

  // This layer's changes only: the removals and the directory above them.
  tree.SetChangesOnly(true);
  std::vector<std::string> paths = RowPaths(&tree);
  EXPECT_EQ(paths.front(), "r");
  EXPECT_TRUE(std::find(paths.begin(), paths.end(), "r/keep.txt") == paths.end());
  EXPECT_TRUE(std::find(paths.begin(), paths.end(), "bin/busybox") == paths.end());
  EXPECT_TRUE(std::find(paths.begin(), paths.end(), "r/tree/d/15.dat") != paths.end());
  EXPECT_EQ(paths.size(), 1u + 3u + 4u + 64u);  // r, 3 removals, 4 dirs, 64 files.
}

TEST(TreeView, FiltersAndHiding) {
  REQUIRE_FIXTURES();
  Analysis analysis = Fixture("removed");
  PathHistory history(analysis);
  TreeView tree(history);
  tree.SetLayer(1);
  tree.ExpandAll();

  tree.SetFilter("*/a/1?.dat");  // A glob: a/10.dat … a/15.dat.
  std::vector<std::string> paths = RowPaths(&tree);
  std::vector<std::string> want = {"r", "r/tree", "r/tree/a"};
  for (int i = 10; i <= 15; ++i) want.push_back("r/tree/a/" + std::to_string(i) + ".dat");
  EXPECT_EQ(paths, want);

  tree.SetFilter("/r/big");  // Text: a part of the path, leading "/" ignored.
  EXPECT_EQ(RowPaths(&tree), (std::vector<std::string>{"r", "r/big-random.bin", "r/big-zero.bin"}));

  tree.SetFilter("no such thing");
  EXPECT_TRUE(tree.rows().empty());
  NodeId node;
  EXPECT_FALSE(tree.CursorNode(&node));

  // Layer 3 added only keep.txt: hiding unchanged leaves it and its parent.
  tree.SetFilter("");
  tree.SetLayer(2);
  tree.SetHidden(Mark::kUnchanged, true);
  EXPECT_EQ(RowPaths(&tree), (std::vector<std::string>{"r", "r/keep.txt"}));
  tree.SetHidden(Mark::kAdded, true);
  EXPECT_TRUE(tree.rows().empty());
  tree.SetHidden(Mark::kUnchanged, false);
  paths = RowPaths(&tree);
  EXPECT_TRUE(std::find(paths.begin(), paths.end(), "r/keep.txt") == paths.end());
  EXPECT_TRUE(std::find(paths.begin(), paths.end(), "r/big-zero.bin") != paths.end());
}

TEST(TreeView, SortBySizeAndRollUps) {
  REQUIRE_FIXTURES();
  Analysis analysis = Fixture("removed");
  PathHistory history(analysis);
  TreeView tree(history);
  tree.SetLayer(1);
  ASSERT_TRUE(tree.Select("r/tree"));
  tree.Collapse();  // Keep only r's own children open.
  tree.SetSort(TreeSort::kSize);
  std::vector<std::string> paths = RowPaths(&tree);
  auto r = std::find(paths.begin(), paths.end(), "r");
  ASSERT_TRUE(r != paths.end());
  EXPECT_EQ(std::vector<std::string>(r + 1, r + 4),
            (std::vector<std::string>{"r/big-zero.bin", "r/big-random.bin", "r/tree"}));
  // Largest first at the top level too: bin holds busybox, r the 3.4 MB.
  EXPECT_EQ(paths.front(), "r");

  NodeId root_r;
  ASSERT_TRUE(history.Find("r", &root_r));
  EXPECT_EQ(tree.SizeOf(root_r), 2048 * 1024 + 1024 * 1024 + 64 * 4096);
}

TEST(TreeView, CursorMovesExpandAndCollapse) {
  REQUIRE_FIXTURES();
  Analysis analysis = Fixture("multi");
  PathHistory history(analysis);
  TreeView tree(history);
  tree.SetHeight(5);
  EXPECT_EQ(CursorPath(&tree), "bin");  // Layer 1, the base: no app yet.
  tree.SetLayer(4);
  EXPECT_EQ(CursorPath(&tree), "bin");  // The cursor stays on its entry.
  tree.Home();
  EXPECT_EQ(CursorPath(&tree), "app");  // Top-level rows, sorted by name.
  size_t top = tree.rows().size();

  EXPECT_TRUE(tree.Expand());
  EXPECT_GT(tree.rows().size(), top);
  tree.Move(1);
  EXPECT_EQ(CursorPath(&tree), "app/data");
  tree.Toggle();
  tree.Move(1);
  EXPECT_EQ(CursorPath(&tree), "app/data/four.txt");
  EXPECT_FALSE(tree.Expand());  // A file.
  tree.Collapse();              // On a file: up to its directory.
  EXPECT_EQ(CursorPath(&tree), "app/data");
  tree.Collapse();  // Closes it.
  NodeId data;
  ASSERT_TRUE(history.Find("app/data", &data));
  EXPECT_FALSE(tree.expanded(data));

  // Pages and ends stay inside the list; the window follows the cursor.
  tree.End();
  EXPECT_EQ(tree.cursor().cursor, tree.rows().size() - 1);
  EXPECT_EQ(tree.cursor().scroll, tree.rows().size() - 5);
  tree.Page(-1);
  EXPECT_EQ(tree.cursor().cursor, tree.rows().size() - 6);
  tree.Page(-100);
  EXPECT_EQ(tree.cursor().cursor, 0u);
  EXPECT_EQ(tree.cursor().scroll, 0u);
  tree.Move(-1);
  EXPECT_EQ(tree.cursor().cursor, 0u);

  // The cursor stays on its entry when the layer changes, and goes to the
  // nearest shown parent when the entry is gone.
  ASSERT_TRUE(tree.Select("app/data/four.txt"));
  tree.SetLayer(3);
  EXPECT_EQ(CursorPath(&tree), "app/data");
  tree.SetLayer(4);
  ASSERT_TRUE(tree.Select("app/two.txt"));
  tree.SetLayer(1);
  EXPECT_EQ(CursorPath(&tree), "app");
}

TEST(Explorer, WasteJumpsToItsLayerAndPath) {
  REQUIRE_FIXTURES();
  Analysis analysis = Fixture("removed");
  Explorer explorer(analysis, {});
  ASSERT_FALSE(explorer.waste().empty());
  explorer.SetView(ExplorerView::kWaste);
  explorer.tree().SetFilter("nothing matches this");  // Cleared by the jump.
  explorer.waste_cursor().Set(0, explorer.waste().size());
  const WasteItem& item = explorer.waste()[0];
  ASSERT_TRUE(explorer.OpenSelected());
  EXPECT_EQ(explorer.view(), ExplorerView::kTree);
  EXPECT_EQ(explorer.layer(), item.layer);
  EXPECT_EQ(explorer.layer_cursor().cursor, static_cast<size_t>(item.layer));
  EXPECT_EQ(CursorPath(&explorer.tree()), item.path);

  std::vector<std::string> details = explorer.Details();
  ASSERT_GE(details.size(), 3u);
  EXPECT_EQ(details[0], "/r/big-zero.bin");
  std::string all;
  for (const std::string& line : details) all += line + "\n";
  EXPECT_NE(all.find("type: file"), std::string::npos) << all;
  EXPECT_NE(all.find("layers: 2 added, 4 removed"), std::string::npos) << all;
  EXPECT_NE(all.find("size: 2.1 MB"), std::string::npos) << all;
}

// An entry stored beneath a link is where the link led it, in the layer
// views as in the final tree: the waste list jumps there, and saving it
// reads it from its layer at the path that layer stores it at.
TEST(Explorer, AnEntryALinkLedElsewhereIsFoundWhereItLanded) {
  Analysis analysis = testing::AnalyzePath(
      testing::WriteImage(TempDir() + "/image", {{{"tmp/", '5'}, {"evil", '2', "", "/tmp"}},
                                                 {{"evil/f", '0', "first\n"}},
                                                 {{"tmp/f", '0', "second\n"}}}));
  Explorer explorer(analysis, {});
  ASSERT_EQ(explorer.waste().size(), 1u);
  explorer.SetView(ExplorerView::kWaste);
  explorer.waste_cursor().Set(0, explorer.waste().size());
  ASSERT_TRUE(explorer.OpenSelected());
  EXPECT_EQ(explorer.layer(), 1);
  EXPECT_EQ(CursorPath(&explorer.tree()), "tmp/f");

  SaveTarget target;
  ASSERT_TRUE(explorer.SaveTargetAtCursor(&target));
  EXPECT_EQ(target.path, "evil/f");
  EXPECT_EQ(target.layer, 1);
  std::string file =
      SaveImageFile(analysis, target.path, target.layer, TempDir() + "/saved", ReadLimits());
  EXPECT_EQ(ReadFileText(file), "first\n");
}

// A hard link to a symbolic link is a second name of the link: no bytes
// of its own to save.
TEST(Explorer, AHardLinkToASymbolicLinkIsNoFileToSave) {
  Analysis analysis = testing::AnalyzePath(testing::WriteImage(
      TempDir() + "/image", {{{"f", '0', "f\n"}, {"s", '2', "", "f"}, {"h", '1', "", "s"}}}));
  Explorer explorer(analysis, {});
  SaveTarget target;
  ASSERT_TRUE(explorer.tree().Select("h"));
  EXPECT_FALSE(explorer.SaveTargetAtCursor(&target));
  ASSERT_TRUE(explorer.tree().Select("f"));
  EXPECT_TRUE(explorer.SaveTargetAtCursor(&target));
}

TEST(Explorer, FindingsJumpAndShowInDetails) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  if (!std::filesystem::exists(image)) GTEST_SKIP() << "no corpus at " << CorpusDir();
  Audited audited(image);
  Explorer explorer(audited.analysis, audited.findings);

  // The first finding with a path in a layer.
  size_t index = 0;
  while (index < explorer.findings().size() &&
         (explorer.findings()[index].path.empty() || explorer.findings()[index].layer < 0))
    ++index;
  ASSERT_LT(index, explorer.findings().size());
  const Finding& finding = explorer.findings()[index];
  explorer.SetView(ExplorerView::kFindings);
  explorer.findings_cursor().Set(index, explorer.findings().size());
  ASSERT_TRUE(explorer.OpenSelected()) << finding.path;
  EXPECT_EQ(explorer.layer(), finding.layer);
  EXPECT_EQ(CursorPath(&explorer.tree()), finding.path);
  std::string all;
  for (const std::string& line : explorer.Details()) all += line + "\n";
  EXPECT_NE(
      all.find("finding: [" + std::string(SeverityName(finding.severity)) + "] " + finding.rule_id),
      std::string::npos)
      << all;
}

// A key saved from the screen was readable by every user (0644): a file a
// secret rule's finding names is saved 0600, others 0644 as before.
TEST(Explorer, AFileASecretFindingNamesIsSaved0600) {
  std::string key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE "
      "KEY-----\n";
  std::string image = testing::WriteImage(
      TempDir() + "/image",
      {{{"root/.ssh/id_ed25519", '0', key, "", 0644}, {"etc/motd", '0', "hello\n", "", 0644},
        {"srv/innocent", '1', "", "root/.ssh/id_ed25519"}},
       {{"srv/later", '1', "", "root/.ssh/id_ed25519"}}});
  Audited audited(image);
  const Analysis& analysis = audited.analysis;
  Explorer explorer(analysis, audited.findings);

  std::string dir = TempDir();
  // Found by a user trial: another name of the key (a hard link, in its
  // layer or a later one) was saved 0644.
  explorer.SelectLayer(1);
  for (const char* path : {"root/.ssh/id_ed25519", "etc/motd", "srv/innocent", "srv/later"}) {
    SCOPED_TRACE(path);
    bool secret = path[0] != 'e';
    ASSERT_TRUE(explorer.tree().Select(path));
    SaveTarget target;
    ASSERT_TRUE(explorer.SaveTargetAtCursor(&target));
    EXPECT_EQ(target.secret, secret);
    std::string file = SaveImageFile(analysis, target.path, target.layer, dir,
                                     ReadLimits(), target.secret);
    struct stat info;
    ASSERT_EQ(stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, secret ? 0600u : 0644u);
  }
}

// A file named after a token shows redacted on the screen: its name in
// the tree (Shown), its path and link target in the details, with the
// findings about it, which show paths redacted too.
TEST(Explorer, ATokenUsedAsANameIsShownRedacted) {
  std::string token = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  std::string image = testing::WriteImage(
      TempDir() + "/image",
      {{{"keys/" + token, '0', "token = " + token + "\n"}, {"link", '2', "", "keys/" + token}}});
  Audited audited(image);
  const Analysis& analysis = audited.analysis;
  Explorer explorer(analysis, audited.findings);
  explorer.set_shown(
      [&audited](std::string_view text) { return audited.scanner->RedactPath(text); });

  EXPECT_EQ(explorer.Shown(token), "ghp_…(40 characters)");
  ASSERT_TRUE(explorer.tree().Select("keys/" + token));
  std::string all;
  for (const std::string& line : explorer.Details()) all += line + "\n";
  EXPECT_EQ(all.find("R7kq2VwX9mN4bT8c"), std::string::npos) << all;
  EXPECT_NE(all.find("/keys/ghp_…(40 characters)\n"), std::string::npos) << all;
  EXPECT_NE(all.find("finding: "), std::string::npos) << all;

  ASSERT_TRUE(explorer.tree().Select("link"));
  all.clear();
  for (const std::string& line : explorer.Details()) all += line + "\n";
  EXPECT_NE(all.find("link: -> keys/ghp_…(40 characters)"), std::string::npos) << all;
  // As ls -l shows a link (found by a user trial: its header's 0644 and 0
  // bytes were shown): 0777, and its target's length.
  EXPECT_NE(all.find("type: symlink, mode lrwxrwxrwx (0777)"), std::string::npos) << all;
  EXPECT_NE(all.find("size: 45 B\n"), std::string::npos) << all;
}

// Owners are named by the image's /etc/passwd and /etc/group, as ls -l
// names them, with the numbers beside; ids they do not name stay numbers.
// The content rules' read keeps the two files, as explore runs it.
TEST(Explorer, DetailsNameTheOwner) {
  std::string image = testing::WriteImage(
      TempDir() + "/image",
      {{{"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\napp:x:1000:50::/app:/bin/sh\n"},
        {"etc/group", '0', "root:x:0:\nstaff:x:50:\n"}},
       {{"data/named", '0', "x", "", 0644, 1000, "", "", 50},
        {"data/half", '0', "x", "", 0644, 1000, "", "", 51},
        {"data/unnamed", '0', "x", "", 0644, 1001, "", "", 51}}});
  RuleConfig config;
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(config);
  AnalyzeOptions options;
  options.inspector = scanner.get();
  Analysis analysis = Analyze(OpenImage(image, OpenOptions()), options);
  Explorer explorer(analysis, {});
  explorer.SelectLayer(1);

  auto owner = [&](const std::string& path) {
    EXPECT_TRUE(explorer.tree().Select(path)) << path;
    for (const std::string& line : explorer.Details())
      if (size_t at = line.find(", owner "); at != std::string::npos) return line.substr(at + 8);
    return std::string("(no owner line)");
  };
  EXPECT_EQ(owner("data/named"), "app:staff (1000:50)");
  EXPECT_EQ(owner("data/half"), "app:51 (1000:51)");
  EXPECT_EQ(owner("data/unnamed"), "1001:51");
  EXPECT_EQ(owner("etc/passwd"), "root:root (0:0)");
}

TEST(FileSaver, SavesTheVersionALayerStores) {
  REQUIRE_FIXTURES();
  Analysis analysis = Fixture("semantics");
  Explorer explorer(analysis, {});
  std::string dir = TempDir();

  // rewrite.txt as layer 2 stored it, then as the last layer shows it:
  // the version layer 3 stored, since no later layer touched it.
  explorer.SelectLayer(1);
  ASSERT_TRUE(explorer.tree().Select("s/rewrite.txt"));
  SaveTarget target;
  ASSERT_TRUE(explorer.SaveTargetAtCursor(&target));
  EXPECT_EQ(target.layer, 1);
  std::string file =
      SaveImageFile(analysis, target.path, target.layer, dir + "/v1", ReadLimits());
  EXPECT_EQ(ReadFileText(file), "version 1\n");

  explorer.SelectLayer(static_cast<int>(analysis.layers.size()) - 1);
  ASSERT_TRUE(explorer.tree().Select("s/rewrite.txt"));
  ASSERT_TRUE(explorer.SaveTargetAtCursor(&target));
  EXPECT_EQ(target.layer, 2);
  // A directory as the target: the file keeps its name there.
  file = SaveImageFile(analysis, target.path, target.layer, dir, ReadLimits());
  EXPECT_EQ(file, dir + "/rewrite.txt");
  EXPECT_EQ(ReadFileText(file), "version 2, longer than before\n");

  // Never over an existing file, never through a symbolic link.
  EXPECT_THROW(SaveImageFile(analysis, target.path, target.layer, file, ReadLimits()),
               Error);
  std::filesystem::create_symlink(dir + "/elsewhere", dir + "/link");
  EXPECT_THROW(
      SaveImageFile(analysis, target.path, target.layer, dir + "/link", ReadLimits()),
      Error);
  EXPECT_FALSE(std::filesystem::exists(dir + "/elsewhere"));
  // Found by a user trial: nor through a link to a directory (the file
  // went into the directory it leads to); "link/" names that directory.
  std::filesystem::create_directory(dir + "/elsewhere");
  EXPECT_THROW(
      SaveImageFile(analysis, target.path, target.layer, dir + "/link", ReadLimits()),
      Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/elsewhere"));
  EXPECT_EQ(SaveImageFile(analysis, target.path, target.layer, dir + "/link/", ReadLimits()),
            dir + "/link/rewrite.txt");

  // A directory is not a file to save.
  ASSERT_TRUE(explorer.tree().Select("s/links"));
  EXPECT_FALSE(explorer.SaveTargetAtCursor(&target));

  // The worker reports the same.
  explorer.tree().Select("s/links/target.txt");
  ASSERT_TRUE(explorer.SaveTargetAtCursor(&target));
  FileSaver saver;
  ASSERT_TRUE(saver.Start(analysis, target.path, target.layer, dir + "/t", ReadLimits(),
                          false, [](std::string_view text) { return std::string(text); }));
  std::string message;
  while (!saver.TakeResult(&message)) std::this_thread::yield();
  EXPECT_TRUE(message.starts_with("saved /s/links/target.txt")) << message;
  EXPECT_EQ(ReadFileText(dir + "/t"), "link target\n");
}

// A layer blob that hands out |data| and then stalls until the process
// ends, as a transfer that stops half-way.
class StallingReader : public ByteReader {
 public:
  explicit StallingReader(std::string data) : data_(std::move(data)) {}
  size_t Read(void* buffer, size_t size) override {
    while (offset_ == data_.size()) pause();
    size = std::min(size, data_.size() - offset_);
    memcpy(buffer, data_.data() + offset_, size);
    offset_ += size;
    return size;
  }

 private:
  std::string data_;
  size_t offset_ = 0;
};

// Of two entries of one layer at a path, the layer's is the last (as ls,
// export and the final tree have it); the save, which knows the layer's
// entries, reads the layer once, up to it.
TEST(FileSaver, ALayerStoringAPathTwiceGivesItsLastVersion) {
  std::string dir = TempDir();
  Analysis analysis = testing::AnalyzePath(testing::WriteImage(
      dir + "/image", {{{"f", '0', "first version"}, {"g", '0', "g"}, {"f", '0', "second"}}}));
  int opened = 0;
  LayerBlob& blob = analysis.source.layers[0];
  blob.open = [&opened, open = blob.open] {
    ++opened;
    return open();
  };
  std::string file = SaveImageFile(analysis, "f", 0, dir + "/saved", ReadLimits());
  EXPECT_EQ(testing::ReadFileText(file), "second");
  EXPECT_EQ(opened, 1);
}

// Found by a new user: a save stopped by Ctrl-C or SIGTERM left its file
// behind, half written, since explore left the signals to ncurses (whose
// handler restores the terminal and exits). The screen now puts strata's
// handler in front of ncurses': the file goes, and the screen's handler
// (here a stand-in that exits 42) still runs. In a child process, stopped
// while the layer stalls.
TEST(FileSaver, AStoppedSaveLeavesNoFileAndTheScreenStillRestoresTheTerminal) {
  std::string dir = TempDir();
  Analysis analysis = testing::AnalyzePath(
      testing::WriteImage(dir + "/image", {{{"big", '0', std::string(1 << 20, 'x')}}}));
  std::string tar;
  {
    std::unique_ptr<ByteReader> reader = analysis.source.layers[0].open();
    char buffer[65536];
    while (size_t got = reader->Read(buffer, sizeof buffer)) tar.append(buffer, got);
  }
  ImageSource& source = analysis.source;
  source.layers[0].open = [half = tar.substr(0, tar.size() / 2)] {
    return std::make_unique<StallingReader>(half);
  };
  auto saved = [&dir] {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      if (entry.path().filename() != "image" && std::filesystem::file_size(entry.path()) > 0)
        names.push_back(entry.path().filename());
    return names;
  };

  for (int signal : {SIGINT, SIGTERM}) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      struct sigaction screen {};
      screen.sa_handler = [](int) { _exit(42); };
      sigemptyset(&screen.sa_mask);
      sigaction(SIGINT, &screen, nullptr);
      sigaction(SIGTERM, &screen, nullptr);
      ChainStopSignals();
      try {
        SaveImageFile(analysis, "big", 0, dir + "/saved", ReadLimits());
      } catch (...) {
      }
      _exit(1);
    }
    bool writing = false;
    for (int i = 0; i < 600 && !writing; ++i) {
      writing = !saved().empty();
      if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(writing);
    kill(pid, signal);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << status;
    EXPECT_EQ(saved(), std::vector<std::string>{}) << strsignal(signal);
  }
}

}  // namespace
}  // namespace strata
