// Where output files land and what a stop signal removes (base/output_file.h).
#include "base/output_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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

}  // namespace
}  // namespace strata
