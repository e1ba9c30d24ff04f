// The image config parser: what it takes as real configs write it (null
// for an absent field, times in every RFC 3339 form), and the one line it
// gives for a field of the wrong type. Whole images with broken configs
// are in malformed_test.cc.
#include "model/image_config.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace strata {
namespace {

std::string ErrorOf(const std::string& json) {
  try {
    ParseImageConfig(json, "the image config");
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(ImageConfig, NullIsAnAbsentField) {
  // As docker writes an image built FROM scratch with no CMD.
  ImageConfig config = ParseImageConfig(
      R"({"architecture":"amd64","os":"linux","variant":null,"created":null,"author":null,
          "config":{"User":null,"Env":null,"Cmd":null,"Entrypoint":null,"WorkingDir":null,
                    "Labels":null,"ExposedPorts":null,"Healthcheck":null,"Volumes":null,
                    "StopSignal":null,"Shell":null,"OnBuild":null},
          "rootfs":{"type":"layers","diff_ids":[]},
          "history":[{"created":null,"created_by":null,"empty_layer":null}]})",
      "the image config");
  EXPECT_EQ(config.os, "linux");
  EXPECT_TRUE(config.cmd.empty());
  EXPECT_TRUE(config.env.empty());
  EXPECT_EQ(config.created, "");
  ASSERT_EQ(config.history.size(), 1u);
  EXPECT_FALSE(config.history[0].empty_layer);
  EXPECT_EQ(ParseImageConfig(R"({"config":null,"history":null,"rootfs":{"diff_ids":[]}})", "c")
                .history.size(),
            0u);
}

// Every string of the config may hold a token: the rules read each, and
// the reports show each redacted (rules/config_checks.cc).
TEST(ImageConfig, TheStringsOfTheRuntimeConfigAreRead) {
  ImageConfig config = ParseImageConfig(
      R"({"config":{"Volumes":{"/data":{},"/logs":{}},"StopSignal":"SIGTERM",
                    "Shell":["/bin/bash","-c"],"OnBuild":["RUN make"],
                    "Healthcheck":{"Test":["CMD-SHELL","curl -f localhost"]}},
          "rootfs":{"diff_ids":[]}})",
      "c");
  EXPECT_EQ(config.volumes, (std::vector<std::string>{"/data", "/logs"}));
  EXPECT_EQ(config.stop_signal, "SIGTERM");
  EXPECT_EQ(config.shell, (std::vector<std::string>{"/bin/bash", "-c"}));
  EXPECT_EQ(config.on_build, std::vector<std::string>{"RUN make"});
  EXPECT_EQ(config.healthcheck, (std::vector<std::string>{"CMD-SHELL", "curl -f localhost"}));
  EXPECT_TRUE(config.has_healthcheck);
}

TEST(ImageConfig, CmdAndEntrypointMayBeOneString) {
  // Docker takes a lone string as a list of one.
  ImageConfig config = ParseImageConfig(
      R"({"config":{"Cmd":"sh","Entrypoint":["/init"]},"rootfs":{"diff_ids":[]}})", "c");
  EXPECT_EQ(config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(config.entrypoint, std::vector<std::string>{"/init"});
}

TEST(ImageConfig, TimesInEveryRfc3339FormAreKeptAsGiven) {
  for (const char* time :
       {"2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00+02:00",
        "2024-05-01t12:00:00z", "2024-05-01 12:00:00-07:30", "0001-01-01T00:00:00Z",
        "1970-01-01T00:00:01Z", "2016-12-31T23:59:60Z"}) {
    std::string json = std::string(R"({"created":")") + time + R"(","history":[{"created":")" +
                       time + R"("}],"rootfs":{"diff_ids":[]}})";
    ImageConfig config = ParseImageConfig(json, "c");
    EXPECT_EQ(config.created, time);
    EXPECT_EQ(config.history.at(0).created, time);
  }
  // An empty time is no time, as docker reads it.
  EXPECT_EQ(ParseImageConfig(R"({"created":"","rootfs":{"diff_ids":[]}})", "c").created, "");
}

TEST(ImageConfig, TimesThatAreNotRfc3339AreRefused) {
  for (const char* time :
       {"not-a-date", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+0200",
        "2024-05-01T12:00:00Z trailing", "May 1 2024"}) {
    std::string json = std::string(R"({"created":")") + time + R"(","rootfs":{"diff_ids":[]}})";
    EXPECT_EQ(ErrorOf(json), std::string("the image config is invalid: created \"") + time +
                                 "\" is not an RFC 3339 time (like 2024-05-01T12:00:00Z)");
  }
  EXPECT_EQ(ErrorOf(R"({"history":[{"created":"yesterday"}],"rootfs":{"diff_ids":[]}})"),
            "the image config is invalid: history[0].created \"yesterday\" is not an RFC 3339 "
            "time (like 2024-05-01T12:00:00Z)");
  // A huge value is quoted in part.
  EXPECT_EQ(
      ErrorOf(R"({"created":")" + std::string(100000, '9') + R"(","rootfs":{"diff_ids":[]}})"),
      "the image config is invalid: created \"" + std::string(40, '9') +
          "…\" is not an RFC 3339 time (like 2024-05-01T12:00:00Z)");
}

TEST(ImageConfig, WrongTypesAreRefusedNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"variant":true})", "variant is true or false, not a string"},
      {R"({"author":{}})", "author is an object, not a string"},
      {R"({"config":{"WorkingDir":["/app"]}})", "config.WorkingDir is a list, not a string"},
      {R"({"config":{"Cmd":7}})", "config.Cmd is a number, not a list of strings"},
      {R"({"config":{"Entrypoint":["a",null]}})", "config.Entrypoint[1] is null, not a string"},
      {R"({"config":{"ExposedPorts":["80/tcp"]}})", "config.ExposedPorts is a list, not an object"},
      {R"({"config":{"Healthcheck":"CMD true"}})", "config.Healthcheck is a string, not an object"},
      {R"({"config":{"Labels":[]}})", "config.Labels is a list, not an object"},
      {R"({"config":{"Volumes":["/data"]}})", "config.Volumes is a list, not an object"},
      {R"({"config":{"StopSignal":15}})", "config.StopSignal is a number, not a string"},
      {R"({"config":{"Shell":"/bin/sh"}})", "config.Shell is a string, not a list of strings"},
      {R"({"config":{"OnBuild":[1]}})", "config.OnBuild[0] is a number, not a string"},
      {R"({"history":{}})", "history is an object, not a list"},
      {R"({"history":[{"created_by":["RUN"]}]})", "history[0].created_by is a list, not a string"},
      {R"({"history":[{"comment":1}]})", "history[0].comment is a number, not a string"},
  };
  for (const auto& [fields, message] : cases) {
    std::string json = fields;
    json.insert(1, R"("rootfs":{"diff_ids":[]},)");
    EXPECT_EQ(ErrorOf(json), std::string("the image config is invalid: ") + message) << fields;
  }
}

}  // namespace
}  // namespace strata
