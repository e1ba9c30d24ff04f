// Defects a new user's trial found in how strata is used: options,
// configuration and messages. One test each, named after what went wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "blob/sha256.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
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

// `--cache-dir=$DIR` with DIR unset gives "--cache-dir=", which CLI11
// read as --cache-dir taking the next word, IMAGE: "IMAGE is required".
// It is the empty value, refused as `--cache-dir ''` is; a word that only
// looks like one, as another option's value or a find test's, stays whole.
TEST(Usage, AnEmptyValueAfterEqualsIsAnEmptyValue) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  ExpectUsageError(RunStrata({"audit", "--cache-dir=", image}, "", dir),
                   "--cache-dir: needs a directory, not an empty value (see strata audit --help)");
  ExpectUsageError(RunStrata({"ls", "--save=", image, "/"}, "", dir),
                   "--save: needs a file name, not an empty value (see strata ls --help)");
  ExpectUsageError(
      RunStrata({"find", "--cache-dir=", image, "-name", "x"}, "", dir),
      "find: --cache-dir: needs a directory, not an empty value (see strata find --help)");
  EXPECT_TRUE(fs::is_empty(dir));

  // --platform '' is the default platform; so is --platform=.
  RunResult platform = RunStrata({"layers", "--no-cache", "--platform=", image}, "", dir);
  EXPECT_EQ(platform.exit_code, 0) << platform.err;
  EXPECT_EQ(platform.out, RunStrata({"layers", "--no-cache", image}, "", dir).out);

  RunResult report = RunStrata({"audit", "--no-cache", "-q", "-o", "--odd=", image}, "", dir);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(fs::is_regular_file(dir + "/--odd="));
  RunResult found = RunStrata({"find", "--no-cache", image, "-name", "--cache-dir="}, "", dir);
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.out, "");
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
      // Found by a user trial: "must be a mapping", of a name in Latin-1.
      {"rules:\n  disable: [build-tool]\n\xff\xfe: 1\n",
       "line 3 is not valid UTF-8 (the file must be UTF-8 text)"},
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

  // Found by a user trial: "policy:" with its keys commented out (null)
  // was "must be a mapping"; it is no policy.
  WriteFile(dir + "/empty.yaml", "policy:\n#  fail_on: low\n");
  RunResult empty = RunStrata({"ci", "--format", "json", "--config", dir + "/empty.yaml", image});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.out.find("has no policy"), std::string::npos) << empty.out;
}

// Found by a new user: `--lowest-efficiency 2` said what was wrong but not
// where the command's help is, unlike the option parser's own errors; so
// did --highest-wasted-bytes 20M and the usage errors found after parsing.
TEST(Usage, EveryUsageErrorPointsToTheCommandsHelp) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"audit", "--lowest-efficiency", "2", image},
       "--lowest-efficiency: \"2\" is not a fraction between 0 and 1 (see strata audit --help)"},
      {{"ci", "--highest-wasted-bytes", "20M", image},
       "--highest-wasted-bytes: \"20M\" could mean either unit: write 20MB (powers of 1000) or "
       "20MiB (of 1024) (see strata ci --help)"},
      {{"ci", "--highest-wasted-bytes", "lots", image},
       "--highest-wasted-bytes: \"lots\" is not a size (like 512, 20kB, 1.5MB, 2GiB) (see strata "
       "ci --help)"},
      {{"ci", "--highest-user-wasted-percent=-1", image},
       "--highest-user-wasted-percent: \"-1\" is not a fraction between 0 and 1 (see strata ci "
       "--help)"},
      {{"audit", "--fail-on", "urgent", image},
       "--fail-on: \"urgent\" is not a severity (info, low, medium, high, critical, or none) (see "
       "strata audit --help)"},
      {{"audit", "--format", "json", "--format", "sarif", image},
       "only one report can go to standard output; give the others as FORMAT=FILE (see strata "
       "audit --help)"},
      {{"audit", "--format", "json=", image},
       "--format json= needs a file name (see strata audit --help)"},
      {{"audit", "-o", dir + "/x", "--format", "json=" + dir + "/y", image},
       "-o " + dir +
           "/x has no report to take: every --format names its own file (see strata "
           "audit --help)"},
      {{"export", "--squash", "--layer", "1", image, dir + "/out"},
       "--squash and --layer cannot be used together (see strata export --help)"},
      {{"export", image, ""},
       "export needs a target: the directory name is empty (give a directory, or - for a tar "
       "stream on standard output) (see strata export --help)"},
  };
  for (const auto& [args, line] : cases) ExpectUsageError(RunStrata(args, "", dir), line);
  // Policy flags are checked before anything is read: no image is opened.
  ExpectUsageError(RunStrata({"ci", "--lowest-efficiency", "x", dir + "/none"}, "", dir),
                   "--lowest-efficiency: \"x\" is not a fraction between 0 and 1 (see strata ci "
                   "--help)");
  // "disabled" is still a value every threshold takes.
  RunResult off = RunStrata({"ci", "-q", "--lowest-efficiency", "disabled",
                             "--highest-wasted-bytes", "off", "--fail-on", "none", image},
                            "", dir);
  EXPECT_NE(off.exit_code, 2) << off.err;
}

// A custom content pattern that matches empty text (`(a*)*$`) was refused
// in vectorscan's words ("Start of match is not currently supported…"),
// at "rules.content: content rule x" where every other mistake names its
// key.
TEST(Usage, AContentPatternTheScannerRefusesIsSaidPlainlyAtItsKey) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rules:\n  content:\n    - {id: x, regex: \"(a*)*$\"}\n",
       "rules.content[0].regex: \"(a*)*$\" matches empty text, so it has no start to report; make "
       "it match at least one character"},
      {"rules:\n  paths:\n    - {id: p, glob: \"*.sql\"}\n  content:\n    - {id: a, regex: "
       "\"ok_[0-9]+\"}\n    - {id: b, regex: \"x?\"}\n",
       "rules.content[1].regex: \"x?\" matches empty text, so it has no start to report; make it "
       "match at least one character"},
      {"rules:\n  content:\n    - {id: x, regex: \"a{1,70000}\"}\n",
       "rules.content[0].regex: \"a{1,70000}\" does not compile: bounded repeat is too large"},
  };
  for (const auto& [yaml, message] : cases) {
    WriteFile(dir + "/c.yaml", yaml);
    ExpectUsageError(RunStrata({"audit", "-q", "--config", dir + "/c.yaml", image}),
                     dir + "/c.yaml: " + message);
  }
}

// Two custom rules of one id, an empty reason, `min_entropy: -1` and
// `rules:` given twice were all taken, exit code 0.
TEST(Usage, ConfigurationMistakesThatWereTakenAreRefused) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rules:\n  paths:\n    - {id: dump, glob: \"**/*.sql\"}\n"
       "    - {id: dump, glob: \"**/*.bak\"}\n",
       "rules.paths[1].id: \"dump\" is already the id of rules.paths[0]; give each rule its own"},
      {"rules:\n  paths:\n    - {id: dump, glob: \"**/*.sql\"}\n"
       "  content:\n    - {id: dump, regex: \"x\"}\n",
       "rules.content[0].id: \"dump\" is already the id of rules.paths[0]; give each rule its own"},
      {"rules:\n  paths:\n    - {id: build-tool, glob: \"**/*.sql\"}\n",
       "rules.paths[0].id: \"build-tool\" is a built-in rule id; choose another"},
      {"accept:\n  - {rule: build-tool, reason: \"\"}\n",
       "accept[0].reason: it is empty; say why the finding is accepted"},
      {"rules:\n  content:\n    - {id: corp, regex: \"x\", min_entropy: -1}\n",
       "rules.content[0].min_entropy: -1 is out of range: bits per character run from 0 to 8"},
      {"rules:\n  content:\n    - {id: corp, regex: \"x\", min_entropy: 9}\n",
       "rules.content[0].min_entropy: 9 is out of range: bits per character run from 0 to 8"},
      {"rules:\n  disable: [build-tool]\nlimits:\n  scan_binaries: true\n"
       "rules:\n  disable: [runs-as-root]\n",
       "\"rules\" is given twice (lines 1 and 5); give it once"},
      {"policy:\n  fail_on: high\n  fail_on: none\n",
       "policy: \"fail_on\" is given twice (lines 2 and 3); give it once"},
      {"rules:\n  severity: {build-tool: high, build-tool: low}\n",
       "rules.severity: \"build-tool\" is given twice (on line 2); give it once"},
      // An alias that leads back into its own node is walked once.
      {"rules: &a\n  disable: *a\n", "rules.disable must be a list of rule ids"},
      {"rules:\n  content:\n    - &r {id: a, regex: \"x\"}\n    - *r\n",
       "rules.content[1].id: \"a\" is already the id of rules.content[0]; give each rule its own"},
  };
  for (const auto& [yaml, message] : cases) {
    WriteFile(dir + "/bad.yaml", yaml);
    RunResult result = RunStrata({"ci", "-q", "--config", dir + "/bad.yaml", image});
    EXPECT_EQ(result.exit_code, 2) << yaml;
    EXPECT_EQ(result.err, "strata: error: " + dir + "/bad.yaml: " + message + "\n") << yaml;
  }
  // A .dive-ci is held to the same.
  WriteFile(dir + "/.dive-ci", "rules:\n  lowestEfficiency: 0.5\n  lowestEfficiency: 0.9\n");
  ExpectUsageError(RunStrata({"ci", "-q", "--dive-ci", dir + "/.dive-ci", image}),
                   dir +
                       "/.dive-ci: rules: \"lowestEfficiency\" is given twice (lines 2 and 3); "
                       "give it once");
  // A title is optional: the id stands in for it.
  WriteFile(dir + "/good.yaml", "rules:\n  paths:\n    - {id: any-file, glob: \"**\"}\n");
  RunResult good = RunStrata({"audit", "-q", "--config", dir + "/good.yaml", image});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("any-file"), std::string::npos);
}

// `ci --no-rules` said the findings check passed ("0 failing"), and JUnit
// counted a passing test, though no rule ran.
TEST(Usage, NoRulesSkipsTheFindingsCheckInEveryFormat) {
  std::string image = Corpus("clean-multistage.oci");
  std::string dir = TempDir();
  RunResult table = RunStrata({"ci", "-q", "--no-rules", image}, "", dir);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("SKIP  findings                      not evaluated             no rule ran "
                           "(--no-rules)\n"),
            std::string::npos)
      << table.out;

  RunResult report =
      RunStrata({"ci", "-q", "--no-rules", "--format", "json=" + dir + "/r.json", "--format",
                 "junit=" + dir + "/r.xml", "--format", "markdown=" + dir + "/r.md", "--format",
                 "sarif=" + dir + "/r.sarif", image},
                "", dir);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  json checks = json::parse(testing::ReadFileText(dir + "/r.json"))["policy"]["checks"];
  ASSERT_EQ(checks.back()["key"], "fail_on");
  EXPECT_EQ(checks.back()["status"], "SKIP");
  EXPECT_EQ(checks.back()["measured"], "not evaluated");
  std::string junit = testing::ReadFileText(dir + "/r.xml");
  EXPECT_NE(junit.find("<testcase classname=\"strata.policy\" name=\"findings\" time=\"0\">\n"
                       "      <skipped message=\"findings: no rule ran (--no-rules)\"/>"),
            std::string::npos)
      << junit;
  std::string markdown = testing::ReadFileText(dir + "/r.md");
  EXPECT_NE(markdown.find("| findings | SKIP |"), std::string::npos);
  EXPECT_NE(markdown.find("**Findings:** not evaluated (--no-rules)"), std::string::npos)
      << markdown;
  json invocation =
      json::parse(testing::ReadFileText(dir + "/r.sarif"))["runs"][0]["invocations"][0];
  EXPECT_EQ(invocation["properties"]["rules_evaluated"], false);
  EXPECT_EQ(invocation["toolExecutionNotifications"][0]["level"], "note");

  // With the rules, the check is made as before.
  RunResult ruled = RunStrata({"ci", "-q", image}, "", dir);
  EXPECT_NE(ruled.out.find("PASS  findings                      0 at or above high        none allowed"),
            std::string::npos)
      << ruled.out;
}

// A custom content pattern as loose as [a-z0-9]{3} turned "mkdir -p /app"
// into "…(3 characters)ir -p /…(3 characters)" in every build step, in
// silence: strata cannot tell which of its matches are secrets, but it can
// say that it matches ordinary words.
TEST(Usage, ACustomPatternThatMatchesOrdinaryTextIsWarnedOf) {
  std::string dir = TempDir();
  std::string image =
      testing::WriteImage(dir + "/image", {{{"app/main.conf", '0', "ticket = CORP-4711\n"}}},
                          R"({"config": {"User": "1"}})");
  WriteFile(dir + "/c.yaml",
            "rules:\n  content:\n"
            "    - {id: loose, regex: \"[a-z0-9]{3}\"}\n"
            "    - {id: corp-ticket, regex: \"CORP-[0-9]{4}\"}\n");
  RunResult result = RunStrata({"audit", "--config", dir + "/c.yaml", image}, "", dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("strata: warning: custom content rule loose in " + dir +
                            "/c.yaml matches ordinary text (in \"/bin/sh -c apt-get update"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("corp-ticket"), std::string::npos) << result.err;

  // Disabled, it scans nothing, and is not warned of.
  WriteFile(dir + "/d.yaml",
            "rules:\n  disable: [loose]\n  content:\n"
            "    - {id: loose, regex: \"[a-z0-9]{3}\"}\n");
  RunResult disabled = RunStrata({"audit", "--config", dir + "/d.yaml", image}, "", dir);
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(disabled.err.find("warning"), std::string::npos) << disabled.err;
}

// history and layers read no configuration, so a secret only a custom
// content rule knows was hidden by audit and shown in full by them.
TEST(Usage, EveryCommandHidesWhatACustomRuleMatchesInBuildSteps) {
  std::string dir = TempDir();
  std::string image = testing::WriteImage(
      dir + "/image", {{{"etc/app.conf", '0', "x\n"}}},
      R"({"config": {"User": "1"}, "history": [{"created_by": "/bin/sh -c ./deploy --key )"
      R"(corp_abcdef1234567890secret"}]})");
  std::string base = testing::WriteImage(dir + "/base", {{{"etc/other", '0', "y\n"}}});
  WriteFile(dir + "/.strata.yaml",
            "rules:\n  content:\n    - {id: corp-token, regex: \"corp_[a-z0-9]+\"}\n");
  const std::string hidden = "corp…(27 characters)";
  std::vector<std::vector<std::string>> commands = {
      {"history", image},    {"history", "--format", "json", image},
      {"layers", image},     {"layers", "--format", "json", image},
      {"diff", base, image}, {"diff", "--format", "json", base, image},
      {"audit", image}};
  for (const std::vector<std::string>& command : commands) {
    RunResult result = RunStrata(command, "", dir);  // ./.strata.yaml applies.
    ASSERT_EQ(result.exit_code, 0) << command[0] << result.err;
    EXPECT_EQ(result.out.find("abcdef1234567890"), std::string::npos) << command[0] << result.out;
    EXPECT_NE(result.out.find(hidden), std::string::npos) << command[0] << result.out;
  }
  // --config names another file, as for audit.
  fs::rename(dir + "/.strata.yaml", dir + "/c.yaml");
  RunResult named = RunStrata({"history", "--config", dir + "/c.yaml", image});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.out.find(hidden), std::string::npos) << named.out;
}

// A custom content rule's finding printed an empty "fix:" line, where a
// custom path rule's had a fix.
TEST(Usage, ACustomContentRuleHasAFixInEveryFormat) {
  std::string dir = TempDir();
  std::string image =
      testing::WriteImage(dir + "/image", {{{"app/main.conf", '0', "ticket = CORP-4711\n"}}},
                          R"({"config": {"User": "1"}})");
  WriteFile(dir + "/c.yaml",
            "rules:\n  content:\n    - {id: corp-ticket, regex: \"CORP-[0-9]{4}\"}\n");
  const std::string fix =
      "remove the matched text from the image, or accept the finding in .strata.yaml";

  RunResult table = RunStrata({"audit", "-q", "--config", dir + "/c.yaml", image});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out.find("fix: \n"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("fix: " + fix), std::string::npos) << table.out;

  RunResult report = RunStrata({"audit", "-q", "--config", dir + "/c.yaml", "--format", "json",
                                "--format", "sarif=" + dir + "/r.sarif", image});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  int found = 0;
  json audit = json::parse(report.out);
  for (const json& finding : audit["findings"]) {
    if (finding["rule"] != "corp-ticket") continue;
    EXPECT_EQ(finding["fix"], fix) << finding.dump();
    ++found;
  }
  EXPECT_EQ(found, 1);  // In ENV, the match is secret-in-env's, with its own fix.
  json sarif = json::parse(testing::ReadFileText(dir + "/r.sarif"));
  found = 0;
  for (const json& result : sarif["runs"][0]["results"]) {
    if (result["ruleId"] != "corp-ticket") continue;
    EXPECT_EQ(result["properties"]["fix"], fix);
    ++found;
  }
  EXPECT_EQ(found, 1);
}

// An accepted finding whose expiry date had passed stopped accepting in
// silence, and its finding counted again.
TEST(Usage, AnExpiredAcceptedFindingIsWarnedOf) {
  std::string dir = TempDir();
  std::string image = Corpus("leaky-app.oci");
  WriteFile(dir + "/a.yaml",
            "accept:\n"
            "  - {rule: vcs-directory, path: /app/.git, reason: version, expires: 2020-01-31}\n"
            "  - {path: /app/.env|/nowhere, reason: old, expires: 2021-02-03}\n"
            "  - {rule: runs-as-root, reason: later, expires: 2999-12-31}\n"
            "  - {rule: setuid-file, reason: nothing matches, expires: 2020-01-31}\n");
  const std::string git =
      "the accepted finding (rule vcs-directory, path /app/.git) in " + dir +
      "/a.yaml expires 2020-01-31, which has passed: 1 finding it matches counts again";
  const std::string env = "the accepted finding (path /app/.env|/nowhere) in " + dir +
                          "/a.yaml expires 2021-02-03, which has passed: ";

  RunResult table = RunStrata({"audit", "--config", dir + "/a.yaml", image});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.err.find("strata: warning: " + git + "\n"), std::string::npos) << table.err;
  EXPECT_NE(table.err.find("strata: warning: " + env), std::string::npos) << table.err;
  EXPECT_EQ(table.err.find("2999-12-31"), std::string::npos) << table.err;
  EXPECT_EQ(table.err.find("setuid-file"), std::string::npos) << table.err;
  EXPECT_NE(table.out.find("  " + git + "\n"), std::string::npos) << table.out;

  RunResult report =
      RunStrata({"audit", "-q", "--format", "json", "--config", dir + "/a.yaml", image});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.err, "");  // -q: no warnings on standard error, as ever.
  json audit = json::parse(report.out);
  EXPECT_NE(std::find(audit["warnings"].begin(), audit["warnings"].end(), git),
            audit["warnings"].end())
      << audit["warnings"].dump();
  for (const json& finding : audit["findings"]) {
    if (finding["rule"] == "vcs-directory") EXPECT_TRUE(finding["accepted"].is_null());
    if (finding["rule"] == "runs-as-root") EXPECT_EQ(finding["accepted"], "later");
  }
}

// Messages that named too little or said it unlike the rest.
TEST(Usage, MessagesSayWhyAndNameWhatIsMeant) {
  std::string dir = TempDir();
  std::string image = Corpus("clean-multistage.oci");
  // A file that cannot be read says why.
  ExpectUsageError(
      RunStrata({"audit", "--config", dir + "/none.yaml", image}),
      "cannot read the configuration file " + dir + "/none.yaml: No such file or directory");
  ExpectUsageError(
      RunStrata({"ci", "--dive-ci", dir + "/none", image}),
      "cannot read the configuration file " + dir + "/none: No such file or directory");
  // Every command names its formats alike.
  ExpectUsageError(RunStrata({"rules", "--format", "sarif"}),
                   "rules has no format \"sarif\" (it has table, json) (see strata rules --help)");
  ExpectUsageError(RunStrata({"diff", "--format", "sarif", image, image}),
                   "diff has no format \"sarif\" (it has table, json) (see strata diff --help)");
  ExpectUsageError(
      RunStrata({"history", "--format", "sarif", image}),
      "history has no format \"sarif\" (it has table, json) (see strata history --help)");
  // A missing path is named apart from the reference after it.
  ExpectUsageError(RunStrata({"audit", "oci:" + dir + "/nonexist:ref"}),
                   dir + "/nonexist: no such file or directory (reading oci:" + dir +
                       "/nonexist:ref as " + dir + "/nonexist and the image \"ref\" in it)");
  ExpectUsageError(RunStrata({"audit", "oci:" + dir + "/nonexist"}),
                   dir + "/nonexist: no such file or directory");

  // A layer blob that is a directory is not "missing".
  std::string layout = testing::WriteImage(dir + "/layout", {{{"a", '0', "x"}}});
  json index = json::parse(testing::ReadFileText(layout + "/index.json"));
  std::string blobs = layout + "/blobs/sha256/";
  json manifest = json::parse(
      testing::ReadFileText(blobs + index["manifests"][0]["digest"].get<std::string>().substr(7)));
  std::string layer =
      "blobs/sha256/" + manifest["layers"][0]["digest"].get<std::string>().substr(7);
  fs::remove(layout + "/" + layer);
  fs::create_directory(layout + "/" + layer);
  ExpectUsageError(RunStrata({"audit", layout}),
                   "layer blob " + layer + " in " + layout + " is a directory, not a file");
  std::string output;
  ASSERT_EQ(testing::RunShell("cd '" + layout + "' && tar -cf ../layout.tar .", &output), 0)
      << output;
  ExpectUsageError(RunStrata({"audit", dir + "/layout.tar"}),
                   "layer blob " + layer + " in " + dir + "/layout.tar is a directory, not a file");
  fs::remove(layout + "/" + layer);
  ExpectUsageError(RunStrata({"audit", layout}),
                   "layer blob " + layer + " in " + layout + " is missing");
}

// `-q -v` let -v win in silence.
TEST(Usage, QuietAndVerboseTogetherAreRefused) {
  std::string image = Corpus("clean-multistage.oci");
  ExpectUsageError(RunStrata({"audit", "-q", "-v", image}),
                   "--quiet excludes --verbose (see strata audit --help)");
  ExpectUsageError(RunStrata({"history", "--verbose", "--quiet", image}),
                   "--quiet excludes --verbose (see strata history --help)");
  ExpectUsageError(RunStrata({"ci", "-qv", image}),
                   "--quiet excludes --verbose (see strata ci --help)");
  RunResult verbose = RunStrata({"layers", "-v", image});
  EXPECT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_NE(verbose.err.find("strata: "), std::string::npos);
}

// Found by a new user: --format (and --skip) took every word after it,
// the image too: `layers --format json IMAGE` said IMAGE is required.
TEST(Usage, AListOptionTakesOneWordAndLeavesTheImage) {
  std::string image = Corpus("clean-multistage.oci");
  std::string dir = TempDir();
  for (const char* command : {"layers", "history", "audit"}) {
    for (const char* format : {"--format=json", "--format"}) {
      std::vector<std::string> args = {command, format};
      if (std::string(format) == "--format") args.push_back("json");
      args.push_back(image);
      RunResult result = RunStrata(args);
      ASSERT_EQ(result.exit_code, 0) << command << " " << format << ": " << result.err;
      EXPECT_TRUE(json::accept(result.out)) << command;
    }
  }

  RunResult both =
      RunStrata({"audit", "--format", "json", "--format", "markdown=" + dir + "/r.md", image});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_TRUE(json::accept(both.out));
  EXPECT_TRUE(fs::exists(dir + "/r.md"));

  RunResult skipped = RunStrata(
      {"ci", "--skip", "vcs-directory", "--skip", "secret-private-key", "--format", "json", image});
  EXPECT_LT(skipped.exit_code, 2) << skipped.err;
  EXPECT_TRUE(json::accept(skipped.out)) << skipped.err;
}

// `strata audit --version` was refused, though the docs list --version
// among the common options.
TEST(Usage, EveryCommandTakesVersion) {
  RunResult top = RunStrata({"--version"});
  ASSERT_EQ(top.exit_code, 0);
  ASSERT_EQ(top.out.rfind("strata ", 0), 0u) << top.out;
  for (const char* command : {"audit", "ci", "rules", "history", "layers", "ls", "cat", "export",
                              "find", "diff", "explore"}) {
    RunResult result = RunStrata({command, "--version"});
    EXPECT_EQ(result.exit_code, 0) << command << ": " << result.err;
    EXPECT_EQ(result.out, top.out) << command;
    EXPECT_EQ(result.err, "") << command;
  }
  // With the rest of a command line too: nothing is read.
  RunResult audit = RunStrata({"audit", "--version", "/nonexistent"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_EQ(audit.out, top.out);
  RunResult find = RunStrata({"find", "-q", "--version"});
  EXPECT_EQ(find.exit_code, 0) << find.err;
  EXPECT_EQ(find.out, top.out);
}

// docker-archive:FILE:@1 showed "(@1)" as the image's reference, where
// the tag it resolved to belongs.
TEST(Usage, AnArchiveIndexShowsTheTagItFound) {
  std::string dir = TempDir();
  std::string layer = testing::MakeTar({{"a", '0', "x"}});
  json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {Sha256Of(layer)}}}},
                 {"history", {{{"created_by", "build"}}}}};
  json manifest = {{{"Config", "c.json"}, {"RepoTags", {"app:1"}}, {"Layers", {"l.tar"}}},
                   {{"Config", "c.json"}, {"RepoTags", nullptr}, {"Layers", {"l.tar"}}}};
  WriteFile(dir + "/two.tar", testing::MakeTar({{"manifest.json", '0', manifest.dump()},
                                                {"c.json", '0', config.dump()},
                                                {"l.tar", '0', layer}}));
  std::string archive = "docker-archive:" + dir + "/two.tar";
  auto reference = [](const RunResult& result) {
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return json::parse(result.out)["image"]["reference"];
  };
  EXPECT_EQ(reference(RunStrata({"audit", "-q", "--format", "json", archive + ":@0"})), "app:1");
  EXPECT_EQ(reference(RunStrata({"audit", "-q", "--format", "json", archive + ":@1"})), "");
  EXPECT_EQ(reference(RunStrata({"audit", "-q", "--format", "json", archive + ":app:1"})), "app:1");
  RunResult table = RunStrata({"audit", "-q", archive + ":@0"});
  EXPECT_EQ(table.out.rfind("Image   " + archive + ":@0 (app:1)\n", 0), 0u) << table.out;
  table = RunStrata({"audit", "-q", archive + ":@1"});
  EXPECT_EQ(table.out.rfind("Image   " + archive + ":@1\n", 0), 0u) << table.out;
}

}  // namespace
}  // namespace strata
