// strata in CI: policies, verdicts, exit codes, and the pipeline report
// formats validated by real validators (the SARIF 2.1.0 schema with
// python3-jsonschema, Microsoft's SARIF multitool, xmllint with a JUnit
// schema).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace strata {
namespace {

using json = nlohmann::json;
using testing::CorpusDir;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::TempDir;
using testing::WriteFile;

std::string Corpus(const std::string& relative) { return CorpusDir() + "/" + relative; }

// Where scripts/test-tools.sh put the SARIF tools; "" when not installed.
std::string SarifTools() {
  const char* dir = getenv("STRATA_SARIF_TOOLS");
  return dir != nullptr ? dir : "";
}

json Policy(const RunResult& result) { return json::parse(result.out)["policy"]; }

std::string StatusOf(const json& policy, const std::string& key) {
  for (const json& check : policy["checks"])
    if (check["key"] == key) return check["status"];
  return "missing";
}

TEST(Ci, CleanImagePassesTheDefaultPolicy) {
  std::string dir = TempDir();  // No configuration here.
  RunResult result =
      RunStrata({"ci", "--format", "json", Corpus("corpus/clean-multistage.oci")}, "", dir);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  json policy = Policy(result);
  EXPECT_TRUE(policy["passed"]);
  EXPECT_EQ(policy["source"], "defaults");
  EXPECT_EQ(StatusOf(policy, "lowest_efficiency"), "PASS");
  EXPECT_EQ(StatusOf(policy, "highest_wasted_bytes"), "SKIP");
  EXPECT_EQ(StatusOf(policy, "fail_on"), "PASS");
}

TEST(Ci, LeakyImageFailsWithExitOneAndListsWhatFailed) {
  RunResult result =
      RunStrata({"audit", "--ci", Corpus("corpus/leaky-app.docker.tar")}, "", TempDir());
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.out.find("FAIL  lowest efficiency"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FAIL  findings"), std::string::npos);
  EXPECT_NE(result.out.find("✗ secret-github-token /app/src/server.js"), std::string::npos);
  EXPECT_NE(result.out.find("Result: FAIL"), std::string::npos);

  // Without --ci the same audit reports and exits 0.
  EXPECT_EQ(RunStrata({"audit", Corpus("corpus/leaky-app.docker.tar")}, "", TempDir()).exit_code,
            0);
}

TEST(Ci, StrataYamlPolicyAndFlags) {
  std::string dir = TempDir();
  WriteFile(dir + "/.strata.yaml",
            "policy:\n  lowest_efficiency: 0.5\n  highest_user_wasted_percent: disabled\n"
            "  highest_wasted_bytes: 10MB\n  fail_on: critical\n  skip: [secret-cloud-credentials, "
            "secret-aws-access-key, secret-private-key, secret-github-token]\n");
  RunResult pass = RunStrata({"ci", "--format", "json", Corpus("corpus/leaky-app.oci")}, "", dir);
  EXPECT_EQ(pass.exit_code, 0) << pass.err << pass.out.substr(0, 2000);
  EXPECT_EQ(Policy(pass)["source"], ".strata.yaml");

  RunResult fail = RunStrata(
      {"ci", "--format", "json", "--highest-wasted-bytes", "1MB", Corpus("corpus/leaky-app.oci")},
      "", dir);
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_EQ(StatusOf(Policy(fail), "highest_wasted_bytes"), "FAIL");
  EXPECT_EQ(Policy(fail)["source"], ".strata.yaml + flags");

  WriteFile(dir + "/.strata.yaml", "policy:\n  lowest_efficiency: 1.5\n");
  RunResult bad = RunStrata({"ci", Corpus("corpus/leaky-app.oci")}, "", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "strata: error: .strata.yaml: policy.lowest_efficiency: \"1.5\" is not a fraction "
            "between 0 and 1\n");
}

// A team moving from dive: its .dive-ci, evaluated on dive's own figures
// (for dive's test image, those dive's test suite states: efficiency
// 0.9844, user wasted 0.4835).
TEST(Ci, DiveCiFileIsEvaluatedOnDivesFigures) {
  std::string dir = TempDir();
  std::string image = Corpus("public/dive/test-docker-image.tar");
  WriteFile(dir + "/.dive-ci",
            "rules:\n  lowestEfficiency: 0.98\n  highestWastedBytes: 20MB\n"
            "  highestUserWastedPercent: 0.5\n");
  RunResult pass = RunStrata({"ci", "--format", "json", image}, "", dir);
  EXPECT_EQ(pass.exit_code, 0) << pass.err;
  json policy = Policy(pass);
  EXPECT_EQ(policy["metrics"], "dive");
  EXPECT_EQ(policy["source"], ".dive-ci");
  EXPECT_EQ(StatusOf(policy, "fail_on"), "SKIP");  // dive has no findings to fail on.
  for (const json& check : policy["checks"])
    if (check["key"] == "lowest_efficiency") EXPECT_EQ(check["measured"], "0.9844");

  WriteFile(dir + "/.dive-ci",
            "rules:\n  lowestEfficiency: 0.99\n  highestUserWastedPercent: 0.48\n");
  RunResult fail = RunStrata({"ci", image}, "", dir);
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_NE(fail.out.find("FAIL  lowest efficiency"), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("FAIL  highest user wasted percent"), std::string::npos);
  EXPECT_NE(fail.out.find("thresholds on dive's figures"), std::string::npos);

  // A .strata.yaml beside it wins, as documented.
  WriteFile(dir + "/.strata.yaml", "rules:\n  disable: [no-healthcheck]\n");
  EXPECT_NE(Policy(RunStrata({"ci", "--format", "json", image}, "", dir))["source"], ".dive-ci");
}

TEST(Ci, UnreadableImageExitsTwo) {
  RunResult result = RunStrata({"ci", "/nonexistent.tar"}, "", TempDir());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
}

TEST(Ci, SeveralReportsFromOneRun) {
  std::string dir = TempDir();
  RunResult result =
      RunStrata({"ci", "--format", "sarif=" + dir + "/r.sarif", "--format",
                 "junit=" + dir + "/r.xml", "--format", "markdown", "-o", dir + "/r.md", "--format",
                 "json=" + dir + "/r.json", Corpus("corpus/leaky-app.oci.tar")},
                "", dir);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(ReadFileText(dir + "/r.md").find("policy failed"), std::string::npos);
  EXPECT_EQ(json::parse(ReadFileText(dir + "/r.json"))["schema"], "strata.audit/v1");
  EXPECT_EQ(json::parse(ReadFileText(dir + "/r.sarif"))["version"], "2.1.0");
  EXPECT_NE(ReadFileText(dir + "/r.xml").find("<testsuites"), std::string::npos);

  RunResult twice = RunStrata(
      {"ci", "--format", "json", "--format", "sarif", Corpus("corpus/leaky-app.oci.tar")});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("only one report can go to standard output"), std::string::npos);
  EXPECT_EQ(
      RunStrata({"history", "--format", "sarif", Corpus("corpus/leaky-app.oci.tar")}).exit_code, 2);
}

TEST(Ci, SarifValidatesAgainstTheSchemaAndGithubRules) {
  if (SarifTools().empty()) GTEST_SKIP() << "STRATA_SARIF_TOOLS is not set; run `make test`";
  std::string dir = TempDir();
  // Entries stored as "..", "./..", with a space and with quotes: their
  // findings point at where strata reads them, and say the names as stored.
  std::string hostile = testing::WriteImage(
      dir + "/hostile.oci",
      {{{"..", '5'}, {"./..", '5'}, {"../x y", '0', "x"}, {"../\"q\"\\", '0', "q"}}});
  for (std::string image :
       {Corpus("corpus/leaky-app.oci"), Corpus("corpus/clean-multistage.docker.tar"),
        Corpus("corpus/churn.oci.tar"), hostile}) {
    std::string sarif = dir + "/" + image.substr(image.rfind('/') + 1) + ".sarif";
    RunResult result = RunStrata({"audit", "--format", "sarif", "-o", sarif, image});
    ASSERT_EQ(result.exit_code, 0) << result.err;

    std::string output;
    int schema = RunShell(
        "/usr/bin/python3 -c 'import json, sys, jsonschema\n"
        "schema = json.load(open(sys.argv[1]))\n"
        "errors = "
        "list(jsonschema.validators.validator_for(schema)(schema).iter_errors(json.load(open(sys."
        "argv[2]))))\n"
        "[print(e.message) for e in errors]\nsys.exit(1 if errors else 0)' '" +
            SarifTools() + "/sarif-2.1.0.json' '" + sarif + "'",
        &output);
    EXPECT_EQ(schema, 0) << image << ": " << output;

    RunShell("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 '" + SarifTools() +
                 "/Sarif.Multitool' validate '" + sarif + "' --rule-kind 'Gh;Sarif' -o '" + sarif +
                 ".log'",
             &output);
    EXPECT_EQ(output.find(": error "), std::string::npos) << image << ": " << output;
    EXPECT_NE(output.find("Analysis completed successfully"), std::string::npos) << output;

    json report = json::parse(ReadFileText(sarif));
    for (const json& result_item : report["runs"][0]["results"]) {
      EXPECT_FALSE(result_item["locations"].empty());
      EXPECT_TRUE(result_item["partialFingerprints"].contains("strataFinding/v1"));
      EXPECT_TRUE(result_item["properties"].contains("layer_digest"));
    }
  }
}

TEST(Ci, SarifValidatorCatchesABrokenReport) {
  // The check above can fail: a report with a wrong level does not pass.
  if (SarifTools().empty()) GTEST_SKIP() << "STRATA_SARIF_TOOLS is not set; run `make test`";
  std::string dir = TempDir();
  RunStrata({"audit", "--format", "sarif", "-o", dir + "/r.sarif", Corpus("corpus/leaky-app.oci")});
  json report = json::parse(ReadFileText(dir + "/r.sarif"));
  report["runs"][0]["results"][0]["level"] = "severe";
  WriteFile(dir + "/bad.sarif", report.dump());
  std::string output;
  int status = RunShell(
      "/usr/bin/python3 -c 'import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "sys.exit(1 if "
      "list(jsonschema.validators.validator_for(schema)(schema).iter_errors(json.load(open(sys."
      "argv[2])))) else 0)' '" +
          SarifTools() + "/sarif-2.1.0.json' '" + dir + "/bad.sarif'",
      &output);
  EXPECT_EQ(status, 1) << output;
}

TEST(Ci, JunitValidatesAgainstTheSchema) {
  std::string dir = TempDir();
  std::string schema = std::string(STRATA_SOURCE_DIR) + "/tests/schemas/junit.xsd";
  for (const char* image :
       {"corpus/leaky-app.oci", "corpus/clean-multistage.oci", "corpus/churn.docker.tar"}) {
    std::string xml = dir + "/" + std::string(image).substr(7) + ".xml";
    RunResult result = RunStrata({"audit", "--format", "junit=" + xml, Corpus(image)});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::string output;
    EXPECT_EQ(RunShell("xmllint --noout --schema '" + schema + "' '" + xml + "'", &output), 0)
        << output;
  }
  std::string xml = ReadFileText(dir + "/leaky-app.oci.xml");
  EXPECT_NE(xml.find("classname=\"strata.policy\" name=\"lowest efficiency\""), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"critical\""), std::string::npos);
  EXPECT_EQ(xml.find("R7kq2VwX9mN4"), std::string::npos);  // Redacted here too.
}

}  // namespace
}  // namespace strata
