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

// `min_entropy: abc` said "yaml-cpp: error at line 1, column 68: bad
// conversion", and so did `scan_binaries: maybe`: neither the key nor
// what it takes.
TEST(Usage, ATypedValueOfTheConfigurationNamesItsKey) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rules:\n  content:\n    - {id: corp, regex: \"corp_[a-z]{8}\", min_entropy: abc}\n",
       "rules.content[0].min_entropy: \"abc\" is not a number"},
      {"rules:\n  content:\n    - {id: corp, regex: \"x\", caseless: 3}\n",
       "rules.content[0].caseless: \"3\" is not true or false"},
      {"rules:\n  content:\n    - {id: corp, regex: [x]}\n",
       "rules.content[0].regex: a list is not a string"},
      {"limits:\n  scan_binaries: maybe\n", "limits.scan_binaries: \"maybe\" is not true or false"},
      {"limits:\n  max_scan_bytes: [1MB]\n", "limits.max_scan_bytes: a list is not a size"},
      {"rules:\n  disable: [[build-tool]]\n", "rules.disable[0]: a list is not a rule id"},
      {"rules:\n  severity: {build-tool: [high]}\n",
       "rules.severity.build-tool: a list is not a severity"},
      {"policy:\n  skip: [{rule: build-tool}]\n", "policy.skip[0]: a mapping is not a rule id"},
      {"policy: 3\n", "policy must be a mapping"},
  };
  for (const auto& [yaml, message] : cases) {
    WriteFile(dir + "/bad.yaml", yaml);
    RunResult result = RunStrata({"ci", "-q", "--config", dir + "/bad.yaml", image});
    EXPECT_EQ(result.exit_code, 2) << yaml;
    EXPECT_EQ(result.err, "strata: error: " + dir + "/bad.yaml: " + message + "\n") << yaml;
  }
  // YAML's spellings of true and false are still taken.
  WriteFile(dir + "/good.yaml",
            "rules:\n  content:\n    - {id: corp, regex: \"x\", caseless: yes, min_entropy: 1e-1}\n"
            "limits:\n  scan_binaries: off\n");
  RunResult good = RunStrata({"audit", "-q", "--config", dir + "/good.yaml", image});
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

}  // namespace
}  // namespace strata
