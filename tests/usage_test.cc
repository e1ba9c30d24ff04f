// Defects a new user's trial found in how strata is used: options,
// configuration and messages. One test each, named after what went wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::RunResult;
using testing::RunStrata;
using testing::TempDir;
using testing::WriteFile;

std::string Corpus(const std::string& name) { return testing::CorpusDir() + "/corpus/" + name; }

void ExpectUsageError(const RunResult& result, const std::string& line) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "strata: error: " + line + "\n");
}

// `--cache-dir ''` used the home cache and `--save ''` saved nothing, in
// silence: a script's unset variable must not mean the default.
TEST(Usage, AnEmptyValueIsRefusedNotTakenForTheDefault) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  ExpectUsageError(RunStrata({"audit", "--cache-dir", "", image}, "", dir),
                   "--cache-dir: needs a directory, not an empty value (see strata audit --help)");
  ExpectUsageError(RunStrata({"audit", "--save", "", image}, "", dir),
                   "--save: needs a file name, not an empty value (see strata audit --help)");
  ExpectUsageError(RunStrata({"ls", "--save", "", image, "/"}, "", dir),
                   "--save: needs a file name, not an empty value (see strata ls --help)");
  // The other options naming a file or a setting say the same.
  for (const char* option : {"--config", "--dive-ci", "--base", "--ca-file", "--fail-on",
                             "--lowest-efficiency", "--highest-wasted-bytes"}) {
    RunResult result = RunStrata({"ci", option, "", image}, "", dir);
    EXPECT_EQ(result.exit_code, 2) << option << result.err;
    EXPECT_NE(result.err.find(std::string(option) + ": needs "), std::string::npos) << result.err;
  }
  ExpectUsageError(RunStrata({"rules", "--config", ""}, "", dir),
                   "--config: needs a file name, not an empty value (see strata rules --help)");
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
}  // namespace strata
