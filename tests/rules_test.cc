// Each rule firing and not firing, on small images written here, including
// the false positives secret scanners are known for.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "rules/evaluate.h"
#include "rules/glob.h"
#include "rules/secret_patterns.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::TarMember;
using testing::TempDir;
using testing::WriteImage;

// Analyses an image of |layers| with the content scanner in the pass, and
// evaluates the rules.
class RulesTest : public ::testing::Test {
 protected:
  const std::vector<Finding>& Evaluate(
      const std::vector<std::vector<TarMember>>& layers,
      const std::string& config_json = R"({"config": {"User": "1000"}})") {
    scanner_ = MakeContentScanner(config_);
    AnalyzeOptions options;
    options.inspector = scanner_.get();
    analysis_ =
        Analyze(OpenImage(WriteImage(TempDir(), layers, config_json), OpenOptions()), options);
    results_ = EvaluateRules(analysis_, config_, *scanner_, "2026-06-01");
    return results_.findings;
  }

  // Findings of |rule| (about |path|, when given).
  std::vector<Finding> Of(const std::string& rule, const std::string& path = "") {
    std::vector<Finding> found;
    for (const Finding& finding : results_.findings)
      if (finding.rule_id == rule && (path.empty() || finding.path == path))
        found.push_back(finding);
    return found;
  }

  RuleConfig config_;
  std::unique_ptr<ContentScanner> scanner_;
  Analysis analysis_;
  RuleResults results_;
};

TEST(Glob, Components) {
  EXPECT_TRUE(GlobMatch("**/.env", ".env"));
  EXPECT_TRUE(GlobMatch("**/.env", "app/deep/.env"));
  EXPECT_FALSE(GlobMatch("**/.env", "app/.envrc"));
  EXPECT_TRUE(GlobMatch("usr/share/**", "usr/share/doc/x"));
  EXPECT_FALSE(GlobMatch("usr/share/**", "usr/lib/x"));
  EXPECT_TRUE(GlobMatch("**/application*.yml", "app/config/application-local.yml"));
  EXPECT_TRUE(GlobMatch("a|b/*.c", "b/x.c"));
  EXPECT_FALSE(GlobMatch("b/*.c", "b/d/x.c"));
}

TEST(Glob, ErrorsSayWhatCanNeverMatch) {
  for (const char* valid : {"**/*.sql", "a|b/*.c", "app", "usr/share/**", "?x*"})
    EXPECT_EQ(GlobError(valid), "") << valid;
  EXPECT_EQ(GlobError(""), "it is empty");
  EXPECT_EQ(GlobError("a||b"), "it has an empty pattern (before, after or between \"|\")");
  EXPECT_EQ(GlobError("a|"), "it has an empty pattern (before, after or between \"|\")");
  EXPECT_EQ(GlobError("a//b"), "it has an empty path component (\"//\")");
  EXPECT_EQ(GlobError("**.sql"), "\"**\" must be a whole path component, like **/*.sql");
  // A trailing "/" means directories only elsewhere; strata cannot match it.
  std::string slash = "it ends in \"/\" (strata's globs match files and directories alike): ";
  EXPECT_EQ(GlobError("build/**/"), slash + "write \"build/**\"");
  EXPECT_EQ(GlobError("x|**/"), slash + "write \"**\"");
  EXPECT_EQ(GlobError("app/.git//"),
            slash + "write \"app/.git\" for app/.git itself or \"app/.git/**\" for what it holds");
  EXPECT_EQ(GlobError("x|a/**b/c"), "\"**\" must be a whole path component, like **/*.sql");
  for (const char* shell : {"*.[ch]", "*.{c,h}", "a\\*"})
    EXPECT_EQ(GlobError(shell),
              "[...], {...} and \\ are not glob syntax here: only *, ** and ? are")
        << shell;
}

TEST(SecretPatterns, EntropyAndPlaceholders) {
  EXPECT_LT(ShannonEntropy("aaaaaaaa"), 0.1);
  EXPECT_GT(ShannonEntropy("q8Vn3kLp0zR7wT2x"), 3.5);
  EXPECT_TRUE(LooksLikePlaceholder("${DB_PASSWORD}"));
  EXPECT_TRUE(LooksLikePlaceholder("changeme"));
  EXPECT_TRUE(LooksLikePlaceholder("AKIAIOSFODNN7EXAMPLE"));
  EXPECT_FALSE(LooksLikePlaceholder("Tr0ub4dor-and-3"));
  EXPECT_EQ(Redact("ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw"), "ghp_…(40 characters)");
}

// Found by a new user: SMTP_PASS, DB_PWD, GPG_PASSPHRASE, ldap_bind_pw
// and admin.pass did not say secret, nor DB_PASS=… in a file. A name
// says secret by a whole part, split at '_', '-', '.' and case changes;
// a word that holds PASS (BYPASS, COMPASS, PASSTHROUGH), PASS_THROUGH
// and the shell's PWD do not.
TEST(SecretPatterns, ShortWordsForPasswordsAreSecretNamesAsParts) {
  for (const char* name : {"SMTP_PASS", "DB_PASS", "admin.pass", "GPG_PASSPHRASE", "DB_PWD",
                           "ldap_bind_pw", "dbPass", "SMTPPass", "pass", "redis-pw", "DB_PASS2"})
    EXPECT_TRUE(NameSaysSecret(name)) << name;
  for (const char* name : {"BYPASS_CACHE", "COMPASS_DIR", "PASS_THROUGH", "PASSTHROUGH",
                           "pass-thru", "PWD", "OLDPWD", "BYPASS", "DB_PASS_FILE", "SMTP_PASS_USER",
                           "PASSWORD_MIN_LENGTH", "PW_VERSION", "COMPASS", "SPWN", "PASSENGER_APP"})
    EXPECT_FALSE(NameSaysSecret(name)) << name;

  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(RuleConfig());
  auto excerpts = [&](const std::string& text) {
    std::vector<std::string> found;
    for (const ContentHit& hit : scanner->ScanText(text)) found.push_back(hit.excerpt);
    return found;
  };
  using Excerpts = std::vector<std::string>;
  EXPECT_EQ(excerpts("DB_PASS=Zq9pL0ngPassw0rd\n"), Excerpts{"Zq9…(16 characters)"});
  EXPECT_EQ(excerpts("ldap_bind_pw = 'Ld4pB1ndPw#9'\n"), Excerpts{"Ld…(12 characters)"});
  EXPECT_EQ(excerpts("export GPG_PASSPHRASE=\"Gp9Phr4seXy7\"\n"), Excerpts{"Gp…(12 characters)"});
  EXPECT_EQ(excerpts("{\"smtp_pwd\": \"Sm7pPa55wd\"}\n"), Excerpts{"Sm…(10 characters)"});
  EXPECT_TRUE(excerpts("BYPASS=Zq9pL0ngPassw0rd\nCOMPASS=Zq9pL0ngPassw0rd\n").empty());
  EXPECT_TRUE(excerpts("PASS_THROUGH=Zq9pL0ngPassw0rd\nDB_PASS=${DB_PASS}\n").empty());
  EXPECT_TRUE(excerpts("DB_PASS=aaaaaaaaaaaa\n").empty());
}

// Found by a new user: a custom pattern as loose as [a-z0-9]{3} turned
// /app/.env into /…(3 characters)/.…. Paths are redacted a component at a
// time, and only for a match of kMinPathSecret characters or more, so a
// token used as a file name is still hidden; other text is as before.
TEST(SecretPatterns, PathsHideTokensNotWordsALoosePatternMatches) {
  RuleConfig config;
  for (const auto& [id, regex] : {std::pair<const char*, const char*>{"loose", "[a-z0-9]{3}"},
                                  {"corp-token", "corp_[a-z0-9]{12}"},
                                  {"across", "app/[a-z]+"}}) {
    CustomRule rule;
    rule.id = id;
    rule.content.rule_id = id;
    rule.content.regex = regex;
    config.custom.push_back(rule);
  }
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(config);
  const std::string token = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";

  EXPECT_EQ(scanner->RedactPath("app/.env"), "app/.env");
  EXPECT_EQ(scanner->RedactPath("usr/local/bin/app"), "usr/local/bin/app");
  // A token as a whole name or part of one, by a built-in or a custom
  // pattern: the loose pattern's short matches inside it do not shield it.
  EXPECT_EQ(scanner->RedactPath("secret/" + token), "secret/ghp_…(40 characters)");
  EXPECT_EQ(scanner->RedactPath("secret/" + token + ".txt"), "secret/ghp_…(40 characters).txt");
  EXPECT_EQ(scanner->RedactPath("keys/corp_0123456789ab/id"), "keys/cor…(17 characters)/id");
  // A match across a '/' is no file name.
  EXPECT_EQ(scanner->RedactPath("app/configuration"), "app/configuration");
  EXPECT_EQ(scanner->RedactPath("/" + token + "/"), "/ghp_…(40 characters)/");
  EXPECT_EQ(scanner->RedactPath(""), "");

  // Other text (a build step, an ENV value) is redacted by every match.
  // Patterns come in the configuration's order, after the built-in ones.
  EXPECT_EQ(scanner->RedactText("RUN cd /app/srv"), "RUN cd /…(3 characters)/…(3 characters)");
  EXPECT_EQ(scanner->RedactText("RUN cd /srv"), "RUN cd /…(3 characters)");
}

// Found by a user trial: a token glued to a name (X_ghp_…, vghp_…) was
// neither found nor hidden, since every token pattern wanted a word
// boundary before its prefix. A prefix that ends in '_' or '-' may now
// follow a letter, digit or '_', and anything may follow the body; its
// length and characters still keep ordinary identifiers out.
TEST(SecretPatterns, ATokenGluedToANameIsFoundAndHidden) {
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(RuleConfig());
  auto rules = [&](const std::string& text) {
    std::vector<std::string> found;
    for (const ContentHit& hit : scanner->ScanText(text)) found.push_back(hit.rule_id);
    return found;
  };
  using Rules = std::vector<std::string>;
  const std::string body = "R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";

  for (const std::string& glued :
       {"X_ghp_" + body, "vghp_" + body, "9gho_" + body, "deploy_ghs_" + body, "Xnpm_" + body,
        // Whatever follows the body (found by two user trials: a '_',
        // then a letter or digit, showed the token whole).
        "my_ghp_" + body + "_old", "ghp_" + body + "_1", "npm_" + body + "_x",
        "ghp_" + body + "dir", "X_ghp_" + body + "7", "npm_" + body + "abc"})
    EXPECT_EQ(
        rules("key " + glued + " end"),
        Rules{glued.find("npm_") != std::string::npos ? "secret-npm-token" : "secret-github-token"})
        << glued;
  EXPECT_EQ(rules("x_github_pat_" + std::string(82, 'a') + "\n"), Rules{"secret-github-token"});
  EXPECT_EQ(rules("CI_glpat-Ab3dE5gH7jK9mN1pQ3sT\n"), Rules{"secret-gitlab-token"});

  // Hidden wherever it is shown: a text, a path, an error line's word.
  EXPECT_EQ(scanner->RedactText("export A=X_ghp_" + body), "export A=X_ghp_…(40 characters)");
  EXPECT_EQ(scanner->RedactPath("keys/vghp_" + body + ".txt"), "keys/vghp_…(40 characters).txt");
  std::vector<ContentScanner::FoundSecret> found = scanner->FindTextSecrets("X_ghp_" + body);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].begin, 2u);
  EXPECT_EQ(found[0].excerpt, "ghp_…(40 characters)");
  EXPECT_EQ(scanner->RedactPath("d/a_ghp_" + body + "_y"), "d/a_ghp_…(40 characters)_y");
  EXPECT_EQ(scanner->RedactText("tag .ghp_" + body + "_1 end"), "tag .ghp_…(40 characters)_1 end");
  EXPECT_EQ(scanner->RedactPath("app/ghp_" + body + "dir"), "app/ghp_…(40 characters)dir");
  EXPECT_EQ(scanner->RedactText("ENV T=ghp_" + body + "abc"), "ENV T=ghp_…(40 characters)abc");

  // Identifiers that hold a prefix, and glued bodies of the wrong length.
  for (const std::string& ordinary :
       {std::string("load_ghp_cache"), std::string("X_ghp_token_for_ci = 1"),
        std::string("run_npm_install_step"), std::string("use_glpat-short"),
        "X_ghp_" + body.substr(1)})
    EXPECT_TRUE(rules(ordinary + "\n").empty()) << ordinary;
}

// Found by a new user: a value was cut at '#' (and one holding '$' taken
// for code), so strong passwords went unreported or were reported short.
TEST(SecretPatterns, ValuesHoldingHashOrDollarAreReadWhole) {
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(RuleConfig());
  auto excerpts = [&](const std::string& text) {
    std::vector<std::string> found;
    for (const ContentHit& hit : scanner->ScanText(text))
      if (hit.rule_id == "secret-generic-assignment") found.push_back(hit.excerpt);
    return found;
  };
  using Excerpts = std::vector<std::string>;

  EXPECT_EQ(excerpts("password = 'Xk9#mQ2vL7pR4zT'\n"), Excerpts{"Xk9…(15 characters)"});
  EXPECT_EQ(excerpts("password = 'Xk9mQ2$vL7pR4zT'\n"), Excerpts{"Xk9…(15 characters)"});
  EXPECT_EQ(excerpts("DB_PASSWORD=Xk9#mQ2vL7pR4zT\n"), Excerpts{"Xk9…(15 characters)"});
  EXPECT_EQ(excerpts("DB_PASSWORD=Xk9mQ2$vL7pR4zT\n"), Excerpts{"Xk9…(15 characters)"});
  EXPECT_EQ(excerpts("password: 'P@ss#2024!xyz'\n"), Excerpts{"P@…(13 characters)"});
  EXPECT_EQ(excerpts("SECRET_KEY = 'django-insecure-k9#m$q2vl7pr4zt8w'\n"),
            Excerpts{"djan…(33 characters)"});

  // A comment after a value, references and code stay out of the value.
  EXPECT_EQ(excerpts("PASSWORD=Tr0ub4dor-x9 # rotated monthly\n"), Excerpts{"Tr…(12 characters)"});
  EXPECT_TRUE(excerpts("password=$DB_PASSWORD_FROM_ENV\n").empty());
  EXPECT_TRUE(excerpts("token=${API_TOKEN_VALUE}\n").empty());
  EXPECT_TRUE(excerpts("password = $this->config->password\n").empty());
}

TEST_F(RulesTest, EnvFileFiresButExamplesDoNot) {
  Evaluate({{{"app/.env", '0', "A=1\n"},
             {"app/.env.production", '0', "A=1\n"},
             {"app/.env.example", '0', "PASSWORD=changeme\n"},
             {"app/.env.sample", '0', "A=\n"}}});
  EXPECT_EQ(Of("secret-env-file", "app/.env").size(), 1u);
  EXPECT_EQ(Of("secret-env-file", "app/.env.production").size(), 1u);
  EXPECT_TRUE(Of("secret-env-file", "app/.env.example").empty());
  EXPECT_TRUE(Of("secret-env-file", "app/.env.sample").empty());
  EXPECT_TRUE(Of("secret-generic-assignment").empty());
}

TEST_F(RulesTest, DeletedSecretIsStillReportedWithItsLayer) {
  Evaluate({{{"base", '0', "x"}},
            {{"app/", '5'}, {"app/.env", '0', "TOKEN=Zk3qP9vR2mX7tL4w\n"}},
            {{"app/.wh..env", '0'}}});
  std::vector<Finding> env = Of("secret-env-file", "app/.env");
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0].layer, 1);
  EXPECT_EQ(env[0].removed_by, 2);
  EXPECT_FALSE(env[0].overwritten);
  ASSERT_EQ(Of("secret-generic-assignment", "app/.env").size(), 1u);
  EXPECT_EQ(Of("secret-generic-assignment", "app/.env")[0].removed_by, 2);
}

TEST_F(RulesTest, PrivateKeysByNameAndByContent) {
  std::string key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE "
      "KEY-----\n";
  Evaluate(
      {{{"root/.ssh/id_ed25519", '0', key},
        {"root/.ssh/id_ed25519.pub", '0', "ssh-ed25519 AAAA"},
        {"srv/tls/server.pem", '0', key},
        {"srv/tls/cert.pem", '0', "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
        {"usr/lib/python3/dist-packages/lib/tests/key.pem", '0', key}}});
  EXPECT_EQ(Of("secret-private-key-file", "root/.ssh/id_ed25519").size(), 1u);
  EXPECT_TRUE(Of("secret-private-key-file", "root/.ssh/id_ed25519.pub").empty());
  EXPECT_EQ(Of("secret-private-key", "srv/tls/server.pem").size(), 1u);
  EXPECT_TRUE(Of("secret-private-key", "srv/tls/cert.pem").empty());
  EXPECT_TRUE(Of("secret-private-key", "usr/lib/python3/dist-packages/lib/tests/key.pem").empty());
  // Never the key itself.
  for (const Finding& finding : results_.findings)
    EXPECT_EQ(finding.detail.find("b3BlbnNz"), std::string::npos) << finding.detail;
}

TEST_F(RulesTest, TokenFormatsAreFoundAndRedacted) {
  std::string text =
      "github = 'ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw'\n"
      "gitlab = 'glpat-Ab3dE6gH9jK2mN5pQ8sT'\n"
      "npm = npm_Q2w3E4r5T6y7U8i9O0p1A2s3D4f5G6h7J8k9\n"
      "slack = xoxb-123456789012-abcdefghijkl\n"
      "stripe = sk_live_4eC39HqLyjWDarjtT1zdp7dc\n"
      "google = AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q\n"
      "aws = AKIAZ4QWERTY7UIOP2AS\n";
  Evaluate({{{"app/settings.js", '0', text}}});
  for (const char* rule :
       {"secret-github-token", "secret-gitlab-token", "secret-npm-token", "secret-slack-token",
        "secret-stripe-key", "secret-google-api-key", "secret-aws-access-key"})
    EXPECT_EQ(Of(rule, "app/settings.js").size(), 1u) << rule;
  for (const Finding& finding : results_.findings) {
    EXPECT_EQ(finding.detail.find("R7kq2VwX9mN4"), std::string::npos) << finding.detail;
    EXPECT_EQ(finding.detail.find("4eC39HqLyj"), std::string::npos) << finding.detail;
  }
}

TEST_F(RulesTest, KnownFalsePositivesStayQuiet) {
  Evaluate(
      {{{"app/docs.md", '0', "export AWS_ACCESS_KEY_ID=AKIAZ4QWERTY7UIOP2AS\n"},
        {"app/example.py", '0', "key = 'AKIAIOSFODNN7EXAMPLE'\n"},
        {"app/package-lock.json", '0',
         "\"integrity\": \"sha512-Zk3qP9vR2mX7tL4wQ8sT1uV6\", \"token\": "
         "\"Zk3qP9vR2mX7tL4wQ8sT\"\n"},
        {"app/server.py", '0', "password = os.environ['DB_PASSWORD']\ntoken = get_token()\n"},
        {"usr/lib/perl5/Cwd.pm", '0',
         "my $pwd_cmd = 'Win32::GetCwd';\npassword = Zk3qP9vR2mX7tL4w\n"},
        {"app/config.yml", '0', "password: ${DB_PASSWORD}\nsecret: changeme-please\n"}}},
      R"({"config": {"User": "1000", "Env": ["GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
               "PYTHON_SHA256=3e4bb47d2ab4fa3c1d7bf1a0a4a3a9d0e6f0f8a1b2c3d4e5f6a7b8c9d0e1f2a3"]}})");
  for (const Finding& finding : results_.findings)
    EXPECT_NE(finding.rule_id.rfind("secret", 0), 0u)
        << finding.rule_id << " " << finding.path << " " << finding.detail;
}

TEST_F(RulesTest, GenericAssignmentNeedsEntropy) {
  Evaluate({{{"app/a.conf", '0', "db_password = Zk3qP9vR2mX7tL4w\n"},
             {"app/b.conf", '0', "db_password = aaaaaaaaaaaa\n"}}});
  EXPECT_EQ(Of("secret-generic-assignment", "app/a.conf").size(), 1u);
  EXPECT_TRUE(Of("secret-generic-assignment", "app/b.conf").empty());
}

TEST_F(RulesTest, CredentialFilesConfirmedByContent) {
  Evaluate(
      {{{"root/.docker/config.json", '0',
         R"({"auths":{"r.example":{"auth":"dXNlcjpwYXNzd29yZA=="}}})"},
        {"home/a/.docker/config.json", '0', R"({"credsStore":"desktop"})"},
        {"root/.npmrc", '0', "//registry.npmjs.org/:_authToken=Zk3qP9vR2mX7tL4w\n"},
        {"home/a/.npmrc", '0', "registry=https://registry.npmjs.org/\n"},
        {"root/.git-credentials", '0', "https://bob:Zk3qP9vR2mX7@github.example\n"},
        {"root/.kube/config", '0', "users:\n- name: a\n  user:\n    token: Zk3qP9vR2mX7tL4wQ8sT\n"},
        {"root/.aws/credentials", '0', "[default]\n"}}});
  EXPECT_EQ(Of("secret-registry-credentials", "root/.docker/config.json").size(), 1u);
  EXPECT_TRUE(Of("secret-registry-credentials", "home/a/.docker/config.json").empty());
  EXPECT_EQ(Of("secret-registry-credentials", "root/.npmrc").size(), 1u);
  EXPECT_TRUE(Of("secret-registry-credentials", "home/a/.npmrc").empty());
  EXPECT_EQ(Of("secret-registry-credentials", "root/.git-credentials").size(), 1u);
  EXPECT_EQ(Of("secret-cloud-credentials", "root/.kube/config").size(), 1u);
  EXPECT_EQ(Of("secret-cloud-credentials", "root/.aws/credentials").size(), 1u);
}

// Found by a user trial: redis's password in a redis.conf got no finding;
// only the build step that wrote it did.
TEST_F(RulesTest, RedisPasswordLinesInAnyFileButNotTheCommentedDefault) {
  Evaluate({{{"etc/redis/redis.conf", '0',
              "# requirepass foobared\nbind 0.0.0.0\nrequirepass s3cr3tValue9\n"},
             {"data/conf/6379.conf", '0', "port 6379\r\n  MasterAuth \"Qz8vLm3Kx9\"\t\r\n"},
             {"etc/redis/stock.conf", '0',
              "# requirepass foobared\n  # masterauth <master-password>\nrequirepass\n"
              "requirepass ${REDIS_PASSWORD}\nmasterauth {{ redis_password }}\n"
              "masterauth <master-password>\nrequirepass changeme\n"
              "rename-command CONFIG \"\"\necho requirepass s3cr3tValue9\n"}}});
  std::vector<Finding> found = Of("secret-config-password", "etc/redis/redis.conf");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].detail, "line 3: s3…(12 characters)");
  found = Of("secret-config-password", "data/conf/6379.conf");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].detail, "line 2: Qz…(10 characters)");
  for (const Finding& finding : results_.findings)
    EXPECT_NE(finding.path, "etc/redis/stock.conf") << finding.rule_id << " " << finding.detail;

  // The same line in a step or an ENV value is hidden once: its redacted
  // form is two words, which the pattern does not take for a password.
  EXPECT_EQ(scanner_->RedactText("requirepass s3cr3tValue9"), "requirepass s3…(12 characters)");
  EXPECT_EQ(scanner_->RedactText("requirepass s3…(12 characters)"),
            "requirepass s3…(12 characters)");
}

// Found by a user trial: redis's quoted passwords (with a space), its ACL
// rules (user NAME … >PASSWORD) and sentinel's auth-pass got no finding,
// and a quoted value's words after the first were shown.
TEST_F(RulesTest, RedisQuotedAclAndSentinelPasswords) {
  std::string hash(64, 'a');
  Evaluate({{{"etc/redis/redis.conf", '0',
              "requirepass \"pass word here\"\n"
              "masterauth 'an0ther pw'\n"
              "sentinel auth-pass mymaster Sent1nelPw9\n"
              "  Sentinel sentinel-pass \"s3ntinel \\\"peer\\\"\"\n"
              "user default on >s3cretpw ~* +@all\n"
              "user app-writer on >Wr1terPw1 #" +
                  hash + " \">second pw 2\" >'3rd pw' ~app:*\n"},
             {"etc/redis/stock.conf", '0',
              "# user worker on >Commented9 ~*\n"
              "user reader on <Removed99 nopass resetchannels\n"
              "user ref on >${REDIS_PASSWORD} ~*\n"
              "user shown on >s3…(8 characters) ~*\n"
              "requirepass \"pa…(14 characters)\"\n"
              "requirepass check the >manual first\n"
              "sentinel monitor mymaster 10.0.0.1 6379 2\n"
              "echo user x on >NotAcl123\n"
              "user hashed on #" +
                  hash + " ~* +@read\n"}}});
  std::vector<std::string> details;
  for (const Finding& finding : Of("secret-config-password", "etc/redis/redis.conf"))
    details.push_back(finding.detail);
  std::sort(details.begin(), details.end());
  EXPECT_EQ(details,
            (std::vector<std::string>{"line 1: pa…(14 characters)", "line 2: an…(10 characters)",
                                      "line 3: Se…(11 characters)", "line 4: s3n…(17 characters)",
                                      "line 5: s…(8 characters)", "line 6: 3…(6 characters)",
                                      "line 6: W…(9 characters)", "line 6: se…(11 characters)"}));
  for (const Finding& finding : results_.findings)
    EXPECT_NE(finding.path, "etc/redis/stock.conf") << finding.rule_id << " " << finding.detail;

  // In text that is not a file (a step, an ENV value), hidden once.
  EXPECT_EQ(scanner_->RedactText("requirepass \"pass word here\"\nuser a on >s3cretpw >x2y ~*"),
            "requirepass \"pa…(14 characters)\"\nuser a on >s…(8 characters) >…(3 characters) ~*");
  EXPECT_EQ(scanner_->RedactText("requirepass \"pa…(14 characters)\""),
            "requirepass \"pa…(14 characters)\"");
}

// A file named after a token was hidden in every output, but no finding
// reported it. Its name is a finding of the token's rule now; a directory
// of such a name is reported once, not with each file beneath it, and a
// symbolic link's target is read too. A whiteout repeats a name that its
// layer removes, and is not reported again.
TEST_F(RulesTest, ANameThatSpellsATokenIsReportedByItsRule) {
  std::string github = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  std::string gitlab = "glpat-Ab3dEf6hIj9kLm2nOp5q";
  Evaluate({{{"keys/" + github, '0', "not a token\n"},
             {gitlab + "/", '5'},
             {gitlab + "/a", '0', "x\n"},
             {gitlab + "/b", '0', "y\n"},
             {"app/current", '2', "", "/keys/" + github},
             {"app/readme.txt", '0', "plain\n"}},
            {{"keys/.wh." + github, '0'}}});

  std::vector<Finding> named = Of("secret-github-token", "keys/ghp_…(40 characters)");
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].detail, "name: ghp_…(40 characters)");
  EXPECT_EQ(named[0].unredacted_path, "keys/" + github);
  EXPECT_EQ(named[0].layer, 0);
  EXPECT_EQ(named[0].removed_by, 1);
  EXPECT_NE(named[0].fix.find("rename it"), std::string::npos) << named[0].fix;

  std::vector<Finding> directory = Of("secret-gitlab-token");
  ASSERT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory[0].path, "glpa…(26 characters)");
  EXPECT_EQ(directory[0].detail, "name: glpa…(26 characters)");

  std::vector<Finding> link = Of("secret-github-token", "app/current");
  ASSERT_EQ(link.size(), 1u);
  EXPECT_EQ(link[0].detail, "symbolic link target: ghp_…(40 characters)");
  EXPECT_EQ(Of("secret-github-token").size(), 2u);

  for (const Finding& finding : results_.findings) {
    EXPECT_EQ(finding.path.find("R7kq2VwX9mN4bT8c"), std::string::npos) << finding.rule_id;
    EXPECT_EQ(finding.detail.find("R7kq2VwX9mN4bT8c"), std::string::npos) << finding.rule_id;
  }
}

// A directory named after a token that several layers store (each that
// adds a file beneath it) is one finding, in the first of them, naming
// the others; a file of such a name stored again is a finding of each
// layer, as each copy is.
TEST_F(RulesTest, ATokenNamedDirectoryInSeveralLayersIsOneFinding) {
  std::string gitlab = "glpat-Ab3dEf6hIj9kLm2nOp5q";
  std::string github = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  Evaluate({{{gitlab + "/", '5'}, {gitlab + "/a", '0', "x\n"}, {"k/" + github, '0', "1\n"}},
            {{gitlab + "/", '5'}, {gitlab + "/b", '0', "y\n"}},
            {{gitlab + "/c/d", '0', "z\n"}, {"k/" + github, '0', "2\n"}}});

  std::vector<Finding> directory = Of("secret-gitlab-token");
  ASSERT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory[0].layer, 0);
  EXPECT_EQ(directory[0].detail, "name: glpa…(26 characters) (also stored in layers 2 and 3)");
  EXPECT_EQ(Of("secret-github-token").size(), 2u);
}

// Found by a new user: a .pgpass entry got no finding.
TEST_F(RulesTest, PostgresPasswordFileEntries) {
  Evaluate({{{"app/.pgpass", '0',
              "# host:port:database:user:password\n"
              "db.internal:5432:orders:app:Pg9xLm2Qw7Rt4Vz\n"
              "*:*:*:re\\:port:Ab\\:cd9Xy7\n"},
             {"app/notes.txt", '0', "db.internal:5432:orders:app:Pg9xLm2Qw7Rt4Vz\n"}}});
  std::vector<Finding> found = Of("secret-config-password", "app/.pgpass");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].detail, "105 B");
  EXPECT_TRUE(Of("secret-config-password", "app/notes.txt").empty());
}

TEST_F(RulesTest, SecretsInTheConfig) {
  Evaluate(
      {{{"a", '0', "x"}}},
      R"({"config": {"User": "1000", "Env": ["DB_PASSWORD=Zk3qP9vR2mX7", "PATH=/usr/bin", "API_TOKEN=",
                                                   "SECRET_FILE=/run/secrets/db", "GH=ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw"],
                          "Labels": {"deploy.key": "Zk3qP9vR2mX7tL4wQ", "maintainer": "ops@example.com"}},
               "history": [{"created_by": "|1 NPM_TOKEN=Zk3qP9vR2mX7tL4w /bin/sh -c npm ci"}]})");
  std::vector<Finding> env = Of("secret-in-env");
  ASSERT_EQ(env.size(), 2u);
  for (const Finding& finding : env) EXPECT_EQ(finding.route, Route::kConfig);
  EXPECT_EQ(Of("secret-in-label").size(), 1u);
  std::vector<Finding> args = Of("secret-in-build-arg");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].layer, 0);
  EXPECT_NE(args[0].detail.find("NPM_TOKEN"), std::string::npos);
  EXPECT_EQ(args[0].detail.find("Zk3qP9vR2mX7tL4w"), std::string::npos);
}

TEST_F(RulesTest, PasswordsTypedIntoBuildSteps) {
  Evaluate({{{"a", '0', "x"}}, {{"b", '0', "y"}}, {{"c", '0', "z"}}},
           R"({"config": {"User": "1000", "Env": ["DB_PASSWORD=hunter2hunter2"]},
          "history": [
            {"created_by": "/bin/sh -c export PASSWORD=hunter2hunter2hunter2 && mysql -uroot -pK8jHq2LmNx7Vb4Zt -e 'select 1' && curl -u admin:Pw7Kd9Lq2Xz5Mv8N https://repo.example/x"},
            {"created_by": "/bin/sh -c apt-get install -y postgresql-client && docker run -p 8080:80 x && PASSWORD_FILE=/run/secrets/db ./start"},
            {"created_by": "/bin/sh -c #(nop)  EXPOSE 8080", "empty_layer": true},
            {"created_by": "/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2hunter2", "empty_layer": true},
            {"created_by": "ARG NPM_TOKEN=Zk3qP9vR2mX7tL4w", "empty_layer": true},
            {"created_by": "RUN /bin/sh -c GITHUB_TOKEN=ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw git fetch # buildkit"},
            {"created_by": "/bin/sh -c #(nop)  ENV API_TOKEN=Zk3qP9vR2mX7tL4w", "empty_layer": true}]})");

  std::vector<Finding> typed = Of("secret-in-build-step");
  ASSERT_EQ(typed.size(), 3u);
  std::vector<std::string> details;
  for (const Finding& finding : typed) {
    EXPECT_EQ(finding.layer, 0);
    EXPECT_EQ(finding.history_index, 0);
    EXPECT_EQ(finding.route, Route::kRun);
    EXPECT_NE(finding.fix.find("--mount=type=secret"), std::string::npos) << finding.fix;
    details.push_back(finding.detail);
  }
  EXPECT_EQ(details,
            (std::vector<std::string>{"history step 1, PASSWORD=hunt…(21 characters)",
                                      "history step 1, mysql -pK8j…(16 characters)",
                                      "history step 1, curl -u admin:Pw7…(16 characters)"}));

  // The ordinary step gives none; the ENV step's value is the ENV rule's,
  // once while the config holds it and for the step when a later ENV
  // replaced it; the ARG step's is the build-arg rule's; a known token is
  // its own rule's, once, and not a generic assignment besides.
  std::vector<Finding> env = Of("secret-in-env");
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0].detail, "ENV DB_PASSWORD=hu…(14 characters)");
  EXPECT_EQ(env[1].detail, "history step 7, API_TOKEN=Zk3…(16 characters)");
  EXPECT_EQ(env[1].route, Route::kConfig);
  std::vector<Finding> args = Of("secret-in-build-arg");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].detail, "history step 5, NPM_TOKEN=Zk3…(16 characters)");
  ASSERT_EQ(Of("secret-github-token").size(), 1u);
  EXPECT_EQ(Of("secret-github-token")[0].history_index, 5);
  EXPECT_TRUE(Of("secret-generic-assignment").empty());
  for (const Finding& finding : results_.findings)
    EXPECT_NE(finding.history_index, 1) << finding.rule_id << " " << finding.detail;
}

// Found by a new user: passwords typed into CMD and ENTRYPOINT were hidden
// in the config but no rule reported them.
TEST_F(RulesTest, PasswordsTypedIntoCmdAndEntrypoint) {
  Evaluate({{{"a", '0', "x"}}},
           R"({"config": {"User": "1000",
                          "Entrypoint": ["/app", "--token=EntryTok1234567890"],
                          "Cmd": ["/bin/sh", "-c", "run --password SecretCmdPw5544"]},
               "history": [
                 {"created_by": "/bin/sh -c #(nop) ADD file:a in / "},
                 {"created_by": "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"run --password OldCmdPw9876\"]", "empty_layer": true},
                 {"created_by": "/bin/sh -c #(nop)  ENTRYPOINT [\"/app\" \"--token=EntryTok1234567890\"]", "empty_layer": true},
                 {"created_by": "CMD [\"/bin/sh\", \"-c\", \"run --password SecretCmdPw5544\"]", "empty_layer": true}]})");
  std::vector<Finding> typed = Of("secret-in-build-step");
  std::vector<std::string> details;
  for (const Finding& finding : typed) details.push_back(finding.detail);
  // The config's are reported from there; the steps that set them are
  // not reported again, while a CMD a later one replaced is.
  EXPECT_EQ(details,
            (std::vector<std::string>{"ENTRYPOINT, --token=Ent…(18 characters)",
                                      "CMD, run --password Sec…(15 characters)",
                                      "history step 2, run --password Ol…(12 characters)"}));
  ASSERT_EQ(typed.size(), 3u);
  for (const Finding& finding : typed) {
    EXPECT_EQ(finding.route, Route::kConfig);
    EXPECT_NE(finding.fix.find("CMD and ENTRYPOINT"), std::string::npos) << finding.fix;
  }
  EXPECT_EQ(typed[0].layer, -1);
  EXPECT_EQ(typed[0].history_index, -1);
  EXPECT_EQ(typed[2].history_index, 1);
}

// A known token in CMD or ENTRYPOINT is its own rule's, reported once:
// from the config when no step recorded the instruction, from the step
// otherwise.
TEST_F(RulesTest, KnownTokensInCmdAreReportedOnce) {
  const char* config = R"({"config": {"User": "1000",
      "Entrypoint": ["app", "--token=ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw"],
      "Cmd": ["--key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "--password", "K8jHq2LmNx7Vb4Zt"]},
    "history": [{"created_by": "/bin/sh -c #(nop) ADD file:a in / "}%s]})";
  std::string cmd_step =
      R"(, {"created_by": "CMD [\"--key\", \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\", \"--password\", )"
      R"(\"K8jHq2LmNx7Vb4Zt\"]", "empty_layer": true})";
  for (bool recorded : {false, true}) {
    std::string text = config;
    text.replace(text.find("%s"), 2, recorded ? cmd_step : "");
    Evaluate({{{"a", '0', "x"}}}, text);
    ASSERT_EQ(Of("secret-stripe-key").size(), 1u) << recorded;
    EXPECT_EQ(Of("secret-stripe-key")[0].detail,
              recorded ? "history step 2: sk_l…(32 characters)" : "CMD: sk_l…(32 characters)");
    ASSERT_EQ(Of("secret-github-token").size(), 1u) << recorded;
    EXPECT_EQ(Of("secret-github-token")[0].detail, "ENTRYPOINT: ghp_…(40 characters)");
    EXPECT_TRUE(Of("secret-generic-assignment").empty()) << recorded;
    std::vector<Finding> typed = Of("secret-in-build-step");
    ASSERT_EQ(typed.size(), 1u) << recorded;
    EXPECT_EQ(typed[0].detail, "CMD, app --password K8j…(16 characters)");
  }
}

// Found by a user trial: ENV ADMIN_PASSWORD=x;y was reported twice, once
// from the config and once, cut at the ';', from its history step, which
// showed what followed the ';'. Every place now reads the whole value.
TEST_F(RulesTest, AnEnvValueWithASemicolonIsOneSecretEverywhere) {
  Evaluate({{{"a", '0', "x"}}},
           R"({"config": {"User": "1000", "Env": ["ADMIN_PASSWORD=Adm1nPass;w0rd99"],
                          "Labels": {"admin.pass": "x;yyyyyyyy"}},
               "history": [
                 {"created_by": "/bin/sh -c #(nop) ADD file:a in / "},
                 {"created_by": "ARG ADMIN_TOKEN=Tok3nPart;2nd", "empty_layer": true},
                 {"created_by": "/bin/sh -c #(nop)  ENV ADMIN_PASSWORD=Adm1nPass;w0rd99",
                  "empty_layer": true},
                 {"created_by": "LABEL admin.pass=x;yyyyyyyy", "empty_layer": true}]})");
  std::vector<Finding> env = Of("secret-in-env");
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0].detail, "ENV ADMIN_PASSWORD=Adm…(16 characters)");
  std::vector<Finding> label = Of("secret-in-label");
  ASSERT_EQ(label.size(), 1u);
  EXPECT_EQ(label[0].detail, "LABEL admin.pass=x;…(10 characters)");
  std::vector<Finding> arg = Of("secret-in-build-arg");
  ASSERT_EQ(arg.size(), 1u);
  EXPECT_EQ(arg[0].detail, "history step 2, ADMIN_TOKEN=To…(13 characters)");

  RedactImageConfig(*scanner_, &analysis_, &results_);
  const std::vector<HistoryStep>& history = analysis_.config.history;
  EXPECT_EQ(history[1].created_by, "ARG ADMIN_TOKEN=To…(13 characters)");
  EXPECT_EQ(history[2].created_by, "/bin/sh -c #(nop)  ENV ADMIN_PASSWORD=Adm…(16 characters)");
  EXPECT_EQ(history[3].created_by, "LABEL admin.pass=x;…(10 characters)");
  EXPECT_EQ(analysis_.config.env, std::vector<std::string>{"ADMIN_PASSWORD=Adm…(16 characters)"});
  EXPECT_EQ(analysis_.config.labels.at("admin.pass"), "x;…(10 characters)");
}

// A GitHub token of its own for each |i| below 36: the same characters,
// rotated, so that each place a test puts one can be told apart.
std::string GithubToken(size_t i) {
  std::string body = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  return "ghp_" + body.substr(i) + body.substr(0, i);
}

// Found by a user trial: a token in the config's WorkingDir was printed
// whole (audit's, history's and layers' JSON) and no finding named it; so
// was one in every other string of the config that no rule read.
TEST_F(RulesTest, ATokenInAnyStringOfTheConfigIsReportedAndRedacted) {
  using json = nlohmann::json;
  json config = {
      {"author", "ops " + GithubToken(1)},
      {"variant", GithubToken(2)},
      {"config",
       {{"User", "app:" + GithubToken(3)},
        {"WorkingDir", "/srv/" + GithubToken(0)},
        {"StopSignal", GithubToken(4)},
        {"Volumes", {{"/data/" + GithubToken(5), json::object()}}},
        {"ExposedPorts", {{"8080/" + GithubToken(6), json::object()}}},
        {"Shell", {"/bin/bash", "--rcfile", "/etc/" + GithubToken(7)}},
        {"OnBuild", {"RUN git clone https://x:" + GithubToken(8) + "@git.example/r"}},
        {"Healthcheck",
         {{"Test", {"CMD-SHELL", "curl -H 'Authorization: token " + GithubToken(9) + "' x"}}}},
        {"Env", {GithubToken(10) + "=1"}},
        {"Labels", {{GithubToken(11), "yes"}}}}},
      {"history", {{{"created_by", "/bin/sh -c build step"}, {"comment", GithubToken(12)}}}}};
  Evaluate({{{"a", '0', "x"}}}, config.dump());

  std::multiset<std::string> details;
  for (const Finding& finding : Of("secret-github-token")) {
    EXPECT_EQ(finding.layer, -1) << finding.detail;
    EXPECT_EQ(finding.route, Route::kConfig) << finding.detail;
    EXPECT_NE(finding.fix.find("rotate the credential now"), std::string::npos) << finding.fix;
    details.insert(finding.detail);
  }
  std::multiset<std::string> expected;
  for (const char* where :
       {"author", "variant", "USER", "WORKDIR", "STOPSIGNAL", "VOLUME", "EXPOSE", "SHELL",
        "ONBUILD", "HEALTHCHECK", "ENV name", "LABEL key", "history step 1 comment"})
    expected.insert(std::string(where) + ": ghp_…(40 characters)");
  EXPECT_EQ(details, expected);

  RedactImageConfig(*scanner_, &analysis_, &results_);
  const ImageConfig& redacted = analysis_.config;
  EXPECT_EQ(redacted.working_dir, "/srv/ghp_…(40 characters)");
  EXPECT_EQ(redacted.user, "app:ghp_…(40 characters)");
  EXPECT_EQ(redacted.volumes, std::vector<std::string>{"/data/ghp_…(40 characters)"});
  EXPECT_EQ(redacted.exposed_ports, std::vector<std::string>{"8080/ghp_…(40 characters)"});
  EXPECT_EQ(redacted.env, std::vector<std::string>{"ghp_…(40 characters)=1"});
  EXPECT_EQ(redacted.labels.count("ghp_…(40 characters)"), 1u);
  EXPECT_EQ(redacted.history[0].comment, "ghp_…(40 characters)");
  std::string shown = json{redacted.author,
                           redacted.variant,
                           redacted.user,
                           redacted.working_dir,
                           redacted.stop_signal,
                           redacted.volumes,
                           redacted.exposed_ports,
                           redacted.shell,
                           redacted.on_build,
                           redacted.healthcheck,
                           redacted.env,
                           redacted.labels,
                           redacted.history[0].comment}
                          .dump();
  for (size_t i = 0; i <= 12; ++i)
    EXPECT_EQ(shown.find(GithubToken(i).substr(4, 16)), std::string::npos) << i << shown;
}

// A token the config's WORKDIR holds is reported once: from the history
// step that set it, when the history keeps one, as a token in CMD is.
TEST_F(RulesTest, ATokenInWorkdirIsReportedOnce) {
  std::string token = GithubToken(0);
  std::string config = R"({"config": {"User": "1", "WorkingDir": "/srv/TOKEN"},
      "history": [{"created_by": "/bin/sh -c build step"},
                  {"created_by": "WORKDIR /srv/TOKEN", "empty_layer": true}]})";
  for (size_t at; (at = config.find("TOKEN")) != std::string::npos;) config.replace(at, 5, token);
  Evaluate({{{"a", '0', "x"}}}, config);
  std::vector<Finding> found = Of("secret-github-token");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].detail, "history step 2: ghp_…(40 characters)");
}

TEST_F(RulesTest, BuildKitBuildArgumentsAreFoundOnce) {
  Evaluate({{{"a", '0', "x"}}},
           R"({"config": {"User": "1000"},
               "history": [{"created_by": "RUN |1 NPM_TOKEN=Zk3qP9vR2mX7tL4w /bin/sh -c npm ci && export API_TOKEN=Qx7pL2vN9mK4tR8w # buildkit"}]})");
  std::vector<Finding> args = Of("secret-in-build-arg");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].detail, "history step 1, build arg NPM_TOKEN=Zk3…(16 characters)");
  std::vector<Finding> typed = Of("secret-in-build-step");
  ASSERT_EQ(typed.size(), 1u);
  EXPECT_EQ(typed[0].detail, "history step 1, API_TOKEN=Qx7…(16 characters)");
  EXPECT_TRUE(Of("secret-generic-assignment").empty());
}

TEST_F(RulesTest, VersionControlDirectoriesOncePerRepository) {
  Evaluate({{{"app/.git/", '5'},
             {"app/.git/HEAD", '0', "ref: x\n"},
             {"app/.git/objects/ab/cd", '0', "zz"},
             {"srv/.hg/store/data", '0', "d"},
             {"app/.gitignore", '0', "x"}}});
  ASSERT_EQ(Of("vcs-directory").size(), 2u);
  EXPECT_EQ(Of("vcs-directory", "app/.git").size(), 1u);
  EXPECT_EQ(Of("vcs-directory", "app/.git")[0].bytes, 9);
}

TEST_F(RulesTest, PackageCachesAreGroupedWithTheirFix) {
  Evaluate({{{"var/lib/apt/lists/x_Packages", '0', std::string(5000, 'p')},
             {"var/lib/apt/lists/lock", '0', ""},
             {"root/.cache/pip/http/a", '0', "w"},
             {"home/app/.npm/_cacache/content-v2/b", '0', "n"},
             {"app/node_modules/left-pad/index.js", '0', "module.exports=1"}}});
  ASSERT_EQ(Of("package-cache").size(), 3u);
  std::vector<Finding> apt = Of("package-cache", "var/lib/apt/lists");
  ASSERT_EQ(apt.size(), 1u);
  EXPECT_EQ(apt[0].bytes, 5000);
  EXPECT_NE(apt[0].fix.find("rm -rf /var/lib/apt/lists/*"), std::string::npos);
  EXPECT_NE(Of("package-cache", "root/.cache/pip")[0].fix.find("--no-cache-dir"),
            std::string::npos);
}

TEST_F(RulesTest, BuildToolsFromDpkgStatusWithInstallingLayer) {
  std::string before = "Package: bash\nStatus: install ok installed\nVersion: 5.2\n\n";
  std::string after = before +
                      "Package: gcc-12\nStatus: install ok installed\nVersion: 12.2.0\n\n"
                      "Package: curl\nStatus: install ok installed\nVersion: 7.88\n\n"
                      "Package: make\nStatus: deinstall ok config-files\nVersion: 4.3\n\n";
  Evaluate({{{"var/lib/dpkg/status", '0', before}, {"usr/bin/bash", '0', "elf"}},
            {{"var/lib/dpkg/status", '0', after},
             {"usr/bin/gcc-12", '0', "elf"},
             {"usr/bin/cc", '2', "", "gcc-12"}}});
  std::vector<Finding> tools = Of("build-tool");
  ASSERT_EQ(tools.size(), 2u);  // gcc and curl; make is removed; cc is gcc's link.
  for (const Finding& tool : tools) EXPECT_EQ(tool.layer, 1);
  EXPECT_NE(tools[0].detail.find("gcc"), std::string::npos);
  EXPECT_EQ(tools[0].severity, Severity::kMedium);
}

TEST_F(RulesTest, BuildToolsFromPathsWithoutPackageDatabase) {
  Evaluate({{{"bin/busybox", '0', "elf"},
             {"usr/bin/wget", '2', "", "/bin/busybox"},
             {"usr/bin/ls", '0', "elf"}}});
  std::vector<Finding> tools = Of("build-tool");
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].path, "usr/bin/wget");
  EXPECT_NE(tools[0].detail.find("busybox applet"), std::string::npos);
}

// A hard link to a symbolic link is that link under a second name (as
// GNU tar and umoci unpack it): it runs what the link leads to, or nothing.
TEST_F(RulesTest, BuildToolsThroughAHardLinkToASymbolicLink) {
  Evaluate({{{"bin/busybox", '0', "elf"},
             {"bin/applet", '2', "", "/bin/busybox", 0777},
             {"usr/bin/wget", '1', "", "bin/applet"},
             {"usr/bin/gone", '2', "", "/nowhere/make", 0777},
             {"usr/bin/make", '1', "", "usr/bin/gone"}}});
  std::vector<Finding> wget = Of("build-tool", "usr/bin/wget");
  ASSERT_EQ(wget.size(), 1u);
  EXPECT_EQ(wget[0].detail, "wget (a busybox applet)");
  EXPECT_TRUE(Of("build-tool", "usr/bin/make").empty());  // A dangling link runs nothing.
  EXPECT_TRUE(analysis_.warnings.empty());
}

TEST_F(RulesTest, BuildLeftovers) {
  Evaluate({{{"app/main.o", '0', "obj"},
             {"app/core", '0', "dump"},
             {"tmp/build.log", '0', "log"},
             {"app/tests/", '5'},
             {"usr/lib/x86_64-linux-gnu/crt1.o", '0', "obj"},
             {"usr/lib/python3/dist-packages/pkg/tests/", '5'},
             {"app/core/", '5'}}});
  EXPECT_EQ(Of("build-leftover", "app/main.o").size(), 1u);
  EXPECT_EQ(Of("build-leftover", "app/core").size(), 1u);
  EXPECT_EQ(Of("build-leftover", "tmp").size(), 1u);
  EXPECT_EQ(Of("build-leftover", "app/tests").size(), 1u);
  EXPECT_EQ(Of("build-leftover").size(), 4u);
}

TEST_F(RulesTest, SourceTreesOfCompiledLanguages) {
  std::vector<TarMember> files;
  for (int i = 0; i < 6; ++i)
    files.push_back({"src/app/file" + std::to_string(i) + ".go", '0', "package main"});
  files.push_back({"srv/tool/one.c", '0', "int x;"});
  files.push_back({"usr/include/stdio.h", '0', "int y;"});
  Evaluate({files});
  std::vector<Finding> trees = Of("build-leftover");
  ASSERT_EQ(trees.size(), 1u);
  EXPECT_EQ(trees[0].path, "src/app");
  EXPECT_NE(trees[0].detail.find("6 files"), std::string::npos);
}

TEST_F(RulesTest, Permissions) {
  TarMember ping{"usr/bin/ping", '0', "elf", "", 0755};
  ping.xattr_name = "security.capability";
  ping.xattr_value = std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  Evaluate({{{"usr/bin/su", '0', "elf", "", 04755},
             {"usr/bin/wall", '0', "elf", "", 02755},
             {"tmp/", '5', "", "", 01777},
             {"open/", '5', "", "", 0777},
             {"open/file", '0', "x", "", 0666},
             {"etc/passwd", '0', "root", "", 0644},
             ping}});
  EXPECT_EQ(Of("setuid-file").size(), 2u);
  EXPECT_EQ(Of("world-writable").size(), 2u);
  EXPECT_TRUE(Of("world-writable", "tmp").empty());
  EXPECT_EQ(Of("file-capabilities", "usr/bin/ping").size(), 1u);
}

// Findings on the final filesystem come in the order of a walk by name
// (parents first, then component by component), whatever order the
// layer stored them in, and not in the order of the paths as strings.
TEST_F(RulesTest, PermissionFindingsComeInNameOrder) {
  Evaluate({{{"d/b", '0', "x", "", 0666},
             {"d/a", '0', "x", "", 0666},
             {"d-c", '0', "x", "", 0666},
             {"c", '0', "x", "", 0666}}});
  std::vector<std::string> paths;
  for (const Finding& finding : Of("world-writable")) paths.push_back(finding.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"c", "d/a", "d/b", "d-c"}));
}

// Found by a new user: a loose custom content rule that matched the text
// of a built-in one took the finding, at its own (low) severity, and a
// ci gate on critical findings passed.
TEST_F(RulesTest, ACustomContentRuleLeavesBuiltInFindingsAlone) {
  CustomRule loose;
  loose.id = loose.content.rule_id = "long-words";
  loose.severity = Severity::kLow;
  loose.content.regex = "[A-Za-z0-9]{30,}";
  config_.custom.push_back(loose);
  Evaluate({{{"app/server.js", '0',
              "const token = 'ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw';\n"
              "const other = 'Zq8wXv7ub6Ytc5Rsd4Qe3Pf2Og1Nh0MiLjKk';\n"}}});
  ASSERT_EQ(Of("secret-github-token", "app/server.js").size(), 1u);
  EXPECT_EQ(Of("secret-github-token", "app/server.js")[0].severity, Severity::kCritical);
  // What no built-in rule finds is the custom rule's.
  EXPECT_EQ(Of("long-words", "app/server.js").size(), 1u);
}

// Found by a new user: a custom pattern was confirmed with std::regex,
// which backtracks: `(a*)*$` on a file of "aaa…b" ran without end. It
// also reported its first group rather than its match ("(ab)+c": "ab"),
// and a one-character group hid the finding ("(a)+!": nothing). Custom
// patterns are vectorscan's alone now, reporting the whole match.
TEST_F(RulesTest, ACustomContentRuleReportsItsWholeMatchWithoutBacktracking) {
  for (const auto& [id, regex] : {std::pair<const char*, const char*>{"grouped", "(ab)+c"},
                                  {"one-char-group", "(a)+!"},
                                  {"nested", "(a+)+$"}}) {
    CustomRule rule;
    rule.id = rule.content.rule_id = id;
    rule.severity = Severity::kLow;
    rule.content.regex = regex;
    config_.custom.push_back(rule);
  }
  Evaluate({{{"f.txt", '0', std::string(40, 'a') + "b\n"}, {"g.txt", '0', "xx ababc aaa!\n"}}});
  ASSERT_EQ(Of("grouped", "g.txt").size(), 1u);
  EXPECT_EQ(Of("grouped", "g.txt")[0].detail, "line 1: a…(5 characters)");  // ababc
  ASSERT_EQ(Of("one-char-group", "g.txt").size(), 1u);
  EXPECT_EQ(Of("one-char-group", "g.txt")[0].detail, "line 1: …(4 characters)");
  EXPECT_TRUE(Of("nested", "f.txt").empty());

  // A pattern that matches empty text has no start to report: refused
  // when the configuration is read, naming its key.
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/c.yaml",
                     "rules:\n  content:\n    - {id: empty, regex: \"(a*)*$\", severity: low}\n");
  try {
    LoadRuleConfig(dir + "/c.yaml");
    ADD_FAILURE() << "a pattern that matches empty text was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              dir +
                  "/c.yaml: rules.content[0].regex: \"(a*)*$\" matches empty text, so it has "
                  "no start to report; make it match at least one character");
  }
}

// Found by a new user: vectorscan reports a pattern at every end at which
// it matches, and the first, shortest one was taken for the secret:
// corp_[a-z0-9]+ hid "c…(6 characters)" of a 27-character token, and the
// build step showed the rest of it.
TEST_F(RulesTest, ACustomContentRuleHidesItsLongestMatch) {
  CustomRule rule;
  rule.id = rule.content.rule_id = "corp";
  rule.severity = Severity::kLow;
  rule.content.regex = "corp_[a-z0-9]+";
  config_.custom.push_back(rule);
  Evaluate({{{"app/a.conf", '0', "key = corp_zyxwvu9876543210hidden\n"}}});
  ASSERT_EQ(Of("corp", "app/a.conf").size(), 1u);
  EXPECT_EQ(Of("corp", "app/a.conf")[0].detail, "line 1: " + Redact("corp_zyxwvu9876543210hidden"));

  EXPECT_EQ(scanner_->RedactText("./deploy --key corp_abcdef1234567890secret"),
            "./deploy --key " + Redact("corp_abcdef1234567890secret"));
  // A token far longer than the cap on matches a file may report.
  std::string long_token = "corp_" + std::string(5000, 'x');
  EXPECT_EQ(scanner_->RedactText("k " + long_token + " end"), "k " + Redact(long_token) + " end");
}

TEST_F(RulesTest, RootAndHealthcheck) {
  Evaluate({{{"a", '0', "x"}}}, R"({"config": {"User": "root"}})");
  EXPECT_EQ(Of("runs-as-root").size(), 1u);
  EXPECT_EQ(Of("no-healthcheck").size(), 1u);
  Evaluate({{{"a", '0', "x"}}},
           R"({"config": {"User": "65532:65532", "Healthcheck": {"Test": ["CMD", "true"]}}})");
  EXPECT_TRUE(Of("runs-as-root").empty());
  EXPECT_TRUE(Of("no-healthcheck").empty());
}

TEST_F(RulesTest, CleanupInALaterLayer) {
  Evaluate(
      {{{"base", '0', "x"}}, {{"cache/big", '0', std::string(200000, 'b')}}, {{".wh.cache", '0'}}},
      R"({"config": {"User": "1"}, "history": [{"created_by": ""},
               {"created_by": "/bin/sh -c fetch > /cache/big"}, {"created_by": "/bin/sh -c rm -rf /cache"}]})");
  std::vector<Finding> cleanup = Of("cleanup-in-later-layer");
  ASSERT_EQ(cleanup.size(), 1u);
  EXPECT_EQ(cleanup[0].layer, 2);
  EXPECT_EQ(cleanup[0].bytes, 200000);
  EXPECT_NE(cleanup[0].fix.find("RUN fetch > /cache/big"), std::string::npos) << cleanup[0].fix;
}

TEST_F(RulesTest, RouteAwareFixes) {
  Evaluate(
      {{{"bin/sh", '0', "elf"}},
       {{"app/", '5'}, {"app/.env", '0', "A=1"}},
       {{"app/gen.env", '0', "x"},
        {"root/.git-credentials", '0', "https://u:Zk3qP9vR2mX7@h.example\n"}}},
      R"({"config": {"User": "1"}, "history": [{"created_by": "", "created": "2020-01-01T00:00:00Z"},
               {"created_by": "/bin/sh -c #(nop) WORKDIR /app", "empty_layer": true, "created": "2026-01-01T00:00:00Z"},
               {"created_by": "/bin/sh -c #(nop) COPY dir:abc in . ", "created": "2026-01-01T00:00:01Z"},
               {"created_by": "/bin/sh -c write-creds", "created": "2026-01-01T00:00:02Z"}]})");
  std::vector<Finding> env = Of("secret-env-file", "app/.env");
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0].route, Route::kCopy);
  EXPECT_NE(env[0].fix.find("add `.env` to .dockerignore"), std::string::npos) << env[0].fix;
  std::vector<Finding> creds = Of("secret-registry-credentials");
  ASSERT_EQ(creds.size(), 1u);
  EXPECT_EQ(creds[0].route, Route::kRun);
  EXPECT_NE(creds[0].fix.find("--mount=type=secret"), std::string::npos);
  EXPECT_EQ(results_.base.count, 1);  // Built six years before the rest.
}

TEST_F(RulesTest, ConfigurationDisablesOverridesAndAccepts) {
  std::string dir = TempDir();
  testing::WriteFile(dir + "/strata.yaml", R"(
rules:
  disable: [no-healthcheck]
  severity: {secret-env-file: low}
  paths:
    - {id: sql-dump, glob: "**/*.sql", severity: high, title: Database dump}
  content:
    - {id: corp-token, regex: "corp_[a-z0-9]{16}", severity: critical}
accept:
  - {rule: vcs-directory, path: /app/.git, reason: "the app reads its own version", expires: 2099-01-01}
  - {rule: build-leftover, reason: "expired", expires: 2020-01-01}
)");
  config_ = LoadRuleConfig(dir + "/strata.yaml");
  Evaluate({{{"app/.env", '0', "A=1"},
             {"app/dump.sql", '0', "insert"},
             {"app/.git/HEAD", '0', "x"},
             {"app/t.txt", '0', "corp_abcdefghij012345"},
             {"app/x.o", '0', "o"}}});
  EXPECT_TRUE(Of("no-healthcheck").empty());
  EXPECT_EQ(Of("secret-env-file")[0].severity, Severity::kLow);
  EXPECT_EQ(Of("sql-dump").size(), 1u);
  EXPECT_EQ(Of("sql-dump")[0].severity, Severity::kHigh);
  ASSERT_EQ(Of("corp-token").size(), 1u);
  EXPECT_EQ(Of("corp-token")[0].severity, Severity::kCritical);
  EXPECT_EQ(Of("vcs-directory")[0].accepted, "the app reads its own version");
  EXPECT_EQ(Of("build-leftover")[0].accepted, "");  // Expired.
}

TEST(RuleConfig, MistakesAreClearErrors) {
  std::string dir = TempDir();
  testing::WriteFile(dir + "/a.yaml", "rules:\n  disable: [no-such-rule]\n");
  EXPECT_THROW(LoadRuleConfig(dir + "/a.yaml"), Error);
  testing::WriteFile(dir + "/b.yaml", "rulez: {}\n");
  EXPECT_THROW(LoadRuleConfig(dir + "/b.yaml"), Error);
  testing::WriteFile(dir + "/c.yaml", "rules:\n  content:\n    - {id: x, regex: \"(unclosed\"}\n");
  EXPECT_THROW(MakeContentScanner(LoadRuleConfig(dir + "/c.yaml")), Error);
  testing::WriteFile(dir + "/d.yaml", "accept:\n  - {rule: vcs-directory}\n");
  EXPECT_THROW(LoadRuleConfig(dir + "/d.yaml"), Error);
  EXPECT_THROW(LoadRuleConfig(dir + "/missing.yaml"), Error);
  EXPECT_EQ(ParseSize("20MB", "x"), 20000000);
  EXPECT_EQ(ParseSize("1.5kB", "x"), 1500);
  // Found by a new user: 1.5 was taken as 2 bytes.
  EXPECT_THROW(ParseSize("1.5", "x"), Error);
  EXPECT_THROW(ParseSize("1.0005kB", "x"), Error);
  EXPECT_EQ(ParseSize("1.0", "x"), 1);
  EXPECT_EQ(ParseSize("2MiB", "x"), 2097152);
  EXPECT_THROW(ParseSize("lots", "x"), Error);
  // Any case; one space allowed; nothing strtod alone would take.
  EXPECT_EQ(ParseSize("10kib", "x"), 10240);
  EXPECT_EQ(ParseSize("3 gb", "x"), 3000000000);
  EXPECT_EQ(ParseSize("7b", "x"), 7);
  EXPECT_EQ(ParseSize("2PiB", "x"), int64_t{1} << 51);
  EXPECT_EQ(ParseSize("1EB", "x"), 1000000000000000000);
  // Found by a new user: 8EiB was "not a size" rather than too large.
  try {
    ParseSize("8EiB", "--cache-max-size");
    ADD_FAILURE() << "8EiB was taken";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "--cache-max-size: \"8EiB\" is too large: a size must stay under 2^63 bytes");
  }
  for (const char* bad : {"0x10", "1e6", "+5", "5.", "-1", "", "1  MB", "2GiBs"})
    EXPECT_THROW(ParseSize(bad, "x"), Error) << bad;
  try {
    ParseSize("2G", "--max-layer-bytes");
    ADD_FAILURE() << "a bare G was taken";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "--max-layer-bytes: \"2G\" could mean either unit: write 2GB (powers of 1000) "
                 "or 2GiB (of 1024)");
  }
}

TEST_F(RulesTest, HostileEntriesFireAndStandardLayersDoNot) {
  Evaluate({{{"etc/", '5'}, {"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\n"}},
            {{"app/", '5'},
             {"app/run", '0', "first\n"},
             {"app/run", '0', "second\n"},
             {"app/", '5'},
             {"app/.wh..wh..opq", '0'},
             {"app/copy", '1', "", "app/run"},
             {"app/shadow", '1', "", "etc/passwd"},
             {"../../.wh.escaped", '0'},
             {"../outside", '0', "x\n"}}});

  ASSERT_EQ(Of("duplicate-path").size(), 1u);
  EXPECT_EQ(Of("duplicate-path")[0].path, "app/run");
  EXPECT_EQ(Of("duplicate-path")[0].layer, 1);
  EXPECT_EQ(Of("duplicate-path")[0].detail,
            "stored 2 times in this layer; unpackers keep the last copy");

  ASSERT_EQ(Of("hardlink-outside-layer").size(), 1u);
  EXPECT_EQ(Of("hardlink-outside-layer")[0].path, "app/shadow");
  EXPECT_EQ(Of("hardlink-outside-layer")[0].detail,
            "links to /etc/passwd, which this layer does not store before it");

  EXPECT_TRUE(Of("path-through-symlink").empty());

  ASSERT_EQ(Of("hostile-path").size(), 2u);
  EXPECT_EQ(Of("hostile-path", "escaped").at(0).detail,
            "a whiteout stored with \"..\" or an absolute path; read as deleting /escaped");
  EXPECT_EQ(Of("hostile-path", "outside").at(0).detail,
            "stored with \"..\" or an absolute path; read as /outside");
}

// Found by a new user: whiteout names are read from the last component
// only (as umoci does; see umoci_test.cc), so a directory named .wh.sub
// holds what is stored beneath it, a bare .wh. removes its own directory
// and an opaque marker at the root hides every lower layer. The merge
// keeps those semantics; odd-whiteout names each case.
TEST_F(RulesTest, OddWhiteoutsFireAndOrdinaryOnesDoNot) {
  Evaluate({{{"etc/", '5'},
             {"etc/sub/", '5'},
             {"etc/sub/a", '0', "a\n"},
             {"var/", '5'},
             {"var/lib/", '5'},
             {"var/lib/x", '0', "x\n"},
             {"top", '0', "t\n"}},
            {{"etc/.wh.sub/", '5'},
             {"etc/.wh.sub/f", '0', "f\n"},
             {"etc/.wh.sub/g", '0', "g\n"},
             {"opt/.wh.cfg/deep/h", '0', "h\n"},
             {"var/lib/.wh.", '0'},
             {"etc/.wh.keep", '0'},
             {"etc/.wh..wh..opq", '0'}},
            {{".wh..wh..opq", '0'}, {".wh.", '0'}, {"new", '0', "n\n"}}});

  std::vector<Finding> found = Of("odd-whiteout");
  ASSERT_EQ(found.size(), 5u);
  for (const Finding& finding : found) EXPECT_EQ(finding.severity, Severity::kMedium);

  EXPECT_EQ(found[0].path, "etc/.wh.sub");
  EXPECT_EQ(found[0].layer, 1);
  EXPECT_EQ(found[0].detail,
            "2 entries stored beneath a directory named .wh.sub, a whiteout's name: unpackers "
            "read whiteouts from the last component only, so they write them beneath "
            "/etc/.wh.sub, as strata shows, while the name itself deletes /etc/sub");
  EXPECT_EQ(found[1].path, "opt/.wh.cfg");
  EXPECT_EQ(found[1].detail,
            "1 entry stored beneath a directory named .wh.cfg, a whiteout's name: unpackers "
            "read whiteouts from the last component only, so they write it beneath "
            "/opt/.wh.cfg, as strata shows");

  EXPECT_EQ(found[2].path, "var/lib");
  EXPECT_EQ(found[2].stored_name, "var/lib/.wh.");
  EXPECT_EQ(found[2].detail,
            "a whiteout named .wh.: unpackers join the empty name to its directory and remove "
            "/var/lib, the directory itself (umoci 0.4.7 then fails to unpack the layer), as "
            "strata does");

  EXPECT_EQ(found[3].path, "");
  EXPECT_EQ(found[3].layer, 2);
  EXPECT_EQ(found[3].detail,
            "an opaque marker at the root: unpackers empty every lower layer, so the image holds "
            "only what layer 3 and later ones store, as strata shows");
  EXPECT_EQ(found[4].stored_name, ".wh.");
  EXPECT_EQ(found[4].detail,
            "a whiteout named .wh.: unpackers join the empty name to its directory, which "
            "leads to the root, and remove the whole filesystem (umoci 0.4.7 then fails to "
            "unpack the layer); strata keeps the root");

  // What the merge made of it, as umoci's unpack would (save the failing .wh.).
  const FileTree& tree = analysis_.merge.tree();
  EXPECT_NE(tree.Find("new"), nullptr);
  EXPECT_EQ(tree.Find("etc"), nullptr) << "hidden by the opaque marker at the root";

  // Ordinary whiteouts and opaque markers name nothing.
  Evaluate({{{"etc/", '5'}, {"etc/a", '0', "a\n"}, {"etc/b", '0', "b\n"}},
            {{"etc/.wh.a", '0'}, {"etc/.wh..wh..opq", '0'}, {"etc/c", '0', "c\n"}},
            {{".wh..wh..opq", '0'}}});
  EXPECT_EQ(Of("odd-whiteout").size(), 1u) << "only the root's opaque marker";
  Evaluate({{{".wh..wh..opq", '0'}, {"etc/a", '0', "a\n"}}});
  EXPECT_TRUE(Of("odd-whiteout").empty()) << "the first layer's hides nothing";
}

// Found by a new user: ".wh.." and ".wh..." were read as whiteouts of
// files named "." and "..", which no tree holds, and so did nothing;
// unpackers join the name to the directory and remove it, or its parent.
TEST_F(RulesTest, WhiteoutsOfDotAndDotDotRemoveTheDirectoryOrItsParent) {
  Evaluate({{{"a/b/c", '0', "c\n"}, {"d/e/f", '0', "f\n"}, {"g/h", '0', "h\n"}},
            {{"a/b/.wh..", '0'}, {"d/e/.wh...", '0'}, {"g/.wh...", '0'}}});

  std::vector<Finding> found = Of("odd-whiteout");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].path, "a/b");
  EXPECT_EQ(found[0].stored_name, "a/b/.wh..");
  EXPECT_EQ(found[0].detail,
            "a whiteout named .wh..: unpackers join '.' to its directory and remove /a/b, the "
            "directory itself (umoci 0.4.7 then fails to unpack the layer), as strata does");
  EXPECT_EQ(found[1].path, "d");
  EXPECT_EQ(found[1].stored_name, "d/e/.wh...");
  EXPECT_EQ(found[1].detail,
            "a whiteout named .wh...: unpackers join '..' to its directory and remove /d, its "
            "parent (umoci 0.4.7 then fails to unpack the layer), as strata does");
  EXPECT_EQ(found[2].path, "");
  EXPECT_EQ(found[2].stored_name, "g/.wh...");

  const FileTree& tree = analysis_.merge.tree();
  EXPECT_EQ(tree.Find("a/b"), nullptr);
  EXPECT_NE(tree.Find("a"), nullptr);
  EXPECT_EQ(tree.Find("d"), nullptr);
  EXPECT_NE(tree.Find("g/h"), nullptr) << "a whiteout of the root removes nothing";
}

// The classic escape: a link, then a path beneath it, in the same layer
// or a later one. Each link is named once per layer, with where an
// unpacker following it would write, which is where strata's tree has the
// entry (umoci writes it there: see umoci_test.cc).
TEST_F(RulesTest, PathsBeneathASymbolicLinkFire) {
  Evaluate({{{"tmpdir", '2', "", "/tmp"}, {"rel", '2', "", "../../usr/lib"}},
            {{"tmpdir/dropped", '0', "x\n"},
             {"tmpdir/again", '0', "y\n"},
             {"rel/sub/lib.so", '0', "z\n"},
             {"same", '2', "", "/etc"},
             {"root", '2', "", "/"},
             {"root/etc/profile", '0', "echo\n"},
             {"same/cron.d/job", '0', "* * * * * root sh\n"}}});

  std::vector<Finding> found = Of("path-through-symlink");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_NE(Of("path-through-symlink", "root/etc/profile").at(0).detail.find("write /etc/profile "),
            std::string::npos);
  EXPECT_EQ(Of("path-through-symlink", "tmpdir/dropped").at(0).detail,
            "stored beneath /tmpdir, a symbolic link to /tmp (layer 1): unpackers that follow it "
            "write /tmp/dropped (on the host, unless they keep links inside the root); strata "
            "shows it there inside the image, as umoci unpacks it, with /tmpdir kept a link; the "
            "layer stores 1 more entry beneath /tmpdir");
  EXPECT_EQ(Of("path-through-symlink", "tmpdir/dropped").at(0).layer, 1);
  EXPECT_EQ(Of("path-through-symlink", "tmpdir/dropped").at(0).severity, Severity::kHigh);
  EXPECT_NE(
      Of("path-through-symlink", "rel/sub/lib.so").at(0).detail.find("write /usr/lib/sub/lib.so "),
      std::string::npos);
  EXPECT_NE(Of("path-through-symlink", "same/cron.d/job").at(0).detail.find("(layer 2)"),
            std::string::npos);

  const FileTree& tree = analysis_.merge.tree();
  for (const char* link : {"tmpdir", "rel", "same", "root"}) {
    ASSERT_NE(tree.Find(link), nullptr) << link;
    EXPECT_EQ(tree.Find(link)->kind(), EntryKind::kSymlink) << link;
  }
  for (const char* landed :
       {"tmp/dropped", "tmp/again", "usr/lib/sub/lib.so", "etc/profile", "etc/cron.d/job"})
    EXPECT_NE(tree.Find(landed), nullptr) << landed;
}

// A chain of links is followed to its end, as the kernel follows it with
// the image's root as "/" (umoci writes l1/f to /etc/sub/f: see
// umoci_test.cc), ".." after a link included; a loop is named as one.
TEST_F(RulesTest, PathsBeneathAChainOfLinksLandWhereTheChainEnds) {
  Evaluate({{{"etc/sub", '5', "", "", 0755},
             {"l1", '2', "", "/l2"},
             {"l2", '2', "", "etc/sub"},
             {"up", '2', "", "l2/../y"},
             {"a", '2', "", "b"},
             {"b", '2', "", "a"}},
            {{"l1/f", '0', "x\n"}, {"up/g", '0', "y\n"}, {"a/f", '0', "z\n"}}});

  ASSERT_EQ(Of("path-through-symlink").size(), 3u);
  EXPECT_EQ(Of("path-through-symlink", "l1/f").at(0).detail,
            "stored beneath /l1, a symbolic link to /l2 (layer 1), and on through 1 more link: "
            "unpackers that follow them write /etc/sub/f (on the host, unless they keep links "
            "inside the root); strata shows it there inside the image, as umoci unpacks it, with "
            "/l1 kept a link");
  EXPECT_NE(Of("path-through-symlink", "up/g").at(0).detail.find("write /etc/y/g "),
            std::string::npos);
  EXPECT_EQ(Of("path-through-symlink", "a/f").at(0).detail,
            "stored beneath /a, a symbolic link to b (layer 1), which leads on through more than "
            "40 links (a loop, or a chain longer than Linux follows): unpackers that follow it "
            "fail there, or write where a longer chain ends; strata leaves it out of the merged "
            "filesystem (its layer still stores it)");
  EXPECT_NE(analysis_.merge.tree().Find("etc/y/g"), nullptr);
  ASSERT_NE(analysis_.merge.tree().Find("a"), nullptr);
  EXPECT_EQ(analysis_.merge.tree().Find("a")->kind(), EntryKind::kSymlink);
}

// Whiteouts and opaque markers beneath a link: an unpacker that follows
// the link deletes where it leads (umoci does, and strata's tree: see
// umoci_test.cc). One finding per link and layer; a whiteout of a real
// path gets none.
TEST_F(RulesTest, MarkersBeneathASymbolicLinkFire) {
  Evaluate({{{"tmp", '5', "", "", 0755},
             {"tmp/x", '0', "x\n"},
             {"tmp/y", '0', "y\n"},
             {"o", '5', "", "", 0755},
             {"o/a", '0', "a\n"},
             {"gone", '0', "g\n"},
             {"e", '2', "", "/tmp"},
             {"p", '2', "", "o"}},
            {{"e/.wh.x", '0'}, {"e/.wh.y", '0'}, {"p/.wh..wh..opq", '0'}, {".wh.gone", '0'}}});

  ASSERT_EQ(Of("path-through-symlink").size(), 2u);
  EXPECT_EQ(Of("path-through-symlink", "e/x").at(0).detail,
            "a whiteout stored beneath /e, a symbolic link to /tmp (layer 1): unpackers that "
            "follow it delete /tmp/x (on the host, unless they keep links inside the root); the "
            "layer has 1 more marker beneath /e; strata deletes /tmp/x too inside the image, as "
            "umoci does");
  EXPECT_EQ(Of("path-through-symlink", "e/x").at(0).layer, 1);
  EXPECT_EQ(Of("path-through-symlink", "p").at(0).detail,
            "an opaque marker for /p, a symbolic link to o (layer 1): unpackers that follow it "
            "empty /o (on the host, unless they keep links inside the root); strata empties /o "
            "too inside the image, as umoci does");
  // The tree loses what the markers delete through the links, and keeps
  // the links.
  EXPECT_EQ(analysis_.merge.tree().Find("tmp/x"), nullptr);
  EXPECT_EQ(analysis_.merge.tree().Find("tmp/y"), nullptr);
  EXPECT_EQ(analysis_.merge.tree().Find("o/a"), nullptr);
  ASSERT_NE(analysis_.merge.tree().Find("o"), nullptr);
  EXPECT_TRUE(analysis_.merge.tree().Find("o")->is_directory());
  EXPECT_EQ(analysis_.merge.tree().Find("e")->kind(), EntryKind::kSymlink);
  EXPECT_EQ(analysis_.merge.tree().Find("gone"), nullptr);
}

}  // namespace
}  // namespace strata
