// Where output files land and what a stop signal removes (base/output_file.h,
// base/remove_tree.h).
#include "base/output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/remove_tree.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// What the stop signals' handler removes: the files guarded now, and
// only those (the handler itself is tested end to end, in
// registry_source_test.cc).
TEST(RemovedOnStop, GuardsAFileOnlyWhileItLives) {
  std::string dir = testing::TempDir();
  std::string temp;
  int fd = CreateTempBeside(dir + "/saved.tar", &temp);
  ASSERT_GE(fd, 0);
  close(fd);
  testing::WriteFile(dir + "/kept", "x");
  { RemovedOnStop guard(dir + "/kept"); }
  {
    RemovedOnStop guard(temp);
    RemoveTempFilesOnStop();
    EXPECT_FALSE(fs::exists(temp));
  }
  EXPECT_TRUE(fs::exists(dir + "/kept"));
}

// An export's temporary directory, guarded whole.
TEST(RemovedOnStop, GuardsADirectoryWithAllItHolds) {
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/out.strata-abcdef/etc/passwd", "root");
  testing::WriteFile(dir + "/kept/file", "x");
  {
    RemovedOnStop guard(dir + "/out.strata-abcdef", true);
    RemoveTempFilesOnStop();
  }
  EXPECT_FALSE(fs::exists(dir + "/out.strata-abcdef"));
  EXPECT_TRUE(fs::exists(dir + "/kept/file"));
}

// What an export leaves in its temporary directory: the image's modes
// (directories nobody may write to or read), links out of the tree, hard
// links, FIFOs, and a depth no path can name (deeper than PATH_MAX).
TEST(RemoveTree, RemovesWhatAnExportWritesAndNothingElse) {
  std::string dir = testing::TempDir();
  std::string tree = dir + "/tree";
  testing::WriteFile(tree + "/ro/inner/file", "x");
  testing::WriteFile(tree + "/closed/file", "y");
  testing::WriteFile(dir + "/outside/precious", "keep");
  fs::create_symlink(dir + "/outside", tree + "/link");
  fs::create_symlink(dir + "/outside/precious", tree + "/ro/file-link");
  fs::create_hard_link(tree + "/closed/file", tree + "/hard");
  ASSERT_EQ(mkfifo((tree + "/fifo").c_str(), 0600), 0);
  chmod((tree + "/ro/inner").c_str(), 0555);
  chmod((tree + "/ro").c_str(), 0555);
  chmod((tree + "/closed").c_str(), 0);
  int fd = open(tree.c_str(), O_RDONLY | O_DIRECTORY);
  for (int depth = 0; depth < 2100 && fd >= 0; ++depth) {
    ASSERT_EQ(mkdirat(fd, "aaa", 0700), 0);
    int next = openat(fd, "aaa", O_RDONLY | O_DIRECTORY);
    close(fd);
    fd = next;
  }
  ASSERT_GE(fd, 0);
  ASSERT_EQ(mkdirat(fd, "bottom", 0500), 0);
  close(fd);

  EXPECT_TRUE(RemoveTree(tree.c_str()));
  EXPECT_FALSE(fs::exists(fs::symlink_status(tree)));
  EXPECT_EQ(testing::ReadFileText(dir + "/outside/precious"), "keep");
  // Gone already, or never there: nothing to do.
  EXPECT_TRUE(RemoveTree(tree.c_str()));
}

}  // namespace
}  // namespace strata
