// What changed between two images: layers shared by diff_id, files
// added, removed and changed (and what about them), bytes per top-level
// directory, findings new and gone; then the text and JSON reports.
#include "model/image_diff.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "report/diff_report.h"
#include "report/json_report.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::AnalyzePath;
using testing::TarMember;
using testing::TempDir;
using testing::WriteImage;

TarMember File(const std::string& path, const std::string& content, uint32_t mode = 0644,
               uint32_t uid = 0) {
  TarMember member{path, '0', content};
  member.mode = mode;
  member.uid = uid;
  return member;
}

TarMember Dir(const std::string& path) { return {path, '5'}; }
TarMember Symlink(const std::string& path, const std::string& target) {
  return {path, '2', "", target};
}
TarMember HardLink(const std::string& path, const std::string& target) {
  return {path, '1', "", target};
}

const std::vector<TarMember> kBase = {Dir("etc/"), File("etc/os-release", "ID=test\n"), Dir("bin/"),
                                      File("bin/sh", std::string(100, 's'), 0755)};

// B against A: one layer kept, one rebuilt differently, one added.
const std::vector<std::vector<TarMember>> kLayersA = {
    kBase,
    {Dir("app/"), File("app/old.txt", std::string(500, 'o')), File("app/conf", "x=1\n"),
     Symlink("app/link", "old.txt"), File("app/same", "same"), HardLink("app/hard", "app/same"),
     File("app/mode.sh", "#!/bin/sh\n"), File("app/owner", "o"), Dir("app/dir/"),
     File("app/dir/f", "ff"), File("app/ctx", "abd"),
     File("app/.env", "TOKEN=Zk3qP9vR2mX7tL4w\n")}};

const std::vector<std::vector<TarMember>> kLayersB = {
    kBase,
    {Dir("app/"), File("app/new.bin", std::string(2000, 'n')), File("app/conf", "x=22\n"),
     Symlink("app/link", "new.bin"), File("app/same", "same"), HardLink("app/hard", "app/same"),
     File("app/mode.sh", "#!/bin/sh\n", 0755), File("app/owner", "o", 0644, 1000),
     File("app/dir", "now a file"), File("app/ctx", "abc"), File("app/evil\x1b[2J", "")},
    {Dir("usr/"), File("usr/big", std::string(10000, 'b'))}};

Analysis Image(const std::vector<std::vector<TarMember>>& layers) {
  return AnalyzePath(WriteImage(TempDir(), layers));
}

std::vector<std::string> PathsOf(const std::vector<FileDiff>& files) {
  std::vector<std::string> paths;
  for (const FileDiff& file : files) paths.push_back(file.path);
  return paths;
}

const FileDiff* Changed(const ImageDiff& diff, const std::string& path) {
  for (const FileDiff& file : diff.changed)
    if (file.path == path) return &file;
  return nullptr;
}

std::vector<std::string> ChangedNames(const ImageDiff& diff, const std::string& path) {
  const FileDiff* file = Changed(diff, path);
  EXPECT_NE(file, nullptr) << path << " is not listed as changed";
  return file == nullptr ? std::vector<std::string>{} : FileDifferenceNames(file->differences);
}

// Sums per directory must add up to the image's own totals.
void ExpectDirectoriesSumToTheImages(const ImageDiff& diff) {
  int64_t bytes_a = 0, bytes_b = 0, files_a = 0, files_b = 0;
  for (const DirectoryDelta& directory : diff.directories) {
    bytes_a += directory.bytes_a;
    bytes_b += directory.bytes_b;
    files_a += directory.files_a;
    files_b += directory.files_b;
  }
  EXPECT_EQ(bytes_a, diff.a.final_bytes);
  EXPECT_EQ(bytes_b, diff.b.final_bytes);
  EXPECT_EQ(files_a, diff.a.final_files);
  EXPECT_EQ(files_b, diff.b.final_files);
}

class ImageDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = Image(kLayersA);
    b_ = Image(kLayersB);
    diff_ = DiffImages(a_, b_, nullptr, nullptr);
  }

  Analysis a_, b_;
  ImageDiff diff_;
};

TEST_F(ImageDiffTest, LayersAreMatchedByDiffId) {
  const LayerComparison& layers = diff_.layers;
  EXPECT_EQ(layers.shared_prefix, 1);
  EXPECT_EQ(layers.shared, std::vector<std::string>{a_.layers[0].diff_id});
  ASSERT_EQ(layers.only_a.size(), 1u);
  EXPECT_EQ(layers.only_a[0].index, 1);
  EXPECT_EQ(layers.only_a[0].diff_id, a_.layers[1].diff_id);
  EXPECT_EQ(layers.only_a[0].step, "RUN build step");
  ASSERT_EQ(layers.only_b.size(), 2u);
  EXPECT_EQ(layers.only_b[1].index, 2);
  EXPECT_EQ(layers.only_b[1].content_bytes, 10000);
}

TEST_F(ImageDiffTest, AddedAndRemovedLargestFirst) {
  EXPECT_EQ(PathsOf(diff_.added),
            (std::vector<std::string>{"/usr/big", "/app/new.bin", "/app/evil\x1b[2J", "/usr"}));
  EXPECT_EQ(diff_.added[0].size_b, 10000);
  EXPECT_EQ(diff_.added[0].size_a, 0);
  EXPECT_EQ(diff_.added[0].change, FileChange::kAdded);
  EXPECT_EQ(diff_.added[3].type_b, EntryKind::kDirectory);

  EXPECT_EQ(PathsOf(diff_.removed),
            (std::vector<std::string>{"/app/old.txt", "/app/.env", "/app/dir/f"}));
  EXPECT_EQ(diff_.removed[0].delta(), -500);
}

TEST_F(ImageDiffTest, ChangedSaysWhatChanged) {
  EXPECT_EQ(ChangedNames(diff_, "/app/conf"), (std::vector<std::string>{"size", "content"}));
  EXPECT_EQ(ChangedNames(diff_, "/app/ctx"), (std::vector<std::string>{"content"}));
  EXPECT_EQ(ChangedNames(diff_, "/app/link"), (std::vector<std::string>{"link"}));
  EXPECT_EQ(ChangedNames(diff_, "/app/mode.sh"), (std::vector<std::string>{"mode"}));
  EXPECT_EQ(ChangedNames(diff_, "/app/owner"), (std::vector<std::string>{"owner"}));
  EXPECT_EQ(ChangedNames(diff_, "/app/dir"), (std::vector<std::string>{"type"}));
  EXPECT_EQ(Changed(diff_, "/app/dir")->type_a, EntryKind::kDirectory);
  EXPECT_EQ(Changed(diff_, "/app/dir")->type_b, EntryKind::kFile);
  EXPECT_EQ(diff_.changed.size(), 6u);  // Nothing else: /app/same, /app/hard, the base are equal.
  EXPECT_EQ(diff_.changed[0].path, "/app/dir");  // Largest |delta| first: 10 bytes.
  EXPECT_EQ(Changed(diff_, "/app/conf")->delta(), 1);
}

TEST_F(ImageDiffTest, DirectoriesByDelta) {
  ASSERT_EQ(diff_.directories.size(), 4u);
  EXPECT_EQ(diff_.directories[0].path, "/usr");
  EXPECT_EQ(diff_.directories[0].delta(), 10000);
  EXPECT_EQ(diff_.directories[1].path, "/app");
  // A: old.txt 500, conf 4, same 4 (its hard link once), mode.sh 10, owner 1, dir/f 2, ctx 3,
  // .env 23.
  EXPECT_EQ(diff_.directories[1].bytes_a, 500 + 4 + 4 + 10 + 1 + 2 + 3 + 23);
  EXPECT_EQ(diff_.directories[1].files_a, 8);
  EXPECT_EQ(diff_.directories[2].delta(), 0);  // /bin and /etc, by path.
  EXPECT_EQ(diff_.directories[2].path, "/bin");
  EXPECT_EQ(diff_.directories[3].path, "/etc");
  ExpectDirectoriesSumToTheImages(diff_);
}

TEST_F(ImageDiffTest, AnImageAgainstItselfHasNoChanges) {
  ImageDiff same = DiffImages(a_, a_, nullptr, nullptr);
  EXPECT_EQ(same.layers.shared_prefix, 2);
  EXPECT_TRUE(same.layers.only_a.empty() && same.layers.only_b.empty());
  EXPECT_TRUE(same.added.empty() && same.removed.empty() && same.changed.empty());
  std::string text = DiffText(same, Style(), DiffTextOptions());
  EXPECT_NE(text.find("none: the final filesystems hold the same paths"), std::string::npos)
      << text;
  EXPECT_NE(text.find("2 shared (the first 2 of both) · 0 only in A · 0 only in B"),
            std::string::npos)
      << text;
}

TEST_F(ImageDiffTest, FindingsNewAndGone) {
  auto finding = [](const std::string& rule, const std::string& path, const std::string& detail) {
    Finding f;
    f.rule_id = rule;
    f.path = path;
    f.has_path = !path.empty();
    f.detail = detail;
    return f;
  };
  RuleResults rules_a, rules_b;
  rules_a.findings = {finding("secret-env-file", "app/.env", ""),
                      finding("no-healthcheck", "", "no HEALTHCHECK"),
                      finding("build-tool", "usr/bin/wget", "wget")};
  rules_b.findings = {finding("no-healthcheck", "", "no HEALTHCHECK"),
                      finding("build-tool", "usr/bin/wget", "wget 2"),
                      finding("world-writable", "tmp/x", "")};

  EXPECT_FALSE(DiffImages(a_, b_, &rules_a, nullptr).findings_compared);
  ImageDiff diff = DiffImages(a_, b_, &rules_a, &rules_b);
  EXPECT_TRUE(diff.findings_compared);
  EXPECT_EQ(diff.findings_shared, 1);
  ASSERT_EQ(diff.findings_only_a.size(), 2u);
  EXPECT_EQ(diff.findings_only_a[0].rule_id, "secret-env-file");
  EXPECT_EQ(diff.findings_only_a[1].detail, "wget");  // The detail is part of the key.
  ASSERT_EQ(diff.findings_only_b.size(), 2u);
  EXPECT_EQ(diff.findings_only_b[1].path, "tmp/x");

  std::string text = DiffText(diff, Style(), DiffTextOptions());
  for (const char* expected : {"\nFindings  2 new in B · 2 gone since A · 1 in both\n",
                               "\n  new   info      world-writable  /tmp/x\n",
                               "\n  new   info      build-tool  /usr/bin/wget  wget 2\n",
                               "\n  gone  info      secret-env-file  /app/.env\n"})
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n"
                                                      << text;
}

TEST_F(ImageDiffTest, FindingsFromTheRules) {
  RuleConfig config;
  auto evaluate = [&config](const std::vector<std::vector<TarMember>>& layers, Analysis* analysis) {
    std::unique_ptr<ContentScanner> scanner = MakeContentScanner(config);
    AnalyzeOptions options;
    options.inspector = scanner.get();
    *analysis = Analyze(OpenImage(WriteImage(TempDir(), layers), OpenOptions()), options);
    return EvaluateRules(*analysis, config, *scanner, "2026-06-01");
  };
  Analysis a, b;
  RuleResults rules_a = evaluate(kLayersA, &a);
  RuleResults rules_b = evaluate(kLayersB, &b);
  ImageDiff diff = DiffImages(a, b, &rules_a, &rules_b);

  bool env_gone = false;
  for (const Finding& finding : diff.findings_only_a) env_gone |= finding.path == "app/.env";
  EXPECT_TRUE(env_gone);
  for (const Finding& finding : diff.findings_only_b) EXPECT_NE(finding.path, "app/.env");
  EXPECT_GT(diff.findings_shared, 0);  // The config findings (no USER, no HEALTHCHECK) stay.
}

TEST_F(ImageDiffTest, TextReport) {
  DiffTextOptions options;
  options.top = 2;
  std::string text = DiffText(diff_, Style(), options);
  for (const char* expected : {
           "Change  +1 file · +11 kB in the final filesystem · 4 added, 3 removed, 6 changed\n",
           "\nLayers  1 shared (the first 1 of both) · 1 only in A · 2 only in B\n",
           "\n  B    3     10 kB  RUN build step\n",
           "\nSize by directory\n",
           "         0 B      10 kB     +10 kB      +1  /usr\n",
           "\nFiles  4 added · 3 removed · 6 changed\n",
           "     +10 kB  added    /usr/big\n",
           "  … and 2 more added (--top N, or --format json)\n",
           "     -500 B  removed  /app/old.txt\n",
           "      +10 B  changed  /app/dir  type: dir → file\n",
           "  … and 4 more changed",
       })
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n"
                                                      << text;
  EXPECT_EQ(text.find("Findings"), std::string::npos);  // Not compared.
  EXPECT_EQ(text.find('\x1b'), std::string::npos);      // No colour, and the hostile name escaped.

  options.top = 10;
  text = DiffText(diff_, Style(), options);
  EXPECT_NE(text.find("/app/evil\\x1b[2J"), std::string::npos) << text;
  EXPECT_NE(text.find("/usr/\n"), std::string::npos) << text;  // Directories end in "/".
  EXPECT_NE(text.find("/app/conf  size, content\n"), std::string::npos) << text;
  for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    EXPECT_LE(end - start, 110u) << text.substr(start, end - start);
}

TEST_F(ImageDiffTest, JsonReport) {
  nlohmann::json report = DiffJson(diff_);
  EXPECT_EQ(report["schema"], "strata.diff/v1");
  EXPECT_EQ(report["summary"]["files_added"], 4);
  EXPECT_EQ(report["summary"]["files_removed"], 3);
  EXPECT_EQ(report["summary"]["files_changed"], 6);
  EXPECT_EQ(report["summary"]["added_bytes"], 12000);
  EXPECT_EQ(report["summary"]["removed_bytes"], 525);
  EXPECT_EQ(report["summary"]["final_bytes_delta"], diff_.b.final_bytes - diff_.a.final_bytes);
  EXPECT_EQ(report["layers"]["shared_prefix"], 1);
  EXPECT_EQ(report["layers"]["only_b"][1]["index"], 3);
  EXPECT_EQ(report["a"]["layers"], 2);

  nlohmann::json big = report["files"]["added"][0];
  EXPECT_EQ(big, nlohmann::json::parse(
                     R"({"path": "/usr/big", "type_a": null, "type_b": "file", "bytes_a": 0,
                                           "bytes_b": 10000, "delta": 10000, "changed": []})"));
  nlohmann::json dir = report["files"]["changed"][0];
  EXPECT_EQ(dir["type_a"], "dir");
  EXPECT_EQ(dir["changed"], nlohmann::json::parse(R"(["type"])"));
  EXPECT_EQ(report["directories"][0]["path"], "/usr");
  EXPECT_EQ(report["directories"][0]["delta"], 10000);
  EXPECT_TRUE(report["findings"].is_null());

  RuleResults none;
  EXPECT_EQ(DiffJson(DiffImages(a_, b_, &none, &none))["findings"]["shared"], 0);
  // The hostile name survives serialisation as JSON text.
  EXPECT_NE(DumpJson(report).find("/app/evil\\u001b[2J"), std::string::npos);
}

// A hard link to a symbolic link is a link, whose target is what can
// change; it holds no file, even once the link it was made from is gone.
TEST(ImageDiff, AHardLinkToASymbolicLinkDiffersByItsTarget) {
  auto layers = [](const std::string& target) {
    return std::vector<std::vector<TarMember>>{
        {Symlink("s", target), HardLink("h", "s"), File("f", "ff")}, {File(".wh.s", "")}};
  };
  ImageDiff diff = DiffImages(Image(layers("one")), Image(layers("two")), nullptr, nullptr);
  EXPECT_EQ(ChangedNames(diff, "/h"), (std::vector<std::string>{"link"}));
  EXPECT_EQ(diff.a.final_files, 1);
  EXPECT_EQ(diff.a.final_bytes, 2);
  ExpectDirectoriesSumToTheImages(diff);
}

TEST(ImageDiff, NeedsTheLayersRead) {
  AnalyzeOptions options;
  options.config_only = true;
  Analysis config_only =
      Analyze(OpenImage(WriteImage(TempDir(), kLayersA), OpenOptions()), options);
  Analysis full = Image(kLayersA);
  EXPECT_THROW(DiffImages(config_only, full, nullptr, nullptr), Error);
  EXPECT_THROW(DiffImages(full, config_only, nullptr, nullptr), Error);
}

// Two corpus images built on one busybox base: the base is shared, and
// every listed path really is where the diff says.
TEST(ImageDiff, CorpusImagesShareTheirBase) {
  std::string dir = testing::CorpusDir() + "/corpus/";
  ASSERT_TRUE(fs::exists(dir + "churn.oci")) << dir;
  Analysis churn = AnalyzePath(dir + "churn.oci");
  Analysis leaky = AnalyzePath(dir + "leaky-app.docker.tar");
  ImageDiff diff = DiffImages(churn, leaky, nullptr, nullptr);

  EXPECT_EQ(diff.layers.shared_prefix, 1);
  EXPECT_EQ(diff.layers.shared.size(), 1u);
  EXPECT_EQ(diff.layers.only_a.size(), churn.layers.size() - 1);
  EXPECT_EQ(diff.layers.only_b.size(), leaky.layers.size() - 1);
  ExpectDirectoriesSumToTheImages(diff);

  const FileTree& a = churn.merge.tree();
  const FileTree& b = leaky.merge.tree();
  for (const FileDiff& file : diff.added)
    EXPECT_TRUE(a.Find(file.path.substr(1)) == nullptr && b.Find(file.path.substr(1)) != nullptr)
        << file.path;
  for (const FileDiff& file : diff.removed)
    EXPECT_TRUE(a.Find(file.path.substr(1)) != nullptr && b.Find(file.path.substr(1)) == nullptr)
        << file.path;
  for (const FileDiff& file : diff.changed)
    EXPECT_TRUE(a.Find(file.path.substr(1)) != nullptr && b.Find(file.path.substr(1)) != nullptr)
        << file.path;
  EXPECT_FALSE(diff.added.empty());
  EXPECT_FALSE(diff.removed.empty());

  // Every path of either image is accounted for exactly once.
  size_t paths_a = 0, paths_b = 0;
  FileTree::Walk(a.root(), "",
                 [&](const FileNode*, const std::string& path) { paths_a += !path.empty(); });
  FileTree::Walk(b.root(), "",
                 [&](const FileNode*, const std::string& path) { paths_b += !path.empty(); });
  EXPECT_EQ(paths_a - diff.removed.size(), paths_b - diff.added.size());  // The paths in both.

  // The reverse diff mirrors this one.
  ImageDiff reverse = DiffImages(leaky, churn, nullptr, nullptr);
  EXPECT_EQ(reverse.added.size(), diff.removed.size());
  EXPECT_EQ(reverse.removed.size(), diff.added.size());
  EXPECT_EQ(reverse.changed.size(), diff.changed.size());
  EXPECT_FALSE(DumpJson(DiffJson(diff)).empty());
}

}  // namespace
}  // namespace strata
