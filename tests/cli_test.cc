// The real binary on real and broken images: exit codes, one-line errors,
// output formats. Broken images are made here from corpus images.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "blob/sha256.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::CorpusDir;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::TempDir;
using testing::WriteFile;

std::string CorpusImage(const std::string& name) { return CorpusDir() + "/corpus/" + name; }

// A writable copy of a corpus OCI layout.
std::string CopyLayout(const std::string& name) {
  std::string dir = TempDir() + "/" + name;
  fs::copy(CorpusImage(name), dir, fs::copy_options::recursive);
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(dir, fs::perms::owner_write, fs::perm_options::add);
  return dir;
}

std::string BlobPath(const std::string& layout, const std::string& digest) {
  return layout + "/blobs/sha256/" + digest.substr(7);
}

std::string WriteBlob(const std::string& layout, const std::string& data) {
  std::string digest = Sha256Of(data);
  WriteFile(BlobPath(layout, digest), data);
  return digest;
}

json Manifest(const std::string& layout) {
  json index = json::parse(ReadFileText(layout + "/index.json"));
  return json::parse(ReadFileText(BlobPath(layout, index["manifests"][0]["digest"])));
}

// Rewrites the config of |layout| with |edit|, then the manifest and index
// that point at it, so every digest stays valid.
void EditConfig(const std::string& layout, const std::function<void(json&)>& edit) {
  json index = json::parse(ReadFileText(layout + "/index.json"));
  json manifest = Manifest(layout);
  json config = json::parse(ReadFileText(BlobPath(layout, manifest["config"]["digest"])));
  edit(config);
  std::string config_text = config.dump();
  manifest["config"]["digest"] = WriteBlob(layout, config_text);
  manifest["config"]["size"] = config_text.size();
  std::string manifest_text = manifest.dump();
  index["manifests"][0]["digest"] = WriteBlob(layout, manifest_text);
  index["manifests"][0]["size"] = manifest_text.size();
  WriteFile(layout + "/index.json", index.dump());
}

// Rewrites the manifest of |layout| with |edit|, and the index to match.
void EditManifest(const std::string& layout, const std::function<void(json&)>& edit) {
  json index = json::parse(ReadFileText(layout + "/index.json"));
  json manifest = Manifest(layout);
  edit(manifest);
  std::string text = manifest.dump();
  index["manifests"][0]["digest"] = WriteBlob(layout, text);
  index["manifests"][0]["size"] = text.size();
  WriteFile(layout + "/index.json", index.dump());
}

void ExpectOneErrorLine(const RunResult& result, const std::string& message) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("strata: error: ")) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
}

TEST(Cli, AuditPrintsSummaryAndExitsZero) {
  RunResult result = RunStrata({"audit", CorpusImage("leaky-app.docker.tar")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Layers"), std::string::npos);
  EXPECT_NE(result.out.find("/app/deploy/id_rsa"), std::string::npos);
  EXPECT_NE(result.out.find("efficiency"), std::string::npos);
  EXPECT_EQ(result.out.find("\033["), std::string::npos) << "colour with NO_COLOR set";
}

TEST(Cli, JsonOutputsFollowTheirSchemas) {
  for (const char* command : {"audit", "history", "layers"}) {
    RunResult result = RunStrata({command, "--format", "json", CorpusImage("churn.oci.tar")});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = json::parse(result.out);
    EXPECT_EQ(report["schema"], std::string("strata.") + command + "/v1");
    EXPECT_EQ(report["image"]["format"], "oci-archive");
  }
}

TEST(Cli, StandardInputIsRead) {
  RunResult piped =
      RunStrata({"audit", "--format", "json", "-"}, CorpusImage("leaky-app.docker.tar"));
  RunResult direct = RunStrata({"audit", "--format", "json", CorpusImage("leaky-app.docker.tar")});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(json::parse(piped.out)["summary"], json::parse(direct.out)["summary"]);
}

TEST(Cli, LayersOfOneLayer) {
  RunResult result =
      RunStrata({"layers", "--layer", "8", "--format", "json", CorpusImage("leaky-app.oci")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  json report = json::parse(result.out);
  ASSERT_EQ(report["layers"].size(), 1u);
  std::set<std::string> removed;
  for (const json& change : report["layers"][0]["changes"]) removed.insert(change["path"]);
  EXPECT_EQ(removed, (std::set<std::string>{"/app/.env", "/app/deploy/id_rsa"}));

  ExpectOneErrorLine(RunStrata({"layers", "--layer", "99", CorpusImage("leaky-app.oci")}),
                     "--layer 99 is out of range: the image has 8 layers");
}

// Stopped while it waits for an image on standard input (a FIFO opened
// for reading and writing, so the read blocks and no writer lingers): one
// line says so, and the signal still ends it (the shell's status is 128 +
// the signal). It runs in the foreground, where SIGINT is not ignored.
TEST(Cli, AStopSignalEndsItWithOneLine) {
  std::string binary = getenv("STRATA_BINARY") ? getenv("STRATA_BINARY") : STRATA_BINARY;
  std::string dir = TempDir();
  for (auto [name, line, status] : {std::tuple{"INT", "strata: interrupted\n", 130},
                                    std::tuple{"TERM", "strata: terminated\n", 143}}) {
    std::string output;
    int exit = RunShell("rm -f '" + dir + "/in'; mkfifo '" + dir + "/in'; exec 3<>'" + dir +
                            "/in'; bash -c '(sleep 0.5; kill -" + name +
                            " $$) & exec \"$0\" audit - <&3 2>\"$1\"' '" + binary + "' '" + dir +
                            "/err'; echo $?",
                        &output);
    EXPECT_EQ(exit, 0) << output;
    // The shell may say "Terminated" first.
    EXPECT_TRUE(output.ends_with("\n" + std::to_string(status) + "\n") ||
                output == std::to_string(status) + "\n")
        << name << ": " << output;
    EXPECT_EQ(ReadFileText(dir + "/err"), line) << name;
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  RunResult result = RunStrata({"audit"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.err.starts_with("strata: error: ")) << result.err;
  EXPECT_EQ(RunStrata({"frobnicate", "x"}).exit_code, 2);
  EXPECT_EQ(RunStrata({"audit", "--format", "yaml", "x"}).exit_code, 2);
}

TEST(Cli, MissingFile) {
  ExpectOneErrorLine(RunStrata({"audit", "/nonexistent/image.tar"}),
                     "/nonexistent/image.tar: no such file or directory");
}

TEST(Cli, TruncatedArchive) {
  std::string data = ReadFileText(CorpusImage("leaky-app.docker.tar"));
  std::string path = TempDir() + "/truncated.tar";
  WriteFile(path, data.substr(0, data.size() / 2));
  RunResult result = RunStrata({"audit", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("truncated.tar"), std::string::npos) << result.err;
}

TEST(Cli, PlainTarIsNotAnImage) {
  std::string dir = TempDir();
  WriteFile(dir + "/notes.txt", "hello\n");
  std::string path = dir + "/plain.tar";
  ASSERT_EQ(system(("tar -C " + dir + " -cf " + path + " notes.txt").c_str()), 0);
  ExpectOneErrorLine(
      RunStrata({"audit", path}),
      "is not a container image: no manifest.json or index.json (it holds notes.txt)");
}

TEST(Cli, InvalidIndexJson) {
  std::string layout = CopyLayout("clean-multistage.oci");
  WriteFile(layout + "/index.json", "{not json");
  ExpectOneErrorLine(RunStrata({"audit", layout}),
                     "index.json in " + layout + " is not valid JSON");
}

TEST(Cli, MissingLayerBlob) {
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string digest = Manifest(layout)["layers"][0]["digest"];
  fs::remove(BlobPath(layout, digest));
  ExpectOneErrorLine(RunStrata({"audit", layout}),
                     "layer blob blobs/sha256/" + digest.substr(7) + " in");
}

TEST(Cli, LayerBlobDigestMismatch) {
  // Recompress a layer: same tar (diff_id holds), different blob bytes.
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string digest = Manifest(layout)["layers"][1]["digest"];
  std::string blob = BlobPath(layout, digest);
  ASSERT_EQ(system(("zcat " + blob + " | gzip -1 > " + blob + ".new && mv " + blob + ".new " + blob)
                       .c_str()),
            0);
  ExpectOneErrorLine(RunStrata({"audit", layout}), "bytes but its descriptor says");
  int64_t size = static_cast<int64_t>(fs::file_size(blob));
  EditManifest(layout, [size](json& manifest) { manifest["layers"][1]["size"] = size; });
  ExpectOneErrorLine(
      RunStrata({"audit", layout}),
      "layer 2 (" + digest.substr(0, 19) + "): blob digest mismatch: the manifest says " + digest);
}

TEST(Cli, CorruptLayerData) {
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string blob = BlobPath(layout, Manifest(layout)["layers"][0]["digest"]);
  std::string data = ReadFileText(blob);
  for (size_t i = data.size() / 3; i < data.size() / 3 + 64; ++i) data[i] ^= 0x5a;
  WriteFile(blob, data);
  RunResult result = RunStrata({"audit", layout});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("layer 1 ("), std::string::npos) << result.err;
}

TEST(Cli, DiffIdMismatch) {
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string wrong = Sha256Of("not this layer");
  EditConfig(layout, [&wrong](json& config) { config["rootfs"]["diff_ids"][0] = wrong; });
  ExpectOneErrorLine(RunStrata({"audit", layout}), "layer 1 (sha256:");
  ExpectOneErrorLine(RunStrata({"audit", layout}), "diff_id mismatch: the config says " + wrong);
}

TEST(Cli, DeeplyNestedJsonIsRefusedNotACrash) {
  std::string layout = CopyLayout("clean-multistage.oci");
  EditConfig(layout, [](json& config) { config["config"]["Labels"] = json::object(); });
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  WriteFile(layout + "/index.json", deep);
  ExpectOneErrorLine(RunStrata({"audit", layout}), "nests deeper than 64 levels");
}

TEST(Cli, FieldsOfTheWrongTypeAreInvalidNotInternal) {
  std::string layout = CopyLayout("clean-multistage.oci");
  EditConfig(layout, [](json& config) {
    config["history"][0]["empty_layer"] = "yes";
    config["config"]["User"] = 7;
  });
  RunResult result = RunStrata({"audit", layout});
  EXPECT_EQ(result.err.find("internal error"), std::string::npos) << result.err;

  json index = json::parse(ReadFileText(layout + "/index.json"));
  index["manifests"][0]["mediaType"] = 12;
  WriteFile(layout + "/index.json", index.dump());
  RunResult typed = RunStrata({"audit", layout});
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_EQ(typed.err.find("internal error"), std::string::npos) << typed.err;
}

TEST(Cli, PipesAndFifosAreReadLikeStandardInput) {
  std::string fifo = TempDir() + "/image.fifo";
  ASSERT_EQ(system(("mkfifo " + fifo).c_str()), 0);
  std::string command =
      "cat '" + CorpusImage("clean-multistage.docker.tar") + "' > '" + fifo + "' &";
  ASSERT_EQ(system(command.c_str()), 0);
  RunResult result = RunStrata({"history", fifo});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("COPY"), std::string::npos);
}

TEST(Cli, ErrorsEscapeControlCharacters) {
  RunResult result = RunStrata({"audit", "/nonexistent/\033]0;owned\007"});
  RunResult raw = RunStrata({"audit", std::string("/nonexistent/\x1b") + "[31mred"});
  std::string name = "/nonexistent/a\nb";
  RunResult newline = RunStrata({"audit", std::string("/nonexistent/a\nb")});
  EXPECT_EQ(std::count(newline.err.begin(), newline.err.end(), '\n'), 1) << newline.err;
  EXPECT_EQ(raw.err.find('\x1b'), std::string::npos) << raw.err;
}

TEST(Cli, ReportsNeverOverwriteTheImage) {
  std::string copy = TempDir() + "/image.tar";
  fs::copy_file(CorpusImage("clean-multistage.docker.tar"), copy);
  std::string before = ReadFileText(copy);
  ExpectOneErrorLine(RunStrata({"audit", "--format", "json=" + copy, copy}),
                     "refusing to write the json report over the image itself");
  EXPECT_EQ(ReadFileText(copy), before);
}

// Found by a new user: -o into an OCI layout being read replaced its
// index.json, and the image could not be read again.
TEST(Cli, ReportsNeverGoInsideALayoutBeingRead) {
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string before = ReadFileText(layout + "/index.json");
  ExpectOneErrorLine(RunStrata({"audit", "-o", layout + "/index.json", layout}),
                     "refusing to write the table report inside the image being read");
  ExpectOneErrorLine(RunStrata({"audit", "--format", "json=" + layout + "/new.json", layout}),
                     "refusing to write the json report inside the image being read");
  EXPECT_EQ(ReadFileText(layout + "/index.json"), before);
  EXPECT_FALSE(fs::exists(layout + "/new.json"));
}

// Found by a user trial: the two checks above read the image's spelling
// as a path, so with a transport in front (docker-archive:, oci-archive:,
// oci:) ci, audit and history wrote their reports over the image, or
// into the layout, and exited 0.
TEST(Cli, ReportsNeverOverwriteTheImageSpelledWithItsTransport) {
  std::string dir = TempDir();
  std::string archive = dir + "/image.tar", oci_archive = dir + "/image.oci.tar";
  fs::copy_file(CorpusImage("clean-multistage.docker.tar"), archive);
  fs::copy_file(CorpusImage("clean-multistage.oci.tar"), oci_archive);
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string archive_bytes = ReadFileText(archive), oci_bytes = ReadFileText(oci_archive);
  std::string index = ReadFileText(layout + "/index.json");

  for (const char* command : {"ci", "audit", "history"}) {
    ExpectOneErrorLine(
        RunStrata({command, "-o", archive, "--format", "json", "docker-archive:" + archive}),
        "refusing to write the json report over the image itself");
    ExpectOneErrorLine(
        RunStrata({command, "--format", "json=" + oci_archive, "oci-archive:" + oci_archive}),
        "refusing to write the json report over the image itself");
    ExpectOneErrorLine(RunStrata({command, "--format", "json=" + layout + "/index.json",
                                  "oci:" + layout + ":corpus/clean-multistage:1"}),
                       "refusing to write the json report inside the image being read");
    ExpectOneErrorLine(
        RunStrata({command, "--format", "json=" + layout + "/blobs/w.json", "oci:" + layout}),
        "refusing to write the json report inside the image being read");
  }
  EXPECT_EQ(ReadFileText(archive), archive_bytes);
  EXPECT_EQ(ReadFileText(oci_archive), oci_bytes);
  EXPECT_EQ(ReadFileText(layout + "/index.json"), index);
  EXPECT_FALSE(fs::exists(layout + "/blobs/w.json"));
}

TEST(Cli, PlatformOfASinglePlatformImageIsChecked) {
  ExpectOneErrorLine(
      RunStrata({"audit", "--platform", "linux/arm64", CorpusImage("clean-multistage.oci")}),
      "is linux/amd64, not linux/arm64");
  EXPECT_EQ(RunStrata({"audit", "--platform", "linux/amd64", CorpusImage("clean-multistage.oci")})
                .exit_code,
            0);
}

// Every command that takes --platform checks its spelling before any work.
TEST(Cli, PlatformThatIsNoPlatformSaysTheFormExpected) {
  std::string image = CorpusImage("clean-multistage.oci");
  for (const char* platform :
       {"garbage", "linux/", "/amd64", "linux//amd64", "a/b/c/d", "linux/amd 64"}) {
    std::string message = std::string("--platform: \"") + platform +
                          "\" is not a platform: expected os/arch[/variant], like linux/amd64 or "
                          "linux/arm64/v8";
    for (std::vector<std::string> args :
         {std::vector<std::string>{"audit", "--platform", platform, image},
          {"ls", "--platform", platform, image},
          {"diff", "--platform", platform, image, image},
          {"explore", "--platform", platform, image},
          {"find", "--platform", platform, image}}) {
      RunResult result = RunStrata(args);
      ExpectOneErrorLine(result, message);
    }
  }
  for (const char* platform : {"linux/amd64", "linux/arm64/v8", "linux/ARM_64.x-y/v8", ""}) {
    RunResult result = RunStrata({"history", "--platform", platform, image});
    EXPECT_EQ(result.err.find("is not a platform"), std::string::npos) << result.err;
  }
}

TEST(Cli, ThreadsOutOfRangeNamesTheFlagAndTheRange) {
  std::string image = CorpusImage("clean-multistage.oci");
  for (const char* threads : {"abc", "-3", "0", "1.5", "4x", "-99999999999999999999"}) {
    for (const char* command : {"audit", "history", "layers", "explore"}) {
      ExpectOneErrorLine(
          RunStrata({command, "--threads", threads, image}),
          std::string("--threads: \"") + threads + "\" is not a whole number from 1 to 256");
    }
  }
  for (const char* threads : {"257", "99999999999", "99999999999999999999"})
    ExpectOneErrorLine(RunStrata({"audit", "--threads", threads, image}),
                       std::string("--threads: \"") + threads + "\" is too large: the most is 256");
  EXPECT_EQ(RunStrata({"layers", "--threads", "256", image}).exit_code, 0);
  ExpectOneErrorLine(RunStrata({"audit", "--top", "many", image}),
                     "--top: \"many\" is not a whole number from 1 to 1000000");
}

// Found by a user trial: --max-entries 100000 on an image of 1.48 million
// entries read every layer (5.8 s, 167 MB) before it said so. Entries are
// counted as layers come in: here the layer read after the limit is
// passed (one at a time, largest first) is damaged, and never read.
TEST(Cli, MaxEntriesStopsTheLayersNotYetRead) {
  std::vector<testing::TarMember> six;
  for (char name = 'a'; name < 'g'; ++name) six.push_back({std::string(1, name), '0', "x"});
  std::string image = testing::WriteImage(TempDir() + "/image", {six, six, {{"z", '0', "late"}}});
  json manifest = json::parse(ReadFileText(image + "/index.json"))["manifests"][0];
  std::string blobs = image + "/blobs/sha256/";
  json layers =
      json::parse(ReadFileText(blobs + manifest["digest"].get<std::string>().substr(7)))["layers"];
  std::string damaged = blobs + layers[2]["digest"].get<std::string>().substr(7);
  std::string bytes = ReadFileText(damaged);
  bytes[bytes.find("late")] = 'L';
  WriteFile(damaged, bytes);

  ExpectOneErrorLine(
      RunStrata({"audit", "--no-cache", "--threads", "1", "--max-entries", "8", image}),
      "the image has more than 8 entries; raise --max-entries to read it");
  EXPECT_NE(RunStrata({"audit", "--no-cache", image}).err.find("digest mismatch"),
            std::string::npos);
}

// Found in a review: --max-path-bytes held entries' own paths only; a
// link's target of any length was read.
TEST(Cli, ALinkTargetIsHeldToTheLimitOnPaths) {
  std::string image =
      testing::WriteImage(TempDir() + "/image", {{{"app/link", '2', "", std::string(60, 't')}}});
  ExpectOneErrorLine(RunStrata({"layers", "--max-path-bytes", "50", image}),
                     "): a symbolic link's target is longer than 50 bytes; raise "
                     "--max-path-bytes to read it\n");
  EXPECT_EQ(RunStrata({"layers", "--max-path-bytes", "60", image}).exit_code, 0);
}

TEST(Cli, LimitsNameThemselvesAndTheirFlag) {
  ExpectOneErrorLine(RunStrata({"audit", "--max-entries", "100", CorpusImage("leaky-app.oci")}),
                     "has more than 100 entries; raise --max-entries to read it");
  ExpectOneErrorLine(RunStrata({"layers", "--max-path-bytes", "50", CorpusImage("churn.oci")}),
                     "an entry's path is longer than 50 bytes; raise --max-path-bytes to read it");
  ExpectOneErrorLine(RunStrata({"audit", "--max-layer-bytes", "1MB", CorpusImage("leaky-app.oci")}),
                     "expands to more than 1000000 bytes; raise --max-layer-bytes to read it");
  EXPECT_EQ(RunStrata({"audit", "--max-entries", "100000", CorpusImage("leaky-app.oci")}).exit_code,
            0);
}

TEST(Cli, LayerZeroIsAUsageError) {
  EXPECT_EQ(RunStrata({"layers", "--layer", "0", CorpusImage("clean-multistage.oci")}).exit_code,
            2);
}

TEST(Cli, ConfigWithoutDiffIds) {
  std::string layout = CopyLayout("clean-multistage.oci");
  EditConfig(layout, [](json& config) { config.erase("rootfs"); });
  ExpectOneErrorLine(RunStrata({"audit", layout}), "the image config has no rootfs.diff_ids list");
}

TEST(Cli, HistoryThatDoesNotMatchTheLayersWarns) {
  std::string layout = CopyLayout("leaky-app.oci");
  EditConfig(layout, [](json& config) {
    json& history = config["history"];
    for (size_t i = history.size(); i-- > 0;) {
      if (!history[i].value("empty_layer", false)) {
        history.erase(i);
        break;
      }
    }
  });
  RunResult result = RunStrata({"history", layout});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(
      result.err.find(
          "strata: warning: the history has 7 steps that made layers but the image has 8 layers"),
      std::string::npos)
      << result.err;
  // Found by a user trial: the layer no step made had no row at all.
  EXPECT_NE(result.out.find("\n    -      8  "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("(no history step for this layer)\n"), std::string::npos)
      << result.out;
}

TEST(Cli, ConfigDigestMismatch) {
  std::string layout = CopyLayout("clean-multistage.oci");
  std::string config = BlobPath(layout, Manifest(layout)["config"]["digest"]);
  std::string text = ReadFileText(config);
  size_t at = text.find("linux");
  ASSERT_NE(at, std::string::npos);
  text[at + 4] = 'z';  // Same size, other bytes.
  WriteFile(config, text);
  ExpectOneErrorLine(RunStrata({"audit", layout}), "does not match its digest");
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST(CliRules, RulesCommandListsEveryRule) {
  RunResult table = RunStrata({"rules"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* id : {"secret-env-file", "secret-github-token", "package-cache", "runs-as-root",
                         "cleanup-in-later-layer"})
    EXPECT_NE(table.out.find(id), std::string::npos) << id;
  RunResult json_out = RunStrata({"rules", "--format", "json"});
  EXPECT_EQ(nlohmann::json::parse(json_out.out)["schema"], "strata.rules/v1");
}

TEST(CliRules, AuditJsonHasFindingsWithLayersAndFixes) {
  RunResult result = RunStrata({"audit", "--format", "json", CorpusImage("leaky-app.oci.tar")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json report = nlohmann::json::parse(result.out);
  ASSERT_GT(report["findings"].size(), 10u);
  for (const nlohmann::json& finding : report["findings"]) {
    EXPECT_FALSE(finding["fix"].get<std::string>().empty()) << finding.dump();
    EXPECT_TRUE(finding.contains("route"));
  }
  EXPECT_GT(report["summary"]["findings"]["critical"].get<int>(), 0);
  EXPECT_EQ(report["base_image"]["layers"], 1);
}

TEST(CliRules, ConfigFileIsReadAndMistakesAreOneLine) {
  std::string dir = TempDir();
  WriteFile(dir + "/ok.yaml", "rules:\n  disable: [runs-as-root, no-healthcheck]\n");
  RunResult result = RunStrata({"audit", "--config", dir + "/ok.yaml", "--format", "json",
                                CorpusImage("clean-multistage.oci")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["findings"].size(), 0u);

  WriteFile(dir + "/bad.yaml", "rules:\n  disabel: [x]\n");
  RunResult bad =
      RunStrata({"audit", "--config", dir + "/bad.yaml", CorpusImage("clean-multistage.oci")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "strata: error: " + dir + "/bad.yaml: rules: unknown key \"disabel\"\n");
}

// A glob that can never match what was meant is refused with the file,
// the key and the glob; a leading "/" in any "|" part is taken off.
TEST(CliRules, BadGlobsInTheConfigAreRefused) {
  std::string dir = TempDir();
  std::string image = CorpusImage("clean-multistage.oci");
  struct Case {
    std::string yaml, message;
  };
  for (const Case& c : std::vector<Case>{
           {"rules:\n  paths:\n    - id: ok\n      glob: \"**/*.sql\"\n    - id: dump\n"
            "      glob: \"**.sql\"\n",
            "rules.paths[1].glob: \"**.sql\" is not a valid glob: \"**\" must be a whole path "
            "component, like **/*.sql"},
           {"rules:\n  content:\n    - id: tok\n      regex: \"tok_[a-z]{8}\"\n"
            "      paths: \"*.[ch]\"\n",
            "rules.content[0].paths: \"*.[ch]\" is not a valid glob: [...], {...} and \\ are "
            "not glob syntax here: only *, ** and ? are"},
           {"accept:\n  - path: \"/app/x||/app/y\"\n    reason: r\n",
            "accept[0].path: \"/app/x||/app/y\" is not a valid glob: it has an empty pattern "
            "(before, after or between \"|\")"},
           {"rules:\n  paths:\n    - id: none\n      glob: \"\"\n",
            "rules.paths[0].glob: \"\" is not a valid glob: it is empty"},
           {"rules:\n  paths:\n    - id: builds\n      glob: \"build/**/\"\n",
            "rules.paths[0].glob: \"build/**/\" is not a valid glob: it ends in \"/\" (strata's "
            "globs match files and directories alike): write \"build/**\""},
           {"accept:\n  - path: \"/app/.git/\"\n    reason: r\n",
            "accept[0].path: \"/app/.git/\" is not a valid glob: it ends in \"/\" (strata's "
            "globs match files and directories alike): write \"app/.git\" for app/.git itself or "
            "\"app/.git/**\" for what it holds"},
       }) {
    WriteFile(dir + "/.strata.yaml", c.yaml);
    for (std::vector<std::string> args : {std::vector<std::string>{"audit", image}, {"rules"}}) {
      RunResult result = RunStrata(args, "", dir);
      EXPECT_EQ(result.exit_code, 2) << c.yaml;
      EXPECT_EQ(result.err, "strata: error: .strata.yaml: " + c.message + "\n") << c.yaml;
    }
  }

  // "/etc/passwd|/hello" is read as etc/passwd|hello: both parts match.
  WriteFile(dir + "/.strata.yaml",
            "rules:\n  paths:\n    - id: two\n      glob: \"/etc/passwd|/hello\"\n");
  RunResult result = RunStrata({"audit", "--format", "json", image}, "", dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  json report = json::parse(result.out);
  std::set<std::string> found;
  for (const json& finding : report["findings"])
    if (finding["rule"] == "two") found.insert(finding["path"]);
  EXPECT_EQ(found, (std::set<std::string>{"/etc/passwd", "/hello"}));
}

TEST(CliRules, BaseImageOptionMarksItsLayers) {
  // leaky-app and churn share the busybox base layer.
  RunResult result =
      RunStrata({"audit", "--format", "json", "--base", CorpusImage("churn.docker.tar"),
                 CorpusImage("leaky-app.docker.tar")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["base_image"]["layers"], 1);
  EXPECT_NE(report["base_image"]["reason"].get<std::string>().find("--base"), std::string::npos);
}

// Found by a new user: --base of an image that shares no layer with the
// one audited said "the first 0 layers match the base image given with
// --base", in silence, and dropped the base found from the history.
TEST(CliRules, BaseImageSharingNoLayerIsWarnedOfAndTheHistoryDecides) {
  std::string image = CorpusImage("leaky-app.oci");
  std::string base = CorpusImage("clean-multistage.oci");
  RunResult plain = RunStrata({"audit", "-q", "--no-cache", "--format", "json", image});
  RunResult based = RunStrata({"audit", "--no-cache", "--format", "json", "--base", base, image});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(based.exit_code, 0) << based.err;
  json without = json::parse(plain.out)["base_image"];
  json with = json::parse(based.out);
  EXPECT_GT(without["layers"].get<int>(), 0);
  EXPECT_EQ(with["base_image"]["layers"], without["layers"]);
  EXPECT_EQ(with["base_image"]["reason"],
            without["reason"].get<std::string>() + "; the --base image shares no layer with it");
  std::string warning = "the --base image " + base +
                        " shares no layer with the image (their first layers differ); the base "
                        "layers were found as without --base: " +
                        without["reason"].get<std::string>();
  EXPECT_EQ(based.err, "strata: warning: " + warning + "\n");
  EXPECT_EQ(with["warnings"], json::array({warning}));

  // A base it does share layers with is no cause for a warning.
  RunResult shared = RunStrata(
      {"audit", "--no-cache", "--format", "json", "--base", CorpusImage("churn.oci"), image});
  EXPECT_EQ(shared.err, "");
  EXPECT_EQ(json::parse(shared.out)["warnings"], json::array());
}

// Found in a review: a modification time past what 64 bits of seconds hold
// was clamped in silence. It is warned of once per layer, in the reports
// too, and as much when the layer comes from the cache.
TEST(Cli, ModificationTimesOutOfRangeAreWarnedOfOncePerLayer) {
  std::string dir = TempDir();
  // Python's tarfile writes a PAX mtime record of any size.
  std::string script =
      "import io, sys, tarfile\n"
      "with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as tar:\n"
      "    for name, mtime in (('a', 2**63), ('b', 1700000000), ('c', -2**63 - 1)):\n"
      "        info = tarfile.TarInfo('app/' + name)\n"
      "        info.size, info.pax_headers = 1, {'mtime': str(mtime)}\n"
      "        tar.addfile(info, io.BytesIO(b'x'))\n";
  WriteFile(dir + "/make.py", script);
  std::string output;
  ASSERT_EQ(RunShell("python3 " + dir + "/make.py " + dir + "/layer.tar", &output), 0) << output;
  std::string image = testing::WriteImageOfTars(
      dir + "/image",
      {testing::MakeTar({{"etc/hostname", '0', "x\n"}}), ReadFileText(dir + "/layer.tar")});

  std::string warning =
      "layer 2: /app/a and 1 more entry have modification times out of range (2^63 seconds or "
      "more from 1970, either way); strata shows the nearest time it can hold";
  RunResult cold = RunStrata({"layers", "--format", "json", "--cache-dir", dir + "/cache", image});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(cold.err, "strata: warning: " + warning + "\n");
  EXPECT_EQ(json::parse(cold.out)["warnings"], json::array({warning}));

  RunResult warm =
      RunStrata({"layers", "-v", "--format", "json", "--cache-dir", dir + "/cache", image});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_NE(warm.err.find(": 2 layers reused, 0 read"), std::string::npos) << warm.err;
  EXPECT_TRUE(warm.err.ends_with("strata: warning: " + warning + "\n")) << warm.err;
  EXPECT_EQ(json::parse(warm.out)["warnings"], json::array({warning}));
}

// ---------------------------------------------------------------------------
// One name on several images of an archive or layout.

// A copy of the docker archive |archive| with its manifest.json edited.
std::string EditArchiveManifest(const std::string& archive,
                                const std::function<void(json&)>& edit) {
  std::string dir = TempDir();
  std::string output;
  EXPECT_EQ(RunShell("tar -xf '" + archive + "' -C '" + dir + "' manifest.json", &output), 0)
      << output;
  json manifest = json::parse(ReadFileText(dir + "/manifest.json"));
  edit(manifest);
  WriteFile(dir + "/manifest.json", manifest.dump());
  // Every other member as it is (GNU tar's --delete drops some of them).
  std::string script =
      "import sys, tarfile\n"
      "with tarfile.open(sys.argv[1]) as old, tarfile.open(sys.argv[3], 'w') as new:\n"
      "    for member in old:\n"
      "        if member.name == 'manifest.json':\n"
      "            new.add(sys.argv[2], 'manifest.json')\n"
      "        else:\n"
      "            new.addfile(member, old.extractfile(member) if member.isfile() else None)\n";
  WriteFile(dir + "/edit.py", script);
  std::string copy = dir + "/edited.tar";
  EXPECT_EQ(RunShell("python3 '" + dir + "/edit.py' '" + archive + "' '" + dir +
                         "/manifest.json' '" + copy + "'",
                     &output),
            0)
      << output;
  return copy;
}

json ImageOf(const RunResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.exit_code == 0 ? json::parse(result.out)["image"] : json();
}

// Found in a review: when one tag named two images of a docker archive (a
// tag moved and both saved, or archives merged), the tag read the first,
// in silence.
TEST(Cli, ATagOnTwoImagesOfADockerArchiveIsRefusedWithTheWaysToPickOne) {
  REQUIRE_FIXTURES();
  std::string pair = testing::FixturesDir() + "/pair.docker.tar";
  std::vector<std::string> ids;  // Each image's config digest, its ID.
  std::string archive = EditArchiveManifest(pair, [&ids](json& manifest) {
    for (json& image : manifest) {
      image["RepoTags"] = {"strata-fixture/app:1"};
      ids.push_back("sha256:" + image["Config"].get<std::string>().substr(0, 64));
    }
  });
  ASSERT_EQ(ids.size(), 2u);

  std::string input = "docker-archive:" + archive;
  ExpectOneErrorLine(RunStrata({"history", input + ":strata-fixture/app:1"}),
                     "strata-fixture/app:1 names 2 images in " + archive +
                         "; name one as docker-archive:" + archive +
                         ":@N or by its image ID (choices: @0 (ID " + ids[0].substr(7, 12) +
                         "), @1 (ID " + ids[1].substr(7, 12) + "))\n");
  // Short names match the tag as written in full, so they are refused too.
  ExpectOneErrorLine(RunStrata({"history", input + ":docker.io/strata-fixture/app:1"}),
                     "names 2 images in");

  // Both spellings the line offers pick one.
  for (size_t i = 0; i < ids.size(); ++i) {
    for (const std::string& ref : {"@" + std::to_string(i), ids[i].substr(7, 12)}) {
      json image = ImageOf(RunStrata({"history", "--format", "json", input + ":" + ref}));
      EXPECT_EQ(image["config_digest"], ids[i]) << ref;
    }
  }

  // One image listed twice under the tag is still one image.
  std::string twice = EditArchiveManifest(archive, [](json& manifest) {
    manifest = json::array({manifest[1], manifest[1]});
  });
  json image = ImageOf(RunStrata(
      {"history", "--format", "json", "docker-archive:" + twice + ":" + "strata-fixture/app:1"}));
  EXPECT_EQ(image["config_digest"], ids[1]);
}

// A copy of the fixture layout multiarch.oci that the test may edit.
std::string WritableMultiarchLayout() {
  std::string layout = TempDir() + "/layout";
  fs::copy(testing::FixturesDir() + "/multiarch.oci", layout, fs::copy_options::recursive);
  for (const auto& entry : fs::recursive_directory_iterator(layout))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(layout, fs::perms::owner_write, fs::perm_options::add);
  return layout;
}

// The same in an OCI layout: two manifests with one
// org.opencontainers.image.ref.name. Each platform of one image may carry
// the image's name: those are one image, and --platform picks among them.
TEST(Cli, ARefNameOnTwoImagesOfALayoutIsRefusedWithTheWaysToPickOne) {
  REQUIRE_FIXTURES();
  std::string layout = WritableMultiarchLayout();
  json index = json::parse(ReadFileText(layout + "/index.json"));
  json platforms = json::array({index["manifests"][0], index["manifests"][1]});
  for (json& descriptor : platforms)
    descriptor["annotations"] = {{"org.opencontainers.image.ref.name", "app"}};
  std::string amd = platforms[0]["digest"], arm = platforms[1]["digest"];

  index["manifests"] = platforms;
  WriteFile(layout + "/index.json", index.dump());
  json chosen = ImageOf(RunStrata(
      {"history", "--format", "json", "--platform", "linux/arm64", "oci:" + layout + ":app"}));
  EXPECT_EQ(chosen["manifest_digest"], arm);

  for (json& descriptor : platforms) descriptor.erase("platform");
  index["manifests"] = platforms;
  WriteFile(layout + "/index.json", index.dump());
  ExpectOneErrorLine(
      RunStrata({"history", "oci:" + layout + ":app"}),
      "app names 2 images in " + layout + "; name one by its manifest digest as oci:" + layout +
          ":DIGEST (choices: " + amd.substr(0, 19) + ", " + arm.substr(0, 19) + ")\n");
  for (const std::string& digest : {amd, arm}) {
    json image = ImageOf(
        RunStrata({"history", "--format", "json", "oci:" + layout + ":" + digest.substr(0, 19)}));
    EXPECT_EQ(image["manifest_digest"], digest);
  }
}

// What a "(choices: …)" list in |error| offers, each choice without the
// words in parentheses after it ("@0 (ID 0463a985ba5e)" is "@0").
std::vector<std::string> OfferedChoices(const std::string& error) {
  size_t start = error.find("(choices: ");
  size_t end = error.rfind(')');
  if (start == std::string::npos || end == std::string::npos || end < start) return {};
  std::string list = error.substr(start + 10, end - start - 10) + ", ";
  std::vector<std::string> choices;
  for (size_t at = 0, comma; (comma = list.find(", ", at)) != std::string::npos; at = comma + 2)
    choices.push_back(
        list.substr(at, list.find(" (", at) < comma ? list.find(" (", at) - at : comma - at));
  return choices;
}

// Found in a trial: with one tag on two images, the choices listed the tag
// (refused as naming two images) and left out the second image's own tag
// and the @N spellings. Each image is offered by a tag only it carries,
// else by @N and its ID.
TEST(Cli, TheChoicesOfADockerArchiveEachPickTheirImage) {
  REQUIRE_FIXTURES();
  std::vector<std::string> ids;  // Each image's config digest, its ID.
  std::string archive =
      EditArchiveManifest(testing::FixturesDir() + "/pair.docker.tar", [&ids](json& manifest) {
        manifest[0]["RepoTags"] = {"strata-fixture/app:1"};
        manifest[1]["RepoTags"] = {"strata-fixture/app:1", "other:2"};
        for (json& image : manifest)
          ids.push_back("sha256:" + image["Config"].get<std::string>().substr(0, 64));
      });
  ASSERT_EQ(ids.size(), 2u);
  std::string choices = "(choices: @0 (ID " + ids[0].substr(7, 12) + "), other:2)\n";

  RunResult bare = RunStrata({"history", archive});
  ExpectOneErrorLine(
      bare, archive + " holds 2 images; name one as docker-archive:" + archive + ":REF " + choices);
  ExpectOneErrorLine(RunStrata({"history", "docker-archive:" + archive + ":nope"}),
                     "has no image nope " + choices);
  std::vector<std::string> offered = OfferedChoices(bare.err);
  ASSERT_EQ(offered.size(), ids.size()) << bare.err;
  for (size_t i = 0; i < ids.size(); ++i) {
    json image = ImageOf(
        RunStrata({"history", "--format", "json", "docker-archive:" + archive + ":" + offered[i]}));
    EXPECT_EQ(image["config_digest"], ids[i]) << offered[i];
  }
}

// Found in a trial: on standard input the suggestions named the archive
// "standard input", which no command line reads; "-" does.
TEST(Cli, TheSuggestionsForAnArchiveOnStandardInputSpellItAsADash) {
  REQUIRE_FIXTURES();
  std::vector<std::string> ids;
  std::string archive =
      EditArchiveManifest(testing::FixturesDir() + "/pair.docker.tar", [&ids](json& manifest) {
        for (json& image : manifest) {
          image["RepoTags"] = {"strata-fixture/app:1"};
          ids.push_back("sha256:" + image["Config"].get<std::string>().substr(0, 64));
        }
      });
  ASSERT_EQ(ids.size(), 2u);

  ExpectOneErrorLine(
      RunStrata({"audit", "-"}, archive),
      "standard input holds 2 images; name one as docker-archive:-:REF (choices: @0");
  ExpectOneErrorLine(RunStrata({"audit", "docker-archive:-:strata-fixture/app:1"}, archive),
                     "strata-fixture/app:1 names 2 images in standard input; name one as "
                     "docker-archive:-:@N or by its image ID (choices: @0");
  // What the line says to type reads the image.
  json image = ImageOf(RunStrata({"history", "--format", "json", "docker-archive:-:@1"}, archive));
  EXPECT_EQ(image["config_digest"], ids[1]);
}

// Found in a trial, as for docker archives: a ref name on two manifests
// was offered as the choice for both, and an OCI archive (one tar file, a
// file or standard input) was suggested as oci:PATH, a layout directory.
// An index.json of thousands of names: the choices are the first twenty,
// and the rest counted. Finding each name's image over every entry made
// 20,000 names take minutes (and the line listed every one).
TEST(Cli, AnIndexOfThousandsOfImagesListsTwentyChoices) {
  std::string layout = TempDir() + "/many";
  std::filesystem::create_directories(layout + "/blobs/sha256");
  WriteFile(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  json manifests = json::array();
  for (int i = 0; i < 5000; ++i) {
    std::string hex = fmt::format("{:064x}", i + 1);
    manifests.push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"digest", "sha256:" + hex},
                         {"size", 100},
                         {"annotations", {{"org.opencontainers.image.ref.name",
                                           "name" + std::to_string(i)}}}});
  }
  WriteFile(layout + "/index.json", json{{"schemaVersion", 2}, {"manifests", manifests}}.dump());
  RunResult result = RunStrata({"history", layout});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("holds 5000 images; name one as oci:" + layout +
                            ":REF (choices: name0, name1, "),
            std::string::npos)
      << result.err.substr(0, 300);
  EXPECT_NE(result.err.find(", name19 and 4980 more)\n"), std::string::npos)
      << result.err.substr(0, 300);
}

TEST(Cli, TheChoicesOfALayoutEachPickTheirImageWithTheLayoutsOwnPrefix) {
  REQUIRE_FIXTURES();
  std::string layout = WritableMultiarchLayout();
  json index = json::parse(ReadFileText(layout + "/index.json"));
  json first = index["manifests"][0], second = index["manifests"][1];
  for (json* descriptor : {&first, &second}) {
    descriptor->erase("platform");
    (*descriptor)["annotations"] = {{"org.opencontainers.image.ref.name", "app"}};
  }
  json other = second;  // The second manifest listed again, under a name of its own.
  other["annotations"]["org.opencontainers.image.ref.name"] = "other";
  index["manifests"] = {first, second, other};
  WriteFile(layout + "/index.json", index.dump());
  std::string digest = first["digest"];
  std::string choices = "(choices: " + digest.substr(0, 19) + ", other)\n";

  std::string archive = TempDir() + "/layout.tar";
  std::string output;
  ASSERT_EQ(RunShell("tar -C '" + layout + "' -cf '" + archive + "' oci-layout index.json blobs",
                     &output),
            0)
      << output;

  struct Input {
    std::string spelled;  // As a command line names it.
    std::string stdin_file;
    std::string shown;      // As messages name it.
    std::string suggested;  // The prefix and path to type.
  };
  for (const Input& input :
       std::vector<Input>{{layout, "", layout, "oci:" + layout},
                          {"oci:" + layout, "", layout, "oci:" + layout},
                          {archive, "", archive, "oci-archive:" + archive},
                          {"oci:" + archive, "", archive, "oci-archive:" + archive},
                          {"oci-archive:" + archive, "", archive, "oci-archive:" + archive},
                          {"-", archive, "standard input", "oci-archive:-"},
                          {"oci-archive:-", archive, "standard input", "oci-archive:-"}}) {
    SCOPED_TRACE(input.spelled);
    RunResult bare = RunStrata({"history", input.spelled}, input.stdin_file);
    ExpectOneErrorLine(
        bare, input.shown + " holds 2 images; name one as " + input.suggested + ":REF " + choices);
    std::string named = input.spelled.find(':') == std::string::npos
                            ? input.suggested  // A bare path takes no REF.
                            : input.spelled;
    ExpectOneErrorLine(RunStrata({"history", named + ":app"}, input.stdin_file),
                       "app names 2 images in " + input.shown +
                           "; name one by its manifest digest as " + input.suggested + ":DIGEST");
    std::vector<std::string> offered = OfferedChoices(bare.err);
    ASSERT_EQ(offered.size(), 2u) << bare.err;
    for (size_t i = 0; i < offered.size(); ++i) {
      json image = ImageOf(RunStrata(
          {"history", "--format", "json", input.suggested + ":" + offered[i]}, input.stdin_file));
      EXPECT_EQ(image["manifest_digest"], index["manifests"][i]["digest"]) << offered[i];
    }
  }
}

// Found in a trial: an image listed twice (one manifest.json entry, one
// index.json descriptor) counted as two, so naming none was refused as a
// choice between them; doc/cli.md says it is one image.
TEST(Cli, AnImageListedTwiceIsReadWithoutARef) {
  REQUIRE_FIXTURES();
  std::string pair = testing::FixturesDir() + "/pair.docker.tar";
  std::string config;
  std::string twice = EditArchiveManifest(pair, [&config](json& manifest) {
    manifest = json::array({manifest[1], manifest[1]});
    config = "sha256:" + manifest[0]["Config"].get<std::string>().substr(0, 64);
  });
  EXPECT_EQ(ImageOf(RunStrata({"history", "--format", "json", twice}))["config_digest"], config);

  std::string layout = WritableMultiarchLayout();
  json index = json::parse(ReadFileText(layout + "/index.json"));
  json descriptor = index["manifests"][0];
  descriptor.erase("platform");  // Two platforms would go to the --platform choice.
  index["manifests"] = {descriptor, descriptor};
  WriteFile(layout + "/index.json", index.dump());
  EXPECT_EQ(ImageOf(RunStrata({"history", "--format", "json", layout}))["manifest_digest"],
            descriptor["digest"]);
}

}  // namespace
}  // namespace strata
