// How the network sources read what the user typed and what servers say:
// registry references, WWW-Authenticate challenges, docker config logins.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/error.h"
#include "source/image_source.h"
#include "source/registry_auth.h"
#include "source/registry_source.h"
#include "test_support.h"

namespace strata {
namespace {

// Found by a new user: an image given by its ID was named twice in the
// report's header, "3f2a9c0d1e4b (3f2a9c0d1e4b)".
TEST(ImageTitle, TheReferenceOnlyWhenTheInputDoesNotSpellIt) {
  EXPECT_EQ(ImageTitle("3f2a9c0d1e4b", "3f2a9c0d1e4b"), "3f2a9c0d1e4b");
  EXPECT_EQ(ImageTitle("docker-daemon:alpine:3.19", "alpine:3.19"), "docker-daemon:alpine:3.19");
  EXPECT_EQ(ImageTitle("oci:layout:latest", "latest"), "oci:layout:latest");
  EXPECT_EQ(ImageTitle("layout", "latest"), "layout (latest)");
  EXPECT_EQ(ImageTitle("image.tar:@0", "app:1"), "image.tar:@0 (app:1)");
  EXPECT_EQ(ImageTitle("myalpine", "alpine"), "myalpine (alpine)");
  EXPECT_EQ(ImageTitle("image.tar", ""), "image.tar");
}

TEST(RegistryReference, HostRepositoryTagAndDigest) {
  RegistryReference tagged = ParseRegistryReference("127.0.0.1:5000/team/app:1.4");
  EXPECT_EQ(tagged.host, "127.0.0.1:5000");
  EXPECT_EQ(tagged.repository, "team/app");
  EXPECT_EQ(tagged.tag, "1.4");
  EXPECT_EQ(tagged.digest, "");

  RegistryReference latest = ParseRegistryReference("registry.example/app");
  EXPECT_EQ(latest.tag, "latest");

  std::string digest = "sha256:" + std::string(64, 'a');
  RegistryReference pinned = ParseRegistryReference("localhost/app@" + digest);
  EXPECT_EQ(pinned.digest, digest);
  EXPECT_EQ(pinned.ToString(), "localhost/app@" + digest);

  EXPECT_EQ(ParseRegistryReference("docker.io/alpine:3").repository, "library/alpine");
}

TEST(RegistryReference, NoDefaultRegistryAndNoBadNames) {
  EXPECT_THROW(ParseRegistryReference("alpine:3"), Error);
  EXPECT_THROW(ParseRegistryReference("team/app:1"), Error);
  EXPECT_THROW(ParseRegistryReference("localhost/App:1"), Error);
  EXPECT_THROW(ParseRegistryReference("localhost/app@sha256:abc"), Error);
}

// Found by a new user: "..", "." and the like were taken as parts of a
// repository (or a tag), and curl folded them away: docker://HOST/../../x:1
// asked HOST for /x/manifests/1, with the registry's login, outside its
// /v2/ API. Names and tags follow the distribution spec's grammar.
TEST(RegistryReference, NamesAndTagsFollowTheSpecsGrammar) {
  for (const char* text :
       {"localhost/../../x:1", "localhost/./b", "localhost/a/..", "localhost/a/./b:1",
        "localhost/.a", "localhost/a.", "localhost/a..b", "localhost/a___b", "localhost/-a",
        "localhost/a-", "localhost/a:..", "localhost/a:.", "localhost/a:-x", "localhost/a:x%2f",
        "localhost/a%2e%2e/b"}) {
    try {
      ParseRegistryReference(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& error) {
      std::string message = error.what();
      EXPECT_TRUE(message.starts_with(std::string("docker://") + text + ": \""))
          << text << ": " << message;
      EXPECT_NE(message.find("is not a "), std::string::npos) << message;
    }
  }
  EXPECT_THROW(ParseRegistryReference("localhost/" + std::string(256, 'a')), Error);
  EXPECT_THROW(ParseRegistryReference("localhost/a:" + std::string(129, 'b')), Error);
  EXPECT_THROW(ParseRegistryReference("localhost/" + std::string(1 << 20, 'a') + "!"), Error);

  for (const char* text :
       {"localhost/a.b/c_d/e__f/g---h:1.0-rc_2", "localhost/a:_x", "localhost/a:V1.2",
        "localhost/0/9"})
    EXPECT_NO_THROW(ParseRegistryReference(text)) << text;
  EXPECT_EQ(ParseRegistryReference("localhost/a:" + std::string(128, 'b')).tag.size(), 128u);

  // From the same trial: an empty tag was read as latest, a host alone
  // was said to name no host, and NAME:TAG@DIGEST (docker pull's) was no
  // repository name; the digest names the image, the tag is checked.
  std::string digest = "sha256:" + std::string(64, 'a');
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"localhost/a:", "docker://localhost/a:: the tag after ':' is empty (leave out the "
                            "':' for latest)"},
           {"registry.example:5000",
            "docker://registry.example:5000 names no repository: write "
            "docker://registry.example:5000/REPO[:TAG]"},
           {"localhost/a:..@" + digest, "is not a tag"}}) {
    try {
      ParseRegistryReference(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
    }
  }
  RegistryReference both = ParseRegistryReference("localhost/team/a:1@" + digest);
  EXPECT_EQ(both.repository, "team/a");
  EXPECT_EQ(both.digest, digest);
  EXPECT_EQ(both.tag, "");
  EXPECT_EQ(both.ToString(), "localhost/team/a@" + digest);
}

// Found by a new user: docker://127.0.0.1:99999/a:1 was taken, and curl
// said "URL using bad/illegal format" once the fetch began.
TEST(RegistryReference, APortOutsideOneTo65535IsRefusedNamingTheReference) {
  const std::pair<const char*, const char*> refused[] = {
      {"127.0.0.1:99999/a:1", "99999"}, {"127.0.0.1:0/a", "0"},
      {"localhost:http/a", "http"},     {"registry.example:/a", ""},
      {"[::1]:65536/a", "65536"},       {"127.0.0.1:000000005000/a", "000000005000"},
      {"127.0.0.1:-1/a", "-1"}};
  for (const auto& [text, port] : refused) {
    try {
      ParseRegistryReference(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()), std::string("docker://") + text + ": the port \"" +
                                               port + "\" is not a number from 1 to 65535");
    }
  }
  for (const char* text :
       {"127.0.0.1:1/a", "127.0.0.1:65535/a", "[::1]:5000/a", "[::1]/a", "localhost:05000/a"})
    EXPECT_EQ(ParseRegistryReference(text).repository, "a") << text;
}

// Found by a new user: "docker://user:pass@host/repo" was accepted, the
// login taken for part of the host, and echoed in reports and errors.
TEST(RegistryReference, ALoginInTheReferenceIsRefusedWithoutShowingIt) {
  for (const char* text : {"alice:PwLEAK1@registry.example/team/app:1",
                           "alice@registry.example/team/app", "alice:Pw@LEAK1@registry.example/app",
                           "alice:Pw/LEAK1@registry.example/app", "alice:PwLEAK1@registry.example",
                           "alice@localhost:5000/app@sha256:0123456789abcdef"
                           "0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    try {
      ParseRegistryReference(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& error) {
      std::string what = error.what();
      EXPECT_NE(what.find("a login in the reference"), std::string::npos) << what;
      EXPECT_EQ(what.find("LEAK1"), std::string::npos) << what;
      EXPECT_EQ(what.find("alice"), std::string::npos) << what;
    }
  }
  // '@' before a digest is no login, with or without a registry host.
  std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(ParseRegistryReference("registry.example/app@" + digest).digest, digest);
  const std::vector<std::string> not_logins = {"alpine@" + digest, "registry.example/app@latest"};
  for (const std::string& text : not_logins) {
    try {
      ParseRegistryReference(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()).find("a login"), std::string::npos) << error.what();
    }
  }
}

TEST(Challenge, BearerWithQuotedParameters) {
  Challenge challenge =
      ParseChallenge(R"(Bearer realm="https://auth.example/token",service="registry.example",)"
                     R"(scope="repository:team/app:pull,push")");
  EXPECT_EQ(challenge.scheme, "bearer");
  EXPECT_EQ(challenge.params["realm"], "https://auth.example/token");
  EXPECT_EQ(challenge.params["service"], "registry.example");
  EXPECT_EQ(challenge.params["scope"], "repository:team/app:pull,push");

  EXPECT_EQ(ParseChallenge("Basic realm=\"x\"").scheme, "basic");
  EXPECT_EQ(ParseChallenge("").scheme, "");
}

TEST(Credentials, AuthsEntryByHostOrUrl) {
  std::string dir = testing::TempDir();
  // "strata:pass word" in base64; keys written as a URL match the host.
  testing::WriteFile(
      dir + "/config.json",
      R"({"auths": {"https://r.example:5000/v1/": {"auth": "c3RyYXRhOnBhc3Mgd29yZA=="},)"
      R"( "other.example": {"username": "u", "password": "p"}}})");
  setenv("DOCKER_CONFIG", dir.c_str(), 1);
  Credentials found = FindCredentials("r.example:5000");
  EXPECT_EQ(found.username, "strata");
  EXPECT_EQ(found.password, "pass word");
  EXPECT_EQ(FindCredentials("other.example").password, "p");
  EXPECT_TRUE(FindCredentials("none.example").empty());
  EXPECT_EQ(BasicAuthorization(found), "Basic c3RyYXRhOnBhc3Mgd29yZA==");

  testing::WriteFile(dir + "/config.json", R"({"auths": {"r.example": {"auth": "bm8tY29sb24="}}})");
  EXPECT_THROW(FindCredentials("r.example"), Error);  // "no-colon": not user:password.
  unsetenv("DOCKER_CONFIG");
}

// docker login to Azure leaves an identity token (an OAuth2 refresh
// token) beside a user of zeros and no password; it is the login.
TEST(Credentials, IdentityTokenEntry) {
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/config.json",
                     R"({"auths": {"acr.example": {"auth": )"
                     R"("MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOg==",)"
                     R"( "identitytoken": "refresh-1"},)"
                     R"( "bare.example": {"identitytoken": "refresh-2"}}})");
  testing::ScopedEnv docker_config("DOCKER_CONFIG", dir);

  Credentials acr = FindCredentials("acr.example");
  EXPECT_EQ(acr.username, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(acr.password, "");
  EXPECT_EQ(acr.identity_token, "refresh-1");
  Credentials bare = FindCredentials("bare.example");
  EXPECT_FALSE(bare.empty());
  EXPECT_EQ(bare.identity_token, "refresh-2");
  EXPECT_EQ(bare.from, dir + "/config.json");
  EXPECT_EQ(FindCredentials("none.example").identity_token, "");
}

// Podman, skopeo and buildah keep their logins in auth.json, not in the
// docker config: a user logged in with them only was asked for nothing.
TEST(Credentials, PodmanAuthFilesAreRead) {
  std::string dir = testing::TempDir();
  std::string docker = dir + "/docker", runtime = dir + "/run", home = dir + "/home";
  testing::WriteFile(docker + "/config.json",
                     R"({"auths": {"docker.example": {"username": "d", "password": "dp"}}})");
  testing::WriteFile(runtime + "/containers/auth.json",
                     R"({"auths": {"session.example": {"auth": "czpzcA=="}}})");  // s:sp
  testing::WriteFile(home + "/.config/containers/auth.json",
                     R"({"auths": {"session.example": {"username": "h", "password": "old"},)"
                     R"( "home.example/team": {"username": "h", "password": "hp"}}})");
  testing::ScopedEnv docker_config("DOCKER_CONFIG", docker);
  testing::ScopedEnv runtime_dir("XDG_RUNTIME_DIR", runtime);
  testing::ScopedEnv home_dir("HOME", home);

  EXPECT_EQ(FindCredentials("docker.example").password, "dp");
  EXPECT_EQ(FindCredentials("session.example").password, "sp");  // The session's file first.
  EXPECT_EQ(FindCredentials("session.example").from, runtime + "/containers/auth.json");
  EXPECT_EQ(FindCredentials("home.example").password, "hp");  // A key may name a namespace.
  EXPECT_TRUE(FindCredentials("none.example").empty());

  // $REGISTRY_AUTH_FILE is the one file asked.
  testing::WriteFile(dir + "/chosen.json",
                     R"({"auths": {"chosen.example": {"username": "c", "password": "cp"}}})");
  testing::ScopedEnv chosen("REGISTRY_AUTH_FILE", dir + "/chosen.json");
  EXPECT_EQ(FindCredentials("chosen.example").password, "cp");
  EXPECT_TRUE(FindCredentials("docker.example").empty());
}

}  // namespace
}  // namespace strata
