// docker://HOST/REPO:TAG against a real registry (Debian's docker-registry)
// started here on 127.0.0.1: anonymous, htpasswd Basic, token auth fed by
// tests/servers/token_service.py, and TLS with a CA made here. Images are
// pushed with skopeo; every result must equal the one for the same image
// read from its archive. tests/servers/mock_registry.py stands in where a
// real registry will not misbehave (redirects, 429, 5xx, cut transfers).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "source/http_client.h"
#include "source_servers.h"
#include "test_support.h"

namespace strata {
namespace {

using namespace testing;

const char* const kUser = "strata";
const char* const kPassword = "s3cret-pass";

using testing::ScopedEnv;

enum class Login { kNone, kBasic, kToken };

class Registry {
 public:
  Registry(Login login, bool tls) : dir_(TempDir()), port_(FreePort()), tls_(tls) {
    std::string config = "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n" +
                         std::string("storage:\n  filesystem:\n    rootdirectory: ") + dir_ +
                         "/data\nhttp:\n  addr: " + host() + "\n";
    if (tls) {
      MakeCertificates(dir_);
      std::filesystem::create_directories(dir_ + "/certs");
      std::filesystem::copy_file(dir_ + "/ca.crt", dir_ + "/certs/ca.crt");
      config +=
          "  tls:\n    certificate: " + dir_ + "/server.crt\n    key: " + dir_ + "/server.key\n";
    }
    if (login == Login::kBasic) {
      MustRun("htpasswd -Bbn " + std::string(kUser) + " " + kPassword + " > " + dir_ + "/htpasswd");
      config += "auth:\n  htpasswd:\n    realm: strata-test\n    path: " + dir_ + "/htpasswd\n";
    }
    if (login == Login::kToken) StartTokenService(&config);
    WriteFile(dir_ + "/config.yml", config);
    registry_.Start({"docker-registry", "serve", dir_ + "/config.yml"}, dir_ + "/registry.log");
    EXPECT_TRUE(WaitUntil([&] { return CanConnectTcp(port_); }))
        << ReadFileText(dir_ + "/registry.log");
    login_ = login;
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string url(const std::string& repo) const { return "docker://" + host() + "/" + repo; }

  // The flags strata needs to reach this registry.
  std::vector<std::string> Flags() const {
    if (tls_) return {"--ca-file", dir_ + "/ca.crt"};
    return {"--insecure"};
  }

  // Pushes |source| (a skopeo image name) as |repo| with skopeo.
  void Push(const std::string& source, const std::string& repo, bool all = false) {
    std::string command = "skopeo copy -q " + std::string(all ? "--all " : "");
    command += tls_ ? "--dest-cert-dir " + dir_ + "/certs " : "--dest-tls-verify=false ";
    if (login_ != Login::kNone)
      command += "--dest-creds " + std::string(kUser) + ":" + kPassword + " ";
    MustRun(command + source + " docker://" + host() + "/" + repo);
  }

  // A docker config (for DOCKER_CONFIG) holding |password| for this host.
  std::string DockerConfig(const std::string& password) const {
    std::string dir = TempDir();
    std::string pair = std::string(kUser) + ":" + password;
    std::string auth = MustRun("printf %s '" + pair + "' | base64 -w0");
    WriteFile(dir + "/config.json",
              "{\"auths\": {\"" + host() + "\": {\"auth\": \"" + auth + "\"}}}");
    return dir;
  }

  void Stop() { registry_.Stop(); }

 private:
  void StartTokenService(std::string* config) {
    int token_port = FreePort();
    MustRun("cd " + dir_ +
            " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=strata-token"
            " -keyout token.key -out token.crt");
    token_.Start(
        {"python3", Server("token_service.py"), std::to_string(token_port), dir_ + "/token.key",
         dir_ + "/token.crt", "strata-test-issuer", std::string(kUser) + ":" + kPassword},
        dir_ + "/token.log");
    EXPECT_TRUE(WaitUntil([&] { return CanConnectTcp(token_port); }));
    *config += "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(token_port) +
               "/token\n    service: strata-test\n    issuer: strata-test-issuer\n"
               "    rootcertbundle: " +
               dir_ + "/token.crt\n";
  }

  std::string dir_;
  int port_;
  bool tls_;
  Login login_ = Login::kNone;
  Process token_;
  Process registry_;
};

std::vector<std::string> Args(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// `strata COMMAND --format json -q` on |image| with |flags|; must succeed.
std::string Json(const std::string& command, const std::string& image,
                 const std::vector<std::string>& flags = {}) {
  RunResult result = RunStrata(Args(Args({command, "--format", "json", "-q"}, flags), {image}));
  EXPECT_EQ(result.exit_code, 0) << command << " " << image << ": " << result.err;
  return WithoutSource(result.out);
}

std::string MultiLayout() { return "oci:" + FixturesDir() + "/multi.oci:multi"; }
std::string MultiArchive() { return FixturesDir() + "/multi.oci.tar"; }

void ExpectSameAsArchive(const std::string& image, const std::vector<std::string>& flags) {
  EXPECT_EQ(Json("audit", image, flags), Json("audit", MultiArchive()));
  EXPECT_EQ(Json("history", image, flags), Json("history", MultiArchive()));
  EXPECT_EQ(Json("layers", image, flags), Json("layers", MultiArchive()));
}

const char* const kRefreshToken = "idt-refresh-5f2c9a7e41b0d3c8";
const char* const kAccessToken = "idt-access-93d1e07b6a2f4c58";

// A docker config (for DOCKER_CONFIG) holding, for |host|, an identity
// token as `docker login` leaves one for Azure: beside an "auth" of a
// user of zeros and no password.
std::string IdentityTokenConfig(const std::string& host, const std::string& token) {
  std::string dir = TempDir();
  std::string auth = MustRun("printf %s '00000000-0000-0000-0000-000000000000:' | base64 -w0");
  WriteFile(dir + "/config.json", "{\"auths\": {\"" + host + "\": {\"auth\": \"" + auth +
                                      "\", \"identitytoken\": \"" + token + "\"}}}");
  return dir;
}

// Neither token shows in anything strata printed.
// A credential helper, as `docker login` with a keychain leaves one: in a
// directory of its own (for PATH), it answers |user| and |secret| for
// |host| and "credentials not found" for any other; and a docker config
// (for DOCKER_CONFIG) that names it for |host|.
struct HelperLogin {
  std::string bin, config;
};
HelperLogin CredentialHelperLogin(const std::string& host, const std::string& user,
                                  const std::string& secret) {
  HelperLogin login{TempDir(), TempDir()};
  std::string helper = login.bin + "/docker-credential-strata-test";
  WriteFile(helper, "#!/bin/sh\nread host\n[ \"$host\" = " + host +
                        " ] || { echo 'credentials not found'; exit 1; }\n"
                        "echo '{\"ServerURL\":\"'$host'\",\"Username\":\"" +
                        user + "\",\"Secret\":\"" + secret + "\"}'\n");
  std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
  WriteFile(login.config + "/config.json",
            "{\"credHelpers\": {\"" + host + "\": \"strata-test\"}}");
  return login;
}

void ExpectNoToken(const RunResult& result, const std::string& token) {
  EXPECT_EQ(result.out.find(token), std::string::npos) << result.out;
  EXPECT_EQ(result.err.find(token), std::string::npos) << result.err;
}

TEST(RegistrySource, AnonymousPullEqualsTheArchive) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, false);
  registry.Push(MultiLayout(), "fx/multi:1");
  ExpectSameAsArchive(registry.url("fx/multi:1"), registry.Flags());

  // By digest too: the manifest the tag points to.
  std::string digest = MustRun("skopeo inspect --tls-verify=false --format '{{.Digest}}' " +
                               registry.url("fx/multi:1"));
  digest.erase(digest.find_last_not_of("\n") + 1);
  EXPECT_EQ(Json("audit", registry.url("fx/multi@" + digest), registry.Flags()),
            Json("audit", MultiArchive()));
}

TEST(RegistrySource, ImageIndexPicksThePlatform) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, false);
  registry.Push("oci:" + FixturesDir() + "/multiarch-nested.oci", "fx/multiarch:1", true);
  for (const char* platform : {"linux/amd64", "linux/arm64"}) {
    std::vector<std::string> flags = Args(registry.Flags(), {"--platform", platform});
    EXPECT_EQ(Json("audit", registry.url("fx/multiarch:1"), flags),
              Json("audit", FixturesDir() + "/multiarch.oci", {"--platform", platform}))
        << platform;
  }
  ExpectOneLineError(RunStrata(Args({"history", "--platform", "linux/s390x"},
                                    Args(registry.Flags(), {registry.url("fx/multiarch:1")}))),
                     "has no image for platform linux/s390x");
}

TEST(RegistrySource, BasicAuthWithDockerConfig) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kBasic, false);
  registry.Push(MultiLayout(), "fx/multi:1");
  std::string image = registry.url("fx/multi:1");
  {
    ScopedEnv config("DOCKER_CONFIG", registry.DockerConfig(kPassword));
    ExpectSameAsArchive(image, registry.Flags());
  }
  {
    ScopedEnv config("DOCKER_CONFIG", TempDir());  // No login at all.
    ExpectOneLineError(RunStrata(Args({"history"}, Args(registry.Flags(), {image}))),
                       "log in with docker login " + registry.host());
  }
  {
    ScopedEnv config("DOCKER_CONFIG", registry.DockerConfig("wrong"));
    ExpectOneLineError(RunStrata(Args({"history"}, Args(registry.Flags(), {image}))),
                       "log in again");
  }
  {
    // An identity token is for a token service; Basic needs a password.
    ScopedEnv config("DOCKER_CONFIG", IdentityTokenConfig(registry.host(), kRefreshToken));
    RunResult result = RunStrata(Args({"history"}, Args(registry.Flags(), {image})));
    ExpectOneLineError(result, "is an identity token, which only a token service takes");
    ExpectNoToken(result, kRefreshToken);
  }
  {
    // A login made with skopeo (as podman and buildah make theirs): in
    // auth.json, which $REGISTRY_AUTH_FILE names, not in the docker config.
    std::string auth = TempDir() + "/auth.json";
    MustRun("skopeo login --tls-verify=false --authfile " + auth + " -u " + kUser + " -p " +
            kPassword + " " + registry.host() + " 2>&1");
    ScopedEnv config("DOCKER_CONFIG", TempDir());
    ScopedEnv chosen("REGISTRY_AUTH_FILE", auth);
    ExpectSameAsArchive(image, registry.Flags());
  }
}

TEST(RegistrySource, TokenAuthWithCredentialHelper) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kToken, false);
  registry.Push(MultiLayout(), "fx/multi:1");
  std::string image = registry.url("fx/multi:1");
  {
    ScopedEnv config("DOCKER_CONFIG", registry.DockerConfig(kPassword));
    ExpectSameAsArchive(image, registry.Flags());
  }
  {
    // A credential helper, as `docker login` with a keychain leaves it.
    HelperLogin login = CredentialHelperLogin(registry.host(), kUser, kPassword);
    ScopedEnv docker_config("DOCKER_CONFIG", login.config);
    ScopedEnv path("PATH", login.bin + ":" + getenv("PATH"));
    EXPECT_EQ(Json("audit", image, registry.Flags()), Json("audit", MultiArchive()));
  }
  {
    ScopedEnv config("DOCKER_CONFIG", registry.DockerConfig("wrong"));
    ExpectOneLineError(RunStrata(Args({"history"}, Args(registry.Flags(), {image}))),
                       "token service of registry " + registry.host() + " rejected the login");
  }
  {
    ScopedEnv config("DOCKER_CONFIG", TempDir());
    ExpectOneLineError(RunStrata(Args({"history"}, Args(registry.Flags(), {image}))),
                       "gives no anonymous access");
  }
}

TEST(RegistrySource, IdentityTokenIsExchangedForAnAccessToken) {
  REQUIRE_FIXTURES();
  MockOAuthTokenService oauth(kRefreshToken, kAccessToken, "repository:fx/m:pull");
  MockRegistry registry("bearer", {oauth.realm(), kAccessToken});
  ScopedEnv config("DOCKER_CONFIG", IdentityTokenConfig(registry.host(), kRefreshToken));
  EXPECT_EQ(Json("audit", registry.url(), {"--insecure"}), Json("audit", MultiArchive()));

  // The one request the service takes is the refresh token's POST.
  std::string log = ReadFileText(oauth.log());
  EXPECT_NE(log.find("POST /token 200 access token"), std::string::npos) << log;
  EXPECT_EQ(log.find(" 40"), std::string::npos) << log;

  RunResult verbose = RunStrata({"history", "-v", "--insecure", registry.url()});
  EXPECT_EQ(verbose.exit_code, 0) << verbose.err;
  ExpectNoToken(verbose, kRefreshToken);
  ExpectNoToken(verbose, kAccessToken);
}

// Found by a new user: a token reply that is no JSON was "the token reply
// of HOST", without saying HOST is the registry.
TEST(RegistrySource, ATokenReplyThatIsNoJsonNamesTheRegistry) {
  REQUIRE_FIXTURES();
  MockOAuthTokenService oauth(kRefreshToken, kAccessToken, "repository:fx/m:pull", "-html");
  MockRegistry registry("bearer", {oauth.realm(), kAccessToken});
  ScopedEnv config("DOCKER_CONFIG", IdentityTokenConfig(registry.host(), kRefreshToken));
  RunResult result = RunStrata({"history", "--insecure", registry.url()});
  ExpectOneLineError(result,
                     "the token reply of registry " + registry.host() + " is not valid JSON");
  ExpectNoToken(result, kRefreshToken);
}

// docker's convention: a helper that answers the user "<token>" gives an
// identity token as its Secret. This service answers "token", not
// "access_token", as some do.
TEST(RegistrySource, IdentityTokenFromACredentialHelper) {
  REQUIRE_FIXTURES();
  MockOAuthTokenService oauth(kRefreshToken, kAccessToken, "repository:fx/m:pull", "token");
  MockRegistry registry("bearer", {oauth.realm(), kAccessToken});
  HelperLogin login = CredentialHelperLogin(registry.host(), "<token>", kRefreshToken);
  ScopedEnv docker_config("DOCKER_CONFIG", login.config);
  ScopedEnv path("PATH", login.bin + ":" + getenv("PATH"));

  EXPECT_EQ(Json("audit", registry.url(), {"--insecure"}), Json("audit", MultiArchive()));
  std::string log = ReadFileText(oauth.log());
  EXPECT_NE(log.find("POST /token 200 access token"), std::string::npos) << log;
}

// Credential helpers that misbehave. One that answers without reading the
// host it was sent (it closed the pipe first) killed strata by SIGPIPE,
// silently, most of the time; one that fails was taken for "no login",
// and its own errors (which may quote its secret) reached strata's.
TEST(RegistrySource, MisbehavingCredentialHelpers) {
  REQUIRE_FIXTURES();
  MockOAuthTokenService oauth(kRefreshToken, kAccessToken, "repository:fx/m:pull", "token");
  MockRegistry registry("bearer", {oauth.realm(), kAccessToken});
  std::string bin = TempDir();
  auto helper = [&](const std::string& name, const std::string& script) {
    WriteFile(bin + "/docker-credential-" + name, "#!/bin/sh\n" + script);
    std::filesystem::permissions(bin + "/docker-credential-" + name,
                                 std::filesystem::perms::owner_all);
  };
  helper("no-reading", "exec 0<&-\necho '{\"Username\":\"<token>\",\"Secret\":\"" +
                           std::string(kRefreshToken) + "\"}'\n");
  helper("failing", "echo 'cannot reach the vault with sekret-77aa1' >&2\nexit 3\n");
  helper("malformed", "echo '{\"Username\": 42, \"Secret\": \"x\"}'\n");
  ScopedEnv path("PATH", bin + ":" + getenv("PATH"));
  auto config_with = [&](const std::string& name) {
    std::string config = TempDir();
    WriteFile(config + "/config.json",
              "{\"credHelpers\": {\"" + registry.host() + "\": \"" + name + "\"}}");
    return config;
  };

  {
    ScopedEnv docker_config("DOCKER_CONFIG", config_with("no-reading"));
    for (int run = 0; run < 8; ++run) {
      RunResult result = RunStrata({"history", "-q", "--insecure", registry.url()});
      ASSERT_EQ(result.exit_code, 0) << "run " << run << ": " << result.err;
    }
  }
  {
    ScopedEnv docker_config("DOCKER_CONFIG", config_with("failing"));
    RunResult result = RunStrata({"history", "--insecure", registry.url()});
    ExpectOneLineError(result,
                       "the credential helper docker-credential-failing failed (exit "
                       "status 3) when asked for the login of " +
                           registry.host());
    ExpectNoToken(result, "sekret-77aa1");
  }
  {
    ScopedEnv docker_config("DOCKER_CONFIG", config_with("malformed"));
    ExpectOneLineError(RunStrata({"history", "--insecure", registry.url()}),
                       "the answer of docker-credential-malformed: \"Username\" of a login is "
                       "not a string");
  }
  // A number where the identity token goes is named, not blamed on the
  // registry's manifest.
  std::string config = TempDir();
  WriteFile(config + "/config.json",
            "{\"auths\": {\"" + registry.host() + "\": {\"identitytoken\": 42}}}");
  ScopedEnv docker_config("DOCKER_CONFIG", config);
  ExpectOneLineError(RunStrata({"history", "--insecure", registry.url()}),
                     config + "/config.json: \"identitytoken\" of a login is not a string");
}

TEST(RegistrySource, ARefusedIdentityTokenGivesOneLineWithoutIt) {
  REQUIRE_FIXTURES();
  MockOAuthTokenService oauth(kRefreshToken, kAccessToken, "repository:fx/m:pull");
  MockRegistry registry("bearer", {oauth.realm(), kAccessToken});
  const char* wrong = "idt-revoked-0c4e8b21f97a6d35";
  std::string config = IdentityTokenConfig(registry.host(), wrong);
  ScopedEnv docker_config("DOCKER_CONFIG", config);

  // The service's own description quotes the token: it is not shown.
  for (const char* verbosity : {"-q", "-v"}) {
    RunResult result = RunStrata({"history", verbosity, "--insecure", registry.url()});
    ExpectOneLineError(result, "the token service of registry " + registry.host() +
                                   " refused the identity token (an OAuth2 refresh token) from " +
                                   config + "/config.json: HTTP 401 (invalid_grant); log in again");
    ExpectNoToken(result, wrong);
  }
  EXPECT_NE(ReadFileText(oauth.log()).find("POST /token 401 wrong refresh token"),
            std::string::npos);
}

TEST(RegistrySource, TlsWithTheTestsOwnCa) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, true);
  registry.Push(MultiLayout(), "fx/multi:1");
  std::string image = registry.url("fx/multi:1");
  ExpectSameAsArchive(image, registry.Flags());

  // The system's CAs do not know the test's CA.
  ExpectOneLineError(RunStrata({"history", image}), "give its CA with --ca-file");
  ExpectOneLineError(RunStrata({"history", "--insecure", image}), "drop --insecure");
}

TEST(RegistrySource, FailuresSayWhatToDo) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, false);
  registry.Push(MultiLayout(), "fx/multi:1");
  ExpectOneLineError(RunStrata({"history", "--insecure", registry.url("fx/multi:2")}),
                     "has no image " + registry.host() + "/fx/multi:2");
  ExpectOneLineError(RunStrata({"history", "--insecure", registry.url("fx/other:1")}),
                     "check the repository and tag");
  ExpectOneLineError(RunStrata({"history", registry.url("fx/multi:1")}), "--insecure");
  ExpectOneLineError(RunStrata({"history", "docker://fx/multi:1"}), "names no registry host");
  registry.Stop();
  ExpectOneLineError(RunStrata({"history", "--insecure", registry.url("fx/multi:1")}),
                     "cannot connect to registry " + registry.host());
}

TEST(RegistrySource, SaveKeepsAnOciArchiveThatWorksOffline) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, false);
  registry.Push(MultiLayout(), "fx/multi:1");
  std::string saved = TempDir() + "/saved.tar";
  std::string online = Json("audit", registry.url("fx/multi:1"), {"--insecure", "--save", saved});
  registry.Stop();

  EXPECT_EQ(online, Json("audit", saved));
  EXPECT_EQ(online, Json("audit", MultiArchive()));
  // Other tools read it too, and it is the same image (same manifest).
  std::string inspected = MustRun("skopeo inspect --format '{{.Digest}}' oci-archive:" + saved);
  std::string layout = MustRun("skopeo inspect --format '{{.Digest}}' " + MultiLayout());
  EXPECT_EQ(inspected, layout);
}

TEST(RegistrySource, FollowsRedirectsToBlobStorage) {
  REQUIRE_FIXTURES();
  MockRegistry registry("redirect");
  EXPECT_EQ(Json("audit", registry.url(), {"--insecure"}), Json("audit", MultiArchive()));
  EXPECT_NE(ReadFileText(registry.log()).find("/storage/sha256:"), std::string::npos);
}

// Found by a user trial: a blob the registry sent elsewhere (to a storage
// service), where nothing answered, was "cannot connect to registry": the
// registry had answered. The host it sent the request to is named, and
// nothing of the signed URL beyond it.
TEST(RegistrySource, ARedirectNowhereNamesWhereItLed) {
  REQUIRE_FIXTURES();
  MockRegistry registry("redirect-nowhere");
  RunResult result = RunStrata({"audit", "--insecure", "--no-cache", registry.url()});
  ExpectOneLineError(result, "where registry " + registry.host() + " sent the request for blob");
  EXPECT_NE(result.err.find("cannot connect to 127.0.0.1:"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("s3cr3t"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("cannot connect to registry"), std::string::npos) << result.err;
}

// Requests one after another on a thread share a connection: the blobs
// follow the manifest over the connection its request opened (with
// --threads 1, every request is on one thread). Redirected blobs too.
TEST(RegistrySource, ReusesConnections) {
  REQUIRE_FIXTURES();
  for (const char* mode : {"plain", "redirect"}) {
    SCOPED_TRACE(mode);
    MockRegistry registry(mode);
    EXPECT_EQ(Json("audit", registry.url(), {"--insecure", "--threads", "1"}),
              Json("audit", MultiArchive()));
    std::string requests = ReadFileText(registry.log());
    std::string connections = ReadFileText(registry.log() + ".connections");
    EXPECT_GE(std::count(requests.begin(), requests.end(), '\n'), 5) << requests;
    EXPECT_EQ(std::count(connections.begin(), connections.end(), '\n'), 1) << connections;
  }
}

TEST(RegistrySource, RetriesRateLimitsAndServerErrors) {
  REQUIRE_FIXTURES();
  MockRegistry registry("flaky");  // 429, then 503, then the answer.
  EXPECT_EQ(Json("audit", registry.url(), {"--insecure"}), Json("audit", MultiArchive()));
}

// Each try after the first is announced as it is made (off a terminal a
// wait was silent until the error), but not with -q.
TEST(RegistrySource, RateLimitGivesOneLine) {
  REQUIRE_FIXTURES();
  MockRegistry registry("rate-limit");
  RunResult result = RunStrata({"history", "--insecure", registry.url()});
  ExpectOneLineError(result, "rate-limiting requests (HTTP 429)", 4);
  EXPECT_TRUE(result.err.starts_with("strata: registry " + registry.host() +
                                     " answered HTTP 429 for image " + registry.host() +
                                     "/fx/m:1: asking again (try 2 of 5)\n"))
      << result.err;
  ExpectOneLineError(RunStrata({"history", "-q", "--insecure", registry.url()}),
                     "rate-limiting requests (HTTP 429)");
}

// Retry-After may be an HTTP date too (RFC 9110): one past means no wait,
// where it was taken for no answer and waited 1, 2, 4 and 8 s.
TEST(RegistrySource, ARetryAfterDateIsWaitedFor) {
  REQUIRE_FIXTURES();
  MockRegistry registry("rate-limit-date");
  RunResult result = RunStrata({"history", "--insecure", registry.url()});
  ExpectOneLineError(result, "rate-limiting requests (HTTP 429)", 4);
  EXPECT_NE(result.err.find(": asking again (try 5 of 5)\n"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("asking again in "), std::string::npos) << result.err;
}

TEST(RegistrySource, InterruptedTransferGivesOneLine) {
  REQUIRE_FIXTURES();
  MockRegistry registry("interrupt");
  // The mock cuts the big layer half-way each time it is asked for (a
  // resume included: it ignores Range): the first attempt and 3 resumes.
  RunResult result = RunStrata({"audit", "--insecure", registry.url()});
  ExpectOneLineError(result, ", 4 attempts; check the network and run strata again", 3);
  EXPECT_NE(result.err.find("): asking for the rest (resume 3 of 3)\n"), std::string::npos)
      << result.err;
}

// The request paths the mock logged that fetch blobs.
std::vector<std::string> BlobRequests(const std::string& log) {
  std::vector<std::string> blobs;
  std::istringstream lines(ReadFileText(log));
  for (std::string line; std::getline(lines, line);)
    if (line.find("/blobs/") != std::string::npos) blobs.push_back(line);
  return blobs;
}

// The last layer's descriptor in the fixture's manifest: the blob the mock
// registry's stall-*, longer* and shorter* modes misbehave on.
nlohmann::json LastLayer() {
  std::string layout = FixturesDir() + "/multi.oci";
  std::string manifest =
      nlohmann::json::parse(ReadFileText(layout + "/index.json"))["manifests"][0]["digest"];
  return nlohmann::json::parse(
             ReadFileText(layout + "/blobs/sha256/" + manifest.substr(7)))["layers"]
      .back();
}

// The requests the mock logged for the blob |digest|, each as its path
// and " Range: …" when it asked for one.
std::vector<std::string> RequestsFor(const std::string& log, const std::string& digest) {
  std::vector<std::string> requests;
  for (const std::string& line : BlobRequests(log))
    if (line.find("/blobs/" + digest) != std::string::npos) requests.push_back(line);
  return requests;
}

// Found in a user's trial: a registry that sent the headers and 10 bytes
// of a layer and then nothing had it asked for 4 times, a minute apart,
// and the error (after 267 s) said neither that nor how long it waited. A
// stall ends an attempt after STRATA_STALL_SECONDS (a minute unless set),
// the next asks for the rest (Range: bytes=10-), and the third stall ends
// the run in a line that says so; the same when the registry ignores
// Range and sends the blob from its start each time.
TEST(RegistrySource, AStalledBlobIsAskedForThreeTimesAndTheErrorSaysSo) {
  REQUIRE_FIXTURES();
  std::string digest = LastLayer()["digest"];
  std::string path = "/v2/fx/m/blobs/" + digest;
  for (const char* mode : {"stall-early", "stall-early-whole"}) {
    SCOPED_TRACE(mode);
    MockRegistry registry(mode);
    RunResult result =
        RunStrata({"audit", "--insecure", registry.url()}, "", "", {"STRATA_STALL_SECONDS=1"});
    std::string blob = "the transfer of blob " + digest.substr(0, 19) + "… of fx/m from " +
                       registry.host() + " stalled after 10 bytes";
    ExpectOneLineError(
        result, blob + ": no byte for 1 s, 3 attempts; check the network and run strata again",
        2);
    EXPECT_TRUE(result.err.starts_with("strata: " + blob +
                                       " (no byte for 1 s, stall 1 of 3): asking for the rest\n"))
        << result.err;
    std::string rest = path + " Range: bytes=10-";
    EXPECT_EQ(RequestsFor(registry.log(), digest), (std::vector<std::string>{path, rest, rest}));
  }
}

// A blob that stalls once is asked for again from where it stopped, and
// reads as the archive's (its digest checked as ever).
TEST(RegistrySource, AStalledBlobResumesWhereItStopped) {
  REQUIRE_FIXTURES();
  std::string digest = LastLayer()["digest"];
  std::string path = "/v2/fx/m/blobs/" + digest;
  MockRegistry registry("stall-once");
  ScopedEnv stall("STRATA_STALL_SECONDS", "1");
  EXPECT_EQ(Json("audit", registry.url(), {"--insecure"}), Json("audit", MultiArchive()));
  EXPECT_EQ(RequestsFor(registry.log(), digest),
            (std::vector<std::string>{path, path + " Range: bytes=10-"}));
}

// A manifest whose transfer stalls is asked for again too, as often.
TEST(RegistrySource, AStalledManifestIsAskedForThreeTimesAndTheErrorSaysSo) {
  REQUIRE_FIXTURES();
  MockRegistry registry("stall-manifest");
  ExpectOneLineError(
      RunStrata({"history", "--insecure", registry.url()}, "", "", {"STRATA_STALL_SECONDS=1"}),
      "the transfer of image " + registry.host() + "/fx/m:1 from registry " + registry.host() +
          " stalled: no byte for 1 s, 3 attempts; check the network and run strata again",
      2);
  std::string log = ReadFileText(registry.log());
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 4) << log;  // /v2/ and the manifest thrice.
}

// Found in a review: a manifest whose transfer was cut (the connection
// closed after 100 of its bytes) failed at once, where a stalled one and
// a cut blob are asked for again. It is asked for again too, as often as a
// cut blob is resumed, each time announced.
TEST(RegistrySource, ACutManifestIsAskedForFourTimesAndTheErrorSaysSo) {
  REQUIRE_FIXTURES();
  MockRegistry registry("cut-manifest");
  RunResult result = RunStrata({"history", "--insecure", registry.url()});
  std::string image = "image " + registry.host() + "/fx/m:1";
  ExpectOneLineError(result,
                     "the transfer of " + image + " from registry " + registry.host() +
                         " was interrupted (",
                     3);
  EXPECT_NE(result.err.find("), 4 attempts; check the network and run strata again\n"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("strata: the transfer of " + image + " from " + registry.host() +
                            " broke off ("),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("): asking again (try 4 of 4)\n"), std::string::npos) << result.err;
  std::string log = ReadFileText(registry.log());
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 5) << log;  // /v2/ and the manifest 4 times.
}

// One cut, and the manifest asked for again is read: the run goes on.
TEST(RegistrySource, AManifestCutOnceIsReadWhenAskedForAgain) {
  REQUIRE_FIXTURES();
  MockRegistry registry("cut-manifest-once");
  RunResult result = RunStrata({"history", "--insecure", registry.url()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("): asking again (try 2 of 4)\n"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, RunStrata({"history", FixturesDir() + "/multi.oci"}).out);
}

// Found in a review: a manifest over --max-json-bytes was said to be the
// image ("image HOST/fx/m:1 from HOST is larger than …"), which read as
// the image's size. The line names the manifest, and the image it is of.
TEST(RegistrySource, AManifestOverTheJsonLimitIsNamedAsTheManifest) {
  REQUIRE_FIXTURES();
  MockRegistry registry("plain");
  // The fixture's manifest is 1022 bytes.
  ExpectOneLineError(
      RunStrata({"history", "--insecure", "--max-json-bytes", "1000", registry.url()}),
      "strata: error: the manifest of image " + registry.host() + "/fx/m:1 from registry " +
          registry.host() + " is larger than 1000 bytes; raise --max-json-bytes to read it\n");
}

// The same for the manifest of a platform (1022 bytes, behind an index of 929).
TEST(RegistrySource, APlatformsManifestOverTheJsonLimitIsNamedWithItsImage) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, false);
  registry.Push("oci:" + FixturesDir() + "/multiarch-nested.oci", "fx/multiarch:1", true);
  std::string layout = FixturesDir() + "/multiarch-nested.oci/";
  std::string index =
      nlohmann::json::parse(ReadFileText(layout + "index.json"))["manifests"][0]["digest"];
  std::string amd64 = nlohmann::json::parse(
      ReadFileText(layout + "blobs/sha256/" + index.substr(7)))["manifests"][0]["digest"];
  ExpectOneLineError(
      RunStrata(Args({"history", "--platform", "linux/amd64", "--max-json-bytes", "1000"},
                     Args(registry.Flags(), {registry.url("fx/multiarch:1")}))),
      "strata: error: manifest " + amd64 + " of image " + registry.host() +
          "/fx/multiarch:1 from registry " + registry.host() +
          " is larger than 1000 bytes; raise --max-json-bytes to read it\n");
}

// Found in a user's trial: a blob longer than its descriptor says (with a
// Content-Length to match) was said to be an interrupted transfer, to be
// run again. Its length is checked against the descriptor, from the
// Content-Length before the body when there is one, else as the bytes
// come; it is asked for once, and the line says what came.
TEST(RegistrySource, ABlobOfAnotherLengthThanItsDescriptorGivesOneLine) {
  REQUIRE_FIXTURES();
  nlohmann::json layer = LastLayer();
  std::string digest = layer["digest"];
  int64_t size = layer["size"];
  std::string says = " than the manifest says (" + std::to_string(size) + " bytes): ";
  std::string longer = std::to_string(size + 5000), shorter = std::to_string(size / 2);
  struct Case {
    const char* mode;
    std::string detail;
  };
  for (const Case& c :
       {Case{"longer", "longer" + says + "the registry sends " + longer + " (its Content-Length)"},
        Case{"shorter",
             "shorter" + says + "the registry sends " + shorter + " (its Content-Length)"},
        Case{"longer-unsized", "longer" + says + "the registry sent " + longer},
        Case{"shorter-unsized", "shorter" + says + "the registry sent " + shorter}}) {
    SCOPED_TRACE(c.mode);
    MockRegistry registry(c.mode);
    RunResult result = RunStrata({"audit", "--insecure", registry.url()});
    ExpectOneLineError(result, "strata: error: blob " + digest.substr(0, 19) + "… of fx/m from " +
                                   registry.host() + " is " + c.detail + "\n");
    EXPECT_EQ(RequestsFor(registry.log(), digest).size(), 1u);
  }
}

// Starts the strata binary with |args| and standard error into |err|,
// with both stop signals at their defaults, as from a shell's foreground
// (a test runner may have them ignored). |terminal|, when not empty, is a
// terminal's path, for standard input and output (explore wants one).
// Returns its pid, or -1.
pid_t StartStrata(const std::vector<std::string>& args, const std::string& err,
                  const std::string& terminal = "") {
  std::vector<std::string> argv = {StrataBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!terminal.empty()) {
    posix_spawn_file_actions_addopen(&actions, 0, terminal.c_str(), O_RDWR, 0);
    posix_spawn_file_actions_addopen(&actions, 1, terminal.c_str(), O_RDWR, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, pointers.data(), environ) != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return pid;
}

// The names directly in |dir|.
std::vector<std::string> NamesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Every path of a tree on disk, described (WalkDisk).
std::string Listing(const std::map<std::string, Seen>& tree) {
  std::string listing;
  for (const auto& [path, seen] : tree) listing += path + " " + Describe(seen) + "\n";
  return listing;
}

// Sends |signal| to |pid| and expects it to end by it, having said so in
// |err|.
void StopBySignal(pid_t pid, int signal, const std::string& err) {
  kill(pid, signal);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal) << status;
  EXPECT_EQ(ReadFileText(err), signal == SIGINT ? "strata: interrupted\n" : "strata: terminated\n");
}

// Found by a new user: stopped while --save was writing, strata left its
// temporary FILE.strata-XXXXXX beside FILE. The blob stalls half-way, so
// the archive is being written when the signal comes; it must go with
// the process, which still ends by the signal. explore too, which left
// the signals to ncurses (whose handlers are installed only once the
// screen starts, after the archive is written).
TEST(RegistrySource, AStoppedSaveLeavesNoTemporaryFile) {
  REQUIRE_FIXTURES();
  MockRegistry registry("stall");
  for (const char* command : {"audit", "explore"})
    for (int signal : {SIGTERM, SIGINT}) {
      std::string dir = TempDir(), logs = TempDir();
      std::string save = dir + "/saved.tar";
      // explore wants a terminal on standard input and output.
      std::string terminal;
      int master = -1;
      if (std::string(command) == "explore") {
        master = posix_openpt(O_RDWR | O_NOCTTY);
        ASSERT_GE(master, 0);
        ASSERT_EQ(grantpt(master), 0);
        ASSERT_EQ(unlockpt(master), 0);
        terminal = ptsname(master);
      }
      size_t requested = BlobRequests(registry.log()).size();
      pid_t pid =
          StartStrata({command, "-q", "--no-cache", "--insecure", "--save", save, registry.url()},
                      logs + "/err", terminal);
      ASSERT_GT(pid, 0);
      bool writing = WaitUntil([&] {
        std::vector<std::string> names = NamesIn(dir);
        return names.size() == 1 && names[0].starts_with("saved.tar.strata-");
      });
      EXPECT_TRUE(writing) << command << ": " << ReadFileText(logs + "/err");
      // The config and a layer blob were asked for: the copy has begun.
      EXPECT_TRUE(WaitUntil([&] { return BlobRequests(registry.log()).size() >= requested + 2; }));
      StopBySignal(pid, signal, logs + "/err");
      EXPECT_EQ(NamesIn(dir), std::vector<std::string>{}) << command << " " << strsignal(signal);
      if (master >= 0) close(master);
    }
}

// An export stopped while it writes: its files go with it, and an
// existing target is left as it was. The base layer's blob is whole for
// the analysis and stalls half-way when the export reads it again, after
// its first files are written.
TEST(RegistrySource, AStoppedExportLeavesTheTargetAsItWas) {
  REQUIRE_FIXTURES();
  for (bool existing : {false, true})
    for (int signal : {SIGTERM, SIGINT}) {
      MockRegistry registry("again-stall");  // Each run reads each blob twice.
      std::string dir = TempDir(), logs = TempDir();
      std::string target = dir + "/out";
      if (existing) WriteFile(target + "/mine", "keep");
      std::map<std::string, Seen> before = WalkDisk(target);
      pid_t pid =
          StartStrata({"export", "-q", "--insecure", registry.url(), target}, logs + "/err");
      ASSERT_GT(pid, 0);
      // out.strata-XXXXXX beside a new target; .strata-XXXXXX/tree in one.
      auto written = [&] {
        for (const std::string& name : NamesIn(existing ? target : dir)) {
          std::string temp = (existing ? target : dir) + "/" + name;
          if (name.find(".strata-") != std::string::npos &&
              std::filesystem::exists(temp + (existing ? "/tree" : "") + "/etc/passwd"))
            return true;
        }
        return false;
      };
      EXPECT_TRUE(WaitUntil(written)) << ReadFileText(logs + "/err");
      StopBySignal(pid, signal, logs + "/err");
      EXPECT_EQ(NamesIn(dir),
                existing ? std::vector<std::string>{"out"} : std::vector<std::string>{});
      EXPECT_EQ(Listing(WalkDisk(target)), Listing(before));
    }
}

// A layer that reads differently when the export reads it again (a blob
// replaced meanwhile): the export fails in one line and leaves nothing,
// as a directory or as a tar stream into a file.
TEST(RegistrySource, ALayerThatChangesUnderTheExportLeavesNothing) {
  REQUIRE_FIXTURES();
  for (const char* target : {"out", "existing", "-"}) {
    MockRegistry registry("again-corrupt");
    std::string dir = TempDir();
    WriteFile(dir + "/existing/mine", "keep");
    std::string output;
    int code = RunShell("cd '" + dir + "' && " + StrataCommand() + " export -q --insecure " +
                            registry.url() + " " + target + " > stdout",
                        &output);
    EXPECT_EQ(code, 2) << output;
    EXPECT_TRUE(output.starts_with("strata: error: layer 1")) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_EQ(NamesIn(dir), (std::vector<std::string>{"existing", "stdout"})) << target;
    EXPECT_EQ(NamesIn(dir + "/existing"), std::vector<std::string>{"mine"}) << target;
    EXPECT_EQ(std::filesystem::file_size(dir + "/stdout"), 0u) << target;
  }

  // Down a pipe the stream cannot be taken back; it ends without its end
  // marker (rather than with the file being written padded with zeros),
  // so tar reads a truncated archive, not a complete one.
  MockRegistry registry("again-corrupt");
  std::string output;
  RunShell(StrataCommand() + " export -q --insecure " + registry.url() +
               " - 2>/dev/null | tar tf - >/dev/null 2>&1; echo \"tar exit $?\"",
           &output);
  EXPECT_EQ(output, "tar exit 2\n");
}

// tests/servers/mock_proxy.py in front of the server on |upstream_port|,
// answering as |mode| says ("relay" or one of its own answers).
class MockProxy {
 public:
  explicit MockProxy(int upstream_port, const std::string& mode = "relay")
      : dir_(TempDir()), port_(FreePort()) {
    server_.Start({"python3", Server("mock_proxy.py"), std::to_string(port_), log(),
                   std::to_string(upstream_port), mode},
                  dir_ + "/server.log");
    EXPECT_TRUE(WaitUntil([&] { return CanConnectTcp(port_); }));
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return dir_ + "/requests.log"; }
  // The request lines it got, one a line.
  std::string Requests() const { return std::filesystem::exists(log()) ? ReadFileText(log()) : ""; }

 private:
  std::string dir_;
  int port_;
  Process server_;
};

// Registries are reached through the proxy the environment names, as
// docker reaches them: the proxy is asked for the registry by name (no
// resolver here knows registry.test), and the image is the same.
TEST(RegistrySource, GoesThroughTheProxyTheEnvironmentNames) {
  REQUIRE_FIXTURES();
  Registry registry(Login::kNone, false);
  registry.Push(MultiLayout(), "fx/multi:1");
  MockProxy proxy(registry.port());
  ScopedEnv http_proxy("HTTP_PROXY", "http://" + proxy.address());

  ExpectSameAsArchive("docker://registry.test:5000/fx/multi:1", {"--insecure"});
  EXPECT_NE(proxy.Requests().find("GET http://registry.test:5000/v2/ HTTP/1.1"), std::string::npos)
      << proxy.Requests();

  // Loopback addresses are reached directly.
  std::string before = proxy.Requests();
  EXPECT_EQ(Json("history", registry.url("fx/multi:1"), {"--insecure"}),
            Json("history", MultiArchive()));
  EXPECT_EQ(proxy.Requests(), before);
}

TEST(RegistrySource, AProxyThatRefusesGivesOneLineWithoutItsPassword) {
  REQUIRE_FIXTURES();
  MockProxy proxy(FreePort());
  ScopedEnv https_proxy("HTTPS_PROXY", "http://user:proxy-pass@" + proxy.address());

  RunResult refused = RunStrata({"history", "docker://registry.test/fx/multi:1"});
  ExpectOneLineError(refused, "the proxy in HTTPS_PROXY (http://" + proxy.address() +
                                  ") answered HTTP 403 instead of reaching registry "
                                  "registry.test: check HTTPS_PROXY, HTTP_PROXY and NO_PROXY");
  EXPECT_EQ(refused.err.find("proxy-pass"), std::string::npos) << refused.err;
  EXPECT_NE(proxy.Requests().find("CONNECT registry.test:443"), std::string::npos)
      << proxy.Requests();

  // Found by a new user: curl's own message quoted a URL it could not
  // parse whole, password included.
  for (const char* bad :
       {"http://alice:PwLEAK1@127.0.0.1:99999", "http://alice:PwLEAK1@127.0.0.1:abc",
        "ftp://alice:PwLEAK1@127.0.0.1:21", " http://alice:Pw@LEAK1@127.0.0.1:1 "}) {
    ScopedEnv unparsable("HTTPS_PROXY", bad);
    RunResult failed = RunStrata({"history", "docker://registry.test/fx/multi:1"});
    EXPECT_EQ(failed.exit_code, 2) << failed.err;
    EXPECT_EQ(failed.err.find("LEAK1"), std::string::npos) << failed.err;
    EXPECT_EQ(failed.err.find("alice"), std::string::npos) << failed.err;
  }
}

// Found by a new user: a proxy's own answers to plain HTTP (407, 503)
// were reported as the registry's. A 407 is always the proxy's, and so
// is a refused tunnel (CONNECT); a 5xx it relays may be either's, and
// the line names both. No password is shown.
TEST(RegistrySource, AProxysOwnAnswerIsNamedAsTheProxys) {
  const std::string plain = "docker://registry.test:5000/fx/multi:1";
  const std::string secure = "docker://registry.test/fx/multi:1";
  auto expect = [](const RunResult& result, const std::string& line) {
    EXPECT_EQ(result.exit_code, 2);
    // After any notice of a try made again, which names the proxy too.
    size_t error = result.err.find("strata: error: ");
    EXPECT_EQ(result.err.substr(error == std::string::npos ? 0 : error),
              "strata: error: " + line + "\n");
    EXPECT_EQ(result.err.find("PwLEAK1"), std::string::npos);
    EXPECT_EQ(result.err.find("alice"), std::string::npos);
  };
  {
    MockProxy proxy(FreePort(), "login");
    std::string shown = "http://" + proxy.address();
    for (const char* variable : {"HTTP_PROXY", "HTTPS_PROXY"}) {
      bool tunnel = std::string(variable) == "HTTPS_PROXY";
      std::string registry = tunnel ? "registry.test" : "registry.test:5000";
      std::vector<std::string> args = {"history", tunnel ? secure : plain};
      if (!tunnel) args.push_back("--insecure");
      {
        ScopedEnv set(variable, shown);
        expect(RunStrata(args), "the proxy in " + std::string(variable) + " (" + shown +
                                    ") wants a login (HTTP 407) to reach registry " + registry +
                                    ": give it in " + variable +
                                    " (http://USER:PASSWORD@HOST:PORT)");
      }
      ScopedEnv set(variable, "http://alice:PwLEAK1@" + proxy.address());
      expect(RunStrata(args), "the proxy in " + std::string(variable) + " (" + shown +
                                  ") refused the login " + variable +
                                  " gives it (HTTP 407) to reach registry " + registry +
                                  ": check the user name and password there");
    }
  }
  MockProxy proxy(FreePort(), "unavailable");
  std::string shown = "http://" + proxy.address();
  {
    ScopedEnv set("HTTPS_PROXY", "http://alice:PwLEAK1@" + proxy.address());
    expect(RunStrata({"history", secure}),
           "the proxy in HTTPS_PROXY (" + shown +
               ") answered HTTP 502 instead of reaching registry registry.test: check "
               "HTTPS_PROXY, HTTP_PROXY and NO_PROXY");
  }
  ScopedEnv set("HTTP_PROXY", "http://alice:PwLEAK1@" + proxy.address());
  expect(RunStrata({"history", "--insecure", plain}),
         "registry registry.test:5000 (through the proxy in HTTP_PROXY, " + shown +
             ") keeps failing (HTTP 503) after 5 tries for image "
             "registry.test:5000/fx/multi:1: try again later");
}

TEST(ProxyFromEnvironment, ReadsTheVariablesDockerReads) {
  ScopedEnv https("HTTPS_PROXY", "http://secure.example:3128");
  ScopedEnv http("HTTP_PROXY", "http://plain.example:3128");
  ScopedEnv lower("http_proxy", "http://lower.example:3128");
  ScopedEnv no_proxy("NO_PROXY", ".corp.example,10.0.0.0/8");

  ProxySettings secure = ProxyFromEnvironment("https://registry.example/v2/");
  EXPECT_EQ(secure.proxy, "http://secure.example:3128");
  EXPECT_EQ(secure.variable, "HTTPS_PROXY");
  EXPECT_EQ(secure.no_proxy, "localhost,127.0.0.0/8,::1,.corp.example,10.0.0.0/8");
  // Upper case wins, as in docker.
  EXPECT_EQ(ProxyFromEnvironment("http://registry.example/v2/").proxy, "http://plain.example:3128");

  {
    // docker's forms too: "*.domain", a port, an IPv6 address.
    ScopedEnv forms("NO_PROXY", " *.test , registry.test:5443,[::1]:80,fe80::1,,");
    EXPECT_EQ(ProxyFromEnvironment("https://registry.example/v2/").no_proxy,
              "localhost,127.0.0.0/8,::1,.test,registry.test,::1,fe80::1");
  }
  ScopedEnv everything("NO_PROXY", "*");
  EXPECT_EQ(ProxyFromEnvironment("https://registry.example/v2/").no_proxy, "*");

  EXPECT_EQ(ProxyForDisplay("http://user:pw@proxy.example:3128/"), "http://proxy.example:3128/");
  EXPECT_EQ(ProxyForDisplay("proxy.example:3128"), "proxy.example:3128");
  // Everything before the last '@': a password may hold '@' or '/'.
  EXPECT_EQ(ProxyForDisplay("http://u:p@ss@proxy.example:3128"), "http://proxy.example:3128");
  EXPECT_EQ(ProxyForDisplay("http://u:pa/ss@proxy.example"), "http://proxy.example");
  EXPECT_EQ(ProxyForDisplay("u:pw@proxy.example:3128"), "proxy.example:3128");
}

TEST(RegistrySource, HistoryFetchesOnlyTheManifestAndConfig) {
  REQUIRE_FIXTURES();
  MockRegistry registry("plain");
  EXPECT_EQ(Json("history", registry.url(), {"--insecure"}), Json("history", MultiArchive()));

  std::string layout = FixturesDir() + "/multi.oci";
  std::string manifest =
      nlohmann::json::parse(ReadFileText(layout + "/index.json"))["manifests"][0]["digest"];
  nlohmann::json document =
      nlohmann::json::parse(ReadFileText(layout + "/blobs/sha256/" + manifest.substr(7)));
  std::string config = document["config"]["digest"];
  std::vector<std::string> blobs = BlobRequests(registry.log());
  ASSERT_EQ(blobs.size(), 1u);
  EXPECT_TRUE(blobs[0].ends_with("/blobs/" + config)) << blobs[0];

  // --read-layers reads every layer, so the count above can fail.
  std::filesystem::remove(registry.log());
  EXPECT_EQ(RunStrata({"history", "-q", "--read-layers", "--insecure", registry.url()}).exit_code,
            0);
  EXPECT_EQ(BlobRequests(registry.log()).size(), 1 + document["layers"].size());
}

}  // namespace
}  // namespace strata
