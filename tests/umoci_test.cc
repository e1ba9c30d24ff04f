// The merged filesystem against the oracle: `umoci unpack` of the same
// image, made by tests/fixtures/build.sh with Docker Engine and skopeo.
// Paths, types, modes, owners, sizes, link targets and file contents
// (by hash) must all agree.
#include <dirent.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::AnalyzePath;
using testing::FixturesDir;

using testing::Describe;
using testing::HaveUmoci;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunStrata;
using testing::Seen;
using testing::TarMember;
using testing::UmociUnpack;
using testing::WalkDisk;

std::map<std::string, Seen> WalkTree(const Analysis& analysis) {
  std::map<std::string, Seen> seen;
  FileTree::Walk(analysis.merge.tree().root(), "",
                 [&seen](const FileNode* node, const std::string& path) {
                   if (path.empty()) return;
                   Seen s{EntryKindLetter(node->kind()),
                          node->mode(),
                          node->uid(),
                          node->gid(),
                          node->size(),
                          "",
                          0};
                   s.link = node->symlink_target();
                   // A regular file's bytes (a device's entry keeps its numbers there).
                   if (node->kind() == EntryKind::kFile && node->content != nullptr)
                     s.hash = node->content->content_hash;
                   seen[path] = s;
                 });
  return seen;
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  std::string dir = FixturesDir();
  if (dir.empty() || !fs::is_directory(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    if (file.ends_with(".rootfs")) names.push_back(file.substr(0, file.size() - 7));
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ExpectSameTree(const std::map<std::string, Seen>& oracle,
                    const std::map<std::string, Seen>& ours, const std::string& what) {
  for (const auto& [path, want] : oracle) {
    auto it = ours.find(path);
    if (it == ours.end()) {
      ADD_FAILURE() << what << ": umoci has " << path << " (" << Describe(want)
                    << "), strata does not";
      continue;
    }
    EXPECT_EQ(Describe(it->second), Describe(want)) << what << ": " << path;
  }
  for (const auto& [path, got] : ours)
    if (!oracle.count(path))
      ADD_FAILURE() << what << ": strata has " << path << " (" << Describe(got)
                    << "), umoci does not";
}

TEST(Umoci, FixturesWereBuilt) {
  if (FixturesDir().empty()) GTEST_SKIP() << "STRATA_FIXTURES is not set; run `make test`";
  EXPECT_GE(FixtureNames().size(), 3u) << "no NAME.rootfs in " << FixturesDir();
}

TEST(Umoci, MergedTreeMatchesUmociUnpack) {
  if (FixturesDir().empty()) GTEST_SKIP() << "STRATA_FIXTURES is not set; run `make test`";
  for (const std::string& name : FixtureNames()) {
    std::map<std::string, Seen> oracle = WalkDisk(FixturesDir() + "/" + name + ".rootfs");
    for (const char* suffix : {".oci", ".docker.tar"}) {
      std::string image = FixturesDir() + "/" + name + suffix;
      if (!fs::exists(image)) continue;
      ExpectSameTree(oracle, WalkTree(AnalyzePath(image)), name + suffix);
    }
  }
}

// The reference corpus too, unpacked here by umoci (from a copy: umoci
// takes a lock inside the layout, and the corpus is read-only).
TEST(Umoci, CorpusMatchesUmociUnpack) {
  // Under `make test` umoci is installed, so this cannot be skipped there.
  if (FixturesDir().empty() && system("command -v umoci >/dev/null") != 0)
    GTEST_SKIP() << "umoci is not installed";
  for (const char* name : {"churn", "leaky-app", "clean-multistage"}) {
    std::string layout = testing::CorpusDir() + "/corpus/" + name + ".oci";
    ASSERT_TRUE(fs::exists(layout)) << layout;
    std::string work = testing::TempDir();
    std::string command = fmt::format(
        "cp -r '{}' '{}/layout' && umoci unpack --image '{}/layout:corpus/{}:1' '{}/bundle' "
        ">/dev/null 2>&1",
        layout, work, work, name, work);
    ASSERT_EQ(system(command.c_str()), 0) << command;
    ExpectSameTree(WalkDisk(work + "/bundle/rootfs"), WalkTree(AnalyzePath(layout)), name);
    fs::remove_all(work);
  }
}

// Where strata says an entry stored beneath a chain of links lands is
// where umoci writes it.
TEST(Umoci, LandingThroughAChainOfLinksIsWhereUmociWrites) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::vector<std::vector<TarMember>> layers = {{{"etc/sub", '5', "", "", 0755},
                                                 {"l1", '2', "", "/l2"},
                                                 {"l2", '2', "", "etc/sub"},
                                                 {"up", '2', "", "l2/../y"}},
                                                {{"l1/f", '0', "x\n"}, {"up/g", '0', "y\n"}}};
  std::string work = testing::TempDir();
  std::string output;
  ASSERT_EQ(UmociUnpack(work, layers, &output), 0) << output;
  std::map<std::string, Seen> unpacked = WalkDisk(work + "/bundle/rootfs");

  Analysis analysis = AnalyzePath(work + "/layout");
  const std::vector<LinkParent>& parents = analysis.merge.link_parents();
  ASSERT_EQ(parents.size(), 2u);
  for (const LinkParent& parent : parents) {
    EXPECT_EQ(parent.landing.outcome, Landing::kLands) << parent.entry->path;
    ASSERT_TRUE(unpacked.count(parent.landing.path)) << parent.landing.path;
    EXPECT_EQ(unpacked[parent.landing.path].type, '-') << parent.landing.path;
  }
  EXPECT_EQ(parents[0].landing.path, "etc/sub/f");
  EXPECT_EQ(parents[1].landing.path, "etc/y/g");
  EXPECT_EQ(unpacked["l1"].type, 'l');
  fs::remove_all(work);
}

// A whiteout beneath a link makes umoci delete where the link leads, and
// an opaque marker naming a link empties its target: what the finding
// says.
TEST(Umoci, MarkersBeneathALinkDeleteWhereUmociDeletes) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::vector<std::vector<TarMember>> layers = {{{"tmp", '5', "", "", 0755},
                                                 {"tmp/x", '0', "x\n"},
                                                 {"tmp/keep", '0', "k\n"},
                                                 {"o", '5', "", "", 0755},
                                                 {"o/a", '0', "a\n"},
                                                 {"e", '2', "", "/tmp"},
                                                 {"p", '2', "", "o"}},
                                                {{"e/.wh.x", '0'}, {"p/.wh..wh..opq", '0'}}};
  std::string work = testing::TempDir();
  std::string output;
  ASSERT_EQ(UmociUnpack(work, layers, &output), 0) << output;
  std::map<std::string, Seen> unpacked = WalkDisk(work + "/bundle/rootfs");
  EXPECT_FALSE(unpacked.count("tmp/x"));
  EXPECT_TRUE(unpacked.count("tmp/keep"));
  EXPECT_EQ(unpacked["o"].type, 'd');
  EXPECT_FALSE(unpacked.count("o/a"));
  EXPECT_EQ(unpacked["e"].type, 'l');
  EXPECT_EQ(unpacked["p"].type, 'l');

  Analysis analysis = AnalyzePath(work + "/layout");
  const std::vector<LinkParent>& parents = analysis.merge.link_parents();
  ASSERT_EQ(parents.size(), 2u);
  EXPECT_EQ(parents[0].landing.path, "tmp/x");
  EXPECT_EQ(parents[1].landing.path, "o");
  fs::remove_all(work);
}

// The paths `strata ls -R -a` lists (relative, no leading "/").
std::set<std::string> ListedPaths(const std::string& image) {
  RunResult ls = RunStrata({"ls", "-q", "-R", "-a", image, "/"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  std::set<std::string> paths;
  std::istringstream lines(ls.out);
  std::string dir, line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.starts_with("/") && line.ends_with(":")) {
      dir = line.substr(1, line.size() - 2);
      continue;
    }
    paths.insert(dir.empty() ? line : dir + "/" + line);
  }
  return paths;
}

// What an export and umoci's unpack must share: the paths, types, link
// targets and contents (an export to a directory sets its own modes).
std::map<std::string, std::string> Shapes(const std::map<std::string, Seen>& tree) {
  std::map<std::string, std::string> shapes;
  for (const auto& [path, seen] : tree)
    shapes[path] = fmt::format("{} {} {:x}", seen.type, seen.link, seen.hash);
  return shapes;
}

// Each case stores entries or markers beneath symbolic links: umoci
// follows the links inside the root, and strata's merged tree, `ls -R`,
// `export` and `cat` show what umoci unpacks.
TEST(Umoci, PathsBeneathLinksMergeAsUmociUnpacks) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::pair<const char*, std::vector<std::vector<TarMember>>> cases[] = {
      {"an entry beneath a link, over a file and beside it",
       {{{"tmp", '5', "", "", 0755}, {"tmp/x", '0', "old\n"}, {"evil", '2', "", "/tmp"}},
        {{"evil/x", '0', "new\n"}, {"evil/y", '0', "y\n"}, {"evil/d/z", '0', "z\n"}}}},
      {"links and entries beneath them in one layer",
       {{{"etc", '5', "", "", 0755}},
        {{"same", '2', "", "/etc"},
         {"same/cron.d/job", '0', "* * * * * root sh\n"},
         {"root", '2', "", "/"},
         {"root/etc/profile", '0', "echo\n"}}}},
      {"a chain of links, and .. after a link",
       {{{"etc", '5', "", "", 0755},
         {"etc/sub", '5', "", "", 0755},
         {"l1", '2', "", "/l2"},
         {"l2", '2', "", "etc/sub"},
         {"up", '2', "", "l2/../y"}},
        {{"l1/f", '0', "x\n"}, {"up/g", '0', "y\n"}}}},
      {"a dangling link, and one leading up past the root",
       {{{"l", '2', "", "/nowhere/deep"}, {"d", '5', "", "", 0755}, {"d/up", '2', "", "../../.."}},
        {{"l/f", '0', "f\n"}, {"d/up/escaped", '0', "e\n"}}}},
      {"a directory beneath a link, and one replacing a link",
       {{{"t", '5', "", "", 0755}, {"t/a", '0', "a\n"}, {"l", '2', "", "t"}, {"m", '2', "", "t"}},
        {{"l/sub", '5', "", "", 0700},
         {"l/sub/f", '0', "f\n"},
         {"m", '5', "", "", 0755},
         {"m/g", '0', "g\n"}}}},
      {"a landing replaced by a later layer, and a link replaced by a directory",
       {{{"tmp", '5', "", "", 0755}, {"evil", '2', "", "/tmp"}},
        {{"evil/f", '0', "first\n"}},
        {{"tmp/f", '0', "second\n"}, {"evil", '5', "", "", 0755}, {"evil/g", '0', "g\n"}}}},
      {"markers beneath links",
       {{{"tmp", '5', "", "", 0755},
         {"tmp/x", '0', "x\n"},
         {"tmp/keep", '0', "k\n"},
         {"o", '5', "", "", 0755},
         {"o/a", '0', "a\n"},
         {"e", '2', "", "/tmp"},
         {"p", '2', "", "o"}},
        {{"e/.wh.x", '0'}, {"p/.wh..wh..opq", '0'}}}},
      {"markers after a link of their own layer, and before it",
       {{{"tmp", '5', "", "", 0755}, {"tmp/x", '0', "x\n"}, {"tmp/y", '0', "y\n"}},
        {{"e/.wh.y", '0'}, {"e", '2', "", "/tmp"}, {"e/.wh.x", '0'}}}},
      {"a whiteout after entries of its layer beneath what it removes",
       {{{"d", '5', "", "", 0700},
         {"d/a", '0', "a\n"},
         {"d/s", '5', "", "", 0755},
         {"d/s/b", '0', "b\n"}},
        {{"d/s/c", '0', "c\n"}, {".wh.d", '0'}, {"d/e", '0', "e\n"}}}},
      {"a hard link through a link",
       {{{"usr", '5', "", "", 0755},
         {"usr/bin", '5', "", "", 0755},
         {"usr/bin/sh", '0', "shell\n"},
         {"bin", '2', "", "usr/bin"}},
        {{"h", '1', "", "bin/sh"}, {"bin/tool", '0', "tool\n"}}}},
  };
  for (auto& [what, layers] : cases) {
    // A link's mode is 0777 on disk, whatever the tar says.
    for (std::vector<TarMember>& layer : layers)
      for (TarMember& member : layer)
        if (member.type == '2') member.mode = 0777;
    std::string work = testing::TempDir();
    std::string output;
    ASSERT_EQ(UmociUnpack(work, layers, &output), 0) << what << "\n" << output;
    std::map<std::string, Seen> unpacked = WalkDisk(work + "/bundle/rootfs");
    std::string image = work + "/layout";
    ExpectSameTree(unpacked, WalkTree(AnalyzePath(image)), what);

    std::set<std::string> want;
    for (const auto& [path, seen] : unpacked) want.insert(path);
    EXPECT_EQ(ListedPaths(image), want) << what;

    RunResult exported = RunStrata({"export", "-q", image, work + "/out"});
    ASSERT_EQ(exported.exit_code, 0) << what << "\n" << exported.err;
    EXPECT_EQ(Shapes(WalkDisk(work + "/out")), Shapes(unpacked)) << what;

    for (const auto& [path, seen] : unpacked) {
      if (seen.type != '-') continue;
      RunResult cat = RunStrata({"cat", "-q", image, path});
      EXPECT_EQ(cat.exit_code, 0) << what << ": " << path << "\n" << cat.err;
      EXPECT_EQ(XXH3_64bits(cat.out.data(), cat.out.size()), seen.hash) << what << ": " << path;
    }
    fs::remove_all(work);
  }
}

// The paths of |tree| under |root| that share an inode, each group as a
// set: what tar and umoci link, an export must link too.
std::set<std::set<std::string>> SharedInodes(const std::string& root,
                                             const std::map<std::string, Seen>& tree) {
  std::map<ino_t, std::set<std::string>> by_inode;
  for (const auto& [path, seen] : tree) {
    struct stat info;
    if (lstat((root + "/" + path).c_str(), &info) == 0 && !S_ISDIR(info.st_mode))
      by_inode[info.st_ino].insert(path);
  }
  std::set<std::set<std::string>> shared;
  for (auto& [inode, paths] : by_inode)
    if (paths.size() > 1) shared.insert(std::move(paths));
  return shared;
}

// A hard link to a symbolic link, as GNU tar writes one of `ln -s target
// s; ln s h`: link(2) links the link itself, so tar and umoci unpack h as
// a second name of s. strata's tree, `ls`, `cat`, `export` (to a directory
// and as a tar stream, whole and one layer) and `audit` all take it so.
// Layer 1 is GNU tar's; layer 2, which links to a lower layer and stores
// beneath such a link, is one no tar of a directory holds, so written here.
TEST(Umoci, AHardLinkToASymbolicLinkIsASecondNameOfTheLink) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::string work = testing::TempDir();
  std::string output;
  std::string made = work + "/made";
  // Names sorted: d/h is the link tar stores first, d/s and e/h link to it.
  ASSERT_EQ(testing::RunShell(
                fmt::format(
                    "mkdir -p '{0}' && cd '{0}' && mkdir d e tmp && echo 'd target' > d/target && "
                    "echo 'e target' > e/target && ln -s target d/s && ln -P d/s d/h && "
                    "ln -P d/s e/h && ln -s /tmp d/dir && ln -P d/dir dh && "
                    "ln -s /nowhere d/dangling && ln -P d/dangling d/dangling-h",
                    made),
                &output),
            0)
      << output;
  std::string gnu = testing::GnuTarOf(made);
  testing::WriteFile(work + "/layer.tar", gnu);
  std::string hand =
      testing::MakeTar({{"dh/x", '0', "x\n"}, {"d/later", '1', "", "d/s"}, {"d/.wh.h", '0'}});
  ASSERT_EQ(testing::UmociUnpackTars(work, {gnu, hand}, &output), 0) << output;
  std::string rootfs = work + "/bundle/rootfs";
  std::map<std::string, Seen> unpacked = WalkDisk(rootfs);
  ASSERT_EQ(unpacked["d/s"].type, 'l');
  ASSERT_EQ(unpacked["dh"].type, 'l');
  std::set<std::set<std::string>> links = {
      {"d/dangling", "d/dangling-h"}, {"d/dir", "dh"}, {"d/later", "d/s", "e/h"}};
  ASSERT_EQ(SharedInodes(rootfs, unpacked), links);
  std::string image = work + "/layout";
  ExpectSameTree(unpacked, WalkTree(AnalyzePath(image)), "hard links to links");

  // ls: a link, and where it points.
  for (const auto& [path, seen] : unpacked) {
    if (seen.type != 'l') continue;
    RunResult ls = RunStrata({"ls", "-q", "-l", image, "/" + path});
    EXPECT_EQ(ls.exit_code, 0) << path << "\n" << ls.err;
    EXPECT_TRUE(ls.out.starts_with("lrwxrwxrwx ")) << ls.out;
    EXPECT_TRUE(ls.out.ends_with(" /" + path + " -> " + seen.link + "\n")) << ls.out;
  }

  // find: links, as long as their targets.
  std::string links_found, six_found;
  for (const auto& [path, seen] : unpacked) {
    if (seen.type != 'l') continue;
    links_found += "/" + path + "\n";
    if (seen.link.size() == 6) six_found += "/" + path + "\n";
  }
  EXPECT_EQ(RunStrata({"find", "-q", image, "/", "-type", "l"}).out, links_found);
  EXPECT_EQ(RunStrata({"find", "-q", image, "/", "-type", "l", "-size", "6c"}).out, six_found);

  // cat: a relative target is read from the hard link's own directory.
  for (const char* path : {"d/s", "e/h", "d/later", "dh/x", "d/target"}) {
    std::string want = path == std::string("dh/x") ? ReadFileText(rootfs + "/tmp/x")
                                                   : ReadFileText(rootfs + "/" + path);
    RunResult cat = RunStrata({"cat", "-q", image, path});
    EXPECT_EQ(cat.exit_code, 0) << path << "\n" << cat.err;
    EXPECT_EQ(cat.out, want) << path;
  }
  EXPECT_EQ(RunStrata({"cat", "-q", image, "e/h"}).out, "e target\n");
  RunResult dangling = RunStrata({"cat", "-q", image, "d/dangling"});
  RunResult linked = RunStrata({"cat", "-q", image, "d/dangling-h"});
  EXPECT_EQ(linked.exit_code, dangling.exit_code);
  EXPECT_EQ(linked.err,
            std::regex_replace(dangling.err, std::regex("/d/dangling"), "/d/dangling-h"));
  RunResult from_layer = RunStrata({"cat", "-q", "--layer", "1", image, "e/h"});
  EXPECT_EQ(from_layer.err, "strata: error: /e/h: is a symbolic link to target in layer 1\n");

  // export: the same links, sharing an inode where umoci's do.
  RunResult exported = RunStrata({"export", image, work + "/out"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.err.find("skipped"), std::string::npos) << exported.err;
  EXPECT_EQ(Shapes(WalkDisk(work + "/out")), Shapes(unpacked));
  EXPECT_EQ(SharedInodes(work + "/out", unpacked), SharedInodes(rootfs, unpacked));
  ASSERT_EQ(testing::RunShell(fmt::format("mkdir '{0}/untarred' && {1} export -q '{2}' - | "
                                          "tar -xf - -C '{0}/untarred'",
                                          work, testing::StrataCommand(), image),
                              &output),
            0)
      << output;
  EXPECT_EQ(Shapes(WalkDisk(work + "/untarred")), Shapes(unpacked));
  EXPECT_EQ(SharedInodes(work + "/untarred", unpacked), SharedInodes(rootfs, unpacked));

  // One layer's export links to the link as GNU tar does.
  exported = RunStrata({"export", "--layer", "1", image, work + "/layer1"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.err.find("skipped"), std::string::npos) << exported.err;
  std::string tar_x = work + "/tar-x";
  ASSERT_EQ(testing::RunShell(fmt::format("mkdir '{0}' && cd '{0}' && tar -xf - < '{1}'", tar_x,
                                          work + "/layer.tar"),
                              &output),
            0);
  std::map<std::string, Seen> layer1 = WalkDisk(work + "/layer1");
  EXPECT_EQ(Shapes(layer1), Shapes(WalkDisk(tar_x)));
  EXPECT_EQ(SharedInodes(work + "/layer1", layer1), SharedInodes(tar_x, layer1));

  // audit: no warning, and the entry stored beneath a hard link to a link
  // to a directory is said to lie beneath a link to that directory.
  RunResult audit = RunStrata({"audit", "--format", "json", image});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_EQ(audit.err, "");
  std::string through;
  nlohmann::json report = nlohmann::json::parse(audit.out);
  for (const nlohmann::json& finding : report["findings"])
    if (finding["rule"] == "path-through-symlink") through = finding["detail"];
  EXPECT_TRUE(through.starts_with("stored beneath /dh, a symbolic link to /tmp (layer 1): "))
      << through;
  fs::remove_all(work);
}

// A hard link to a FIFO or a device node: link(2) links the node itself,
// and umoci and GNU tar unpack such an entry as a second name of it; so
// do strata's tree, `ls`, `find`, `cat`, `export` and `audit`. Before, it
// was an empty regular file, with a warning. GNU tar stores each name of
// a FIFO or device as a node of its own, so the layer is made by umoci,
// which links every name after the first as Docker's archiver does; a
// second layer removes the FIFO the links were made from. Device nodes
// need root, to make and to unpack.
TEST(Umoci, AHardLinkToAFifoOrADeviceIsASecondNameOfIt) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  bool root = geteuid() == 0;
  std::string work = testing::TempDir();
  std::string output;
  std::string devices =
      root ? " && mknod d/c c 1 3 && ln d/c d/ch && mknod d/b b 7 0 && ln d/b d/bh" : "";
  std::string rootless = root ? "" : " --rootless";
  ASSERT_EQ(testing::RunShell(
                fmt::format("mkdir -p '{0}/made/d' && cd '{0}/made' && mkfifo d/p d/q && "
                            "ln d/p d/ph && ln d/p d/pi && ln d/q d/qh{1} && cd '{0}' && "
                            "umoci init --layout layout && umoci new --image layout:one && "
                            "umoci insert{2} --image layout:one made/d /d && "
                            "umoci insert{2} --image layout:one --tag two --whiteout /d/p && "
                            "umoci unpack{2} --image layout:one one && "
                            "umoci unpack{2} --image layout:two two",
                            work, devices, rootless),
                &output),
            0)
      << output;
  std::map<std::string, Seen> one = WalkDisk(work + "/one/rootfs");
  std::map<std::string, Seen> two = WalkDisk(work + "/two/rootfs");
  ASSERT_EQ(two["d/ph"].type, 'p');
  const std::set<std::set<std::string>> fifo_links = {{"d/ph", "d/pi"}, {"d/q", "d/qh"}};
  std::set<std::set<std::string>> links = fifo_links;
  if (root) {
    ASSERT_EQ(two["d/ch"].type, 'c');
    links.insert({{"d/b", "d/bh"}, {"d/c", "d/ch"}});
  }
  ASSERT_EQ(SharedInodes(work + "/two/rootfs", two), links);
  std::string image = "oci:" + work + "/layout:two";
  ExpectSameTree(two, WalkTree(AnalyzePath(image)), "hard links to FIFOs and devices");

  // ls and find: each name is the node, with its type.
  std::map<char, std::string> found;
  for (const auto& [path, seen] : two) {
    if (seen.type == 'd') continue;
    found[seen.type] += "/" + path + "\n";
    RunResult ls = RunStrata({"ls", "-q", "-l", image, "/" + path});
    EXPECT_EQ(ls.exit_code, 0) << path << "\n" << ls.err;
    EXPECT_EQ(ls.out.substr(0, 1), std::string(1, seen.type)) << ls.out;
  }
  for (const auto& [type, paths] : found)
    EXPECT_EQ(RunStrata({"find", "-q", image, "/", "-type", std::string(1, type)}).out, paths);

  // cat: refused as the node is, by the name asked for.
  RunResult fifo = RunStrata({"cat", "-q", image, "d/qh"});
  EXPECT_EQ(fifo.exit_code, 2);
  EXPECT_EQ(fifo.err, "strata: error: /d/qh: is a FIFO, not a regular file\n");
  if (root)
    EXPECT_EQ(RunStrata({"cat", "-q", image, "d/ch"}).err,
              std::regex_replace(RunStrata({"cat", "-q", image, "d/c"}).err, std::regex("/d/c"),
                                 "/d/ch"));

  // export: a directory gets the FIFOs, linked where umoci links them (the
  // first name left of the removed d/p makes the FIFO), and notes each
  // name of a device node; a tar stream holds them all, linked.
  RunResult exported = RunStrata({"export", image, work + "/out"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::map<std::string, Seen> out = WalkDisk(work + "/out");
  std::map<std::string, Seen> without_devices = two;
  std::erase_if(without_devices, [](const auto& item) {
    return item.second.type == 'c' || item.second.type == 'b';
  });
  EXPECT_EQ(Shapes(out), Shapes(without_devices));
  EXPECT_EQ(SharedInodes(work + "/out", out), fifo_links);
  for (const char* device : {"/d/c (device node, not created)", "/d/ch (device node, not created)"})
    EXPECT_EQ(exported.err.find(device) != std::string::npos, root) << exported.err;
  // strata's tar stream as GNU tar extracts it, in |work|/|dir|.
  auto untar = [&](const std::string& dir, const std::string& options) {
    return testing::RunShell(
        fmt::format("mkdir '{0}/{3}' && {1} export -q {4} '{2}' - | tar -xf - -C '{0}/{3}'", work,
                    testing::StrataCommand(), image, dir, options),
        &output);
  };
  ASSERT_EQ(untar("untarred", ""), 0) << output;
  std::map<std::string, Seen> untarred = WalkDisk(work + "/untarred");
  EXPECT_EQ(Shapes(untarred), Shapes(two));
  EXPECT_EQ(SharedInodes(work + "/untarred", untarred), links);

  // One layer's export links as umoci unpacks that layer: in a directory
  // (FIFOs), and in a tar stream (device nodes too).
  exported = RunStrata({"export", "--layer", "1", image, work + "/layer1"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::map<std::string, Seen> layer1 = WalkDisk(work + "/layer1");
  EXPECT_EQ(SharedInodes(work + "/layer1", layer1),
            (std::set<std::set<std::string>>{{"d/p", "d/ph", "d/pi"}, {"d/q", "d/qh"}}));
  EXPECT_EQ(exported.err.find("lower layer"), std::string::npos) << exported.err;
  ASSERT_EQ(untar("layer1-tar", "--layer 1"), 0) << output;
  std::map<std::string, Seen> layer1_tar = WalkDisk(work + "/layer1-tar");
  EXPECT_EQ(Shapes(layer1_tar), Shapes(one));
  EXPECT_EQ(SharedInodes(work + "/layer1-tar", layer1_tar),
            SharedInodes(work + "/one/rootfs", one));

  // audit: no warning about the links.
  RunResult audit = RunStrata({"audit", "--format", "json", image});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_EQ(audit.err, "");
  fs::remove_all(work);
}

// Past the links Linux follows: a loop makes umoci's unpack fail, and a
// chain of 50 links (within umoci's 255) is written at its end. strata
// stops at 40 links, as the kernel does, and leaves the entry out: the
// chain's end is the one path where its tree and umoci's differ.
TEST(Umoci, PastFortyLinksTheEntryIsLeftOut) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::string work = testing::TempDir();
  std::string output;
  std::vector<std::vector<TarMember>> loop = {
      {{"a", '2', "", "b", 0777}, {"b", '2', "", "a", 0777}, {"keep", '0', "k\n"}},
      {{"a/f", '0', "f\n"}}};
  EXPECT_NE(UmociUnpack(work, loop, &output), 0);
  EXPECT_NE(output.find("too many levels of symbolic links"), std::string::npos) << output;
  std::map<std::string, Seen> tree = WalkTree(AnalyzePath(work + "/layout"));
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree["a"].type, 'l');
  fs::remove_all(work);

  work = testing::TempDir();
  std::vector<TarMember> chain = {{"end", '5', "", "", 0755}};
  for (int i = 0; i < 50; ++i)
    chain.push_back(
        {fmt::format("c{}", i), '2', "", i == 49 ? "end" : fmt::format("c{}", i + 1), 0777});
  ASSERT_EQ(UmociUnpack(work, {chain, {{"c0/f", '0', "f\n"}}}, &output), 0) << output;
  std::map<std::string, Seen> unpacked = WalkDisk(work + "/bundle/rootfs");
  ASSERT_TRUE(unpacked.count("end/f"));
  unpacked.erase("end/f");
  ExpectSameTree(unpacked, WalkTree(AnalyzePath(work + "/layout")), "a chain of 50 links");
  fs::remove_all(work);
}

// Whiteout names are read from the last component only, as umoci reads
// them: a directory named .wh.sub is a whiteout of sub, while what is
// stored beneath it is written beneath it; a root-level opaque marker
// empties every lower layer. strata's tree is umoci's.
TEST(Umoci, OddWhiteoutsMergeAsUmociUnpacks) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::vector<TarMember> lower = {{"etc", '5', "", "", 0755},
                                  {"etc/sub", '5', "", "", 0755},
                                  {"etc/sub/a", '0', "a\n"},
                                  {"etc/keep", '0', "k\n"},
                                  {"top", '0', "t\n"}};
  const std::pair<const char*, std::vector<TarMember>> uppers[] = {
      {"a directory named .wh.sub",
       {{"etc/.wh.sub", '5', "", "", 0755}, {"etc/.wh.sub/f", '0', "f\n"}}},
      {"files beneath .wh.sub alone", {{"etc/.wh.sub/f", '0', "f\n"}}},
      {"an opaque marker at the root", {{".wh..wh..opq", '0'}, {"new", '0', "n\n"}}},
  };
  for (const auto& [what, upper] : uppers) {
    std::string work = testing::TempDir();
    std::string output;
    ASSERT_EQ(UmociUnpack(work, {lower, upper}, &output), 0) << what << "\n" << output;
    ExpectSameTree(WalkDisk(work + "/bundle/rootfs"), WalkTree(AnalyzePath(work + "/layout")),
                   what);
    fs::remove_all(work);
  }
}

// A bare .wh. joins an empty name to its directory: umoci 0.4.7 removes the
// directory itself, then fails to restore that directory's metadata, and
// leaves no tree. strata removes the directory and goes on.
TEST(Umoci, BareWhiteoutRemovesItsOwnDirectory) {
  if (!HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::vector<std::vector<TarMember>> layers = {{{"etc", '5', "", "", 0755},
                                                 {"etc/sub", '5', "", "", 0755},
                                                 {"etc/sub/a", '0', "a\n"},
                                                 {"etc/keep", '0', "k\n"}},
                                                {{"etc/sub/.wh.", '0'}, {"late", '0', "l\n"}}};
  std::string work = testing::TempDir();
  std::string output;
  if (UmociUnpack(work, layers, &output) == 0)
    ExpectSameTree(WalkDisk(work + "/bundle/rootfs"), WalkTree(AnalyzePath(work + "/layout")),
                   "bare .wh.");
  else
    EXPECT_NE(output.find("rootfs/etc/sub: no such file or directory"), std::string::npos)
        << "umoci failed on something else than the directory it removed:\n"
        << output;

  std::map<std::string, Seen> tree = WalkTree(AnalyzePath(work + "/layout"));
  EXPECT_FALSE(tree.count("etc/sub"));
  EXPECT_FALSE(tree.count("etc/sub/a"));
  EXPECT_TRUE(tree.count("etc/keep"));
  EXPECT_TRUE(tree.count("late"));
  fs::remove_all(work);
}

}  // namespace
}  // namespace strata
