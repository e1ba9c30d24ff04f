// How the network sources read what the user typed and what servers say:
// registry references, WWW-Authenticate challenges, docker config logins.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/error.h"
#include "source/registry_auth.h"
#include "source/registry_source.h"
#include "test_support.h"

namespace strata {
namespace {

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

}  // namespace
}  // namespace strata
