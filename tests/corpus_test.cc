// The reference corpus beside the project: real images written by docker
// save (Engine 20.10 and 25+), skopeo (OCI layout and archives, gzip and
// zstd), kaniko and go-containerregistry, and files that are not images.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "model/dive_metrics.h"
#include "report/json_report.h"
#include "rules/evaluate.h"
#include "test_support.h"

namespace strata {
namespace {

using testing::AnalyzePath;
using testing::CorpusDir;
using testing::RunStrata;

std::string Corpus(const std::string& relative) {
  std::string path = CorpusDir() + "/" + relative;
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
  return path;
}

// What must be the same whichever format holds the image: per-layer diff_id
// and changes, waste, dive's figures, and the final tree.
std::string Fingerprint(const Analysis& analysis) {
  std::string text;
  for (const Layer& layer : analysis.layers) {
    const LayerSummary& s = layer.summary;
    text += fmt::format("{} +{}/{} ~{}/{} m{} u{} -{}/{} w{}\n", layer.diff_id, s.added_files,
                        s.added_bytes, s.modified_files, s.modified_bytes, s.metadata_files,
                        s.restored_files, s.removed_paths, s.removed_bytes, s.wasted_bytes);
  }
  for (const WasteItem& item : analysis.waste)
    text += fmt::format("waste {} {} {} {} {}\n", item.path, item.layer, item.by_layer, item.size,
                        item.removed);
  text += fmt::format("dive {} {} {}\n", analysis.dive.efficiency, analysis.dive.wasted_bytes,
                      analysis.dive.user_size);
  FileTree::Walk(
      analysis.merge.tree().root(), "", [&text](const FileNode* node, const std::string& path) {
        text += fmt::format("{} {} {:o} {}:{} {} {}\n", path, EntryKindName(node->kind()),
                            node->mode(), node->uid(), node->gid(), node->size(),
                            node->entry != nullptr ? node->entry->link() : "");
      });
  return text;
}

class CorpusFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusFormats, EveryFormatOfTheImageGivesTheSameAnalysis) {
  std::string name = GetParam();
  std::string reference = Fingerprint(AnalyzePath(Corpus("corpus/" + name + ".docker.tar")));
  for (const char* suffix : {".docker25.tar", ".oci", ".oci.tar", ".zstd.oci.tar"}) {
    Analysis analysis = AnalyzePath(Corpus("corpus/" + name + suffix));
    EXPECT_EQ(Fingerprint(analysis), reference) << name << suffix;
  }
}

INSTANTIATE_TEST_SUITE_P(Images, CorpusFormats,
                         ::testing::Values("leaky-app", "clean-multistage", "churn"));

TEST(Corpus, ZstdArchiveLayersAreZstd) {
  Analysis analysis = AnalyzePath(Corpus("corpus/leaky-app.zstd.oci.tar"));
  for (const Layer& layer : analysis.layers)
    EXPECT_EQ(layer.contents.compression, Compression::kZstd) << layer.index;
  EXPECT_EQ(analysis.source.format, "oci-archive");
}

TEST(Corpus, LeakyAppDeletedSecretsAreRecoverable) {
  Analysis analysis = AnalyzePath(Corpus("corpus/leaky-app.docker.tar"));
  int last = static_cast<int>(analysis.layers.size()) - 1;
  bool env_found = false, key_found = false;
  for (const WasteItem& item : analysis.waste) {
    if (item.path == "app/.env") env_found = item.removed && item.by_layer == last;
    if (item.path == "app/deploy/id_rsa") key_found = item.removed && item.by_layer == last;
  }
  EXPECT_TRUE(env_found);
  EXPECT_TRUE(key_found);
  EXPECT_EQ(analysis.merge.tree().Find("app/.env"), nullptr);
  EXPECT_NE(analysis.merge.tree().Find("app/src/server.js"), nullptr);
  EXPECT_GT(analysis.recoverable_bytes, 1000000);  // The apt lists removed in their own step.
}

TEST(Corpus, HistoryMapsStepsOntoLayers) {
  Analysis analysis = AnalyzePath(Corpus("corpus/leaky-app.oci"));
  ASSERT_TRUE(analysis.warnings.empty());
  const HistoryStep* step = analysis.StepOf(analysis.layers.back());
  ASSERT_NE(step, nullptr);
  EXPECT_NE(step->created_by.find("rm -f /app/.env"), std::string::npos);
}

TEST(Corpus, CleanMultistageHasNoWaste) {
  Analysis analysis = AnalyzePath(Corpus("corpus/clean-multistage.oci.tar"));
  EXPECT_EQ(analysis.wasted_bytes, 0);
  EXPECT_EQ(analysis.dive.efficiency, 1.0);
}

// dive's own test suite states these figures for this archive; strata must
// agree to the last digit so that .dive-ci thresholds carry over.
TEST(Corpus, DiveFiguresMatchDiveOnItsOwnTestImage) {
  Analysis analysis = AnalyzePath(Corpus("public/dive/test-docker-image.tar"));
  EXPECT_DOUBLE_EQ(analysis.dive.efficiency, 0.9844212134184309);
  EXPECT_EQ(analysis.dive.image_size, 1220598);
  EXPECT_EQ(analysis.dive.user_size, 66237);
  EXPECT_EQ(analysis.dive.wasted_bytes, 32025);
  EXPECT_DOUBLE_EQ(analysis.dive.user_wasted_fraction, 0.4834911001404049);
  EXPECT_EQ(analysis.layers.size(), 14u);
}

TEST(Corpus, KanikoTarballLayoutIsRead) {
  Analysis analysis = AnalyzePath(Corpus("public/dive/test-kaniko-image.tar"));
  EXPECT_EQ(analysis.layers.size(), 14u);
  for (const Layer& layer : analysis.layers) {
    EXPECT_EQ(layer.contents.compression, Compression::kGzip);
    EXPECT_EQ(layer.contents.blob_digest, layer.blob.digest);  // Named by digest, and verified.
  }
}

TEST(Corpus, OciArchivesOfEveryCompressionAndEstargz) {
  for (const char* name : {"gzip", "zstd", "uncompressed", "estargz"}) {
    OpenOptions options;
    options.platform = "linux/arm64";
    ImageSource source =
        OpenImage(Corpus(std::string("public/dive/test-oci-") + name + "-image.tar"), options);
    Analysis analysis = Analyze(std::move(source), AnalyzeOptions());
    EXPECT_EQ(analysis.layers.size(), 1u) << name;
    EXPECT_GT(analysis.final_files, 0) << name;
  }
}

TEST(Corpus, EngineV25ArchiveWithNullTags) {
  Analysis analysis = AnalyzePath(Corpus("public/go-containerregistry/hello-world-v25.tar"));
  EXPECT_EQ(analysis.source.format, "docker-archive (Engine 25+)");
  EXPECT_EQ(analysis.layers.size(), 1u);
}

TEST(Corpus, ArchiveWithSeveralImagesNeedsAReference) {
  std::string path = Corpus("public/go-containerregistry/test_link.tar");
  try {
    AnalyzePath(path);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("choices: bazel/v1/tarball:test_image_1"),
              std::string::npos)
        << error.what();
  }
  Analysis first = AnalyzePath("docker-archive:" + path + ":bazel/v1/tarball:test_image_1");
  Analysis second = AnalyzePath("docker-archive:" + path + ":@1");
  EXPECT_EQ(first.layers.size(), 1u);
  EXPECT_EQ(second.layers.size(), 2u);
  // The repeated layer is stored once, as a symlink member, and read twice.
  EXPECT_EQ(second.layers[0].diff_id, first.layers[0].diff_id);
}

TEST(Corpus, WhiteoutsInGoContainerregistryImages) {
  Analysis dir = AnalyzePath(Corpus("public/go-containerregistry/whiteout_dir.tar"));
  const FileTree& tree = dir.merge.tree();
  EXPECT_EQ(tree.Find("a/foo"), nullptr);
  EXPECT_NE(tree.Find("a/baz"), nullptr);
  EXPECT_NE(tree.Find("b/bar"), nullptr);

  Analysis image = AnalyzePath(Corpus("public/go-containerregistry/whiteout_image.tar"));
  EXPECT_EQ(image.merge.tree().Find("foo.txt"), nullptr);
  EXPECT_NE(image.merge.tree().Find("bar.txt"), nullptr);
  EXPECT_EQ(image.recoverable_files, 1);
}

struct Audited {
  Analysis analysis;
  RuleResults rules;
};

Audited Audit(const std::string& path) {
  RuleConfig config;
  std::unique_ptr<ContentScanner> scanner = MakeContentScanner(config);
  AnalyzeOptions options;
  options.inspector = scanner.get();
  Audited audited{Analyze(OpenImage(path, OpenOptions()), options), {}};
  audited.rules = EvaluateRules(audited.analysis, config, *scanner, "2026-06-01");
  return audited;
}

const Finding* FindFinding(const RuleResults& rules, const std::string& rule,
                           const std::string& path) {
  for (const Finding& finding : rules.findings)
    if (finding.rule_id == rule && finding.path == path) return &finding;
  return nullptr;
}

// Every problem the corpus README plants in leaky-app: the rule, the path,
// the layer (1-based, as reports print it), a word of its build step, and
// the layer that removed it (0: still in the final filesystem).
struct Planted {
  const char* rule;
  const char* path;
  int layer;
  const char* step;
  int removed_in;
};

const Planted kLeakyApp[] = {
    {"package-cache", "var/lib/apt/lists", 2, "dd if=/dev/urandom", 3},
    {"package-cache", "var/cache/apt", 2, "dd if=/dev/urandom", 0},
    {"cleanup-in-later-layer",
     "var/lib/apt/lists/deb.example.org_dists_stable_main_binary-amd64_Packages", 3,
     "rm -rf /var/lib/apt/lists", 0},
    {"build-tool", "usr/bin/wget", 4, "ln -s /bin/busybox /usr/bin/wget", 0},
    {"build-tool", "usr/bin/make", 4, "ln -s /bin/busybox /usr/bin/make", 0},
    {"vcs-directory", "app/.git", 6, "COPY", 0},
    {"secret-env-file", "app/.env", 6, "COPY", 8},
    {"secret-generic-assignment", "app/.env", 6, "COPY", 8},
    {"secret-aws-access-key", "app/.env", 6, "COPY", 8},
    {"secret-config-password", "app/config/application-local.yml", 6, "COPY", 0},
    {"secret-cloud-credentials", "app/.aws/credentials", 6, "COPY", 0},
    {"secret-private-key-file", "app/deploy/id_rsa", 6, "COPY", 8},
    {"secret-private-key", "app/deploy/id_rsa", 6, "COPY", 8},
    {"secret-github-token", "app/src/server.js", 6, "COPY", 0},
    {"build-leftover", "app/tests", 6, "COPY", 0},
    {"package-cache", "root/.cache/pip", 7, ".cache/pip", 0},
    {"package-cache", "root/.npm/_cacache", 7, ".npm/_cacache", 0},
    {"runs-as-root", "", 0, "", 0},
};

TEST(CorpusFindings, LeakyAppPlantedProblemsInEveryFormat) {
  for (const char* suffix : {".docker.tar", ".docker25.tar", ".oci", ".oci.tar", ".zstd.oci.tar"}) {
    Audited audited = Audit(Corpus(std::string("corpus/leaky-app") + suffix));
    for (const Planted& planted : kLeakyApp) {
      const Finding* finding = FindFinding(audited.rules, planted.rule, planted.path);
      ASSERT_NE(finding, nullptr) << suffix << ": no " << planted.rule << " at /" << planted.path;
      EXPECT_EQ(finding->layer + 1, planted.layer)
          << suffix << " " << planted.rule << " " << planted.path;
      EXPECT_NE(finding->created_by.find(planted.step), std::string::npos)
          << suffix << " " << planted.rule << ": " << finding->created_by;
      EXPECT_EQ(finding->removed_by + 1, planted.removed_in)
          << suffix << " " << planted.rule << " " << planted.path;
      EXPECT_FALSE(finding->base) << planted.rule;
    }
  }
}

TEST(CorpusFindings, LeakyAppSecretsAreRedacted) {
  Audited audited = Audit(Corpus("corpus/leaky-app.oci"));
  std::string report = AuditJson(audited.analysis, &audited.rules).dump();
  for (const char* secret : {"R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw", "Tr0ub4dor-and-3",
                             "correct-horse-battery", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzK9fQ2hT4u"})
    EXPECT_EQ(report.find(secret), std::string::npos) << secret;
}

TEST(CorpusFindings, CleanMultistageHasNothingOfMediumOrAbove) {
  for (const char* suffix : {".docker.tar", ".docker25.tar", ".oci", ".oci.tar", ".zstd.oci.tar"}) {
    Audited audited = Audit(Corpus(std::string("corpus/clean-multistage") + suffix));
    for (const Finding& finding : audited.rules.findings)
      EXPECT_LT(finding.severity, Severity::kMedium)
          << suffix << ": " << finding.rule_id << " /" << finding.path;
  }
}

TEST(CorpusFindings, ChurnPermissions) {
  Audited audited = Audit(Corpus("corpus/churn.docker.tar"));
  EXPECT_NE(FindFinding(audited.rules, "setuid-file", "usr/local/bin/su-helper"), nullptr);
  EXPECT_NE(FindFinding(audited.rules, "world-writable", "open"), nullptr);
  EXPECT_NE(FindFinding(audited.rules, "world-writable", "open/anyone-writes"), nullptr);
  EXPECT_EQ(FindFinding(audited.rules, "world-writable", "shared"), nullptr);  // Sticky.
}

struct Refusal {
  const char* path;
  const char* message;
};

class CorpusRefusals : public ::testing::TestWithParam<Refusal> {};

TEST_P(CorpusRefusals, NotAnImageGivesOneClearLineAndExitTwo) {
  std::string path = Corpus(GetParam().path);
  testing::RunResult result = RunStrata({"audit", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("strata: error: ")) << result.err;
  EXPECT_NE(result.err.find(GetParam().message), std::string::npos) << result.err;
}

INSTANTIATE_TEST_SUITE_P(
    Files, CorpusRefusals,
    ::testing::Values(
        Refusal{"public/dive/test-gzip-image.tar",
                "is not a container image: no manifest.json or index.json (it holds README.md)"},
        Refusal{"public/go-containerregistry/null_manifest.tar",
                "holds null instead of a list of images"},
        Refusal{"public/go-containerregistry/no_manifest.tar", "from before Engine 1.10"},
        Refusal{"public/go-containerregistry/test_bundle.tar", "holds 2 images"}));

}  // namespace
}  // namespace strata
