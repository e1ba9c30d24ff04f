// One test per defect a user found, named after what went wrong.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "blob/sha256.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::StrataBinary;
using testing::StrataCommand;
using testing::TarMember;
using testing::TempDir;
using testing::WriteFile;
using testing::WriteImage;

const char* const kToken = "Zk3qP9vR2mX7tL4wQ8sT";

TEST(Regression, LongLineInATextFileDoesNotCrash) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{{"app/config.ini", '0', "password=" + std::string(100000, 'x') + "\n"},
                        {"app/x.txt", '0', "x(" + std::string(600000, 'a') + "\n"}}});
  WriteFile(dir + "/c.yaml", "rules:\n  content:\n    - {id: slow, regex: \"x\\\\((a|b)*y\"}\n");
  EXPECT_EQ(RunStrata({"audit", "-q", image}).exit_code, 0);
  EXPECT_EQ(RunStrata({"audit", "-q", "--config", dir + "/c.yaml", image}).exit_code, 0);
}

TEST(Regression, CiWithoutRulesStillAppliesTheThresholds) {
  RunResult result = RunStrata({"ci", "--no-rules", testing::CorpusDir() + "/corpus/leaky-app.oci"},
                               "", TempDir());
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("FAIL  lowest efficiency"), std::string::npos);
}

TEST(Regression, SecretsInHistoryCmdAndEnvAreRedactedEverywhere) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{{"a", '0', "x"}}, {{"b", '0', "y"}}},
      std::string(
          R"({"config": {"User": "1", "Env": ["GITHUB_TOKEN=ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw"],
                      "Cmd": ["app", "--key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"]},
          "history": [{"created_by": "/bin/sh -c #(nop) ADD file:a in / "},
                      {"created_by": "|1 NPM_TOKEN=)") +
          kToken + R"( /bin/sh -c git clone https://x:)" + kToken + R"(@git.example/r"}]})");
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    EXPECT_EQ(result.out.find(kToken), std::string::npos) << format;
    EXPECT_EQ(result.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << format;
    EXPECT_EQ(result.out.find("4eC39HqLyjWDarjt"), std::string::npos) << format;
  }
  for (const char* command : {"history", "layers"}) {
    RunResult result = RunStrata({command, "--format", "json", image});
    EXPECT_EQ(result.out.find(kToken), std::string::npos) << command;
  }
}

// Found by a new user: passwords typed into a RUN step (export PASSWORD=…,
// mysql -p…, curl -u user:…) matched no token pattern, so history, audit
// in every format, layers and diff showed them in full, and no finding
// named them.
TEST(Regression, PasswordsTypedIntoBuildStepsAreRedactedEverywhere) {
  std::string dir = TempDir();
  const std::vector<std::string> passwords = {"hunter2hunter2hunter2", "K8jHq2LmNx7Vb4Zt",
                                              "Pw7Kd9Lq2Xz5Mv8N"};
  const std::vector<std::string> ordinary = {
      "/bin/sh -c apt-get update && apt-get install -y postgresql-client",
      "/bin/sh -c #(nop)  EXPOSE 8080",
      "/bin/sh -c docker run -d -p 8080:80 nginx && PASSWORD_FILE=/run/secrets/db ./start"};
  std::string typed =
      "/bin/sh -c export PASSWORD=hunter2hunter2hunter2 && "
      "mysql -uroot -pK8jHq2LmNx7Vb4Zt -e 'CREATE DATABASE app' && "
      "curl -fsSL -u admin:Pw7Kd9Lq2Xz5Mv8N https://repo.example/x";
  auto step = [](const std::string& created_by, bool empty = false) {
    return json{{"created_by", created_by}, {"empty_layer", empty}};
  };
  json config = {
      {"config", {{"User", "1"}, {"Cmd", {"/bin/sh", "-c", "mysql -pK8jHq2LmNx7Vb4Zt app"}}}},
      {"history",
       {step("/bin/sh -c #(nop) ADD file:a in / "), step(typed), step(ordinary[0]),
        step(ordinary[1], true), step(ordinary[2])}}};
  std::vector<std::vector<TarMember>> layers = {{{"etc/os-release", '0', "ID=test\n"}},
                                                {{"app/a", '0', "a\n"}},
                                                {{"usr/bin/psql", '0', "b\n"}},
                                                {{"app/c", '0', "c\n"}}};
  std::string image = WriteImage(dir + "/image", layers, config.dump());
  std::string base = WriteImage(dir + "/base", {layers[0]},
                                R"({"config": {"User": "1"}, "history": [{"created_by": "x"}]})");
  auto shows_none = [&](const RunResult& result, const std::string& shown) {
    for (const std::string& password : passwords)
      EXPECT_EQ(result.out.find(password.substr(3)), std::string::npos) << shown << result.out;
    // The step is there, redacted, not left out.
    EXPECT_NE(result.out.find("K8j…(16 characters)"), std::string::npos) << shown << result.out;
  };

  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    shows_none(result, format);
  }
  std::vector<std::vector<std::string>> commands = {
      {"history", image},    {"history", "--format", "json", image},
      {"layers", image},     {"layers", "--format", "json", image},
      {"diff", base, image}, {"diff", "--format", "json", base, image}};
  for (const std::vector<std::string>& command : commands) {
    RunResult result = RunStrata(command);
    std::string shown = command[0] + " " + command[1];
    ASSERT_EQ(result.exit_code, 0) << shown << result.err;
    shows_none(result, shown);
  }

  // One finding for each password, naming only its redacted form; the
  // ordinary steps as they were, with no finding.
  json report = json::parse(RunStrata({"audit", "--format", "json", image}).out);
  std::vector<std::string> details;
  for (const json& finding : report["findings"]) {
    if (finding["rule"] == "secret-in-build-step") details.push_back(finding["detail"]);
    EXPECT_TRUE(finding["history_index"].is_null() || finding["history_index"] == 1)
        << finding.dump();
  }
  EXPECT_EQ(details,
            (std::vector<std::string>{"CMD, mysql -pK8j…(16 characters)",
                                      "history step 2, PASSWORD=hunt…(21 characters)",
                                      "history step 2, mysql -pK8j…(16 characters)",
                                      "history step 2, curl -u admin:Pw7…(16 characters)"}));
  json steps = json::parse(RunStrata({"history", "--format", "json", image}).out);
  std::vector<std::string> created_by;
  for (const json& item : steps["history"]) created_by.push_back(item["created_by"]);
  ASSERT_EQ(created_by.size(), 5u) << steps.dump();
  EXPECT_EQ(std::vector<std::string>(created_by.begin() + 2, created_by.end()), ordinary);
}

// Runs audit in every format, and history and layers as tables and JSON,
// on |image|: none may print any of |secrets|.
void ExpectNoneShown(const std::string& image, const std::vector<std::string>& secrets) {
  auto shows_none = [&](const RunResult& result, const std::string& shown) {
    for (const std::string& secret : secrets)
      EXPECT_EQ(result.out.find(secret), std::string::npos) << shown << ": " << secret;
  };
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    shows_none(result, std::string("audit ") + format);
  }
  for (const char* command : {"history", "layers"}) {
    for (const char* format : {"table", "json"}) {
      RunResult result = RunStrata({command, "--format", format, image});
      ASSERT_EQ(result.exit_code, 0) << command << format << result.err;
      shows_none(result, std::string(command) + " " + format);
    }
  }
}

// Found by a new user: names with PASS, PWD, PW or PASSPHRASE as a part
// (SMTP_PASS, DB_PASS, admin.pass) did not say secret, a JSON member that
// echo wrote hid the wrong text, printf's %s was hidden in place of its
// argument and echo'd command lines were not read: each value was shown
// in full by audit in every format, history and layers, and a file of
// such lines got no finding.
TEST(Regression, ShortPasswordNamesJsonPrintfAndEchoedCommandsAreRedacted) {
  std::string dir = TempDir();
  const std::vector<std::string> secrets = {"BuildArgPw55",     "EnvDbPass77x", "LabelPass99z",
                                            "Zq9pL0ngPassw0rd", "JsonPwVal11",  "PrintfArgPw77",
                                            "MyPassW0rd9",      "Gp9Phr4seXy7", "FileDbPass88q"};
  auto step = [](const std::string& created_by) { return json{{"created_by", created_by}}; };
  json config = {
      {"config",
       {{"User", "1"},
        {"Env", {"DB_PASS=EnvDbPass77x", "BYPASS_CACHE=1", "COMPASS_DIR=/x", "PASS_THROUGH=yes"}},
        {"Labels", {{"admin.pass", "LabelPass99z"}}}}},
      {"history",
       {step("/bin/sh -c #(nop) ADD file:a in / "),
        step("/bin/sh -c #(nop)  ENV DB_PASS=EnvDbPass77x"),
        step("|1 SMTP_PASS=BuildArgPw55 /bin/sh -c echo DB_PASS=Zq9pL0ngPassw0rd >> /etc/app.env"),
        step("/bin/sh -c echo '{\"password\": \"JsonPwVal11\"}' > /etc/app.json && "
             "printf 'requirepass %s\\n' PrintfArgPw77 >> /etc/redis.conf && "
             "echo mysql -uroot -pMyPassW0rd9 app >> /x/run.sh && "
             "echo GPG_PASSPHRASE=Gp9Phr4seXy7 > /x/gpg.env")}}};
  std::string image = WriteImage(
      dir + "/image",
      {{{"etc/os-release", '0', "ID=test\n"}}, {{"etc/app.env", '0', "DB_PASS=FileDbPass88q\n"}}},
      config.dump());
  ExpectNoneShown(image, secrets);

  // Each is reported, and the near misses are left as they were.
  std::string report = RunStrata({"audit", "--format", "json", image}).out;
  for (const char* detail :
       {"ENV DB_PASS=En…(12 characters)", "LABEL admin.pass=La…(12 characters)",
        "SMTP_PASS=Bu…(12 characters)", "DB_PASS=Zq9…(16 characters)",
        "\\\"password\\\": \\\"Js…(11 characters)", "requirepass Pr…(13 characters)",
        "mysql -pMy…(11 characters)", "GPG_PASSPHRASE=Gp…(12 characters)"})
    EXPECT_NE(report.find(detail), std::string::npos) << detail << report;
  EXPECT_NE(report.find("etc/app.env"), std::string::npos) << report;
  for (const char* kept : {"BYPASS_CACHE", "COMPASS_DIR", "PASS_THROUGH"})
    EXPECT_EQ(report.find(kept), std::string::npos) << kept;
}

// Found by a second trial: redis-cli -a, an Authorization header, npm's
// _authToken and openssl passwd in RUN steps were shown in full by
// history, layers and audit; passwords typed into CMD and ENTRYPOINT were
// hidden but no finding named them; and htpasswd's finding ran its name
// into the password ("htpasswd -bHt…").
TEST(Regression, RedisHeaderNpmOpensslAndCmdPasswordsAreRedactedAndReported) {
  std::string dir = TempDir();
  // Each password with its redacted form.
  const std::vector<std::pair<std::string, std::string>> passwords = {
      {"RedisPw445566", "Re…(13 characters)"},
      {"BearerTokAbCdEf123456", "Bear…(21 characters)"},
      {"NpmAuthTok55443322", "Npm…(18 characters)"},
      {"OpensslPw7788", "Op…(13 characters)"},
      {"HtpasswdPw5566", "Ht…(14 characters)"},
      {"SecretCmdPw5544", "Sec…(15 characters)"},
      {"EntryTok1234567890", "Ent…(18 characters)"}};
  // One password a step, so that tables, which cut long steps short,
  // still show each redacted form; the last step is ordinary.
  std::vector<std::string> steps = {
      "/bin/sh -c #(nop) ADD file:a in / ",
      "/bin/sh -c redis-cli -a RedisPw445566 ping",
      "/bin/sh -c curl -H 'Authorization: Bearer BearerTokAbCdEf123456' https://x/",
      "/bin/sh -c npm config set //npm.example/:_authToken NpmAuthTok55443322",
      "/bin/sh -c useradd -p $(openssl passwd -1 OpensslPw7788) app",
      "/bin/sh -c htpasswd -b -c /etc/htp user HtpasswdPw5566",
      "/bin/sh -c curl -H 'Authorization: Bearer $TOKEN' https://x/"};
  json history = json::array();
  std::vector<std::vector<TarMember>> layers;
  for (size_t i = 0; i < steps.size(); ++i) {
    history.push_back({{"created_by", steps[i]}});
    layers.push_back({{"f" + std::to_string(i), '0', "x\n"}});
  }
  json config = {{"config",
                  {{"User", "1"},
                   {"Entrypoint", {"/docker-entrypoint.sh", "--token=EntryTok1234567890"}},
                   {"Cmd", {"app", "--password", "SecretCmdPw5544"}}}},
                 {"history", history}};
  std::string image = WriteImage(dir + "/image", layers, config.dump());
  // |program|: the output shows the config's CMD and ENTRYPOINT.
  auto shows_none = [&](const RunResult& result, const std::string& shown, bool program) {
    for (const auto& [password, redacted] : passwords) {
      EXPECT_EQ(result.out.find(password.substr(3)), std::string::npos) << shown << result.out;
      bool in_program = password == "SecretCmdPw5544" || password == "EntryTok1234567890";
      if (!in_program || program)
        EXPECT_NE(result.out.find(redacted), std::string::npos) << shown << redacted << result.out;
    }
  };

  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    shows_none(result, std::string("audit ") + format, true);
  }
  for (const char* command : {"history", "layers"}) {
    for (const char* format : {"table", "json"}) {
      RunResult result = RunStrata({command, "--format", format, image});
      ASSERT_EQ(result.exit_code, 0) << command << format << result.err;
      shows_none(result, std::string(command) + " " + format, false);
      // The ordinary step as it was.
      EXPECT_NE(result.out.find("Bearer $TOKEN"), std::string::npos) << command << result.out;
    }
  }

  // One finding for each password, naming how it was passed and only its
  // redacted form; none for the ordinary step.
  json report = json::parse(RunStrata({"audit", "--format", "json", image}).out);
  std::vector<std::string> details;
  for (const json& finding : report["findings"]) {
    if (finding["rule"] == "secret-in-build-step") details.push_back(finding["detail"]);
    EXPECT_NE(finding["history_index"], 6) << finding.dump();
  }
  EXPECT_EQ(details, (std::vector<std::string>{
                         "ENTRYPOINT, --token=Ent…(18 characters)",
                         "CMD, app --password Sec…(15 characters)",
                         "history step 2, redis-cli -a Re…(13 characters)",
                         "history step 3, curl Authorization: Bearer Bear…(21 characters)",
                         "history step 4, //npm.example/:_authToken Npm…(18 characters)",
                         "history step 5, openssl passwd Op…(13 characters)",
                         "history step 6, htpasswd -b … user Ht…(14 characters)"}));
}

// Found by a user trial: a redis.conf's requirepass got no finding; the
// <password> a RUN step wrote to Maven's settings.xml was shown by every
// report and named by no finding of the step; and ENV
// ADMIN_PASSWORD=x;y showed what followed the ';' in its history step
// while the config hid it all, and was reported twice.
TEST(Regression, RedisConfMavenXmlAndASemicolonInEnvAreHiddenAndReportedOnce) {
  std::string dir = TempDir();
  const std::vector<std::string> secrets = {"s3cr3tValue9", "hunter2xyz", "1nPass", "w0rd99"};
  auto step = [](const std::string& created_by, bool empty = false) {
    return json{{"created_by", created_by}, {"empty_layer", empty}};
  };
  json config = {
      {"config", {{"User", "1"}, {"Env", {"ADMIN_PASSWORD=Adm1nPass;w0rd99"}}}},
      {"history",
       {step("/bin/sh -c #(nop) ADD file:a in / "),
        step("/bin/sh -c #(nop)  ENV ADMIN_PASSWORD=Adm1nPass;w0rd99", true),
        step("/bin/sh -c mkdir -p /root/.m2 && echo '<server><id>x</id><password>hunter2xyz"
             "</password></server>' > /root/.m2/settings.xml"),
        step("/bin/sh -c #(nop) COPY file:b in /etc/redis/ ")}}};
  std::string image = WriteImage(
      dir + "/image",
      {{{"etc/os-release", '0', "ID=test\n"}},
       {{"root/.m2/settings.xml", '0',
         "<server><id>x</id><password>hunter2xyz</password></server>\n"}},
       {{"etc/redis/redis.conf", '0', "# requirepass foobared\nrequirepass s3cr3tValue9\n"}}},
      config.dump());
  ExpectNoneShown(image, secrets);

  json report = json::parse(RunStrata({"audit", "--format", "json", image}).out);
  std::vector<std::string> findings;
  for (const json& finding : report["findings"]) {
    std::string rule = finding["rule"];
    std::string path = finding["path"].is_string() ? finding["path"].get<std::string>() : "";
    if (rule.starts_with("secret"))
      findings.push_back(rule + " " + path + " " + finding["detail"].get<std::string>());
  }
  std::sort(findings.begin(), findings.end());
  EXPECT_EQ(findings,
            (std::vector<std::string>{
                "secret-config-password /etc/redis/redis.conf line 2: s3…(12 characters)",
                "secret-in-build-step  history step 3, <password>hu…(10 characters)",
                "secret-in-env  ENV ADMIN_PASSWORD=Adm…(16 characters)",
                "secret-registry-credentials /root/.m2/settings.xml line 1: hu…(10 characters)"}))
      << report.dump();
  json steps = json::parse(RunStrata({"history", "--format", "json", image}).out);
  EXPECT_EQ(steps["history"][1]["created_by"],
            "/bin/sh -c #(nop)  ENV ADMIN_PASSWORD=Adm…(16 characters)");
}

// Found by a new user: a file named after a token (and holding it) had the
// token in full in its finding's path, in every format.
TEST(Regression, ASecretInAFileNameIsRedactedToo) {
  std::string name = "secret/ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw.txt";
  // libarchive writes a directory's name with a trailing "/": ".." and
  // "./.." are files here.
  std::string image = WriteImage(
      TempDir() + "/image", {{{name, '0', "token = ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw\n"}}});
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    // The finding is there (Markdown escapes the underscore).
    EXPECT_NE(result.out.find(format == std::string("markdown") ? "ghp\\_" : "ghp_"),
              std::string::npos)
        << format;
    EXPECT_EQ(result.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << format << result.out;
  }

  // Found by the next new user: the path column was redacted, but a
  // finding's detail, its name as stored and the merge's warnings named the
  // same file in full ("links to /nothere/ghp_…", "read as /ghp_…").
  std::string token = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  std::string hostile =
      WriteImage(TempDir() + "/hostile", {{{"../" + token, '0', "x"},
                                           {"h/" + token, '1', "", "nothere/" + token},
                                           {"s/" + token, '2', "", "/tmp"}},
                                          {{"s/" + token + "/x", '0', "y"}}});
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--top", "100", "--format", format, hostile});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    for (const std::string& rule :
         {"hardlink-outside-layer", "hostile-path", "path-through-symlink"})
      EXPECT_NE(result.out.find(rule), std::string::npos) << format << rule << result.out;
    EXPECT_EQ(result.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << format << result.out;
    EXPECT_EQ(result.err.find("R7kq2VwX9mN4bT8c"), std::string::npos) << format << result.err;
  }
  RunResult warned = RunStrata({"layers", hostile});
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("strata: warning: "), std::string::npos) << warned.err;
  EXPECT_EQ(warned.err.find("R7kq2VwX9mN4bT8c"), std::string::npos) << warned.err;
  EXPECT_EQ(warned.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << warned.out;

  // export writes the files by their names, but says what it skipped as
  // every listing does.
  RunResult exported = RunStrata({"export", "--layer", "1", hostile, TempDir() + "/out"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.err.find("strata: skipped /h/ghp_…(40 characters)"), std::string::npos)
      << exported.err;
  EXPECT_EQ(exported.err.find("R7kq2VwX9mN4bT8c"), std::string::npos) << exported.err;
}

// Found by a new user: a file named after a token was redacted in the
// audit's findings and waste lists, but shown whole by every command that
// lists paths: layers (text and JSON), diff, ls (names, link targets, -R
// headings), find and find --removed.
TEST(Regression, ATokenUsedAsANameIsRedactedInEveryListing) {
  std::string dir = TempDir();
  std::string token = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  std::string first = "keys/" + token + ".txt";
  std::vector<TarMember> base = {{first, '0', "x\n"},
                                 {"link", '2', "", first},
                                 {token + "/", '5'},
                                 {token + "/a", '0', "y\n"}};
  std::string a = WriteImage(dir + "/a", {base});
  std::string b = WriteImage(dir + "/b", {base, {{"keys/.wh." + token + ".txt", '0'}}});

  std::vector<std::vector<std::string>> commands = {
      {"layers", b},
      {"layers", "--format", "json", b},
      {"diff", a, b},
      {"diff", "--format", "json", a, b},
      {"ls", "-l", a, "/"},
      {"ls", "-R", a, "/"},
      {"ls", a, "/keys"},
      {"find", a},
      {"find", "--removed", b},
      {"find", a, "-print0"},
  };
  for (const std::vector<std::string>& command : commands) {
    RunResult result = RunStrata(command);
    std::string shown = command[0] + " " + command[1];
    ASSERT_EQ(result.exit_code, 0) << shown << result.err;
    EXPECT_EQ(result.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << shown << result.out;
    // The entry is listed, redacted, not left out.
    EXPECT_NE(result.out.find("ghp_…(40 characters)"), std::string::npos) << shown << result.out;
  }
}

// Found by a user trial: a token glued to a name (X_ghp_…, vghp_…) in a
// file, an ENV value, a build step or a path was neither reported nor
// hidden: every report format and an error line showed it in full.
TEST(Regression, ATokenGluedToANameIsReportedAndHiddenEverywhere) {
  // One body for each place, so that each is known by what shows it.
  const std::vector<std::string> bodies = {
      "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5", "Kq8Lm2Np4Rs6Tu8Vw0Xy2Za4Bc6De8Fg0Hi2",
      "Zx1Cv3Bn5Mq7We9Rt1Yu3Io5Pa7Sd9Fg1Hj3", "Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xs2Cd3"};
  json config = {
      {"config", {{"User", "1"}, {"Env", {"CI_KEY_ID=vghp_" + bodies[1]}}}},
      {"history",
       {{{"created_by", "/bin/sh -c #(nop) ADD file:a in / "}},
        {{"created_by", "/bin/sh -c git clone https://x@git.example/r X_ghp_" + bodies[2]}}}}};
  std::string image = WriteImage(TempDir() + "/image",
                                 {{{"app/notes.txt", '0', "deploy with X_ghp_" + bodies[0] + "\n"}},
                                  {{"keys/vghp_" + bodies[3] + ".txt", '0', "x\n"},
                                   {"app/lnk", '2', "", "/srv/X_ghp_" + bodies[0]}}},
                                 config.dump());
  auto shows_a_body = [&](const std::string& text) {
    for (const std::string& body : bodies)
      if (text.find(body.substr(0, 16)) != std::string::npos) return true;
    return false;
  };

  RunResult audit = RunStrata({"audit", "--format", "json", image});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  // The file's content, the ENV value, the step, the file's name and the
  // link's target.
  int found = 0;
  json report = json::parse(audit.out);
  for (const json& finding : report["findings"])
    found += finding["detail"].get<std::string>().find("ghp_…(40 characters)") != std::string::npos;
  EXPECT_EQ(found, 5) << audit.out;
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult result = RunStrata({"audit", "--top", "100", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    EXPECT_FALSE(shows_a_body(result.out + result.err)) << format << result.out;
  }
  for (const char* command : {"history", "layers"}) {
    RunResult result = RunStrata({command, "--format", "json", image});
    EXPECT_FALSE(shows_a_body(result.out)) << command << result.out;
  }

  // An error line that says where a link leads.
  RunResult cat = RunStrata({"cat", image, "/app/lnk"});
  EXPECT_EQ(cat.exit_code, 2) << cat.err;
  EXPECT_NE(cat.err.find("ghp_…(40 characters)"), std::string::npos) << cat.err;
  EXPECT_FALSE(shows_a_body(cat.err)) << cat.err;
}

// Found by a user trial: the text table cut a finding's detail at its
// width ("(also store…"), where JSON, Markdown and SARIF showed it whole.
// The rest goes on below, under the path, within the width.
// Found by a second user trial: an accepted finding's reason, the user's
// own words, was cut on its line in the table.
TEST(Regression, TheTextTableShowsAnAcceptedReasonWhole) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"app/.git/HEAD", '0', "ref\n"}}});
  const std::string reason =
      "the app reads its version from git at start-up and the release team signed this off "
      "for the whole of the next quarter";
  WriteFile(dir + "/strata.yaml",
            "accept:\n  - rule: vcs-directory\n    path: /app/.git\n    reason: \"" + reason +
                "\"\n");
  RunResult table = RunStrata({"audit", "--config", dir + "/strata.yaml", image});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::string block = table.out.substr(table.out.find("Accepted findings"));
  std::string joined;
  std::istringstream lines(block);
  std::getline(lines, joined);  // The heading.
  joined.clear();
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    EXPECT_LE(line.size(), 100u) << line;
    size_t start = line.find_first_not_of(' ');
    joined += (joined.empty() ? "" : " ") + line.substr(start);
  }
  EXPECT_NE(joined.find("/app/.git — " + reason), std::string::npos) << block;
}

TEST(Regression, TheTextTableShowsALongFindingDetailWhole) {
  const std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  std::vector<std::vector<TarMember>> layers;
  for (int i = 1; i <= 9; ++i)
    layers.push_back({{"srv/" + token + "/f" + std::to_string(i), '0', "x\n"}});
  std::string image = WriteImage(TempDir() + "/image", layers);

  RunResult as_json = RunStrata({"audit", "--format", "json", image});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  std::string detail;
  json report = json::parse(as_json.out);
  for (const json& finding : report["findings"])
    if (finding["rule"] == "secret-github-token") detail = finding["detail"];
  ASSERT_NE(detail.find("(also stored in layers 2, 3, 4, 5, 6, 7, 8 and 9)"), std::string::npos)
      << detail;

  RunResult table = RunStrata({"audit", image});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::istringstream lines(table.out);
  std::string line, shown;
  const std::string lead = "secret-github-token  /srv/ghp_…(40 characters)  ";
  const std::string under(14 + std::string("secret-github-token").size(), ' ');
  bool in_detail = false;
  while (std::getline(lines, line)) {
    // Columns as a terminal counts them: each UTF-8 sequence is one here.
    size_t columns = std::count_if(line.begin(), line.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    });
    EXPECT_LE(columns, 100u) << line;
    if (size_t at = line.find(lead); at != std::string::npos) {
      shown = line.substr(at + lead.size());
      in_detail = true;
    } else if (in_detail && line.starts_with(under) && line[under.size()] != ' ') {
      shown += " " + line.substr(under.size());
    } else {
      in_detail = false;
    }
  }
  EXPECT_EQ(shown, detail) << table.out;
}

// Found by a user trial: a token in the config's WorkingDir (the
// directory WORKDIR made was listed redacted) was printed whole in audit's
// JSON, history's and layers', and no finding named it.
TEST(Regression, ATokenInTheWorkingDirIsRedactedAndReported) {
  const std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  std::string image =
      WriteImage(TempDir() + "/image", {{{"srv/" + token + "/", '5'}}},
                 R"({"config": {"User": "1", "WorkingDir": "/srv/)" + token + R"("}})");
  for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
    RunResult audit = RunStrata({"audit", "--format", format, image});
    ASSERT_EQ(audit.exit_code, 0) << format << audit.err;
    EXPECT_EQ(audit.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << format << audit.out;
    EXPECT_NE(audit.out.find(format == std::string("markdown") ? "WORKDIR: ghp\\_…(40 characters)"
                                                               : "WORKDIR: ghp_…(40 characters)"),
              std::string::npos)
        << format << audit.out;
  }
  for (const char* command : {"audit", "history", "layers"}) {
    RunResult result = RunStrata({command, "--format", "json", image});
    ASSERT_EQ(result.exit_code, 0) << command << result.err;
    EXPECT_EQ(json::parse(result.out)["image"]["working_dir"], "/srv/ghp_…(40 characters)")
        << command;
    EXPECT_EQ(result.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << command << result.out;
  }
}

// The config of an image of one layer, |layer|, run as a user (so that
// only what a test adds is reported).
json OneLayerConfig(const std::string& layer) {
  return {{"architecture", "amd64"},
          {"os", "linux"},
          {"config", {{"User", "1"}}},
          {"rootfs", {{"type", "layers"}, {"diff_ids", {Sha256Of(layer)}}}},
          {"history", {{{"created_by", "build"}}}}};
}

// Found by a user trial: a token in the image's tag (a docker archive's
// RepoTags, an OCI layout's ref name) was printed whole by every report:
// the table's Image line, JSON image.reference, SARIF's automation id,
// invocation and messages, JUnit and Markdown; diff too. It is hidden in
// all of them and reported, since whoever pulls the image reads its tag.
TEST(Regression, ATokenInTheImageReferenceIsRedactedAndReported) {
  const std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  const std::string hidden = "trial/x:ghp_…(40 characters)";
  std::string dir = TempDir();
  std::string layer = testing::MakeTar({{"a", '0', "x"}});
  json config = OneLayerConfig(layer);
  json manifest = {
      {{"Config", "c.json"}, {"RepoTags", {"trial/x:" + token}}, {"Layers", {"l.tar"}}}};
  WriteFile(dir + "/x.tar", testing::MakeTar({{"manifest.json", '0', manifest.dump()},
                                              {"c.json", '0', config.dump()},
                                              {"l.tar", '0', layer}}));
  std::string layout = WriteImage(dir + "/layout", {{{"a", '0', "x"}}}, config.dump());
  json index = json::parse(ReadFileText(layout + "/index.json"));
  index["manifests"][0]["annotations"] = {
      {"org.opencontainers.image.ref.name", "trial/x:" + token}};
  WriteFile(layout + "/index.json", index.dump());

  for (const std::string& image : {dir + "/x.tar", layout}) {
    for (const char* format : {"table", "json", "sarif", "junit", "markdown"}) {
      RunResult audit = RunStrata({"audit", "--format", format, image});
      ASSERT_EQ(audit.exit_code, 0) << format << audit.err;
      EXPECT_EQ(audit.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << format << audit.out;
      EXPECT_NE(audit.out.find("image reference: ghp"), std::string::npos) << format << audit.out;
    }
    RunResult table = RunStrata({"audit", image});
    EXPECT_EQ(table.out.rfind("Image   " + image + " (" + hidden + ")\n", 0), 0u) << table.out;
    RunResult sarif = RunStrata({"audit", "--format", "sarif", image});
    json run = json::parse(sarif.out)["runs"][0];
    EXPECT_EQ(run["automationDetails"]["id"], "strata/" + hidden + "/");
    EXPECT_EQ(run["invocations"][0]["properties"]["image"], hidden);
    for (const char* command : {"history", "layers"}) {
      RunResult result = RunStrata({command, "--format", "json", image});
      ASSERT_EQ(result.exit_code, 0) << command << result.err;
      EXPECT_EQ(json::parse(result.out)["image"]["reference"], hidden) << command;
    }
    RunResult diff = RunStrata({"diff", "--format", "json", image, image});
    ASSERT_EQ(diff.exit_code, 0) << diff.err;
    EXPECT_EQ(diff.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << diff.out;
  }

  // A tag typed on the command line is the image's name in the reports:
  // the input that spells it is shown redacted too.
  RunResult typed = RunStrata({"audit", "--format", "json", "oci:" + layout + ":trial/x:" + token});
  ASSERT_EQ(typed.exit_code, 0) << typed.err;
  EXPECT_EQ(typed.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << typed.out;
  EXPECT_EQ(json::parse(typed.out)["image"]["input"], "oci:" + layout + ":" + hidden);

  // Found by a second trial: an archive of two images listed the tag in
  // full in its error line (the choices), which the user never typed.
  json two = manifest;  // Two images: one config each (one listed twice is one image).
  two.push_back({{"Config", "c2.json"}, {"RepoTags", {"trial/y:1"}}, {"Layers", {"l.tar"}}});
  WriteFile(dir + "/two.tar", testing::MakeTar({{"manifest.json", '0', two.dump()},
                                                {"c.json", '0', config.dump()},
                                                {"c2.json", '0', config.dump()},
                                                {"l.tar", '0', layer}}));
  for (const std::string& image : {dir + "/two.tar", "docker-archive:" + dir + "/two.tar:z"}) {
    RunResult chosen = RunStrata({"audit", image});
    EXPECT_EQ(chosen.exit_code, 2) << chosen.err;
    EXPECT_NE(chosen.err.find("(choices: " + hidden + ", trial/y:1)\n"), std::string::npos)
        << chosen.err;
  }
}

// A docker archive's image may carry several tags; the one chosen is the
// image's name in the reports, but a token in another was never looked at,
// though whoever has the archive reads it. It is reported (redacted) too.
TEST(Regression, ATokenInAnotherTagOfTheImageIsReported) {
  const std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  std::string dir = TempDir();
  std::string layer = testing::MakeTar({{"a", '0', "x"}});
  json config = OneLayerConfig(layer);
  json manifest = {{{"Config", "c.json"},
                    {"RepoTags", {"trial/x:1", "trial/x:" + token}},
                    {"Layers", {"l.tar"}}}};
  WriteFile(dir + "/x.tar", testing::MakeTar({{"manifest.json", '0', manifest.dump()},
                                              {"c.json", '0', config.dump()},
                                              {"l.tar", '0', layer}}));

  for (const char* format : {"table", "json", "sarif"}) {
    RunResult audit = RunStrata({"audit", "--format", format, dir + "/x.tar"});
    ASSERT_EQ(audit.exit_code, 0) << format << audit.err;
    EXPECT_EQ(audit.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << format << audit.out;
    EXPECT_NE(audit.out.find("another tag of the image: ghp_"), std::string::npos)
        << format << audit.out;
  }
  // Named by the token's tag, that tag is the reference: reported once.
  RunResult chosen =
      RunStrata({"audit", "--format", "json", "docker-archive:" + dir + "/x.tar:trial/x:" + token});
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_EQ(chosen.out.find("aB3dE5gH7jK9mN1p"), std::string::npos) << chosen.out;
  EXPECT_NE(chosen.out.find("image reference: ghp_"), std::string::npos) << chosen.out;
  EXPECT_EQ(chosen.out.find("another tag of the image"), std::string::npos) << chosen.out;
}

// Found by a new user: a custom content rule as loose as [a-z0-9]{3}
// redacted every path the reports show (/app/.env as /…(3 characters)/.…),
// so its accepted findings no longer matched their paths either. Paths
// hide only tokens used as names now.
TEST(Regression, ALooseCustomPatternLeavesPathsReadable) {
  std::string dir = TempDir();
  std::string token = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  std::string image = WriteImage(
      dir + "/image",
      {{{"app/.env", '0', "DEBUG=1\n"}, {"keys/" + token, '0', "token = " + token + "\n"}}});
  WriteFile(dir + "/.strata.yaml",
            "rules:\n  content:\n    - {id: loose, regex: \"[a-z0-9]{3}\", severity: low}\n"
            "accept:\n  - {rule: secret-env-file, path: /app/.env, reason: \"no secret\"}\n");
  RunResult result = RunStrata({"audit", "--format", "json", image}, "", dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::set<std::string> paths;
  bool env_accepted = false;
  json report = json::parse(result.out);  // Outlives the loop over its member.
  for (const json& finding : report["findings"]) {
    if (finding["path"].is_string()) paths.insert(finding["path"].get<std::string>());
    if (finding["rule"] == "secret-env-file")
      env_accepted = finding.contains("accepted") && !finding["accepted"].is_null();
  }
  EXPECT_TRUE(paths.count("/app/.env")) << result.out;
  EXPECT_TRUE(env_accepted) << result.out;
  EXPECT_TRUE(paths.count("/keys/ghp_…(40 characters)")) << result.out;
  EXPECT_EQ(result.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << result.out;

  // An accepted finding names such a file by its real name, or as shown.
  for (const std::string& glob : {"/keys/" + token, std::string("/keys/ghp_*")}) {
    WriteFile(dir + "/.strata.yaml", "accept:\n  - {rule: secret-github-token, path: \"" + glob +
                                         "\", reason: \"test key\"}\n");
    result = RunStrata({"audit", "--format", "json", image}, "", dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    bool accepted = false;
    report = json::parse(result.out);
    for (const json& finding : report["findings"])
      if (finding["path"] == "/keys/ghp_…(40 characters)" &&
          finding["rule"] == "secret-github-token")
        accepted = finding.contains("accepted") && finding["accepted"] == "test key";
    EXPECT_TRUE(accepted) << glob << result.out;
    EXPECT_EQ(result.out.find("R7kq2VwX9mN4bT8c"), std::string::npos) << result.out;
  }
}

TEST(Regression, AcceptedFindingsStayVisibleInTableAndMarkdown) {
  std::string dir = TempDir();
  WriteFile(dir + "/.strata.yaml",
            "accept:\n  - {rule: vcs-directory, reason: \"we need the version\"}\n");
  std::string image = testing::CorpusDir() + "/corpus/leaky-app.oci";
  EXPECT_NE(RunStrata({"audit", image}, "", dir).out.find("we need the version"),
            std::string::npos);
  EXPECT_NE(
      RunStrata({"audit", "--format", "markdown", image}, "", dir).out.find("we need the version"),
      std::string::npos);
}

TEST(Regression, ExportWritesHardLinksWhoseOriginalWasRemoved) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image",
      {{{"orig", '0', "original content"}, {"hl", '1', "", "orig"}}, {{".wh.orig", '0'}}});
  ASSERT_EQ(RunStrata({"export", image, dir + "/out"}).exit_code, 0);
  EXPECT_EQ(ReadFileText(dir + "/out/hl"), "original content");
  EXPECT_FALSE(fs::exists(dir + "/out/orig"));
}

TEST(Regression, CatDoesNotReadBeneathAFileThatReplacedADirectory) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{{"d/", '5'}, {"d/inner", '0', "inner"}}, {{"d", '0', "file now"}}});
  RunResult result = RunStrata({"cat", image, "/d/inner"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("/d is not a directory since layer 2"), std::string::npos)
      << result.err;
  EXPECT_EQ(RunStrata({"cat", "--layer", "1", image, "/d/inner"}).out, "inner");
}

TEST(Regression, JunitBodiesHaveRealLineBreaks) {
  RunResult result =
      RunStrata({"audit", "--format", "junit", testing::CorpusDir() + "/corpus/leaky-app.oci"});
  EXPECT_EQ(result.out.find("\\npath:"), std::string::npos);
  EXPECT_NE(result.out.find("\npath: /app/.env"), std::string::npos);
}

TEST(Regression, SarifUrisArePercentEncoded) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"app/my dir/#1/.env", '0', "A=1"}}});
  json sarif = json::parse(RunStrata({"audit", "--format", "sarif", image}).out);
  bool found = false;
  for (const json& result : sarif["runs"][0]["results"])
    if (result["ruleId"] == "secret-env-file") {
      EXPECT_EQ(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                "app/my%20dir/%231/.env");
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST(Regression, ConfigurationTyposAreErrors) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  WriteFile(dir + "/a.yaml", "accept:\n  - {rule: vcs-directroy, reason: x}\n");
  EXPECT_EQ(RunStrata({"audit", "--config", dir + "/a.yaml", image}).exit_code, 2);
  WriteFile(dir + "/b.yaml",
            "accept:\n  - {rule: vcs-directory, reason: x, expires: 2027-13-45}\n");
  EXPECT_EQ(RunStrata({"audit", "--config", dir + "/b.yaml", image}).exit_code, 2);
  WriteFile(dir + "/c.yaml", "policy:\n  skip: [nonexistent-rule]\n");
  EXPECT_EQ(RunStrata({"ci", "--config", dir + "/c.yaml", image}).exit_code, 2);
  EXPECT_EQ(RunStrata({"ci", "--skip", "bogus-rule", image}).exit_code, 2);
  WriteFile(dir + "/d.yaml", "rules:\n  content:\n    - {id: bad, regex: \"(unclosed\"}\n");
  RunResult bad = RunStrata({"audit", "--config", dir + "/d.yaml", image});
  EXPECT_NE(bad.err.find(dir + "/d.yaml: rules.content[0].regex: \"(unclosed\" does not compile: "),
            std::string::npos)
      << bad.err;
}

TEST(Regression, ReportTargetsAreChecked) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  EXPECT_EQ(
      RunStrata({"audit", "-o", dir + "/t.txt", "--format", "sarif=" + dir + "/s.sarif", image})
          .exit_code,
      2);
  EXPECT_EQ(RunStrata({"audit", "--format", "sarif=" + dir + "/x", "--format",
                       "junit=" + dir + "/x", image})
                .exit_code,
            2);
  RunResult dash = RunStrata({"audit", "--format", "json=-", image}, "", dir);
  EXPECT_EQ(json::parse(dash.out)["schema"], "strata.audit/v1");
  EXPECT_FALSE(fs::exists(dir + "/-"));
}

TEST(Regression, GenericAssignmentIgnoresCode) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{
                          {"app/server.js", '0',
                           "const password = req.body.password;\nconst apiKey = config.apiKey;\n"
                           "token = request.headers.get('x')\nlet secret = passwordField;\n"},
                          {"app/node_modules/lib/index.d.ts", '0', "password: BinaryLike2x9;\n"},
                          {"app/settings.py", '0', "SECRET_KEY = 'Zk3qP9vR2mX7tL4w'\n"},
                      }});
  json report = json::parse(RunStrata({"audit", "--format", "json", image}).out);
  std::vector<std::string> paths;
  for (const json& finding : report["findings"])
    if (finding["rule"] == "secret-generic-assignment") paths.push_back(finding["path"]);
  EXPECT_EQ(paths, std::vector<std::string>{"/app/settings.py"});
}

TEST(Regression, WordPressDatabasePasswordIsFound) {
  std::string dir = TempDir();
  std::string image =
      WriteImage(dir + "/image",
                 {{{"var/www/wp-config.php", '0', "define('DB_PASSWORD', 'Hq7Lm2Xp9Wz4Rt');\n"}}});
  json report = json::parse(RunStrata({"audit", "--format", "json", image}).out);
  bool found = false;
  for (const json& finding : report["findings"])
    found |= finding["rule"] == "secret-config-password";
  EXPECT_TRUE(found);
}

TEST(Regression, DiveCiSizesAsDiveReadsThem) {
  std::string dir = TempDir();
  WriteFile(dir + "/.dive-ci", "rules:\n  highestWastedBytes: 20m\n");
  RunResult result = RunStrata(
      {"ci", "--format", "json", testing::CorpusDir() + "/public/dive/test-docker-image.tar"}, "",
      dir);
  ASSERT_NE(result.exit_code, 2) << result.err;
  // The parsed report must outlive the loop: a range-for over a member of a
  // temporary reads freed memory (AddressSanitizer: heap-use-after-free).
  json report = json::parse(result.out);
  for (const json& check : report["policy"]["checks"])
    if (check["key"] == "highest_wasted_bytes")
      EXPECT_EQ(check["threshold"], "<= 20000000 (20 MB)");
}

// Found by a new user trying the limit flags: a size past 2^63 wrapped to
// a negative limit that refused every image, and CLI11's own range check
// printed DBL_MAX in full.
TEST(Regression, LimitFlagsRefuseValuesTheyCannotHold) {
  std::string image = WriteImage(TempDir() + "/image", {{{"etc/hostname", '0', "x\n"}}});

  RunResult huge = RunStrata({"layers", "--max-layer-bytes", "9223372036854775807", image});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_EQ(huge.err,
            "strata: error: --max-layer-bytes: \"9223372036854775807\" is too large: a size must "
            "stay under 2^63 bytes (see strata layers --help)\n");

  RunResult zero = RunStrata({"layers", "--max-ratio", "0", image});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err,
            "strata: error: --max-ratio: \"0\" is not a whole number of at least 1 (see strata "
            "layers --help)\n");

  EXPECT_EQ(RunStrata({"layers", "--max-layer-bytes", "9000000000000000000", image}).exit_code, 0);
}

// Found by the same user: find took -q for the image.
TEST(Regression, FindTakesTheShortQuietFlag) {
  std::string image = WriteImage(TempDir() + "/image", {{{"app/a.yml", '0', "x\n"}}});
  RunResult result = RunStrata({"find", "-q", "--no-cache", image, "/app", "-name", "*.yml"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "/app/a.yml\n");
}

// Found by a new user: find took an option it did not know (-v) for the
// image name, and so asked the Docker daemon for it; and it refused the
// limit and cache flags the other commands take.
TEST(Regression, FindRefusesUnknownOptionsAndTakesTheCommonOnes) {
  std::string image =
      WriteImage(TempDir() + "/image", {{{"app/", '5'}, {"app/a.yml", '0', "x\n"}}});
  RunResult unknown = RunStrata({"find", "-v", image, "-name", "*.yml"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "strata: error: strata find has no option -v; see strata find --help\n");

  RunResult limited = RunStrata({"find", "--max-entries", "1", "--no-cache", image});
  EXPECT_EQ(limited.exit_code, 2);
  EXPECT_NE(limited.err.find("raise --max-entries"), std::string::npos) << limited.err;

  RunResult capped = RunStrata({"find", "--cache-dir", TempDir(), "--cache-max-size", "1MiB", "-q",
                                image, "-name", "*.yml"});
  EXPECT_EQ(capped.exit_code, 0) << capped.err;
  EXPECT_EQ(capped.out, "/app/a.yml\n");
}

// Found by a new user: `find IMAGE --cache-dir X` said only "unknown test
// '--cache-dir'"; after IMAGE every word is the path or a test, so find's
// options given there now say where they go.
TEST(Regression, FindOptionsAfterTheImageSayWhereTheyGo) {
  std::string image =
      WriteImage(TempDir() + "/image", {{{"app/", '5'}, {"app/a.yml", '0', "x\n"}}});
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--cache-dir", "X"},
       "unknown test '--cache-dir': find's options go before IMAGE (strata find --cache-dir X "
       "IMAGE ...)"},
      {{"-name", "*.yml", "--layer", "1"},
       "unknown test '--layer': find's options go before IMAGE (strata find --layer 1 IMAGE ...)"},
      {{"--layer=1"},
       "unknown test '--layer=1': find's options go before IMAGE (strata find --layer=1 IMAGE "
       "...)"},
      {{"--no-cache", "-name", "*.yml"},
       "unknown test '--no-cache': find's options go before IMAGE (strata find --no-cache IMAGE "
       "...)"},
      {{"-q"}, "unknown test '-q': find's options go before IMAGE (strata find -q IMAGE ...)"},
      {{"--format", "json"},
       "unknown test '--format': strata find has no option --format; its options go before "
       "IMAGE (see strata find --help)"},
      {{"--cahce-dir", "X"},
       "unknown test '--cahce-dir': strata find has no option --cahce-dir (did you mean "
       "--cache-dir?); its options go before IMAGE (see strata find --help)"},
      {{"--help"}, "unknown test '--help': for help, run strata find --help"},
      {{"-nmae", "x"}, "unknown test '-nmae'; did you mean -name?"},
  };
  for (const auto& [after, message] : cases) {
    std::vector<std::string> args = {"find", image, "/app"};
    args.insert(args.end(), after.begin(), after.end());
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2) << after[0];
    EXPECT_EQ(result.err, "strata: error: " + message + "\n");
  }

  // An option's name as a test's argument is only a name.
  RunResult named = RunStrata({"find", "--no-cache", image, "-name", "--cache-dir"});
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(named.out, "");
}

// Found by a new user: --save named the image being read, and the image
// was replaced by the archive; a link to it was replaced by a file.
TEST(Regression, SaveNeverReplacesTheImageItReads) {
  std::string dir = TempDir();
  std::string image = dir + "/image.tar";
  fs::copy_file(testing::CorpusDir() + "/corpus/churn.docker.tar", image);
  std::string before = ReadFileText(image);

  RunResult over = RunStrata({"audit", "-q", "--no-cache", "--save", image, image});
  EXPECT_EQ(over.exit_code, 2);
  EXPECT_EQ(over.err,
            "strata: error: refusing to --save over the image being read (" + image + ")\n");
  EXPECT_EQ(ReadFileText(image), before);

  fs::create_symlink(image, dir + "/link.tar");
  RunResult link = RunStrata({"audit", "-q", "--no-cache", "--save", dir + "/link.tar", image});
  EXPECT_EQ(link.exit_code, 2);
  EXPECT_EQ(link.err,
            "strata: error: refusing to --save over the image being read (" + dir + "/link.tar)\n");
  EXPECT_TRUE(fs::is_symlink(dir + "/link.tar"));
  EXPECT_EQ(ReadFileText(image), before);

  std::string layout = testing::CorpusDir() + "/corpus/churn.oci";
  fs::copy(layout, dir + "/layout", fs::copy_options::recursive);
  RunResult inside =
      RunStrata({"audit", "-q", "--no-cache", "--save", dir + "/layout/x.tar", dir + "/layout"});
  EXPECT_EQ(inside.exit_code, 2);
  EXPECT_NE(inside.err.find("refusing to --save inside the image being read"), std::string::npos)
      << inside.err;
  EXPECT_FALSE(fs::exists(dir + "/layout/x.tar"));

  RunResult fresh = RunStrata({"audit", "-q", "--no-cache", "--save", dir + "/new.tar", image});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_TRUE(fs::is_regular_file(dir + "/new.tar"));
}

// Found by a new user: --save refused a symbolic link at FILE ("exists
// and is not a regular file") where -o writes through one. Both now keep
// the link and replace what it points at, or create it there; what cannot
// hold the archive is refused in one line.
TEST(Regression, SaveWritesThroughALinkAsReportsDo) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/churn.docker.tar";
  fs::create_directory(dir + "/archives");

  WriteFile(dir + "/archives/old.tar", "an older file");
  fs::create_symlink("archives/old.tar", dir + "/to-old.tar");
  fs::create_symlink("archives/new.tar", dir + "/to-new.tar");
  for (const char* link : {"to-old.tar", "to-new.tar"}) {
    RunResult saved = RunStrata({"audit", "-q", "--no-cache", "--save", dir + "/" + link, image});
    EXPECT_EQ(saved.exit_code, 0) << link << ": " << saved.err;
    EXPECT_TRUE(fs::is_symlink(dir + "/" + link)) << link;
  }
  for (const char* archive : {"old.tar", "new.tar"}) {
    std::string path = dir + "/archives/" + archive;
    EXPECT_NE(ReadFileText(path), "an older file") << archive;
    EXPECT_EQ(RunStrata({"history", "-q", path}).exit_code, 0) << archive << " reads back";
  }
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.insert(entry.path().filename());
  for (const auto& entry : fs::directory_iterator(dir + "/archives"))
    left.insert("archives/" + entry.path().filename().string());
  EXPECT_EQ(left, (std::set<std::string>{"archives", "archives/new.tar", "archives/old.tar",
                                         "to-new.tar", "to-old.tar"}));

  // -o writes to a FIFO; an archive that is read back cannot go there.
  ASSERT_EQ(mkfifo((dir + "/fifo").c_str(), 0600), 0);
  fs::create_symlink("archives", dir + "/to-dir");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {dir + "/archives", "it is a directory; give a file name"},
      {dir + "/to-dir", "it is a directory; give a file name"},
      {dir + "/fifo", "it is a device or FIFO, which cannot hold the archive; give a file name"},
  };
  for (const auto& [target, why] : refused) {
    for (const std::string& input : {image, std::string("-")}) {
      RunResult result = RunStrata({"audit", "-q", "--no-cache", "--save", target, input}, image);
      EXPECT_EQ(result.exit_code, 2) << target << " " << input;
      EXPECT_EQ(result.err, "strata: error: --save " + target + ": " + why + "\n") << input;
    }
  }
  EXPECT_TRUE(fs::is_fifo(dir + "/fifo"));
}

// Found by a new user: a saved archive was mode 0600 (mkstemp's) where a
// report written beside it was 0644, and replacing an existing file went
// unsaid. Both now get the mode the shell's `>` would give, and an
// existing file is replaced keeping its mode, as a report's is.
TEST(Regression, SavedArchiveGetsTheModeOfAReport) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/churn.docker.tar";
  auto mode = [](const std::string& path) {
    struct stat info;
    EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  };
  for (const char* mask : {"022", "027"}) {
    std::string saved = dir + "/saved-" + mask + ".tar", report = dir + "/report-" + mask;
    std::string output;
    EXPECT_EQ(RunShell("umask " + std::string(mask) + " && XDG_CACHE_HOME='" + dir + "/cache' " +
                           StrataCommand() + " audit -q --no-cache --save '" + saved + "' -o '" +
                           report + "' '" + image + "'",
                       &output),
              0)
        << output;
    EXPECT_EQ(mode(saved), mode(report)) << "umask " << mask;
    EXPECT_EQ(mode(saved), std::string(mask) == "022" ? 0644u : 0640u) << "umask " << mask;
  }

  std::string existing = dir + "/existing.tar";
  WriteFile(existing, "an older file");
  ASSERT_EQ(chmod(existing.c_str(), 0604), 0);
  RunResult over = RunStrata({"audit", "-q", "--no-cache", "--save", existing, image});
  EXPECT_EQ(over.exit_code, 0) << over.err;
  EXPECT_NE(ReadFileText(existing), "an older file");
  EXPECT_EQ(mode(existing), 0604u);
  EXPECT_EQ(RunStrata({"history", "-q", existing}).exit_code, 0) << "the archive reads back";

  RunResult help = RunStrata({"audit", "--help"});
  EXPECT_NE(help.out.find("an existing FILE is replaced"), std::string::npos) << help.out;
}

// Found by a new user: `diff - -` said "standard input is empty" of the
// second image, which was only read already. Two images from standard
// input are refused before either is read, for diff and for --base alike.
TEST(Regression, StandardInputNamedTwiceIsRefusedAsSuch) {
  std::string image = testing::CorpusDir() + "/corpus/churn.docker.tar";
  const std::string why =
      " both read standard input, which holds one image and can be read only once; save one of "
      "them to a file first";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"diff", "-", "-"}, "IMAGE_A and IMAGE_B"},
      {{"diff", "docker-archive:-", "-"}, "IMAGE_A and IMAGE_B"},
      {{"diff", "-", "docker-archive:-:corpus/churn:1"}, "IMAGE_A and IMAGE_B"},
      {{"audit", "--base", "-", "-"}, "--base and IMAGE"},
      {{"ci", "--base", "-", "-"}, "--base and IMAGE"},
  };
  for (const auto& [args, both] : cases) {
    RunResult result = RunStrata(args, image);
    EXPECT_EQ(result.exit_code, 2) << args[0] << " " << args[1];
    EXPECT_EQ(result.err, "strata: error: " + both + why + " (see strata " + args[0] + " --help)\n")
        << args[0] << " " << args[1];
    EXPECT_EQ(result.out, "");
  }

  // One image from standard input is fine.
  RunResult one = RunStrata({"diff", "-q", "-", image}, image);
  EXPECT_EQ(one.exit_code, 0) << one.err;
  RunResult base = RunStrata({"audit", "-q", "--base", image, "-"}, image);
  EXPECT_EQ(base.exit_code, 0) << base.err;
}

// Found by a new user: other names for standard input (/dev/stdin,
// /dev/fd/0) passed that check, and the second image found the pipe
// drained. A name for the stream descriptor 0 reads is caught as "-" is;
// a regular file on standard input is read again by name, so it may be.
TEST(Regression, OtherNamesForStandardInputAreCaughtToo) {
  std::string image = testing::CorpusDir() + "/corpus/churn.docker.tar";
  std::string dir = TempDir();
  auto piped = [&](const std::vector<std::string>& args) {
    std::string command =
        "cat '" + image + "' | XDG_CACHE_HOME='" + dir + "/cache' " + StrataCommand();
    for (const std::string& arg : args) command += " '" + arg + "'";
    RunResult result;
    std::string output;
    result.exit_code = RunShell(command + " 2>'" + dir + "/err'", &output);
    result.err = ReadFileText(dir + "/err");
    return result;
  };
  const std::string why =
      " both read standard input, which holds one image and can be read only once; save one of "
      "them to a file first";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"diff", "-", "/dev/stdin"}, "IMAGE_A and IMAGE_B"},
      {{"diff", "/dev/fd/0", "-"}, "IMAGE_A and IMAGE_B"},
      {{"diff", "/proc/self/fd/0", "/dev/stdin"}, "IMAGE_A and IMAGE_B"},
      {{"diff", "docker-archive:/dev/stdin", "-"}, "IMAGE_A and IMAGE_B"},
      {{"audit", "--base", "/dev/stdin", "-"}, "--base and IMAGE"},
      {{"ci", "--base", "-", "/dev/fd/0"}, "--base and IMAGE"},
  };
  for (const auto& [args, both] : cases) {
    RunResult result = piped(args);
    EXPECT_EQ(result.exit_code, 2) << args[1] << " " << args[2];
    EXPECT_EQ(result.err, "strata: error: " + both + why + " (see strata " + args[0] + " --help)\n")
        << args[1] << " " << args[2];
  }

  // Once through the pipe is fine, and so is a file on standard input
  // under two names.
  RunResult once = piped({"diff", "-q", "/dev/stdin", image});
  EXPECT_EQ(once.exit_code, 0) << once.err;
  RunResult file = RunStrata({"diff", "-q", "/dev/stdin", "-"}, image);
  EXPECT_EQ(file.exit_code, 0) << file.err;
}

// Found by a new user: an option a command does not take got CLI11's
// "The following arguments were not expected: / --threads", the words in
// reverse (the commands parse their arguments reversed) and a pointer to
// `strata --help`. The unknown options are named in the order given, with
// the nearest option the command has, and the command's own help.
TEST(Regression, AnUnknownOptionIsNamedWithTheCommandsOwnHelp) {
  std::string image = WriteImage(TempDir() + "/image", {{{"etc/hostname", '0', "x\n"}}});
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"ls", "--threads", "1", image, "/"},
       "strata ls has no option --threads; see strata ls --help"},
      {{"cat", "--bogus", "3", image, "P"},
       "strata cat has no option --bogus; see strata cat --help"},
      {{"cat", "--bogus", image}, "strata cat has no option --bogus; see strata cat --help"},
      {{"cat", "--layr", "1", image, "/etc/hostname"},
       "strata cat has no option --layr (did you mean --layer?); see strata cat --help"},
      {{"ls", "--threads=1", "-Z", image, "/", "--bogus"},
       "strata ls has no options --threads, -Z and --bogus; see strata ls --help"},
      {{"export", image, TempDir() + "/out", "--keep-suid"},
       "strata export has no option --keep-suid (did you mean --keep-setuid?); see strata "
       "export --help"},
      // The cache options the other commands take: why export has none.
      {{"export", "--no-cache", image, TempDir() + "/out2"},
       "strata export has no option --no-cache (export reads every layer's bytes again and uses "
       "no cache); see strata export --help"},
      {{"audit", "--bogus", image}, "strata audit has no option --bogus; see strata audit --help"},
      {{"diff", image, "--bogus", image},
       "strata diff has no option --bogus; see strata diff --help"},
      {{"rules", "--bogus"}, "strata rules has no option --bogus; see strata rules --help"},
      {{"find", "--cahce-dir", "X", image},
       "strata find has no option --cahce-dir (did you mean --cache-dir?); see strata find "
       "--help"},
      // Words left over, in the order given; after "--" none is an option.
      {{"ls", image, "/", "extra", "more"},
       "strata ls: unexpected arguments 'extra' and 'more'; see strata ls --help"},
      {{"ls", image, "/", "--", "-x"}, "strata ls: unexpected argument '-x'; see strata ls --help"},
      // Any other usage error points to the command's own help too.
      {{"cat", image}, "PATH is required (see strata cat --help)"},
  };
  for (const auto& [args, message] : cases) {
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << " " << args[1];
    EXPECT_EQ(result.err, "strata: error: " + message + "\n");
    EXPECT_EQ(result.out, "");
  }
  // An unknown command is still named as such.
  EXPECT_EQ(RunStrata({"lss", image}).err,
            "strata: error: unknown command \"lss\"; did you mean ls? (commands: audit, ci, "
            "history, layers, rules, diff, find, ls, cat, export, explore) (see strata --help)\n");
}

// Found by a new user: `export --layer N -` left out an opaque marker at
// the layer's root, and `export --layer N DIR` stopped half written at an
// entry stored beneath a link the same layer stores.
TEST(Regression, ALayerExportKeepsARootOpaqueMarkerAndSkipsWhatALinkBlocks) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"a", '0', "x"}},
                                                  {{".wh..wh..opq", '0'},
                                                   {"d/", '5'},
                                                   {"d/one", '0', "1"},
                                                   {"l", '2', "", "d"},
                                                   {"l/f", '0', "through the link"},
                                                   {"z", '0', "after"}}});
  RunResult tar = RunStrata({"export", "-q", "--layer", "2", image, "-"});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  std::set<std::string> names;
  for (const LayerEntry& entry : testing::ReadTar(tar.out).entries)
    names.insert(entry.kind == EntryKind::kOpaque ? std::string(entry.path) + "<opaque>"
                                                  : std::string(entry.path));
  EXPECT_TRUE(names.count("<opaque>")) << tar.out.size();
  EXPECT_TRUE(names.count("z"));
  EXPECT_FALSE(names.count("l/f"));

  RunResult out = RunStrata({"export", "--layer", "2", image, dir + "/out"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(ReadFileText(dir + "/out/z"), "after");
  EXPECT_EQ(ReadFileText(dir + "/out/d/one"), "1");
  EXPECT_FALSE(fs::exists(dir + "/out/d/f"));
  EXPECT_NE(
      out.err.find("skipped /l/f (stored beneath /l, which this layer stores as a symbolic link; "
                   "not written)"),
      std::string::npos)
      << out.err;
}

// Found by a new user: CLI11's own words for an option given twice or
// without its value ("At Most 1 required but received 2", "1 required
// TEXT missing").
TEST(Regression, AnOptionsCountOfValuesIsSaidPlainly) {
  std::string image = testing::FixturesDir() + "/removed.oci";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"layers", "--layer", "1", "--layer", "2", image},
       "--layer is given 2 times; it takes one value (see strata layers --help)"},
      {{"audit", "--top", "1", "--top", "2", "--top", "3", image},
       "--top is given 3 times; it takes one value (see strata audit --help)"},
      {{"ls", "--layer"}, "--layer needs a value (see strata ls --help)"},
      {{"audit", "--cache-dir"}, "--cache-dir needs a value (see strata audit --help)"},
  };
  for (const auto& [args, message] : cases) {
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << " " << args[1];
    EXPECT_EQ(result.err, "strata: error: " + message + "\n");
  }
}

// Found by a new user: a file named with U+202E (right-to-left override)
// before "gpj.env" showed as "vne.jpg" in ls, find and the table: only
// control bytes were escaped.
TEST(Regression, BidirectionalControlsInNamesAreEscaped) {
  std::string name = "\u202egpj.env";
  std::string image = WriteImage(TempDir() + "/image", {{{"app/" + name, '0', "A=1\n"}}});
  for (const std::vector<std::string>& command : {std::vector<std::string>{"ls", image, "/app"},
                                                  {"find", image, "/app"},
                                                  {"layers", image}}) {
    RunResult result = RunStrata(command);
    ASSERT_EQ(result.exit_code, 0) << command[0] << result.err;
    EXPECT_EQ(result.out.find("\u202e"), std::string::npos) << command[0] << result.out;
    EXPECT_NE(result.out.find("\\u{202e}gpj.env"), std::string::npos) << command[0] << result.out;
  }
  // A C1 control (U+009B, which some terminals take as an escape) too.
  RunResult result =
      RunStrata({"ls", WriteImage(TempDir() + "/image", {{{"a\u009b2Jb", '0', "x"}}}), "/"});
  EXPECT_EQ(result.out, "a\\u{009b}2Jb\n");
  // Found by a user trial: a zero-width space, and a line separator (in a
  // build step), were printed raw.
  result = RunStrata(
      {"ls", WriteImage(TempDir() + "/image", {{{"a\u200bpp\u2028x\ufeff", '0', "x"}}}), "/"});
  EXPECT_EQ(result.out, "a\\u{200b}pp\\u{2028}x\\u{feff}\n");
}

// Found by a new user: a path in the Markdown report rendered as Markdown:
// "a_b*[x](http:/evil.invalid)" became emphasis and a link in a
// pull-request comment, and '&' started an entity.
TEST(Regression, MarkdownShowsImageNamesAsWritten) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/im`age", {{{"app/a|b`c*d_e[x](http:/evil.invalid)&amp;~/.env", '0', "A=1\n"}}});
  RunResult result = RunStrata({"ci", "--format", "markdown", image});
  ASSERT_EQ(result.exit_code, 1) << result.err;  // secret-env-file is high.
  EXPECT_NE(result.out.find("/app/a\\|b\\`c\\*d\\_e\\[x\\](http:/evil.invalid)&amp;amp;\\~/.env"),
            std::string::npos)
      << result.out;
  // The image's name, in a code span fenced past its backtick.
  EXPECT_NE(result.out.find("``" + dir + "/im`age``"), std::string::npos) << result.out;
}

// Found by a new user: ls -l showed a link with the mode its tar header
// stored and size 0, where Linux (and strata find) show 0777 and the
// target's length.
TEST(Regression, LsShowsALinkAsLinuxDoes) {
  std::string image = WriteImage(TempDir() + "/image",
                                 {{{"t", '0', "x"}, {"soft", '2', "", "/nonexistent", 0644}}});
  RunResult result = RunStrata({"ls", "-l", image, "/soft"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("lrwxrwxrwx ")) << result.out;
  EXPECT_NE(result.out.find(" 12 "), std::string::npos) << result.out;
  EXPECT_EQ(RunStrata({"find", image, "-type", "l", "-size", "12c"}).out, "/soft\n");
}

// Found by a new user: `strata -v audit IMAGE` was told audit did not
// expect -v, which it takes; the option only came before the command.
TEST(Regression, AnOptionBeforeTheCommandIsToldWhereItGoes) {
  std::string image = testing::FixturesDir() + "/removed.oci";
  RunResult result = RunStrata({"-v", "audit", image});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "strata: error: -v goes after the command: strata audit -v … (see strata audit "
            "--help)\n");
  EXPECT_EQ(result.out, "");

  // With no command at all, CLI11's "A subcommand is required" said less.
  result = RunStrata({"--bogus"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err.find("strata: error: strata has no option --bogus; give a command first "
                            "(audit, ci, history,"),
            0u)
      << result.err;
  result = RunStrata({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err.find("strata: error: strata needs a command: audit, ci,"), 0u) << result.err;
}

// Found by a new user: a transport with nothing after it.
TEST(Regression, ATransportAloneIsNamed) {
  RunResult result = RunStrata({"audit", "docker://"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "strata: error: \"docker://\" names no image after its transport\n");
}

// Found by a new user: a registry reference holding a login was taken
// whole, the password shown in errors and reports. It is refused, on
// one line that names neither the user nor the password.
TEST(Regression, ALoginInARegistryReferenceIsRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"docker://alice:PwLEAK1@127.0.0.1:1/team/app:1", "127.0.0.1:1/team/app:1"},
      {"docker://alice@127.0.0.1:1/team/app", "127.0.0.1:1/team/app"},
  };
  for (const auto& [reference, shown] : cases) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"history", "--insecure", reference},
          std::vector<std::string>{"audit", "--insecure", "--base", reference,
                                   testing::CorpusDir() + "/corpus/churn.docker.tar"}}) {
      RunResult result = RunStrata(args);
      EXPECT_EQ(result.exit_code, 2) << reference;
      EXPECT_EQ(result.err,
                "strata: error: docker://" + shown +
                    ": a login in the reference (USER:PASSWORD@) is refused, as it would show in "
                    "reports and process lists; log in with docker login 127.0.0.1:1 (strata "
                    "reads ~/.docker/config.json)\n");
      EXPECT_EQ(result.out, "");
    }
  }
}

// Found by a new user: 40,000 nested directories, then an opaque marker
// over the top one, overflowed the stack of the merge's recursive walk.
TEST(Regression, NestingDeeperThanTheStackIsMerged) {
  std::string deep;
  for (int i = 0; i < 40000; ++i) deep += "a/";
  std::string image = WriteImage(TempDir() + "/deep",
                                 {{{deep + "leaf.txt", '0', "x"}}, {{"a/.wh..wh..opq", '0', ""}}});
  RunResult result =
      RunStrata({"layers", "--format", "json", "--no-cache", "--max-path-bytes", "100000", image});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("leaf.txt"), std::string::npos);
}

// A few entries nested deep imply many directories: --max-entries bounds
// those too, not only the entries (a 212 kB image once took 770 MB).
TEST(Regression, MaxEntriesCountsTheDirectoriesPathsImply) {
  std::vector<TarMember> deep;
  for (char top : {'a', 'b', 'c'}) {
    std::string path(1, top);
    for (int level = 0; level < 40; ++level) path += "/d";
    deep.push_back({path + "/f", '0', "x\n"});
  }
  std::string image = WriteImage(TempDir() + "/image", {deep});

  RunResult limited = RunStrata({"layers", "--no-cache", "--max-entries", "100", image});
  EXPECT_EQ(limited.exit_code, 2) << limited.err;
  EXPECT_EQ(limited.err,
            "strata: error: layer 1: with the layers below, its paths make more than 100 files "
            "and directories; raise --max-entries to read it\n");
  EXPECT_EQ(RunStrata({"layers", "--no-cache", "--max-entries", "200", image}).exit_code, 0);
}

// ls -R, find and diff walked one stack frame a level: nesting a layer
// allows crashed them where the merge no longer did. A small stack (256 kB)
// stands in for deeper nesting, whose listing would be quadratic in size.
// diff took no --max-path-bytes at all.
TEST(Regression, ListingsOfNestingDeeperThanTheStackDoNotCrash) {
  std::string deep;
  for (int i = 0; i < 3000; ++i) deep += "a/";
  std::string dir = TempDir();
  std::string a = WriteImage(dir + "/a", {{{deep + "leaf.txt", '0', "x"}}});
  std::string b = WriteImage(dir + "/b", {{{deep + "leaf.txt", '0', "changed"}}});
  auto run = [](const std::string& command, const std::string& args, std::string* out) {
    return RunShell("ulimit -s 256 && " + StrataBinary() + " " + command +
                        " --no-cache --max-path-bytes 8000 " + args,
                    out);
  };

  std::string listing, found, diff;
  EXPECT_EQ(run("ls -R", a + " /", &listing), 0) << listing.substr(0, 500);
  EXPECT_NE(listing.find("leaf.txt"), std::string::npos);
  EXPECT_EQ(run("find", a + " / -name leaf.txt", &found), 0) << found.substr(0, 500);
  EXPECT_EQ(found, "/" + deep + "leaf.txt\n");
  EXPECT_EQ(run("diff --format json", a + " " + b, &diff), 0) << diff.substr(0, 500);
  EXPECT_NE(diff.find("leaf.txt"), std::string::npos) << diff.substr(0, 2000);
}

// Found by a new user: `audit -` and `audit /dev/zero` buffered a stream
// with no limit of their own, until the disk of TMPDIR was full. Every run
// here is held to 64 MiB of file at most (`ulimit -f`), so a buffer with no
// limit fails the test instead of filling the disk.
TEST(Regression, AStreamIsBufferedOnlyAsFarAsAnImageWithinTheLimitsReaches) {
  std::string dir = TempDir();
  std::string tmp = dir + "/tmp";
  fs::create_directories(tmp);
  auto strata = [&tmp](const std::string& args) {
    return "(ulimit -f 65536 && TMPDIR='" + tmp + "' " + StrataCommand() + " audit -q --no-cache " +
           args + ")";
  };
  // 1 MiB of layers, 16 documents of 64 KiB and 4 MiB of tar headers.
  std::string limits = "--max-image-bytes 1MiB --max-json-bytes 64KiB ";
  std::string line =
      " is larger than 6291456 bytes, the most an image within --max-image-bytes takes with its "
      "manifests and configs; raise --max-image-bytes to read it\n";

  std::string out;
  EXPECT_EQ(RunShell("head -c 8388608 /dev/zero | " + strata(limits + "-"), &out), 2);
  EXPECT_EQ(out, "strata: error: standard input" + line);
  EXPECT_EQ(RunShell(strata(limits + "/dev/zero"), &out), 2);
  EXPECT_EQ(out, "strata: error: /dev/zero" + line);
  EXPECT_TRUE(fs::is_empty(tmp));

  // A real image streamed in is read at the default limits.
  std::string image = testing::CorpusDir() + "/corpus/churn.docker.tar";
  EXPECT_EQ(RunShell("cat '" + image + "' | " + strata("- >/dev/null"), &out), 0) << out;
}

// The same user: a TMPDIR that is missing or full gave a line that did
// not say what to do about it.
TEST(Regression, ABufferThatCannotBeWrittenSaysWhereAndWhatToDo) {
  std::string image = testing::CorpusDir() + "/corpus/churn.docker.tar";
  std::string dir = TempDir();
  std::string out;
  EXPECT_EQ(RunShell("TMPDIR='" + dir + "/missing' " + StrataCommand() +
                         " audit -q --no-cache - <'" + image + "'",
                     &out),
            2);
  EXPECT_EQ(out, "strata: error: cannot buffer standard input: cannot create a file in " + dir +
                     "/missing: No such file or directory; set TMPDIR to a writable directory\n");

  // A full disk, as a file size limit (its signal ignored) shows it.
  EXPECT_EQ(RunShell("trap '' XFSZ; ulimit -f 1024 && TMPDIR='" + dir + "' " + StrataCommand() +
                         " audit -q --no-cache - <'" + image + "'",
                     &out),
            2);
  EXPECT_EQ(out, "strata: error: cannot buffer standard input in " + dir +
                     ": File too large; set TMPDIR to a directory with room for it\n");
  EXPECT_TRUE(fs::is_empty(dir));
}

// Found by a new user: of several reports, those written before one that
// could not be (its directory missing) stayed on disk.
TEST(Regression, ReportsAreWrittenAllOrNone) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  auto listing = [&dir] {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
    return names;
  };
  WriteFile(dir + "/old.sarif", "old\n");

  RunResult failed = RunStrata({"audit", "-q", "--format", "json=" + dir + "/new.json", "--format",
                                "sarif=" + dir + "/old.sarif", "--format",
                                "junit=" + dir + "/missing/r.xml", "--format", "table", image});
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_EQ(failed.err, "strata: error: cannot write " + dir +
                            "/missing/r.xml: No such file or directory; no report was written\n");
  EXPECT_EQ(failed.out, "");
  EXPECT_EQ(listing(), std::set<std::string>{"old.sarif"});
  EXPECT_EQ(ReadFileText(dir + "/old.sarif"), "old\n");

  // Written, a report replaces its file whole; a link to one stays a link
  // and a device is written to.
  fs::create_symlink("old.sarif", dir + "/link.sarif");
  RunResult written =
      RunStrata({"audit", "-q", "--format", "json=" + dir + "/new.json", "--format",
                 "sarif=" + dir + "/link.sarif", "--format", "table=/dev/null", image});
  EXPECT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(listing(), (std::set<std::string>{"link.sarif", "new.json", "old.sarif"}));
  EXPECT_TRUE(fs::is_symlink(dir + "/link.sarif"));
  EXPECT_EQ(json::parse(ReadFileText(dir + "/old.sarif"))["version"], "2.1.0");
  EXPECT_EQ(json::parse(ReadFileText(dir + "/new.json"))["schema"], "strata.audit/v1");
}

// Found by a new user: --max-entries 99999999999999999999 said "not a
// whole number". Every numeric flag says a number past its range is too
// large, and what the most is.
TEST(Regression, AHugeNumberIsTooLargeNotNoNumber) {
  std::string image = WriteImage(TempDir() + "/image", {{{"etc/hostname", '0', "x\n"}}});
  const std::string huge = "99999999999999999999";
  struct Case {
    std::vector<std::string> args;
    std::string most;
  };
  for (const Case& c : std::vector<Case>{
           {{"layers", "--max-entries"}, "9223372036854775807"},
           {{"layers", "--max-path-bytes"}, "9223372036854775807"},
           {{"layers", "--max-ratio"}, "9223372036854775807"},
           {{"layers", "--max-json-depth"}, "2147483647"},
           {{"audit", "--threads"}, "256"},
           {{"audit", "--top"}, "1000000"},
           {{"layers", "--layer"}, "1073741824"},
           {{"ls", "--layer"}, "1073741824"},
       }) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {huge, image});
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2) << c.args[1];
    EXPECT_EQ(result.err, "strata: error: " + c.args[1] + ": \"" + huge +
                              "\" is too large: the most is " + c.most + " (see strata " +
                              c.args[0] + " --help)\n");
  }
  RunResult find = RunStrata({"find", "--layer", huge, image});
  EXPECT_EQ(find.err, "strata: error: find: --layer: \"" + huge +
                          "\" is too large: the most is 1073741824 (see strata find --help)\n");
  RunResult depth = RunStrata({"layers", "--max-json-depth", "3000000000", image});
  EXPECT_EQ(depth.err,
            "strata: error: --max-json-depth: \"3000000000\" is too large: the most is "
            "2147483647 (see strata layers --help)\n");

  EXPECT_EQ(
      RunStrata({"layers", "--no-cache", "--max-entries", "9223372036854775807", image}).exit_code,
      0);
}

// Found by a new user: a 320 kB image of 12,000 entries, each 2,000
// directories deep, took 24 s and 2 GB at the default limits before
// --max-entries stopped it at ten million tree nodes. Directories that
// paths imply but no entry stores are now bounded by the entries read.
TEST(Regression, DeepPathsStopAtTheDirectoriesTheyImply) {
  // 200 entries, each 600 directories deep beneath its own: 120,000
  // implied directories, more than 100,000 and 8 for each entry.
  std::vector<TarMember> deep;
  std::string chain;
  for (int level = 0; level < 599; ++level) chain += "d/";
  for (int i = 0; i < 200; ++i) deep.push_back({"t" + std::to_string(i) + "/" + chain + "f", '0'});
  std::string image = WriteImage(TempDir() + "/image", {deep});

  RunResult stopped = RunStrata({"audit", "--no-cache", image});
  EXPECT_EQ(stopped.exit_code, 2) << stopped.err;
  EXPECT_EQ(stopped.err,
            "strata: error: layer 1: with the layers below, its paths imply more than 101600 "
            "directories that no entry stores; raise --max-implied-dirs to read it\n");
  EXPECT_EQ(stopped.out, "");

  RunResult raised = RunStrata({"layers", "--no-cache", "--max-implied-dirs", "120000", image});
  EXPECT_EQ(raised.exit_code, 0) << raised.err;
}

// Found by a new user: a file named after a token was hidden in the
// findings but printed whole in the waste lists ("Largest waste",
// "Removed files still stored", JSON "waste" and "recoverable").
TEST(Regression, WasteListsHideAFileNamedAfterAToken) {
  const std::string token = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  std::string image = WriteImage(
      TempDir() + "/image", {{{"keys/", '5'}, {"keys/" + token, '0', std::string(200000, 'x')}},
                             {{"keys/.wh." + token, '0'}}});
  for (const char* format : {"table", "json", "markdown", "sarif", "junit"}) {
    RunResult audit = RunStrata({"audit", "--no-cache", "--format", format, image});
    EXPECT_EQ(audit.exit_code, 0) << audit.err;
    EXPECT_EQ(audit.out.find(token), std::string::npos) << format << "\n" << audit.out;
    EXPECT_NE(audit.out.find(format == std::string("markdown") ? "ghp\\_" : "ghp_"),
              std::string::npos)
        << format;
  }
  RunResult text = RunStrata({"audit", "--no-cache", image});
  EXPECT_NE(text.out.find("/keys/ghp_…(40 characters)"), std::string::npos) << text.out;
}

// Found by a new user: a symbolic link with an empty target (which no
// filesystem holds: umoci's unpack fails on it) was read as a link to its
// own directory. cat of it said "is a directory", a path beneath it was
// looked for in that directory, export to a directory stopped half-way,
// and the audit said nothing.
TEST(Regression, ASymbolicLinkWithAnEmptyTargetLeadsNowhere) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"etc/passwd", '0', "root\n"},
                                                   {"empty", '2', "", ""},
                                                   {"etc/e2", '2', "", ""},
                                                   {"c", '2', "", "etc/e2"}},
                                                  {{"c/g", '0', "y\n"}}});

  RunResult cat = RunStrata({"cat", "-q", image, "etc/e2"});
  EXPECT_EQ(cat.exit_code, 2);
  EXPECT_EQ(cat.err,
            "strata: error: /etc/e2: is a symbolic link with an empty target in layer 1, which "
            "leads nowhere\n");
  cat = RunStrata({"cat", "-q", image, "empty/x"});
  EXPECT_EQ(cat.err,
            "strata: error: /empty/x: no such file in the image (/empty is a symbolic link with "
            "an empty target since layer 1)\n");

  RunResult ls = RunStrata({"ls", "-q", "-l", image, "/"});
  EXPECT_NE(ls.out.find(" empty -> ''\n"), std::string::npos) << ls.out;

  RunResult exported = RunStrata({"export", dir + "/image", dir + "/out"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.err.find("strata: skipped /empty (a symbolic link with an empty target; "
                              "not written)\n"),
            std::string::npos)
      << exported.err;
  EXPECT_TRUE(fs::exists(dir + "/out/etc/passwd"));
  EXPECT_FALSE(fs::is_symlink(dir + "/out/empty"));
  ASSERT_EQ(RunShell(std::string(STRATA_BINARY) + " export -q '" + image + "' - > '" + dir +
                         "/out.tar' && tar -tf '" + dir + "/out.tar' | sort | tr '\\n' ' '",
                     &ls.out),
            0);
  // c stays a link and c/g has nowhere to go: no unpacker can make or
  // follow the chain (umoci fails on the empty target itself).
  EXPECT_EQ(ls.out, "c etc/ etc/passwd ");
  cat = RunStrata({"cat", "-q", image, "c/g"});
  EXPECT_EQ(cat.err,
            "strata: error: /c/g: no such file in the image (/etc/e2 is a symbolic link with an "
            "empty target)\n");

  RunResult audit = RunStrata({"audit", "--format", "json", image});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  std::vector<std::string> empty_links;
  std::string through;
  json report = json::parse(audit.out);
  for (const json& finding : report["findings"]) {
    if (finding["rule"] == "empty-symlink-target") empty_links.push_back(finding["path"]);
    if (finding["rule"] == "path-through-symlink") through = finding["detail"];
  }
  EXPECT_EQ(empty_links, (std::vector<std::string>{"/empty", "/etc/e2"}));
  EXPECT_EQ(through,
            "stored beneath /c, a symbolic link to etc/e2 (layer 1), and on to /etc/e2, a "
            "symbolic link with an empty target, which leads nowhere: unpackers cannot make or "
            "follow it; strata leaves it out of the merged filesystem (its layer still stores "
            "it)");
}

// A hard link to a link with an empty target is that link again: skipped
// as it is, so nothing is planned at its path either (an existing file
// there is no conflict), and listed as it is.
TEST(Regression, AHardLinkToALinkWithAnEmptyTargetIsSkippedAsTheLinkIs) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{{"f", '0', "f\n"}, {"empty", '2', "", ""}, {"h", '1', "", "empty"}}});
  WriteFile(dir + "/out/h", "kept\n");
  RunResult exported = RunStrata({"export", image, dir + "/out"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.err.find("strata: skipped /h (a symbolic link with an empty target; not "
                              "written)\n"),
            std::string::npos)
      << exported.err;
  EXPECT_EQ(ReadFileText(dir + "/out/h"), "kept\n");
  EXPECT_EQ(ReadFileText(dir + "/out/f"), "f\n");

  RunResult ls = RunStrata({"ls", "-q", "-l", image, "/h"});
  EXPECT_NE(ls.out.find(" /h -> ''\n"), std::string::npos) << ls.out;
}

// Found by a new user: a finding in a layer whose history step is neither
// RUN nor COPY was placed at "layer 1 ?" in the table.
TEST(Regression, AnUnknownBuildStepLeavesNoQuestionMark) {
  std::string image =
      WriteImage(TempDir() + "/image", {{{"app/", '5'}, {"app/.env", '0', "DEBUG=1\n"}}},
                 R"({"history": [{"created_by": "made by hand"}]})");
  RunResult audit = RunStrata({"audit", "--no-cache", image});
  ASSERT_NE(audit.out.find("/app/.env"), std::string::npos) << audit.out;
  EXPECT_EQ(audit.out.find("layer 1 ?"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("layer 1"), std::string::npos) << audit.out;
}

// Found by a new user: a layer that removes a directory and stores a link
// in its place (`.wh.c`, then `c -> t`) made `cat IMAGE c/x` say the file
// was removed, where `ls` and an unpacked image find /t/x through the
// link: the layer's own link outweighs its whiteout, whatever their order.
TEST(Regression, CatFollowsALinkThatReplacedARemovedDirectory) {
  std::string dir = TempDir();
  for (bool whiteout_first : {true, false}) {
    std::vector<TarMember> upper = {{".wh.c", '0', ""}, {"c", '2', "", "t"}};
    if (!whiteout_first) std::swap(upper[0], upper[1]);
    std::string image = WriteImage(dir + (whiteout_first ? "/first" : "/second"),
                                   {{{"t/x", '0', "from t\n"}, {"c/x", '0', "old c/x\n"}}, upper});

    RunResult cat = RunStrata({"cat", "-q", image, "c/x"});
    EXPECT_EQ(cat.exit_code, 0) << cat.err;
    EXPECT_EQ(cat.out, "from t\n");
    cat = RunStrata({"cat", "-q", "--layer", "1", image, "c/x"});
    EXPECT_EQ(cat.out, "old c/x\n");
  }
}

// Found by a new user: `ls IMAGE link/`, with link -> /, listed the link
// itself, and `ls IMAGE link/etc` found nothing, where a shell on the
// unpacked image lists / and /etc; `cat IMAGE file/` wrote the file. The
// shell here runs ls on umoci's unpack, through a link to "." (a link to
// "/" would lead it to the host's root); strata must list the image's
// link to "/" the same way.
TEST(Regression, LsAndCatFollowLinksAsAShellDoes) {
  if (!testing::HaveUmoci()) GTEST_SKIP() << "umoci is not installed";
  std::string work = TempDir();
  std::string output;
  ASSERT_EQ(testing::UmociUnpack(work,
                                 {{{"etc", '5', "", "", 0755},
                                   {"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\n"},
                                   {"etc/sub", '5', "", "", 0755},
                                   {"etc/sub/f", '0', "f\n"},
                                   {"dot", '2', "", "."},
                                   {"root", '2', "", "/"},
                                   {"rel", '2', "", "dot/etc"}}},
                                 &output),
            0)
      << output;
  std::string image = work + "/layout";

  for (std::string path : {"dot/", "dot", "dot/etc", "dot/etc/", "dot/./etc/sub", "rel", "rel/"}) {
    std::string theirs;
    ASSERT_EQ(RunShell("cd '" + work + "/bundle/rootfs' && ls '" + path + "'", &theirs), 0);
    RunResult ours = RunStrata({"ls", "-q", image, path});
    EXPECT_EQ(ours.exit_code, 0) << path << ": " << ours.err;
    EXPECT_EQ(ours.out, theirs) << path;
    if (!path.starts_with("dot")) continue;
    std::string through_root = "root" + path.substr(3);
    EXPECT_EQ(RunStrata({"ls", "-q", image, through_root}).out, theirs) << through_root;
  }
  EXPECT_NE(RunStrata({"ls", "-q", "-l", image, "root"}).out.find(" /root -> /\n"),
            std::string::npos);
  EXPECT_EQ(RunStrata({"ls", "-q", image, "root/etc/passwd"}).out, "/root/etc/passwd\n");
  EXPECT_EQ(RunStrata({"cat", "-q", image, "root/etc/passwd"}).out, "root:x:0:0::/root:/bin/sh\n");

  RunResult ls = RunStrata({"ls", "-q", image, "root/etc/passwd/"});
  EXPECT_EQ(ls.exit_code, 2);
  EXPECT_EQ(ls.err, "strata: error: /root/etc/passwd/: not a directory in the image\n");
  RunResult cat = RunStrata({"cat", "-q", image, "etc/passwd/"});
  EXPECT_EQ(cat.exit_code, 2);
  EXPECT_EQ(cat.out, "");
  EXPECT_EQ(cat.err, "strata: error: /etc/passwd/: not a directory\n");
}

// Found by a new user: the hostile-path finding of an entry stored as
// ".." (or "../", "./..") showed an empty path in the table and null in
// JSON, as if it were about the config. Every format now shows the name as
// stored, quoted when it has a space or a quote; JSON keeps "path" the
// absolute path strata reads ("/" here) and adds "stored_path".
TEST(Regression, AFindingOfAnEntryStoredAsDotDotShowsTheStoredName) {
  // libarchive writes a directory's name with a trailing "/": ".." and
  // "./.." are files here.
  std::string image =
      WriteImage(TempDir() + "/image",
                 {{{"..", '0', "a"}, {"./..", '0', "b"}, {"../", '5'}, {"../x y", '0', "x"}}});

  RunResult table = RunStrata({"audit", "-q", image});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* shown : {"hostile-path  ..  stored", "hostile-path  ./..  stored",
                            "hostile-path  ../  stored", "hostile-path  \"../x y\"  stored"})
    EXPECT_NE(table.out.find(shown), std::string::npos) << shown << "\n" << table.out;

  RunResult json_report = RunStrata({"audit", "-q", "--format", "json", image});
  json report = json::parse(json_report.out);
  std::vector<std::string> paths, stored;
  for (const json& finding : report["findings"]) {
    if (finding["rule"] != "hostile-path") continue;
    paths.push_back(finding["path"]);
    stored.push_back(finding["stored_path"]);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/", "/", "/", "/x y"}));
  EXPECT_EQ(stored, (std::vector<std::string>{"..", "./..", "../", "../x y"}));

  std::map<std::string, std::vector<std::string>> expected = {
      {"markdown", {"| .. stored", "| ./.. stored", "| ../ stored", "| \"../x y\" stored"}},
      {"junit", {"name=\"..\"", "name=\"./..\"", "name=\"../\"", "name=\"&quot;../x y&quot;\""}},
      {"sarif", {"root: .. (", "root: ./.. (", "root: ../ (", "root: \\\"../x y\\\" ("}}};
  for (const auto& [format, shown] : expected) {
    RunResult result = RunStrata({"audit", "-q", "--format", format, image});
    ASSERT_EQ(result.exit_code, 0) << format << result.err;
    for (const std::string& text : shown)
      EXPECT_NE(result.out.find(text), std::string::npos) << format << ": " << text;
    if (format != "sarif") continue;
    // ".." and "./.." are read as the same path: code scanning must not
    // take them for one finding.
    std::set<std::string> fingerprints;
    json sarif = json::parse(result.out);
    for (const json& item : sarif["runs"][0]["results"])
      if (item["ruleId"] == "hostile-path")
        fingerprints.insert(item["partialFingerprints"]["strataFinding/v1"].get<std::string>());
    EXPECT_EQ(fingerprints.size(), 4u);
  }
}

// Found by a new user: export wrote a root filesystem into the layout it
// read, and --overwrite replaced the layout's own index.json.
TEST(Regression, ExportNeverWritesIntoTheImageItReads) {
  std::string dir = TempDir();
  std::string layout = dir + "/my.oci";
  fs::copy(testing::CorpusDir() + "/corpus/churn.oci", layout, fs::copy_options::recursive);
  std::string index = ReadFileText(layout + "/index.json");
  for (const std::string& target : {layout + "/rootfs", layout, layout + "/blobs"}) {
    RunResult result = RunStrata({"export", "-q", "--overwrite", layout, target});
    EXPECT_EQ(result.exit_code, 2) << target;
    EXPECT_EQ(result.err,
              "strata: error: refusing to export inside the image being read (" + target + ")\n");
  }
  RunResult transport = RunStrata({"export", "-q", "oci:" + layout, layout + "/rootfs"});
  EXPECT_NE(transport.err.find("refusing to export inside"), std::string::npos) << transport.err;
  EXPECT_FALSE(fs::exists(layout + "/rootfs"));
  EXPECT_EQ(ReadFileText(layout + "/index.json"), index);

  // An image that stores /my.oci/index.json, exported into the directory
  // that holds the layout it is read from.
  std::string evil = dir + "/evil.oci";
  WriteImage(evil, {{{"evil.oci/", '5'}, {"evil.oci/index.json", '0', "{}"}}});
  std::string evil_index = ReadFileText(evil + "/index.json");
  RunResult holder = RunStrata({"export", "-q", "--overwrite", evil, dir});
  EXPECT_EQ(holder.exit_code, 2) << holder.err;
  EXPECT_NE(holder.err.find("refusing to write /evil.oci"), std::string::npos) << holder.err;
  EXPECT_EQ(ReadFileText(evil + "/index.json"), evil_index);

  // A tar stream writes nothing beside the layout.
  std::string output;
  EXPECT_EQ(RunShell("cd '" + dir + "' && " + StrataCommand() + " export -q my.oci - > my.oci.tar",
                     &output),
            0)
      << output;
  EXPECT_TRUE(fs::exists(dir + "/my.oci.tar"));
}

// Found by a new user: a name over NAME_MAX failed halfway, after other
// entries were written, with the whole 300-byte path in the error.
TEST(Regression, ExportRefusesANameLongerThanADirectoryHoldsBeforeWriting) {
  std::string dir = TempDir();
  std::string name(300, 'a');
  std::string image = WriteImage(
      dir + "/longname.oci", {{{"app/", '5'}, {"app/first", '0', "x"}, {"app/" + name, '0', "y"}}});
  RunResult result = RunStrata({"export", "-q", image, dir + "/out"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "strata: error: cannot export /app/" + std::string(40, 'a') +
                            "… (a name of 300 bytes): a directory holds names of up to 255 bytes; "
                            "export as a tar stream (-) instead\n");
  EXPECT_FALSE(fs::exists(dir + "/out"));

  std::string output;
  EXPECT_EQ(
      RunShell(StrataCommand() + " export -q '" + image + "' - > '" + dir + "/x.tar'", &output), 0)
      << output;
  EXPECT_NE(ReadFileText(dir + "/x.tar").find(name), std::string::npos);

  // Found by a user trial: the name's first 40 bytes were shown as they
  // are, 34 of a token's 36 secret characters among them.
  const std::string body = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  std::string secret = WriteImage(
      dir + "/secret.oci", {{{"d/", '5'}, {"d/X_ghp_" + body + "_" + std::string(260, 'y'), '0',
                              "z"}}});
  RunResult hidden = RunStrata({"export", "-q", secret, dir + "/out2"});
  EXPECT_EQ(hidden.exit_code, 2);
  EXPECT_EQ(hidden.err, "strata: error: cannot export /d/X_ghp_…(40 characters)_" +
                            std::string(15, 'y') +
                            "… (a name of 303 bytes): a directory holds names of up to 255 bytes; "
                            "export as a tar stream (-) instead\n");
  EXPECT_EQ(hidden.err.find("A1b2C3d4"), std::string::npos) << hidden.err;
}

// Found by a new user: ls said "no such file" where cat said which layer
// removed the file and which still stores it.
TEST(Regression, LsSaysWhereARemovedFileIsStillStored) {
  std::string image = WriteImage(TempDir() + "/image", {{{"app/", '5'}, {"app/.env", '0', "A=1\n"}},
                                                        {{"app/x", '0', "x"}},
                                                        {{"app/.wh..env", '0', ""}}});
  std::string said =
      "strata: error: /app/.env was removed in layer 3; layer 1 still stores it: "
      "read it with --layer 1\n";
  RunResult cat = RunStrata({"cat", image, "/app/.env"});
  EXPECT_EQ(cat.err, said);
  RunResult ls = RunStrata({"ls", "-q", "--no-cache", image, "/app/.env"});
  EXPECT_EQ(ls.exit_code, 2);
  EXPECT_EQ(ls.err, said);
  RunResult missing = RunStrata({"ls", "-q", "--no-cache", image, "/app/none"});
  EXPECT_EQ(missing.err, "strata: error: /app/none: no such file or directory in the image\n");
}

// Found by a new user: with --layer N of the layer that removed the file,
// cat said no lower layer stores it (it had not looked) and ls said "no
// such file", where without --layer both said which layer stores it.
TEST(Regression, LayerThatRemovedAFileSaysWhichLayerStillStoresIt) {
  std::string image = WriteImage(TempDir() + "/image", {{{"app/", '5'}, {"app/.env", '0', "A=1\n"}},
                                                        {{"app/x", '0', "x"}},
                                                        {{"app/.wh..env", '0', ""}},
                                                        {{"app/y", '0', "y"}}});
  std::string said =
      "strata: error: /app/.env was removed in layer 3; layer 1 still stores it: "
      "read it with --layer 1\n";
  for (const char* command : {"cat", "ls"}) {
    for (const char* layer : {"3", "4"}) {
      RunResult result = RunStrata({command, "-q", "--layer", layer, image, "/app/.env"});
      EXPECT_EQ(result.exit_code, 2) << command << " --layer " << layer;
      // cat --layer 4 reads layer 4 alone, which neither stores nor removes it.
      if (std::string(command) == "cat" && std::string(layer) == "4")
        EXPECT_EQ(result.err, "strata: error: /app/.env: layer 4 does not store it\n");
      else
        EXPECT_EQ(result.err, said) << command << " --layer " << layer;
    }
  }
  RunResult before = RunStrata({"ls", "-q", "--layer", "2", image, "/app/.env"});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(before.out, "/app/.env\n");

  // A removal no layer below it stores is said so, as before.
  std::string bare = WriteImage(
      TempDir() + "/bare", {{{"app/", '5'}, {"app/x", '0', "x"}}, {{"app/.wh..env", '0', ""}}});
  EXPECT_EQ(RunStrata({"cat", "--layer", "2", bare, "/app/.env"}).err,
            "strata: error: /app/.env was removed in layer 2 and no lower layer stores it\n");
}

// Found by a new user: --top capped the files and findings but not the
// layers only in A or only in B.
TEST(Regression, DiffTopCapsTheLayerRowsToo) {
  std::string corpus = testing::CorpusDir() + "/corpus/";
  RunResult result = RunStrata(
      {"diff", "-q", "--no-cache", "--top", "3", corpus + "churn.oci", corpus + "leaky-app.oci"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  int a_rows = 0, b_rows = 0;
  for (size_t at = result.out.find("\n  A  "); at != std::string::npos;
       at = result.out.find("\n  A  ", at + 1))
    ++a_rows;
  for (size_t at = result.out.find("\n  B  "); at != std::string::npos;
       at = result.out.find("\n  B  ", at + 1))
    ++b_rows;
  EXPECT_EQ(a_rows, 3) << result.out;  // 38 layers only in churn.
  EXPECT_EQ(b_rows, 3) << result.out;  // 7 only in leaky-app.
  EXPECT_NE(result.out.find("  … and 35 more only in A (--top N"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  … and 4 more only in B (--top N"), std::string::npos) << result.out;
}

// Found by a new user: two spellings of one file ("same.json",
// "./same.json", -o against FORMAT=FILE, a link) were both written, the
// second report replacing the first.
TEST(Regression, TwoSpellingsOfOneReportFileAreRefused) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  fs::create_symlink("target.json", dir + "/link.json");
  WriteFile(dir + "/old.json", "old\n");
  fs::create_hard_link(dir + "/old.json", dir + "/hard.json");
  std::vector<std::vector<std::string>> cases = {
      {"--format", "json=same.json", "--format", "sarif=./same.json"},
      {"--format", "json", "-o", "same.json", "--format", "sarif=" + dir + "/same.json"},
      {"--format", "json=sub/../same.json", "--format", "sarif=same.json"},
      {"--format", "json=link.json", "--format", "sarif=target.json"},
      {"--format", "json=old.json", "--format", "sarif=hard.json"},
  };
  for (std::vector<std::string> args : cases) {
    args.insert(args.begin(), "audit");
    args.push_back(image);
    RunResult result = RunStrata(args, "", dir);
    EXPECT_EQ(result.exit_code, 2) << args[3] << " " << args[5];
    EXPECT_NE(result.err.find("reports would both be written to"), std::string::npos) << result.err;
  }
  EXPECT_FALSE(fs::exists(dir + "/same.json"));
  EXPECT_FALSE(fs::exists(dir + "/target.json"));
  EXPECT_EQ(ReadFileText(dir + "/old.json"), "old\n");

  RunResult apart = RunStrata(
      {"audit", "-q", "--format", "json=a.json", "--format", "sarif=b.json", image}, "", dir);
  EXPECT_EQ(apart.exit_code, 0) << apart.err;
}

// Found by a new user: a link to a report not yet written was replaced by
// the report; it is kept, and the report created where it points.
TEST(Regression, ALinkToAReportNotYetWrittenIsKept) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  fs::create_directory(dir + "/reports");
  fs::create_symlink("nonexist.json", dir + "/reports/dangling.json");
  RunResult result =
      RunStrata({"audit", "-q", "--format", "json", "-o", dir + "/reports/dangling.json", image});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::is_symlink(dir + "/reports/dangling.json"));
  EXPECT_EQ(json::parse(ReadFileText(dir + "/reports/nonexist.json"))["schema"], "strata.audit/v1");

  fs::create_symlink("loop.json", dir + "/loop.json");
  RunResult loop = RunStrata({"audit", "-q", "-o", dir + "/loop.json", image});
  EXPECT_EQ(loop.exit_code, 2);
  EXPECT_NE(loop.err.find("Too many levels of symbolic links"), std::string::npos) << loop.err;
  EXPECT_TRUE(fs::is_symlink(dir + "/loop.json"));
}

// Found by a new user: -o '' wrote the report to standard output, while
// --format json= was refused.
TEST(Regression, AnEmptyOutputFileIsRefused) {
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  RunResult result = RunStrata({"audit", "-o", "", image});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("-o needs a file name"), std::string::npos) << result.err;
}

// Found by a new user: a directory as the configuration (or .dive-ci) was
// "internal error: basic_filebuf::underflow ...".
TEST(Regression, ADirectoryAsConfigurationIsSaidPlainly) {
  std::string dir = TempDir();
  std::string image = testing::CorpusDir() + "/corpus/clean-multistage.oci";
  fs::create_directory(dir + "/settings");
  const std::string said =
      "strata: error: cannot read the configuration file " + dir + "/settings: it is a directory\n";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"audit", "--config", dir + "/settings", image},
        std::vector<std::string>{"audit", "--ci", "--dive-ci", dir + "/settings", image},
        std::vector<std::string>{"rules", "--config", dir + "/settings"}}) {
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2) << args[1];
    EXPECT_EQ(result.err, said);
  }
  // .strata.yaml found in the working directory is read the same way.
  fs::create_directory(dir + "/.strata.yaml");
  RunResult implicit = RunStrata({"audit", image}, "", dir);
  EXPECT_EQ(implicit.err,
            "strata: error: cannot read the configuration file .strata.yaml: it is a directory\n");
}

// Found by a new user: `strata rules -q` was "argument was not expected".
TEST(Regression, RulesAcceptsQuiet) {
  RunResult quiet = RunStrata({"rules", "-q"});
  RunResult plain = RunStrata({"rules"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, plain.out);
  EXPECT_EQ(quiet.err, "");
}

// Found by a new user: -v said "1 layers reused".
TEST(Regression, CacheCountsAreSingularForOne) {
  std::string image = WriteImage(TempDir() + "/image", {{{"etc/hostname", '0', "x\n"}}});
  std::string cache = TempDir() + "/cache";
  std::vector<std::string> args = {"audit", "-v",        "--cache-dir", cache, "--no-result-cache",
                                   "-o",    "/dev/null", image};
  RunResult first = RunStrata(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find(": 0 layers reused, 1 read, 1 stored"), std::string::npos) << first.err;
  RunResult second = RunStrata(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find(": 1 layer reused, 0 read, 0 stored"), std::string::npos) << second.err;
}

// Found by a new user: `find -- IMAGE` printed "strata: error: " and
// nothing more. "--" ends find's options, as it ends any command's.
TEST(Regression, FindTakesADoubleDashBeforeTheImage) {
  std::string image = WriteImage(TempDir() + "/image", {{{"etc/hostname", '0', "x\n"}}});
  RunResult plain = RunStrata({"find", "-q", image, "-name", "hostname"});
  RunResult ended = RunStrata({"find", "-q", "--", image, "-name", "hostname"});
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_EQ(ended.out, "/etc/hostname\n");
  EXPECT_EQ(ended.out, plain.out);
  EXPECT_EQ(RunStrata({"find", "--", image}).out, RunStrata({"find", image}).out);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"find", "--"}, std::vector<std::string>{"find", "-q", "--"}}) {
    RunResult nothing = RunStrata(args);
    EXPECT_EQ(nothing.exit_code, 2);
    EXPECT_EQ(nothing.err, "strata: error: find needs an IMAGE (see strata find --help)\n");
  }
}

// Found by a new user: -v said "read 1 layers" of layers the cache
// held, and export said "wrote 1 entries". Counts agree with their nouns,
// and -v says how many layers were read and how many the cache held.
TEST(Regression, CountsAgreeAndVerboseSaysWhatTheCacheHeld) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"hostname", '0', "x\n"}}});
  std::vector<std::string> args = {
      "audit", "-v", "--cache-dir", dir + "/cache", "--no-result-cache", "-o", "/dev/null", image};
  RunResult first = RunStrata(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("strata: read 1 layer (oci-layout) from " + image + "\n"),
            std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find("strata: 1 entry; the paths imply 0 directories that no entry stores"),
            std::string::npos)
      << first.err;
  RunResult second = RunStrata(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("strata: 1 layer (oci-layout) in " + image +
                            ": 0 read, 1 from the layer cache\n"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(second.err.find("read 1 layer"), std::string::npos) << second.err;

  RunResult exported = RunStrata({"export", "-q", image, dir + "/out"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  RunResult told = RunStrata({"export", image, dir + "/again"});
  EXPECT_EQ(told.exit_code, 0) << told.err;
  EXPECT_EQ(told.err, "strata: wrote 1 entry to " + dir + "/again\n");
  // Found by a user trial: a target named after a token was the one
  // output line that showed it whole.
  const std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  RunResult hidden = RunStrata({"export", image, dir + "/" + token});
  EXPECT_EQ(hidden.exit_code, 0) << hidden.err;
  EXPECT_EQ(hidden.err, "strata: wrote 1 entry to " + dir + "/ghp_…(40 characters)\n");
  EXPECT_TRUE(fs::is_directory(dir + "/" + token));

  RunResult range = RunStrata({"ls", "--layer", "2", image, "/"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_EQ(range.err,
            "strata: error: --layer 2 is out of range: the image has 1 layer (1 to 1)\n");
}

// The audit's layer table on an image of 101 layers, one storing 100,000
// files: the columns held two digits of layer number and five of files,
// and row 100 and the big layer's row pushed everything after them right.
// Every row's waste and step now start where the header's do.
TEST(Regression, TheLayerTableStaysStraightPastTwoDigits) {
  std::vector<std::vector<TarMember>> layers(101);
  for (int i = 0; i < 101; ++i) layers[i].push_back({fmt::format("f{}", i), '0', "x"});
  for (int i = 0; i < 100000; ++i) layers[99].push_back({fmt::format("many/{}", i), '0', ""});
  std::string image = WriteImage(TempDir() + "/image", layers);
  RunResult result = RunStrata({"audit", "--no-cache", "-q", image});
  ASSERT_EQ(result.exit_code, 0) << result.err;

  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line) && line != "Layers") {
  }
  std::string header;
  ASSERT_TRUE(std::getline(lines, header));
  size_t waste_end = header.find("WASTE") + 5, step = header.find("STEP");
  int rows = 0;
  while (std::getline(lines, line) && !line.empty()) {
    ++rows;
    EXPECT_EQ(line.find("  RUN ") + 2, step) << header << "\n" << line;
    EXPECT_EQ(line.find_last_not_of(' ', step - 3) + 1, waste_end) << header << "\n" << line;
  }
  EXPECT_EQ(rows, 101);
}

// Found by a new user: the table's count of findings left out the base
// image's, which JSON and Markdown count: 8 low in one, 10 in the others.
TEST(Regression, EveryFormatCountsTheSameFindings) {
  std::string image = testing::CorpusDir() + "/corpus/leaky-app.oci.tar";
  json summary = json::parse(RunStrata({"audit", "--format", "json", image}).out)["summary"];
  std::string counts =
      fmt::format("{} critical · {} high · {} medium · {} low · {} info",
                  summary["findings"]["critical"].get<int>(),
                  summary["findings"]["high"].get<int>(), summary["findings"]["medium"].get<int>(),
                  summary["findings"]["low"].get<int>(), summary["findings"]["info"].get<int>());
  RunResult table = RunStrata({"audit", image});
  EXPECT_NE(table.out.find("Findings  " + counts + " (2 in the base image)\n"), std::string::npos)
      << counts << "\n"
      << table.out;
  RunResult markdown = RunStrata({"audit", "--format", "markdown", image});
  std::string spelled = counts;
  for (size_t at; (at = spelled.find(" · ")) != std::string::npos;)
    spelled.replace(at, std::string(" · ").size(), ", ");
  EXPECT_NE(markdown.out.find("**Findings:** " + spelled), std::string::npos) << markdown.out;
}

}  // namespace
}  // namespace strata
