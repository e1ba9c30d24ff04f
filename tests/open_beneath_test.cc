// Opening a directory beneath another without following a link
// (base/open_beneath.h), at any depth.
#include "base/open_beneath.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <filesystem>
#include <string>

#include "base/fd.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// The inode of the open directory |fd|.
ino_t InodeOf(int fd) {
  struct stat info;
  EXPECT_EQ(fstat(fd, &info), 0);
  return info.st_ino;
}

ino_t InodeOf(const std::string& path) {
  struct stat info;
  EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

TEST(OpenDirectoryBeneath, OpensAtAnyDepth) {
  std::string root = testing::TempDir();
  Fd base(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_GE(base.get(), 0);

  // Deeper than PATH_MAX bytes: opened a piece at a time. Made a level
  // at a time too, since no single call takes the whole path.
  std::string path;
  Fd dir(dup(base.get()));
  for (int level = 0; static_cast<int>(path.size()) < 3 * PATH_MAX; ++level) {
    std::string name = level % 7 == 0 ? std::string(200, 'n') : "d" + std::to_string(level);
    ASSERT_EQ(mkdirat(dir.get(), name.c_str(), 0755), 0);
    dir = Fd(openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_GE(dir.get(), 0);
    path += (path.empty() ? "" : "/") + name;
  }
  Fd opened(OpenDirectoryBeneath(base.get(), path));
  ASSERT_GE(opened.get(), 0) << strerror(errno);
  EXPECT_EQ(InodeOf(opened.get()), InodeOf(dir.get()));

  Fd itself(OpenDirectoryBeneath(base.get(), ""));
  ASSERT_GE(itself.get(), 0);
  EXPECT_EQ(InodeOf(itself.get()), InodeOf(root));

  Fd missing(OpenDirectoryBeneath(base.get(), path + "/absent"));
  EXPECT_LT(missing.get(), 0);
  EXPECT_EQ(errno, ENOENT);
}

TEST(OpenDirectoryBeneath, RefusesALinkOrFileOnTheWay) {
  std::string root = testing::TempDir();
  fs::create_directories(root + "/a/b/c");
  fs::create_directories(root + "/elsewhere/c");
  fs::create_directory_symlink(root + "/elsewhere", root + "/a/link");
  fs::create_directory_symlink("b", root + "/a/relative");
  testing::WriteFile(root + "/a/file", "x");
  Fd base(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));

  Fd good(OpenDirectoryBeneath(base.get(), "a/b/c"));
  ASSERT_GE(good.get(), 0);
  EXPECT_EQ(InodeOf(good.get()), InodeOf(root + "/a/b/c"));

  for (const char* path : {"a/link/c", "a/relative/c"}) {
    Fd refused(OpenDirectoryBeneath(base.get(), path));
    EXPECT_LT(refused.get(), 0) << path;
    EXPECT_EQ(errno, ELOOP) << path;
  }
  // A link at the end is no directory to O_DIRECTORY, in either way of
  // opening.
  Fd last(OpenDirectoryBeneath(base.get(), "a/link"));
  EXPECT_LT(last.get(), 0);
  EXPECT_TRUE(errno == ENOTDIR || errno == ELOOP) << errno;
  Fd file(OpenDirectoryBeneath(base.get(), "a/file"));
  EXPECT_LT(file.get(), 0);
  EXPECT_EQ(errno, ENOTDIR);
}

}  // namespace
}  // namespace strata
