// The merged filesystem against the oracle: `umoci unpack` of the same
// image, made by tests/fixtures/build.sh with Docker Engine and skopeo.
// Paths, types, modes, owners, sizes, link targets and file contents
// (by hash) must all agree.
#include <gtest/gtest.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::AnalyzePath;
using testing::FixturesDir;

struct Seen {
  char type;
  uint32_t mode, uid, gid;
  int64_t size;
  std::string link;
  uint64_t hash;
};

std::string Describe(const Seen& s) {
  return fmt::format("{} {:o} {}:{} size={} link={} hash={:x}", s.type, s.mode, s.uid, s.gid, s.size,
                     s.link, s.hash);
}

uint64_t HashFile(const std::string& path) {
  std::string data = testing::ReadFileText(path);
  return XXH3_64bits(data.data(), data.size());
}

char TypeOf(mode_t mode) {
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  return '-';
}

// Walks with lstat only: the corpus has symlink loops that would trip
// std::filesystem's iterator.
void WalkDirectory(const std::string& root, const std::string& relative,
                   std::map<std::string, Seen>* seen) {
  std::string dir_path = relative.empty() ? root : root + "/" + relative;
  DIR* dir = opendir(dir_path.c_str());
  if (dir == nullptr) return;
  while (struct dirent* item = readdir(dir)) {
    std::string name = item->d_name;
    if (name == "." || name == "..") continue;
    std::string rel = relative.empty() ? name : relative + "/" + name;
    std::string path = root + "/" + rel;
    struct stat info;
    if (lstat(path.c_str(), &info) != 0) continue;
    Seen s{TypeOf(info.st_mode), static_cast<uint32_t>(info.st_mode & 07777), info.st_uid, info.st_gid,
           S_ISREG(info.st_mode) ? static_cast<int64_t>(info.st_size) : 0, "", 0};
    if (S_ISLNK(info.st_mode)) {
      std::string target(4096, '\0');
      ssize_t length = readlink(path.c_str(), target.data(), target.size());
      s.link = target.substr(0, length < 0 ? 0 : length);
    }
    if (S_ISREG(info.st_mode)) s.hash = HashFile(path);
    (*seen)[rel] = s;
    if (S_ISDIR(info.st_mode)) WalkDirectory(root, rel, seen);
  }
  closedir(dir);
}

std::map<std::string, Seen> WalkRootfs(const std::string& root) {
  std::map<std::string, Seen> seen;
  WalkDirectory(root, "", &seen);
  return seen;
}

std::map<std::string, Seen> WalkTree(const Analysis& analysis) {
  std::map<std::string, Seen> seen;
  FileTree::Walk(analysis.merge.tree().root(), "", [&seen](const FileNode* node, const std::string& path) {
    if (path.empty()) return;
    Seen s{EntryKindLetter(node->kind()), node->mode(), node->uid(), node->gid(), node->size(), "", 0};
    if (node->kind() == EntryKind::kSymlink) s.link = node->entry->link;
    if (node->content != nullptr) s.hash = node->content->content_hash;
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

void ExpectSameTree(const std::map<std::string, Seen>& oracle, const std::map<std::string, Seen>& ours,
                    const std::string& what) {
  for (const auto& [path, want] : oracle) {
    auto it = ours.find(path);
    if (it == ours.end()) {
      ADD_FAILURE() << what << ": umoci has " << path << " (" << Describe(want) << "), strata does not";
      continue;
    }
    EXPECT_EQ(Describe(it->second), Describe(want)) << what << ": " << path;
  }
  for (const auto& [path, got] : ours)
    if (!oracle.count(path))
      ADD_FAILURE() << what << ": strata has " << path << " (" << Describe(got) << "), umoci does not";
}

TEST(Umoci, FixturesWereBuilt) {
  if (FixturesDir().empty()) GTEST_SKIP() << "STRATA_FIXTURES is not set; run `make test`";
  EXPECT_GE(FixtureNames().size(), 3u) << "no NAME.rootfs in " << FixturesDir();
}

TEST(Umoci, MergedTreeMatchesUmociUnpack) {
  if (FixturesDir().empty()) GTEST_SKIP() << "STRATA_FIXTURES is not set; run `make test`";
  for (const std::string& name : FixtureNames()) {
    std::map<std::string, Seen> oracle = WalkRootfs(FixturesDir() + "/" + name + ".rootfs");
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
        "cp -r '{}' '{}/layout' && umoci unpack --image '{}/layout:corpus/{}:1' '{}/bundle' >/dev/null 2>&1",
        layout, work, work, name, work);
    ASSERT_EQ(system(command.c_str()), 0) << command;
    ExpectSameTree(WalkRootfs(work + "/bundle/rootfs"), WalkTree(AnalyzePath(layout)), name);
    fs::remove_all(work);
  }
}

}  // namespace
}  // namespace strata
