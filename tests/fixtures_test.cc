// The project's own fixtures (tests/fixtures/images, built by Docker Engine
// and converted by skopeo): what each layer did, per the Dockerfiles.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::AnalyzePath;
using testing::FixturesDir;

std::string Fixture(const std::string& name) {
  std::string path = FixturesDir() + "/" + name;
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
  return path;
}

const Change* FindChange(const Layer& layer, const std::string& path) {
  for (const Change& change : layer.changes)
    if (change.path() == path) return &change;
  return nullptr;
}

ChangeKind KindOf(const Layer& layer, const std::string& path) {
  const Change* change = FindChange(layer, path);
  EXPECT_NE(change, nullptr) << "layer " << layer.index + 1 << " has no change at " << path;
  return change == nullptr ? ChangeKind::kRestored : change->kind();
}

TEST(Fixtures, SemanticsChangesAreClassified) {
  REQUIRE_FIXTURES();
  Analysis analysis = AnalyzePath(Fixture("semantics.docker25.tar"));
  const Layer& second = analysis.layers[2];  // The RUN after the one that made /s.
  EXPECT_EQ(KindOf(second, "s/rewrite.txt"), ChangeKind::kModified);
  EXPECT_EQ(KindOf(second, "s/touched.txt"), ChangeKind::kRestored);
  EXPECT_EQ(KindOf(second, "s/mode.sh"), ChangeKind::kMetadata);
  EXPECT_EQ(KindOf(second, "s/gone"), ChangeKind::kRemoved);
  EXPECT_EQ(KindOf(second, "s/f2d"), ChangeKind::kModified);
  EXPECT_EQ(KindOf(second, "s/d2f"), ChangeKind::kModified);
  EXPECT_EQ(KindOf(second, "s/redo/c.txt"), ChangeKind::kAdded);
  EXPECT_EQ(KindOf(second, "s/links/hard-later"), ChangeKind::kAdded);

  const FileTree& tree = analysis.merge.tree();
  EXPECT_TRUE(tree.Find("s/f2d")->is_directory());
  EXPECT_EQ(tree.Find("s/d2f")->kind(), EntryKind::kFile);
  EXPECT_EQ(tree.Find("s/d2f/y.txt"), nullptr);
  EXPECT_NE(tree.Find("s/gone/new.txt"), nullptr);
  EXPECT_EQ(tree.Find("s/gone/old.txt"), nullptr);
  EXPECT_EQ(tree.Find("s/special/suid")->mode(), 04755u);
  EXPECT_EQ(tree.Find("s/special/fifo")->kind(), EntryKind::kFifo);
  EXPECT_EQ(tree.Find("s/links/dangling")->entry->link(), "/nonexistent/file");

  // The old children of the directory that became a file are waste.
  bool dropped_child = false;
  for (const WasteItem& item : analysis.waste)
    dropped_child |= item.path == "s/d2f/y.txt" && item.removed && item.by_layer == 2;
  EXPECT_TRUE(dropped_child);
}

TEST(Fixtures, HardLinksShareContent) {
  REQUIRE_FIXTURES();
  Analysis analysis = AnalyzePath(Fixture("semantics.oci"));
  const FileNode* target = analysis.merge.tree().Find("s/links/target.txt");
  const FileNode* same = analysis.merge.tree().Find("s/links/hard-same");
  ASSERT_NE(target, nullptr);
  ASSERT_NE(same, nullptr);
  EXPECT_EQ(target->content, same->content);
  EXPECT_GT(target->size(), 0);
}

TEST(Fixtures, RemovedFilesAreWasteAndDiveMissesTheRemovedTree) {
  REQUIRE_FIXTURES();
  Analysis analysis = AnalyzePath(Fixture("removed.oci.tar"));
  const Layer& cleanup = analysis.layers.back();
  EXPECT_EQ(KindOf(cleanup, "r/big-zero.bin"), ChangeKind::kRemoved);
  EXPECT_EQ(FindChange(cleanup, "r/tree")->files(), 64);
  EXPECT_EQ(FindChange(cleanup, "r/tree")->size(), 64 * 4096);

  EXPECT_EQ(analysis.recoverable_files, 2 + 64);
  EXPECT_EQ(analysis.wasted_bytes, 2 * 1048576 + 1048576 + 64 * 4096);
  // dive counts the two files (each seen as file, then whiteout) but not
  // the tree, whose whiteout is the only leaf at its path.
  EXPECT_EQ(analysis.dive.wasted_bytes, 2 * 1048576 + 1048576);
  EXPECT_EQ(analysis.merge.tree().Find("r/keep.txt")->size(),
            analysis.layers[2].summary.content_bytes);
}

TEST(Fixtures, EveryFormatAgrees) {
  REQUIRE_FIXTURES();
  for (const char* name : {"semantics", "removed", "multi"}) {
    Analysis reference = AnalyzePath(Fixture(std::string(name) + ".docker.tar"));
    for (const char* suffix : {".docker25.tar", ".oci", ".oci.tar", ".zstd.oci.tar"}) {
      Analysis other = AnalyzePath(Fixture(name + std::string(suffix)));
      ASSERT_EQ(other.layers.size(), reference.layers.size()) << name << suffix;
      for (size_t i = 0; i < reference.layers.size(); ++i)
        EXPECT_EQ(other.layers[i].diff_id, reference.layers[i].diff_id) << name << suffix;
      EXPECT_EQ(other.wasted_bytes, reference.wasted_bytes) << name << suffix;
      EXPECT_EQ(other.final_files, reference.final_files) << name << suffix;
      EXPECT_EQ(other.dive.wasted_bytes, reference.dive.wasted_bytes) << name << suffix;
    }
  }
}

TEST(Fixtures, EmptyLayerStepsAreSkippedInTheMapping) {
  REQUIRE_FIXTURES();
  Analysis analysis = AnalyzePath(Fixture("multi.oci"));
  EXPECT_TRUE(analysis.warnings.empty());
  const HistoryStep* last = analysis.StepOf(analysis.layers.back());
  ASSERT_NE(last, nullptr);
  EXPECT_NE(last->created_by.find("four.txt"), std::string::npos) << last->created_by;
  EXPECT_EQ(analysis.config.user, "10001:10001");
  EXPECT_EQ(analysis.merge.tree().Find("app/data/four.txt")->uid(), 10001u);
}

TEST(Fixtures, TwoImagesInOneArchive) {
  REQUIRE_FIXTURES();
  std::string pair = Fixture("pair.docker.tar");
  EXPECT_THROW(AnalyzePath(pair), Error);
  Analysis multi = AnalyzePath("docker-archive:" + pair + ":strata-fixture/multi:1");
  Analysis alone = AnalyzePath(Fixture("multi.docker.tar"));
  EXPECT_EQ(multi.layers.size(), alone.layers.size());
  EXPECT_EQ(multi.layers.back().diff_id, alone.layers.back().diff_id);
}

TEST(Fixtures, PlatformIsChosenFromTheIndex) {
  REQUIRE_FIXTURES();
  for (const char* layout : {"multiarch.oci", "multiarch-nested.oci"}) {
    OpenOptions arm;
    arm.platform = "linux/arm64";
    Analysis arm_image = Analyze(OpenImage(Fixture(layout), arm), AnalyzeOptions());
    EXPECT_EQ(arm_image.config.architecture, "arm64") << layout;

    OpenOptions amd;
    amd.platform = "linux/amd64";
    Analysis amd_image = Analyze(OpenImage(Fixture(layout), amd), AnalyzeOptions());
    EXPECT_EQ(amd_image.config.architecture, "amd64") << layout;

    OpenOptions missing;
    missing.platform = "linux/s390x";
    try {
      OpenImage(Fixture(layout), missing);
      ADD_FAILURE() << "expected an error";
    } catch (const Error& error) {
      // The attestation entry is neither chosen nor offered.
      EXPECT_NE(std::string(error.what()).find("(it has: linux/amd64, linux/arm64/v8)"),
                std::string::npos)
          << error.what();
    }
  }
}

// The passwords the step-secrets image's steps typed: in configuration
// lines echo wrote, in a file a here-document wrote, and in chpasswd's
// here-document. Each is hidden in every report and named, redacted, by
// a finding of its step.
TEST(Fixtures, PasswordsInHereDocumentsAndWrittenLinesAreHidden) {
  REQUIRE_FIXTURES();
  const std::vector<std::pair<std::string, std::string>> passwords = {
      {"RedisConfPw2468", "Red…(15 characters)"},
      {"NetrcPw13579", "Ne…(12 characters)"},
      {"HereDocPw97531", "He…(14 characters)"},
      {"ChpasswdPw8642", "Ch…(14 characters)"}};
  for (const char* form : {"step-secrets.oci", "step-secrets.docker.tar"}) {
    std::string image = Fixture(form);
    std::vector<std::vector<std::string>> commands = {{"audit", "--format", "json", image},
                                                      {"audit", "--format", "sarif", image},
                                                      {"audit", image},
                                                      {"history", "--format", "json", image},
                                                      {"layers", "--format", "json", image}};
    for (const std::vector<std::string>& command : commands) {
      testing::RunResult result = testing::RunStrata(command);
      ASSERT_EQ(result.exit_code, 0) << command[0] << " " << form << result.err;
      for (const auto& [password, redacted] : passwords)
        EXPECT_EQ(result.out.find(password.substr(3)), std::string::npos)
            << command[0] << " " << form << result.out;
    }

    // The steps as history shows them: each password redacted, the rest
    // of the step and the ordinary here-document as they were.
    nlohmann::json steps =
        nlohmann::json::parse(testing::RunStrata({"history", "--format", "json", image}).out);
    ASSERT_EQ(steps["history"].size(), 4u) << steps.dump();
    EXPECT_EQ(steps["history"][1]["created_by"],
              "/bin/sh -c echo 'requirepass Red…(15 characters)' >> /etc/redis.conf  && echo "
              "'machine repo.example login ci password Ne…(12 characters)' > /root/.netrc");
    EXPECT_EQ(steps["history"][2]["created_by"],
              "/bin/sh -c cat <<'EOF' > /etc/app.conf\ndb_password = He…(14 characters)\nEOF\n"
              "chpasswd <<-EOF || true\n\troot:Ch…(14 characters)\n\tEOF");
    EXPECT_EQ(steps["history"][3]["created_by"], "/bin/sh -c cat <<EOF > /etc/motd\nwelcome\nEOF");

    nlohmann::json report =
        nlohmann::json::parse(testing::RunStrata({"audit", "--format", "json", image}).out);
    std::vector<std::string> details;
    for (const nlohmann::json& finding : report["findings"])
      if (finding["rule"] == "secret-in-build-step") details.push_back(finding["detail"]);
    EXPECT_EQ(details,
              (std::vector<std::string>{"history step 2, requirepass Red…(15 characters)",
                                        "history step 2, password Ne…(12 characters)",
                                        "history step 3, db_password = He…(14 characters)",
                                        "history step 3, input of chpasswd: Ch…(14 characters)"}))
        << form;
  }
}

}  // namespace
}  // namespace strata
