// strata in CI: policies, verdicts, exit codes, and the pipeline report
// formats validated by real validators (the SARIF 2.1.0 schema with
// python3-jsonschema, Microsoft's SARIF multitool, xmllint with a JUnit
// schema).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "source_servers.h"
#include "test_support.h"

namespace strata {
namespace {

using json = nlohmann::json;
using testing::CorpusDir;
using testing::MockEngine;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::ScopedEnv;
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

  // A .strata.yaml beside it wins, as documented; found by a user trial,
  // the thresholds it drops are not dropped in silence.
  WriteFile(dir + "/.strata.yaml", "rules:\n  disable: [no-healthcheck]\n");
  RunResult beside = RunStrata({"ci", "--format", "json", image}, "", dir);
  EXPECT_NE(Policy(beside)["source"], ".dive-ci");
  const std::string warning =
      ".dive-ci is not read: .strata.yaml comes first (it has no policy: the defaults apply); "
      "move its thresholds under policy: there, or pass --dive-ci .dive-ci";
  EXPECT_NE(beside.err.find("strata: warning: " + warning + "\n"), std::string::npos)
      << beside.err;
  EXPECT_NE(beside.out.find(warning), std::string::npos);
}

// Found by a user trial: audit without --ci took the policy's flags and
// said nothing of ignoring them.
TEST(Ci, PolicyFlagsWithoutCiAreSaidToDoNothing) {
  RunResult audit =
      RunStrata({"audit", "--fail-on", "low", "--lowest-efficiency", "0.99",
                 Corpus("corpus/clean-multistage.oci")});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_NE(audit.err.find("strata: warning: the policy's flags (--fail-on, --lowest-efficiency, "
                           "…) apply only with --ci or strata ci: this audit evaluates no policy "
                           "and exits 0\n"),
            std::string::npos)
      << audit.err;
  RunResult ci = RunStrata({"audit", "--ci", "--fail-on", "low",
                            Corpus("corpus/clean-multistage.oci")});
  EXPECT_EQ(ci.err.find("apply only with --ci"), std::string::npos) << ci.err;
}

// The five reports of one run of |command| (audit, audit --ci or ci) on
// |image|, by format, from a directory without configuration.
struct Reports {
  int exit_code = -1;
  std::map<std::string, std::string> text;
};

Reports AllFormats(std::vector<std::string> command, const std::string& image) {
  std::string dir = TempDir();
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"})
    command.insert(command.end(), {"--format", std::string(format) + "=" + dir + "/" + format});
  command.insert(command.end(), {"-q", image});
  RunResult result = RunStrata(command, "", dir);
  EXPECT_EQ(result.err, "");
  Reports reports{result.exit_code, {}};
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"})
    reports.text[format] = ReadFileText(dir + "/" + format);
  return reports;
}

// The SARIF results that say they fail the build, and that say anything
// about it at all.
std::pair<int, int> FailsBuild(const json& sarif) {
  int failing = 0, told = 0;
  for (const json& result : sarif["runs"][0]["results"]) {
    told += result["properties"].contains("fails_build");
    failing += result["properties"].value("fails_build", false);
  }
  return {failing, told};
}

// Found by a new user: a plain audit of a leaky image exited 0 and its
// table and JSON showed no policy, while its Markdown began "policy failed"
// and its JUnit held policy failures. audit without --ci evaluates no
// policy, and every format says so in its own way; none fails the build.
TEST(Ci, AuditWithoutCiClaimsNoVerdictInAnyFormat) {
  Reports audit = AllFormats({"audit"}, Corpus("corpus/leaky-app.docker.tar"));
  EXPECT_EQ(audit.exit_code, 0);

  EXPECT_NE(audit.text["table"].find("secret-github-token"), std::string::npos);
  EXPECT_EQ(audit.text["table"].find("Result:"), std::string::npos) << audit.text["table"];
  EXPECT_EQ(audit.text["table"].find("Policy"), std::string::npos);

  json report = json::parse(audit.text["json"]);
  EXPECT_FALSE(report.contains("policy"));
  EXPECT_FALSE(report["findings"].empty());

  json sarif = json::parse(audit.text["sarif"]);
  const json& invocation = sarif["runs"][0]["invocations"][0];
  EXPECT_EQ(invocation["properties"]["policy_evaluated"], false);
  EXPECT_FALSE(invocation["properties"].contains("policy_passed"));
  EXPECT_EQ(FailsBuild(sarif), std::make_pair(0, 0));
  EXPECT_FALSE(sarif["runs"][0]["results"].empty());
  EXPECT_EQ(invocation["toolExecutionNotifications"][0]["message"]["text"].get<std::string>().find(
                "no policy evaluated"),
            0u);

  const std::string& junit = audit.text["junit"];
  EXPECT_EQ(junit.find("<failure"), std::string::npos) << junit;
  EXPECT_NE(junit.find("<testsuites name=\"strata\" tests=\""), std::string::npos);
  EXPECT_NE(junit.find(" failures=\"0\""), std::string::npos);
  EXPECT_NE(junit.find("<testcase classname=\"strata.policy\" name=\"policy\" time=\"0\">\n"
                       "      <skipped message=\"no policy evaluated: audit without --ci"),
            std::string::npos)
      << junit;
  EXPECT_EQ(junit.find("name=\"lowest efficiency\""), std::string::npos);
  EXPECT_NE(junit.find("classname=\"strata.findings.secret-github-token\""), std::string::npos);

  const std::string& markdown = audit.text["markdown"];
  EXPECT_TRUE(markdown.starts_with("### strata: no policy evaluated — ")) << markdown;
  EXPECT_NE(markdown.find("; no policy evaluated: audit without --ci fails no build"),
            std::string::npos)
      << markdown;
  for (const char* claim : {"policy failed", "policy passed", "❌", "✅", "| check |"})
    EXPECT_EQ(markdown.find(claim), std::string::npos) << claim << " in\n" << markdown;
  EXPECT_NE(markdown.find("`secret-github-token`"), std::string::npos);
}

// ci and audit --ci evaluate the policy, and all five formats give the
// same verdict: failed for the leaky image, passed for the clean one.
TEST(Ci, CiGivesOneVerdictInEveryFormat) {
  for (bool leaky : {true, false}) {
    std::string image =
        Corpus(leaky ? "corpus/leaky-app.docker.tar" : "corpus/clean-multistage.oci");
    Reports ci = AllFormats({"ci"}, image);
    Reports audit_ci = AllFormats({"audit", "--ci"}, image);
    EXPECT_EQ(ci.exit_code, leaky ? 1 : 0) << image;
    EXPECT_EQ(audit_ci.exit_code, ci.exit_code);
    for (const auto& [format, text] : ci.text) EXPECT_EQ(audit_ci.text[format], text) << format;

    EXPECT_NE(ci.text["table"].find(leaky ? "Result: FAIL" : "Result: PASS"), std::string::npos)
        << ci.text["table"];
    EXPECT_EQ(json::parse(ci.text["json"])["policy"]["passed"], !leaky);

    json sarif = json::parse(ci.text["sarif"]);
    const json& properties = sarif["runs"][0]["invocations"][0]["properties"];
    EXPECT_EQ(properties["policy_evaluated"], true);
    EXPECT_EQ(properties["policy_passed"], !leaky);
    auto [failing, told] = FailsBuild(sarif);
    EXPECT_EQ(told, static_cast<int>(sarif["runs"][0]["results"].size()));
    EXPECT_EQ(failing > 0, leaky);
    EXPECT_EQ(ci.text["sarif"].find("no policy evaluated"), std::string::npos);

    const std::string& junit = ci.text["junit"];
    EXPECT_NE(junit.find("name=\"lowest efficiency\""), std::string::npos);
    EXPECT_EQ(junit.find("<failure type=\"policy\"") != std::string::npos, leaky) << junit;
    EXPECT_EQ(junit.find("<failure type=\"critical\"") != std::string::npos, leaky);
    EXPECT_EQ(junit.find("no policy evaluated"), std::string::npos);

    const std::string& markdown = ci.text["markdown"];
    EXPECT_TRUE(markdown.starts_with(leaky ? "### strata: ❌ policy failed — "
                                           : "### strata: ✅ policy passed — "))
        << markdown;
    EXPECT_NE(markdown.find("; policy from defaults.\n"), std::string::npos) << markdown;
    EXPECT_NE(
        markdown.find(leaky ? "| lowest efficiency | FAIL |" : "| lowest efficiency | PASS |"),
        std::string::npos)
        << markdown;
    EXPECT_EQ(markdown.find(" ❌ | `") != std::string::npos, leaky);
  }
}

// An image read from an Engine: every report names the Engine it came
// from, as the table's Format line and JSON's image.endpoint do (two hosts
// may hold one name); an image read from a file names none.
TEST(Ci, EveryReportNamesTheEngineAnImageCameFrom) {
  std::string archive = Corpus("corpus/leaky-app.docker.tar");
  MockEngine engine("tcp", "app:1", archive, "plain");
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(engine.port());
  ScopedEnv host("DOCKER_HOST", endpoint);
  Reports from_engine = AllFormats({"ci"}, "docker-daemon:app:1");
  Reports from_file = AllFormats({"ci"}, archive);
  EXPECT_EQ(from_engine.exit_code, 1);
  EXPECT_EQ(from_file.exit_code, 1);

  EXPECT_NE(from_engine.text["table"].find("docker-daemon at " + endpoint + " · "),
            std::string::npos);
  EXPECT_EQ(json::parse(from_engine.text["json"])["image"]["endpoint"], endpoint);

  EXPECT_TRUE(from_engine.text["markdown"].starts_with(
      "### strata: ❌ policy failed — `app:1` (docker-daemon at `" + endpoint + "`)\n"))
      << from_engine.text["markdown"];
  std::string file_header =
      from_file.text["markdown"].substr(0, from_file.text["markdown"].find('\n'));
  EXPECT_EQ(file_header.find(" at "), std::string::npos) << file_header;

  json engine_run = json::parse(from_engine.text["sarif"])["runs"][0];
  EXPECT_EQ(engine_run["invocations"][0]["properties"]["image"], "app:1");
  EXPECT_EQ(engine_run["invocations"][0]["properties"]["endpoint"], endpoint);
  json file_run = json::parse(from_file.text["sarif"])["runs"][0];
  EXPECT_FALSE(file_run["invocations"][0]["properties"].contains("endpoint"));
  EXPECT_EQ(engine_run["results"].size(), file_run["results"].size());

  // Both suites, the policy's and the findings', name the image.
  std::string property = "    <properties>\n      <property name=\"endpoint\" value=\"" + endpoint +
                         "\"/>\n    </properties>\n    <testcase ";
  const std::string& junit = from_engine.text["junit"];
  for (const char* suite :
       {"<testsuite name=\"strata policy: app:1\"", "<testsuite name=\"strata findings: app:1\""}) {
    size_t start = junit.find(suite);
    ASSERT_NE(start, std::string::npos) << suite << " in\n" << junit;
    EXPECT_EQ(junit.find(property, start), junit.find(">\n", start) + 2) << suite << " in\n"
                                                                         << junit;
  }
  EXPECT_EQ(from_file.text["junit"].find("<properties>"), std::string::npos);
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
  // Found by a new user: with every report in a file, the log said
  // nothing; the verdict is one line now.
  EXPECT_TRUE(result.out.starts_with("Result: FAIL: ")) << result.out;
  // "0.5955 (>= 0.9)" read as a claim that it is.
  EXPECT_NE(result.out.find(" (needs >= 0.9); "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("findings 10 at or above high (none allowed)"), std::string::npos)
      << result.out;
  EXPECT_TRUE(result.out.ends_with("; reports in " + dir + "/r.sarif, " + dir + "/r.xml, " + dir +
                                   "/r.md, " + dir + "/r.json\n"))
      << result.out;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out;
  EXPECT_NE(ReadFileText(dir + "/r.md").find("policy failed"), std::string::npos);
  RunResult quiet = RunStrata(
      {"ci", "-q", "--format", "json=" + dir + "/q.json", Corpus("corpus/leaky-app.oci.tar")});
  EXPECT_EQ(quiet.exit_code, 1) << quiet.err;
  EXPECT_EQ(quiet.out, "");
  RunResult passed = RunStrata({"ci", "-o", dir + "/p.txt", Corpus("corpus/clean-multistage.oci")});
  EXPECT_EQ(passed.exit_code, 0) << passed.err;
  EXPECT_EQ(passed.out, "Result: PASS; reports in " + dir + "/p.txt\n");
  EXPECT_EQ(json::parse(ReadFileText(dir + "/r.json"))["schema"], "strata.audit/v1");
  EXPECT_EQ(json::parse(ReadFileText(dir + "/r.sarif"))["version"], "2.1.0");
  EXPECT_NE(ReadFileText(dir + "/r.xml").find("<testsuites"), std::string::npos);

  RunResult twice = RunStrata(
      {"ci", "--format", "json", "--format", "sarif", Corpus("corpus/leaky-app.oci.tar")});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("only one report can go to standard output"), std::string::npos);

  // Found by a user trial: a file that is standard output under another
  // name (/dev/stdout, /dev/fd/1) took a second report, which replaced or
  // mixed with the first. /dev/null takes any number.
  std::string image = Corpus("corpus/leaky-app.oci.tar");
  for (const char* name : {"/dev/stdout", "/dev/fd/1"}) {
    RunResult named = RunStrata({"audit", "--format", std::string("json=") + name, image});
    EXPECT_EQ(named.exit_code, 0) << named.err;
    EXPECT_EQ(json::parse(named.out)["schema"], "strata.audit/v1");
    RunResult mixed =
        RunStrata({"audit", "--format", std::string("json=") + name, "--format", "table", image});
    EXPECT_EQ(mixed.exit_code, 2);
    EXPECT_NE(mixed.err.find(std::string("only one report can go to standard output (") + name +
                             " is standard output)"),
              std::string::npos)
        << mixed.err;
    EXPECT_EQ(mixed.out, "");
    // ci's verdict line goes where a report already does: not added.
    RunResult ci = RunStrata({"ci", "--format", std::string("json=") + name, image});
    EXPECT_EQ(ci.exit_code, 1) << ci.err;
    EXPECT_EQ(json::parse(ci.out)["schema"], "strata.audit/v1");
  }
  RunResult discarded = RunStrata({"audit", "--format", "json=/dev/null", "--format",
                                   "sarif=/dev/null", "--format", "table", image});
  EXPECT_EQ(discarded.exit_code, 0) << discarded.err;
  EXPECT_TRUE(discarded.out.starts_with("Image ")) << discarded.out;
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
  // A token in the image's tag and WORKDIR: the run's id and the findings
  // of the config show it redacted.
  std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  std::string tagged =
      testing::WriteImage(dir + "/tagged.oci", {{{"a", '0', "x"}}},
                          R"({"config": {"WorkingDir": "/srv/)" + token + R"("}})");
  json index = json::parse(ReadFileText(tagged + "/index.json"));
  index["manifests"][0]["annotations"] = {{"org.opencontainers.image.ref.name", "x:" + token}};
  WriteFile(tagged + "/index.json", index.dump());
  // And an image from an Engine, whose run names the Engine.
  MockEngine engine("tcp", "app:1", Corpus("corpus/leaky-app.docker.tar"), "plain");
  ScopedEnv host("DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(engine.port()));
  for (std::string image :
       {Corpus("corpus/leaky-app.oci"), Corpus("corpus/clean-multistage.docker.tar"),
        Corpus("corpus/churn.oci.tar"), hostile, tagged, std::string("docker-daemon:app:1")}) {
    for (const char* command : {"audit", "ci"}) {
      std::string sarif = dir + "/" + command + "-" + image.substr(image.rfind('/') + 1) + ".sarif";
      RunResult result = RunStrata({command, "--format", "sarif", "-o", sarif, image}, "", dir);
      ASSERT_NE(result.exit_code, 2) << result.err;

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
                   "/Sarif.Multitool' validate '" + sarif + "' --rule-kind 'Gh;Sarif' -o '" +
                   sarif + ".log'",
               &output);
      EXPECT_EQ(output.find(": error "), std::string::npos) << image << ": " << output;
      EXPECT_NE(output.find("Analysis completed successfully"), std::string::npos) << output;

      EXPECT_EQ(ReadFileText(sarif).find(token.substr(4, 16)), std::string::npos) << image;
      json report = json::parse(ReadFileText(sarif));
      for (const json& result_item : report["runs"][0]["results"]) {
        EXPECT_FALSE(result_item["locations"].empty());
        EXPECT_TRUE(result_item["partialFingerprints"].contains("strataFinding/v1"));
        EXPECT_TRUE(result_item["properties"].contains("layer_digest"));
      }
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
  // And an image from an Engine, whose suites name the Engine.
  MockEngine engine("tcp", "app:1", Corpus("corpus/leaky-app.docker.tar"), "plain");
  ScopedEnv host("DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(engine.port()));
  // Without a policy (audit) and with one (ci).
  for (const char* command : {"audit", "ci"})
    for (std::string image :
         {Corpus("corpus/leaky-app.oci"), Corpus("corpus/clean-multistage.oci"),
          Corpus("corpus/churn.docker.tar"), std::string("docker-daemon:app:1")}) {
      std::string xml = dir + "/" + command + "-" + image.substr(image.rfind('/') + 1) + ".xml";
      RunResult result = RunStrata({command, "--format", "junit=" + xml, image}, "", dir);
      ASSERT_NE(result.exit_code, 2) << result.err;
      std::string output;
      EXPECT_EQ(RunShell("xmllint --noout --schema '" + schema + "' '" + xml + "'", &output), 0)
          << output;
    }
  std::string xml = ReadFileText(dir + "/ci-leaky-app.oci.xml");
  EXPECT_NE(xml.find("classname=\"strata.policy\" name=\"lowest efficiency\""), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"critical\""), std::string::npos);
  EXPECT_EQ(xml.find("R7kq2VwX9mN4"), std::string::npos);  // Redacted here too.
  EXPECT_EQ(ReadFileText(dir + "/audit-leaky-app.oci.xml").find("R7kq2VwX9mN4"), std::string::npos);
}

}  // namespace
}  // namespace strata
