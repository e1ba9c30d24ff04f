// The layer cache: its encoding of a layer's result, and the real binary
// run cold then warm on real images (the reports must be identical), with
// damaged rows, a damaged database, --no-cache, and concurrent runs. Every
// test uses its own temporary cache directory.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cache/layer_cache.h"
#include "cache/layer_codec.h"
#include "cli/result_memo.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::CorpusDir;
using testing::FixturesDir;
using testing::MakeTar;
using testing::ReadFileText;
using testing::ReadTar;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::TarMember;
using testing::TempDir;
using testing::WriteFile;
using testing::WriteImage;

// ---------------------------------------------------------------------------
// The codec.

LayerContents SampleLayer() {
  TarMember xattr{"usr/bin/ping", '0', "ping", "", 04755, 0};
  xattr.xattr_name = "security.capability";
  xattr.xattr_value = std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
  LayerContents layer = ReadTar(MakeTar({
      {"etc/", '5', "", "", 0755},
      {"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\n"},
      {"etc/group", '0', "root:x:0:\n", "", 0640, 1000},
      {"etc/link", '2', "", "../usr/bin/ping", 0777},
      {"etc/hard", '1', "", "etc/passwd"},
      {"run/fifo", '6', "", "", 0600},
      {"var/.wh.cache", '0', ""},
      {"opt/.wh..wh..opq", '0', ""},
      {"../outside", '0', "x"},
      xattr,
  }));
  layer.hits.push_back({1, "secret-generic-assignment", 3, "line 3: pass…(12 characters)"});
  layer.kept.emplace_back(1, "root:x:0:0::/root:/bin/sh\n");
  layer.warnings.push_back("a warning");
  return layer;
}

void ExpectSameEntries(const LayerContents& a, const LayerContents& b) {
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const LayerEntry& x = a.entries[i];
    const LayerEntry& y = b.entries[i];
    SCOPED_TRACE(x.path);
    EXPECT_EQ(x.path, y.path);
    EXPECT_EQ(x.link(), y.link());
    EXPECT_EQ(x.xattrs(), y.xattrs());
    EXPECT_EQ(x.size, y.size);
    EXPECT_EQ(x.mtime, y.mtime);
    EXPECT_EQ(x.content_hash, y.content_hash);
    EXPECT_EQ(x.mode, y.mode);
    EXPECT_EQ(x.uid, y.uid);
    EXPECT_EQ(x.gid, y.gid);
    EXPECT_EQ(x.device_major(), y.device_major());
    EXPECT_EQ(x.device_minor(), y.device_minor());
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.path_escaped, y.path_escaped);
  }
}

// A device keeps its numbers where a file keeps its content hash: both
// come back, and neither reads as the other.
TEST(LayerCodec, DeviceNumbersAndFileHashesRoundTrip) {
  LayerContents layer = SampleLayer();
  LayerEntry device;
  device.path = "dev/sda-with-a-long-enough-name";
  device.kind = EntryKind::kBlockDevice;
  device.set_device(0xfffffff0, 7);
  layer.Add(device);
  device.kind = EntryKind::kCharDevice;
  device.set_device(1, 0);
  layer.Add(device);
  EXPECT_EQ(layer.entries.back().device_major(), 1u);
  EXPECT_EQ(layer.entries.back().device_minor(), 0u);

  std::optional<LayerContents> back = DecodeLayerResult(EncodeLayerResult(layer), layer.diff_id);
  ASSERT_TRUE(back);
  ExpectSameEntries(layer, *back);
  const LayerEntry& block = back->entries[back->entries.size() - 2];
  EXPECT_EQ(block.path, "dev/sda-with-a-long-enough-name");
  EXPECT_EQ(block.device_major(), 0xfffffff0u);
  EXPECT_EQ(block.device_minor(), 7u);
  const LayerEntry& passwd = back->entries[1];
  ASSERT_EQ(passwd.kind, EntryKind::kFile);
  EXPECT_NE(passwd.content_hash, 0u);
  EXPECT_EQ(passwd.device_major(), 0u);
  EXPECT_EQ(passwd.device_minor(), 0u);
}

TEST(LayerCodec, RoundTripKeepsEveryField) {
  LayerContents layer = SampleLayer();
  // The sample covers what the encoding treats specially, mtimes whose
  // differences overflow included.
  ASSERT_GE(layer.entries.size(), 10u);
  layer.entries[1].mtime = INT64_MIN;
  layer.entries[2].mtime = INT64_MAX;
  layer.entries[3].mtime = INT64_MIN;
  std::optional<LayerContents> back = DecodeLayerResult(EncodeLayerResult(layer), layer.diff_id);
  ASSERT_TRUE(back);
  ExpectSameEntries(layer, *back);
  EXPECT_EQ(back->diff_id, layer.diff_id);
  EXPECT_EQ(back->tar_size, layer.tar_size);
  ASSERT_EQ(back->hits.size(), 1u);
  EXPECT_EQ(back->hits[0].entry, 1u);
  EXPECT_EQ(back->hits[0].rule_id, layer.hits[0].rule_id);
  EXPECT_EQ(back->hits[0].line, 3);
  EXPECT_EQ(back->hits[0].excerpt, layer.hits[0].excerpt);
  EXPECT_EQ(back->kept, layer.kept);
  EXPECT_EQ(back->warnings, layer.warnings);
  // "../outside" keeps its name as stored, for the hostile-path finding.
  ASSERT_EQ(layer.stored_names.size(), 1u);
  EXPECT_EQ(layer.stored_names[0].second, "../outside");
  EXPECT_EQ(back->stored_names, layer.stored_names);
  EXPECT_EQ(back->StoredName(back->entries[layer.stored_names[0].first]), "../outside");
}

TEST(LayerCodec, RealLayersRoundTrip) {
  Analysis analysis = testing::AnalyzePath(CorpusDir() + "/corpus/churn.oci");
  for (const Layer& layer : analysis.layers) {
    std::optional<LayerContents> back =
        DecodeLayerResult(EncodeLayerResult(layer.contents), layer.diff_id);
    ASSERT_TRUE(back) << layer.diff_id;
    ExpectSameEntries(layer.contents, *back);
  }
}

TEST(LayerCodec, DamageIsRejected) {
  LayerContents layer = SampleLayer();
  std::string bytes = EncodeLayerResult(layer);

  EXPECT_FALSE(DecodeLayerResult(bytes, "sha256:another"));
  for (size_t size = 0; size < bytes.size(); ++size)
    EXPECT_FALSE(DecodeLayerResult(bytes.substr(0, size), layer.diff_id)) << size;
  EXPECT_FALSE(DecodeLayerResult(bytes + "x", layer.diff_id));
  EXPECT_FALSE(DecodeLayerResult("not zstd at all", layer.diff_id));
}

// ---------------------------------------------------------------------------
// The binary, cold and warm.

struct CachedRun {
  RunResult result;
  int reused = -1, read = -1, replaced = 0;
};

// strata ARGS... -v --cache-dir DIR IMAGE, with what -v says of the cache.
// These tests are about layers: audit and ci are told not to reuse whole
// results (the tests under "Whole results" below are about those).
CachedRun Strata(std::vector<std::string> args, const std::string& cache,
                 const std::string& image) {
  if (args[0] == "audit" || args[0] == "ci") args.push_back("--no-result-cache");
  args.insert(args.end(), {"-v", "--cache-dir", cache, image});
  CachedRun run{RunStrata(args)};
  std::smatch match;
  static const std::regex kSummary(R"((\d+) layers? reused, (\d+) read, \d+ stored)");
  if (std::regex_search(run.result.err, match, kSummary)) {
    run.reused = std::stoi(match[1]);
    run.read = std::stoi(match[2]);
  }
  static const std::regex kReplaced(R"((\d+) unusable rows?)");
  if (std::regex_search(run.result.err, match, kReplaced)) run.replaced = std::stoi(match[1]);
  return run;
}

CachedRun Audit(const std::string& cache, const std::string& image) {
  return Strata({"audit", "--format", "json"}, cache, image);
}

std::string Uncached(const std::string& image) {
  RunResult result = RunStrata({"audit", "--format", "json", "--no-cache", image});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

std::string Database(const std::string& cache) { return cache + "/layers-v1.sqlite"; }

// Runs |sql| on the cache database; returns the first column of the last row.
std::string Sql(const std::string& cache, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(Database(cache).c_str(), &db), SQLITE_OK);
  std::string last;
  auto keep = [](void* out, int columns, char** values, char**) {
    if (columns > 0 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
    return 0;
  };
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), keep, &last, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  return last;
}

// Flips one byte in the middle of the first stored result.
void FlipAByte(const std::string& cache) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Database(cache).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  sqlite3_prepare_v2(db, "SELECT rowid, result FROM layer_results ORDER BY rowid LIMIT 1", -1,
                     &read, nullptr);
  ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
  int64_t rowid = sqlite3_column_int64(read, 0);
  std::string result(static_cast<const char*>(sqlite3_column_blob(read, 1)),
                     sqlite3_column_bytes(read, 1));
  sqlite3_finalize(read);
  result[result.size() / 2] ^= 0x20;

  sqlite3_stmt* write = nullptr;
  sqlite3_prepare_v2(db, "UPDATE layer_results SET result = ? WHERE rowid = ?", -1, &write,
                     nullptr);
  sqlite3_bind_blob(write, 1, result.data(), static_cast<int>(result.size()), SQLITE_STATIC);
  sqlite3_bind_int64(write, 2, rowid);
  EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
  sqlite3_finalize(write);
  sqlite3_close(db);
}

int LayerCount(const std::string& report) {
  return static_cast<int>(nlohmann::json::parse(report)["layers"].size());
}

// Real images of every format and layer compression, from the corpus, the
// fixtures and other projects' test data.
std::vector<std::string> Images() {
  std::string corpus = CorpusDir();
  std::vector<std::string> images = {
      corpus + "/corpus/leaky-app.oci",
      corpus + "/corpus/leaky-app.docker.tar",
      corpus + "/corpus/churn.zstd.oci.tar",
      corpus + "/corpus/churn.docker25.tar",
      corpus + "/corpus/clean-multistage.oci.tar",
      corpus + "/public/dive/test-docker-image.tar",
      corpus + "/public/dive/test-oci-estargz-image.tar",
      corpus + "/public/go-containerregistry/whiteout_dir.tar",
  };
  if (!FixturesDir().empty())
    for (const char* name : {"semantics.oci", "removed.docker.tar", "multi.zstd.oci.tar"})
      images.push_back(FixturesDir() + "/" + name);
  return images;
}

TEST(LayerCache, WarmReportsEqualColdOnRealImages) {
  for (const std::string& image : Images()) {
    SCOPED_TRACE(image);
    std::string cache = TempDir();
    CachedRun cold = Audit(cache, image);
    ASSERT_EQ(cold.result.exit_code, 0) << cold.result.err;
    int layers = LayerCount(cold.result.out);
    EXPECT_EQ(cold.reused, 0);
    EXPECT_EQ(cold.read, layers);

    CachedRun warm = Audit(cache, image);
    ASSERT_EQ(warm.result.exit_code, 0) << warm.result.err;
    EXPECT_EQ(warm.reused, layers);
    EXPECT_EQ(warm.read, 0);
    EXPECT_EQ(warm.result.out, cold.result.out);
    EXPECT_EQ(Uncached(image), cold.result.out);
    fs::remove_all(cache);
  }
}

TEST(LayerCache, FindingsFromFileContentsAreTheSameWarm) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  std::string cache = TempDir();
  CachedRun cold = Audit(cache, image);
  CachedRun warm = Audit(cache, image);
  ASSERT_EQ(warm.reused, LayerCount(cold.result.out));
  // The token in src/server.js is only found by reading the file.
  nlohmann::json findings = nlohmann::json::parse(warm.result.out)["findings"];
  bool content_finding = false;
  for (const auto& finding : findings)
    content_finding |= finding["path"].is_string() &&
                       finding["path"].get<std::string>().find("server.js") != std::string::npos;
  EXPECT_TRUE(content_finding) << findings.dump(1);
  EXPECT_EQ(warm.result.out, cold.result.out);
}

TEST(LayerCache, OtherCommandsUseItToo) {
  std::string image = CorpusDir() + "/corpus/churn.oci";
  std::string cache = TempDir();
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"layers", "--format", "json"},
        std::vector<std::string>{"history", "--read-layers", "--format", "json"}}) {
    SCOPED_TRACE(command[0]);
    CachedRun cold = Strata(command, cache, image);
    ASSERT_EQ(cold.result.exit_code, 0) << cold.result.err;
    CachedRun warm = Strata(command, cache, image);
    EXPECT_EQ(warm.read, 0);
    EXPECT_EQ(warm.result.out, cold.result.out);
  }
  std::string cold_ls = RunStrata({"ls", "-lR", "--no-cache", image}).out;
  RunStrata({"ls", "-lR", "--cache-dir", cache, image});
  EXPECT_EQ(RunStrata({"ls", "-lR", "--cache-dir", cache, image}).out, cold_ls);
  EXPECT_FALSE(cold_ls.empty());
  std::string cold_find = RunStrata({"find", "--no-cache", image, "-type", "f"}).out;
  RunStrata({"find", "--cache-dir", cache, image, "-type", "f"});
  EXPECT_EQ(RunStrata({"find", "--cache-dir", cache, image, "-type", "f"}).out, cold_find);
  EXPECT_FALSE(cold_find.empty());
  // layers and history scan nothing; ls and find keep the id databases.
  EXPECT_EQ(Sql(cache, "SELECT count(DISTINCT scope) FROM layer_results"), "2");
}

TEST(LayerCache, SiblingImageReadsOnlyItsOwnLayers) {
  std::string dir = TempDir();
  std::vector<TarMember> base = {{"etc/", '5'}, {"etc/os-release", '0', "ID=test\n"}};
  std::string a = WriteImage(dir + "/a", {base, {{"app/a.txt", '0', "a"}}});
  std::string b = WriteImage(dir + "/b", {base, {{"app/b.txt", '0', "b"}}, {{"c", '0', "c"}}});
  std::string cache = dir + "/cache";

  ASSERT_EQ(Audit(cache, a).reused, 0);
  CachedRun sibling = Audit(cache, b);
  ASSERT_EQ(sibling.result.exit_code, 0) << sibling.result.err;
  EXPECT_EQ(sibling.reused, 1);
  EXPECT_EQ(sibling.read, 2);
  EXPECT_EQ(sibling.result.out, Uncached(b));
}

// Found by a new user: --cache-dir set any directory it was given to
// 0700 (/tmp, a shared 1777 directory). Only a directory strata makes is
// made the user's alone; the database always is.
TEST(LayerCache, ADirectoryThatWasThereKeepsItsMode) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"a", '0', "a"}}});
  auto mode_of = [](const std::string& path) {
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_mode & 07777;
  };

  std::string shared = dir + "/shared";
  std::filesystem::create_directory(shared);
  chmod(shared.c_str(), 01777);
  ASSERT_EQ(Audit(shared, image).result.exit_code, 0);
  EXPECT_EQ(mode_of(shared), 01777u);
  EXPECT_EQ(mode_of(Database(shared)), 0600u);

  std::string made = dir + "/made/here";
  ASSERT_EQ(Audit(made, image).result.exit_code, 0);
  EXPECT_EQ(mode_of(made), 0700u);
  EXPECT_EQ(mode_of(Database(made)), 0600u);
}

// Found by a new user: on the first run SQLite made -wal and -shm 0644
// (they take the database's mode, and the database was made 0644 and set
// 0600 only after they were), and left them so when the run was killed.
TEST(LayerCache, TheWriteAheadLogIsTheUsersAloneFromTheStart) {
  std::string dir = TempDir();
  mode_t old_umask = umask(022);
  std::unique_ptr<LayerCache> cache = LayerCache::Open(dir, 1 << 20);
  umask(old_umask);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(stat((Database(dir) + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << suffix;
  }
}

TEST(LayerCache, ADifferentBlobOfTheSameLayerIsRead) {
  // The same layers, uncompressed in a docker archive and gzip in an OCI
  // layout: the gzip blobs were never verified, so they are read.
  std::string cache = TempDir();
  std::string archive = CorpusDir() + "/corpus/leaky-app.docker.tar";
  std::string layout = CorpusDir() + "/corpus/leaky-app.oci";
  Audit(cache, archive);
  CachedRun oci = Audit(cache, layout);
  EXPECT_EQ(oci.reused, 0);
  EXPECT_EQ(oci.result.out, Uncached(layout));
  EXPECT_EQ(Audit(cache, layout).read, 0);
}

TEST(LayerCache, ARuleConfigurationOfItsOwnIsCachedApart) {
  std::string dir = TempDir();
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  WriteFile(dir + "/strata.yaml", "rules:\n  disable: [secret-generic-assignment]\n");
  std::string cache = dir + "/cache";
  CachedRun plain = Audit(cache, image);
  CachedRun configured =
      Strata({"audit", "--format", "json", "--config", dir + "/strata.yaml"}, cache, image);
  ASSERT_EQ(configured.result.exit_code, 0) << configured.result.err;
  EXPECT_EQ(configured.reused, 0);
  CachedRun again =
      Strata({"audit", "--format", "json", "--config", dir + "/strata.yaml"}, cache, image);
  EXPECT_EQ(again.read, 0);
  EXPECT_EQ(again.result.out, configured.result.out);
  EXPECT_EQ(Audit(cache, image).result.out, plain.result.out);
}

TEST(LayerCache, LimitsApplyWarmAsCold) {
  std::string image = CorpusDir() + "/corpus/churn.oci";
  std::string cache = TempDir();
  Audit(cache, image);
  RunResult warm = RunStrata({"audit", "--cache-dir", cache, "--max-path-bytes", "50", image});
  RunResult cold = RunStrata({"audit", "--no-cache", "--max-path-bytes", "50", image});
  EXPECT_EQ(cold.exit_code, 2);
  EXPECT_EQ(warm.exit_code, cold.exit_code);
  EXPECT_EQ(warm.err, cold.err);
}

// ---------------------------------------------------------------------------
// Damage, versions, concurrency.

TEST(LayerCache, ADamagedRowIsRebuiltNotTrusted) {
  std::string image = CorpusDir() + "/corpus/churn.oci";
  std::string cache = TempDir();
  CachedRun cold = Audit(cache, image);
  int layers = LayerCount(cold.result.out);

  // One flipped byte: the checksum catches it.
  FlipAByte(cache);
  CachedRun flipped = Audit(cache, image);
  EXPECT_EQ(flipped.result.out, cold.result.out);
  EXPECT_EQ(flipped.replaced, 1);
  EXPECT_EQ(flipped.read, 1);
  EXPECT_EQ(Audit(cache, image).reused, layers);
}

TEST(LayerCache, GarbageWithAValidChecksumIsRebuilt) {
  std::string image = CorpusDir() + "/corpus/churn.oci";
  std::string cache = TempDir();
  CachedRun cold = Audit(cache, image);
  std::string garbage = "this is not an encoded layer";
  int64_t checksum = static_cast<int64_t>(XXH3_64bits(garbage.data(), garbage.size()));
  Sql(cache, "UPDATE layer_results SET result = CAST('" + garbage +
                 "' AS BLOB), checksum = " + std::to_string(checksum) + " WHERE rowid <= 3");
  CachedRun warm = Audit(cache, image);
  EXPECT_EQ(warm.result.out, cold.result.out);
  EXPECT_EQ(warm.replaced, 3);
}

TEST(LayerCache, RowsOfAnotherVersionAreRebuilt) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  std::string cache = TempDir();
  CachedRun cold = Audit(cache, image);
  int layers = LayerCount(cold.result.out);
  Sql(cache, "UPDATE layer_results SET version = version - 1");
  CachedRun warm = Audit(cache, image);
  EXPECT_EQ(warm.read, layers);
  EXPECT_EQ(warm.replaced, layers);
  EXPECT_EQ(warm.result.out, cold.result.out);
  EXPECT_EQ(Sql(cache, "SELECT DISTINCT version FROM layer_results"),
            std::to_string(kAnalysisVersion));
}

TEST(LayerCache, AnUnreadableDatabaseIsReplaced) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  std::string cache = TempDir();
  std::string expected = Uncached(image);
  int layers = LayerCount(expected);

  WriteFile(Database(cache), std::string(10000, 'x'));
  CachedRun first = Audit(cache, image);
  ASSERT_EQ(first.result.exit_code, 0) << first.result.err;
  EXPECT_EQ(first.result.out, expected);
  EXPECT_EQ(Audit(cache, image).reused, layers);
}

TEST(LayerCache, DamagedPagesInsideTheDatabaseAreNotTrusted) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  std::string cache = TempDir();
  CachedRun cold = Audit(cache, image);
  std::string bytes = ReadFileText(Database(cache));
  ASSERT_GT(bytes.size(), 8192u);
  // Every page but the first (the header and schema) overwritten.
  for (size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  WriteFile(Database(cache), bytes);

  CachedRun damaged = Audit(cache, image);
  ASSERT_EQ(damaged.result.exit_code, 0) << damaged.result.err;
  EXPECT_EQ(damaged.result.out, cold.result.out);
  // Each layer meets the same damage; it is reported at most once.
  size_t first = damaged.result.err.find("malformed");
  if (first != std::string::npos)
    EXPECT_EQ(damaged.result.err.find("malformed", first + 1), std::string::npos)
        << damaged.result.err;
  CachedRun after = Audit(cache, image);
  ASSERT_EQ(after.result.exit_code, 0) << after.result.err;
  EXPECT_EQ(after.result.out, cold.result.out);
}

TEST(LayerCache, NoCacheTouchesNothing) {
  std::string home = TempDir();
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  RunResult result =
      RunStrata({"audit", "--no-cache", image}, "", "", {"XDG_CACHE_HOME=" + home + "/xdg"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(fs::exists(home + "/xdg"));

  // Without the flag, the cache goes where XDG says, else under HOME.
  RunStrata({"audit", image}, "", "", {"XDG_CACHE_HOME=" + home + "/xdg"});
  EXPECT_TRUE(fs::exists(home + "/xdg/strata/layers-v1.sqlite"));
  RunStrata({"audit", image}, "", "", {"XDG_CACHE_HOME=", "HOME=" + home + "/home"});
  EXPECT_TRUE(fs::exists(home + "/home/.cache/strata/layers-v1.sqlite"));

  // Found by a new user: the two were refused together, and a script
  // that always names its cache could not add --no-cache.
  RunResult both = RunStrata(
      {"audit", "--cache-dir", home + "/named", "--cache-max-size", "1MB", "--no-cache", image});
  EXPECT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(both.out, result.out);
  EXPECT_FALSE(fs::exists(home + "/named"));
}

TEST(LayerCache, AnUnusableDirectoryIsAWarningNotAFailure) {
  std::string dir = TempDir();
  WriteFile(dir + "/file", "in the way");
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  RunResult result = RunStrata({"audit", "--format", "json", "--cache-dir", dir + "/file", image});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("strata: warning: cannot create the cache directory"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, Uncached(image));
}

TEST(LayerCache, ConcurrentRunsShareOneCache) {
  std::string cache = TempDir();
  std::string binary = getenv("STRATA_BINARY") ? getenv("STRATA_BINARY") : STRATA_BINARY;
  std::vector<std::string> images = {CorpusDir() + "/corpus/churn.oci",
                                     CorpusDir() + "/corpus/leaky-app.oci"};
  // Six runs at once, three per image, all on a cache that does not exist yet.
  std::string script, wait;
  for (int i = 0; i < 6; ++i) {
    script += fmt::format(
        "XDG_CACHE_HOME=/nonexistent '{}' audit --format json --cache-dir '{}/cache' '{}' "
        ">'{}/out{}' 2>'{}/err{}' & p{}=$!; ",
        binary, cache, images[i % 2], cache, i, cache, i, i);
    wait += fmt::format("wait $p{} || exit 1; ", i);
  }
  std::string output;
  ASSERT_EQ(RunShell(script + wait, &output), 0) << output;

  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(ReadFileText(fmt::format("{}/out{}", cache, i)), Uncached(images[i % 2])) << i;
    EXPECT_EQ(ReadFileText(fmt::format("{}/err{}", cache, i)), "") << i;
  }
  cache += "/cache";
  EXPECT_EQ(Sql(cache, "PRAGMA integrity_check"), "ok");
  for (const std::string& image : images) EXPECT_EQ(Audit(cache, image).read, 0) << image;
}

// The content patterns, compiled once, are kept; a damaged copy, or bytes
// vectorscan refuses behind a good checksum, are compiled again.
TEST(LayerCache, CompiledPatternsAreKeptNotTrusted) {
  std::string cache = TempDir();
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  std::string cold = Uncached(image);
  ASSERT_EQ(Audit(cache, image).result.out, cold);
  ASSERT_EQ(Sql(cache, "SELECT count(*) FROM compiled_patterns"), "1");
  std::string key = Sql(cache, "SELECT key FROM compiled_patterns");
  std::string good = Sql(cache, "SELECT hex(bytes) FROM compiled_patterns");
  EXPECT_EQ(Audit(cache, image).result.out, cold);

  Sql(cache, "UPDATE compiled_patterns SET bytes = zeroblob(length(bytes))");
  EXPECT_EQ(Audit(cache, image).result.out, cold);
  EXPECT_EQ(Sql(cache, "SELECT hex(bytes) FROM compiled_patterns"), good);

  std::string garbage = "not a database";
  int64_t checksum = static_cast<int64_t>(
      XXH3_64bits((key + "\n" + garbage).data(), key.size() + 1 + garbage.size()));
  Sql(cache, fmt::format("UPDATE compiled_patterns SET bytes = CAST('{}' AS BLOB), checksum = {}",
                         garbage, checksum));
  EXPECT_EQ(Audit(cache, image).result.out, cold);
  EXPECT_EQ(Sql(cache, "SELECT hex(bytes) FROM compiled_patterns"), good);
}

// ---------------------------------------------------------------------------
// The size cap.

constexpr const char* kNoLayerRead = "no layer read";

RunResult RunCached(std::vector<std::string> args, const std::string& cache) {
  args.insert(args.begin() + 1, {"-v", "--cache-dir", cache});
  return RunStrata(args);
}

// Three images of one layer each, the layers alike in size: with room for
// two, the one used longest ago goes when the third comes. The first one
// stored, used since, stays: a base layer every image shares was dropped
// in its turn when eviction went by the time a row was stored.
TEST(LayerCache, TheLeastRecentlyUsedGoPastTheSizeCap) {
  std::string dir = TempDir();
  std::string cache = dir + "/cache";
  std::vector<std::string> images;
  for (char name : std::string("abc"))
    images.push_back(WriteImage(dir + "/" + name,
                                {{{std::string("app/") + name, '0', std::string(4000, name)}}}));
  ASSERT_EQ(Audit(cache, images[0]).read, 1);
  int64_t row = std::stoll(Sql(cache, "SELECT max(length(result)) FROM layer_results"));
  // The cap counts results, not the database's pages: a few kB of them.
  std::string cap = std::to_string(row * 5 / 2);
  auto audit = [&](int image) {
    return Strata({"audit", "--format", "json", "--cache-max-size", cap}, cache, images[image]);
  };

  ASSERT_EQ(audit(1).read, 1);
  ASSERT_EQ(audit(0).reused, 1);
  CachedRun third = audit(2);
  EXPECT_NE(third.result.err.find("1 least recently used result dropped"), std::string::npos)
      << third.result.err;
  EXPECT_EQ(Sql(cache, "SELECT count(*) FROM layer_results"), "2");
  EXPECT_EQ(Sql(cache, "SELECT count(*) FROM verified_blobs"), "2");
  EXPECT_EQ(Sql(cache, "SELECT count(*) FROM layer_uses"), "1");
  EXPECT_EQ(audit(0).reused, 1);
  EXPECT_EQ(audit(2).reused, 1);
  CachedRun dropped = audit(1);
  EXPECT_EQ(dropped.read, 1);
  EXPECT_EQ(dropped.result.out, Uncached(images[1]));
  // Reading b again dropped a, now the one used longest ago.
  EXPECT_EQ(audit(2).reused, 1);
  EXPECT_EQ(audit(0).read, 1);
}

// Dropped rows give their pages back to the file system: the file shrinks
// with what it holds. A database made before that was possible (no
// auto_vacuum) is rewritten once so that it can.
TEST(LayerCache, DroppedRowsGiveTheirSpaceBack) {
  std::string dir = TempDir();
  auto image = [&](char name) {
    std::vector<TarMember> files;
    for (int i = 0; i < 15000; ++i)
      files.push_back({fmt::format("{}/{:05}", name, i), '0', std::to_string(i * 7919 + name)});
    return WriteImage(dir + "/" + name, {files});
  };
  std::string a = image('a'), b = image('b'), c = image('c');

  for (bool made_before : {false, true}) {
    SCOPED_TRACE(made_before ? "a database made before" : "a new database");
    std::string cache = TempDir();
    ASSERT_EQ(Audit(cache, a).read, 1);
    ASSERT_EQ(Audit(cache, b).read, 1);
    if (made_before) {
      Sql(cache, "PRAGMA auto_vacuum=NONE; VACUUM");
      ASSERT_EQ(Sql(cache, "PRAGMA auto_vacuum"), "0");
    }
    int64_t row = std::stoll(Sql(cache, "SELECT max(length(result)) FROM layer_results"));
    uintmax_t full = std::filesystem::file_size(Database(cache));

    // Room for one result: a and b go when c comes.
    std::string cap = std::to_string(row * 3 / 2);
    CachedRun third = Strata({"audit", "--format", "json", "--cache-max-size", cap}, cache, c);
    ASSERT_EQ(third.read, 1) << third.result.err;
    EXPECT_EQ(Sql(cache, "SELECT count(*) FROM layer_results"), "1");
    EXPECT_EQ(Sql(cache, "PRAGMA freelist_count"), "0");
    EXPECT_EQ(Sql(cache, "PRAGMA auto_vacuum"), "2");  // INCREMENTAL.
    EXPECT_LT(std::filesystem::file_size(Database(cache)), full * 3 / 4)
        << "row " << row << ", full " << full;
  }
}

TEST(LayerCache, ACapOfNothingKeepsNothing) {
  std::string cache = TempDir();
  std::string image = CorpusDir() + "/corpus/churn.oci";
  std::vector<std::string> args = {"audit", "--format", "json", "--cache-max-size", "0", image};
  RunCached(args, cache);
  RunResult again = RunCached(args, cache);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find(kNoLayerRead), std::string::npos) << again.err;
  EXPECT_EQ(again.out, Uncached(image));
  EXPECT_EQ(Sql(cache, "SELECT count(*) FROM layer_results"), "0");
  EXPECT_EQ(Sql(cache, "SELECT count(*) FROM image_results"), "0");
}

// ---------------------------------------------------------------------------
// Whole results: the same command on the same image again.

TEST(ResultCache, TheSameCommandAgainReadsNoLayerAndPrintsTheSame) {
  for (const std::string& image :
       {CorpusDir() + "/corpus/leaky-app.oci", CorpusDir() + "/corpus/churn.docker.tar"}) {
    SCOPED_TRACE(image);
    std::string cache = TempDir();
    // ci fails on leaky-app: the exit code and the warnings come back too.
    std::vector<std::string> args = {"ci", "--format", "json", image};
    RunResult cold = RunCached(args, cache);
    EXPECT_EQ(cold.err.find(kNoLayerRead), std::string::npos) << cold.err;
    RunResult warm = RunCached(args, cache);
    EXPECT_NE(warm.err.find(kNoLayerRead), std::string::npos) << warm.err;
    EXPECT_EQ(warm.out, cold.out);
    EXPECT_EQ(warm.exit_code, cold.exit_code);
    RunResult uncached = RunStrata({"ci", "--format", "json", "--no-cache", image});
    EXPECT_EQ(warm.out, uncached.out);
    EXPECT_EQ(warm.exit_code, uncached.exit_code);
    EXPECT_EQ(RunStrata({"ci", "-q", "--format", "json", "--cache-dir", cache, image}).err, "");
    // Warnings come back as they were given.
    auto warnings = [](const std::string& err) {
      std::string kept;
      std::istringstream lines(err);
      for (std::string line; std::getline(lines, line);)
        if (line.starts_with("strata: warning:")) kept += line + "\n";
      return kept;
    };
    EXPECT_EQ(warnings(warm.err), warnings(uncached.err));
  }
}

TEST(ResultCache, AnythingElseIsAMiss) {
  std::string dir = TempDir();
  std::string cache = dir + "/cache";
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  ASSERT_EQ(RunCached({"audit", "--format", "json", image}, cache).exit_code, 0);

  // Another format, another option, another image.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"audit", "--format", "sarif", image},
        std::vector<std::string>{"audit", "--format", "json", "--top", "3", image},
        std::vector<std::string>{"audit", "--format", "json",
                                 CorpusDir() + "/corpus/leaky-app.docker.tar"}}) {
    RunResult run = RunCached(args, cache);
    EXPECT_EQ(run.err.find(kNoLayerRead), std::string::npos) << args[2] << ": " << run.err;
  }

  // The same command line with another configuration file's contents.
  std::string config = dir + "/strata.yaml";
  WriteFile(config, "rules:\n  disable: [secret-generic-assignment]\n");
  std::vector<std::string> args = {"audit", "--format", "json", "--config", config, image};
  RunResult first = RunCached(args, cache);
  ASSERT_NE(RunCached(args, cache).err.find(kNoLayerRead), std::string::npos);
  WriteFile(config, "rules:\n  disable: [secret-private-key]\n");
  RunResult changed = RunCached(args, cache);
  EXPECT_EQ(changed.err.find(kNoLayerRead), std::string::npos) << changed.err;
  EXPECT_NE(changed.out, first.out);
  EXPECT_EQ(changed.out,
            RunStrata({"audit", "--format", "json", "--config", config, "--no-cache", image}).out);

  // --no-result-cache reads the layers (from the layer cache).
  RunResult layers = RunCached({"audit", "--format", "json", "--no-result-cache", image}, cache);
  EXPECT_EQ(layers.err.find(kNoLayerRead), std::string::npos);
  EXPECT_NE(layers.err.find(" reused, "), std::string::npos) << layers.err;
}

TEST(ResultCache, ADamagedResultIsNotTrusted) {
  std::string cache = TempDir();
  std::string image = CorpusDir() + "/corpus/churn.oci";
  std::vector<std::string> args = {"audit", "--format", "json", image};
  RunResult cold = RunCached(args, cache);
  for (const std::string& damage :
       {std::string("UPDATE image_results SET result = CAST('garbage' AS BLOB)"),
        std::string("UPDATE image_results SET version = version + 1")}) {
    SCOPED_TRACE(damage);
    Sql(cache, damage);
    RunResult warm = RunCached(args, cache);
    EXPECT_EQ(warm.err.find(kNoLayerRead), std::string::npos) << warm.err;
    EXPECT_EQ(warm.out, cold.out);
    EXPECT_NE(RunCached(args, cache).err.find(kNoLayerRead), std::string::npos);
  }
  // Garbage with a valid checksum does not decode.
  std::string garbage = "1 7 0\nnot a result";
  int64_t checksum = static_cast<int64_t>(XXH3_64bits(garbage.data(), garbage.size()));
  Sql(cache, "UPDATE image_results SET result = CAST('" + garbage +
                 "' AS BLOB), checksum = " + std::to_string(checksum));
  RunResult warm = RunCached(args, cache);
  EXPECT_EQ(warm.err.find(kNoLayerRead), std::string::npos) << warm.err;
  EXPECT_EQ(warm.out, cold.out);
}

TEST(ResultCache, SaveAlwaysWritesItsFile) {
  std::string dir = TempDir();
  std::string image = CorpusDir() + "/corpus/churn.oci";
  for (int run = 0; run < 2; ++run) {
    fs::remove(dir + "/saved.tar");
    RunResult result = RunCached({"audit", "--format", "json", "--save", dir + "/saved.tar", image},
                                 dir + "/cache");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err.find(kNoLayerRead), std::string::npos) << result.err;
    EXPECT_TRUE(fs::exists(dir + "/saved.tar"));
  }
}

TEST(ResultCache, OnlyTheNewestResultsAreKept) {
  std::string cache = TempDir();
  std::string image = CorpusDir() + "/corpus/churn.oci";
  for (int top = 1; top <= kImageResultsKept + 3; ++top)
    RunCached({"audit", "--top", std::to_string(top), image}, cache);  // -v: no -q.
  EXPECT_EQ(Sql(cache, "SELECT count(*) FROM image_results"), std::to_string(kImageResultsKept));
}

TEST(ResultCache, ARowMovedUnderAnotherKeyIsNotTrusted) {
  std::string cache = TempDir();
  std::string leaky = CorpusDir() + "/corpus/leaky-app.oci";
  std::string clean = CorpusDir() + "/corpus/clean-multistage.oci";
  RunCached({"audit", "--format", "json", leaky}, cache);
  RunResult cold = RunCached({"audit", "--format", "json", clean}, cache);
  // clean's row gets leaky's bytes and checksum.
  Sql(cache,
      "UPDATE image_results SET (result, checksum) = (SELECT result, checksum FROM image_results "
      "WHERE rowid = (SELECT min(rowid) FROM image_results)) "
      "WHERE rowid = (SELECT max(rowid) FROM image_results)");
  RunResult warm = RunCached({"audit", "--format", "json", clean}, cache);
  EXPECT_EQ(warm.err.find(kNoLayerRead), std::string::npos) << warm.err;
  EXPECT_EQ(warm.out, cold.out);
}

TEST(ResultCache, SettingsReadFromAPipeAreNeverKept) {
  std::string cache = TempDir();
  std::string binary = getenv("STRATA_BINARY") ? getenv("STRATA_BINARY") : STRATA_BINARY;
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  // The same command line, a policy that passes, then one that fails.
  auto run = [&](double wasted) {
    std::string command = fmt::format(
        "bash -c \"NO_COLOR=1 '{}' ci --no-rules -v --cache-dir '{}' '{}' --dive-ci "
        "<(printf 'rules:\\n  lowestEfficiency: 0.5\\n  highestUserWastedPercent: {}\\n')\"",
        binary, cache, image, wasted);
    std::string output;
    int code = RunShell(command, &output);
    EXPECT_EQ(output.find(kNoLayerRead), std::string::npos) << output;
    return code;
  };
  EXPECT_EQ(run(0.9), 0);
  EXPECT_EQ(run(0.1), 1);
}

TEST(ResultCache, TheKeyNamesTheManifest) {
  ImageSource source;
  source.input = "image";
  source.config_json = "{}";
  source.manifest_json = R"({"annotations":{"a":"1"}})";
  MemoInputs inputs;
  inputs.args = {"audit", "image"};
  inputs.source = &source;
  inputs.today = "2026-12-04";
  std::string key = ResultKey(inputs);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(ResultKey(inputs), key);
  source.manifest_json = R"({"annotations":{"a":"2"}})";
  EXPECT_NE(ResultKey(inputs), key);
  source.manifest_json = R"({"annotations":{"a":"1"}})";
  source.manifest_digest = "sha256:other";
  EXPECT_NE(ResultKey(inputs), key);
}

// ---------------------------------------------------------------------------
// Blob files changed in place: a cache row speaks of the bytes a run
// verified, so a file that no longer holds them is hashed again.

// Where, in the file |image| (an OCI layout's largest blob, or the largest
// member of an archive), one byte of layer data lies.
std::pair<std::string, int64_t> LayerByte(const std::string& image) {
  if (fs::is_directory(image)) {
    std::string largest;
    for (const auto& blob : fs::directory_iterator(image + "/blobs/sha256"))
      if (largest.empty() || blob.file_size() > fs::file_size(largest))
        largest = blob.path().string();
    return {largest, static_cast<int64_t>(fs::file_size(largest) / 2)};
  }
  struct archive* archive = archive_read_new();
  archive_read_support_format_tar(archive);
  EXPECT_EQ(archive_read_open_filename(archive, image.c_str(), 1 << 16), ARCHIVE_OK);
  int64_t offset = 0, size = 0;
  for (struct archive_entry* entry; archive_read_next_header(archive, &entry) == ARCHIVE_OK;) {
    if (archive_entry_size(entry) > size) {
      size = archive_entry_size(entry);
      offset = archive_filter_bytes(archive, 0);
    }
    archive_read_data_skip(archive);
  }
  archive_read_free(archive);
  return {image, offset + size / 2};
}

// Flips one bit of |path|'s byte at |offset|, in place: same inode, same
// size.
void FlipInPlace(const std::string& path, int64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file) << path;
  file.seekg(offset);
  char byte = 0;
  file.get(byte);
  file.seekp(offset);
  file.put(static_cast<char>(byte ^ 0x20));
}

// Found by a new user: one byte flipped in a blob file after an audit,
// and the next audit (layer cache or whole result alike) printed the old
// report as if nothing had changed.
TEST(LayerCache, ABlobChangedInPlaceIsReadAgainAndRefused) {
  REQUIRE_FIXTURES();
  for (const char* name : {"multi.oci", "multi.oci.tar", "multi.docker.tar"}) {
    SCOPED_TRACE(name);
    std::string dir = TempDir();
    std::string image = dir + "/" + name;
    fs::copy(FixturesDir() + "/" + name, image, fs::copy_options::recursive);
    std::string cache = dir + "/cache";
    std::vector<std::string> args = {"audit", "--format", "json", image};
    ASSERT_EQ(RunCached(args, cache).exit_code, 0);
    ASSERT_NE(RunCached(args, cache).err.find(kNoLayerRead), std::string::npos);

    auto [file, offset] = LayerByte(image);
    FlipInPlace(file, offset);
    for (bool whole_results : {true, false}) {
      std::vector<std::string> again = args;
      if (!whole_results) again.insert(again.begin() + 1, "--no-result-cache");
      RunResult run = RunCached(again, cache);
      EXPECT_EQ(run.exit_code, 2) << run.err;
      EXPECT_EQ(run.out, "");
      EXPECT_NE(run.err.find("mismatch"), std::string::npos) << run.err;
    }
  }
}

// Found by a user trial: an image extracted from a tar, audited, then
// extracted again from a copy of that tar with one byte flipped. tar made
// the blob anew, and the file system gave it the inode number it had just
// freed; tar set the modification time from its header, as before. Only
// the birth time told the new file from the one verified. Whether the
// inode number comes back is the file system's choice (here it may not):
// the outcome is checked either way.
TEST(LayerCache, AnImageExtractedAgainOverItselfIsNotTrusted) {
  REQUIRE_FIXTURES();
  std::string dir = TempDir();
  std::string good = FixturesDir() + "/multi.oci.tar";
  std::string bad = dir + "/bad.tar";
  fs::copy_file(good, bad);
  auto [file, offset] = LayerByte(bad);
  FlipInPlace(file, offset);
  std::string image = dir + "/image", cache = dir + "/cache", output;
  fs::create_directory(image);
  ASSERT_EQ(RunShell("tar -xf '" + good + "' -C '" + image + "'", &output), 0) << output;
  ASSERT_EQ(RunCached({"audit", image}, cache).exit_code, 0);

  ASSERT_EQ(RunShell("tar -xf '" + bad + "' -C '" + image + "'", &output), 0) << output;
  for (std::vector<std::string> args :
       {std::vector<std::string>{"audit", image}, {"audit", "--no-result-cache", image}}) {
    RunResult run = RunCached(args, cache);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("blob digest mismatch"), std::string::npos) << run.err;
  }
}

// Found by a user trial: a legacy docker archive piped in, its manifest
// and config those of an image audited before and one layer's bytes other
// (same size: a legacy archive names its layers by nothing else), passed
// audit and ci from the cache with the first image's report. Bytes from a
// stream are hashed before any cached result of theirs is used.
TEST(LayerCache, AStreamIsHashedNotTakenForTheImageItNames) {
  REQUIRE_FIXTURES();
  std::string dir = TempDir();
  std::string good = FixturesDir() + "/multi.docker.tar";
  std::string bad = dir + "/bad.tar";
  fs::copy_file(good, bad);
  auto [file, offset] = LayerByte(bad);
  FlipInPlace(file, offset);
  std::string cache = dir + "/cache";
  auto piped = [&](const std::string& archive, const std::string& args) {
    RunResult run;
    std::string command = "cat '" + archive + "' | NO_COLOR=1 " + testing::StrataCommand() +
                          " " + args + " -v --cache-dir '" + cache + "' - 2>&1 >/dev/null";
    run.exit_code = RunShell(command, &run.err);
    return run;
  };
  ASSERT_EQ(piped(good, "audit").exit_code, 0);
  RunResult again = piped(good, "audit");
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_NE(again.err.find(kNoLayerRead), std::string::npos) << again.err;

  for (const char* args : {"audit", "audit --no-result-cache", "ci", "ci --no-result-cache"}) {
    RunResult run = piped(bad, args);
    EXPECT_NE(run.exit_code, 0) << args << "\n" << run.err;
    EXPECT_NE(run.err.find("diff_id mismatch"), std::string::npos) << args << "\n" << run.err;
  }

  // The bytes verified before still come from the cache, hashed.
  RunResult layers = piped(good, "audit --no-result-cache");
  EXPECT_EQ(layers.exit_code, 0) << layers.err;
  EXPECT_NE(layers.err.find("0 read, 0 stored, 5 blobs hashed again"), std::string::npos)
      << layers.err;
}

// A blob file touched, copied or new to the cache is hashed once (not
// read: its layer comes from the cache) and then trusted; a hard link to
// a file verified before is the same file, and is not hashed at all.
TEST(LayerCache, ATouchedOrCopiedBlobIsHashedOnceNotRead) {
  REQUIRE_FIXTURES();
  std::string dir = TempDir();
  std::string image = dir + "/multi.oci";
  fs::copy(FixturesDir() + "/multi.oci", image, fs::copy_options::recursive);
  std::string cache = dir + "/cache";
  ASSERT_EQ(Audit(cache, image).read, 5);
  static const std::regex kHashed(R"((\d+) blobs? hashed again)");
  auto hashed = [](const CachedRun& run) {
    std::smatch match;
    return std::regex_search(run.result.err, match, kHashed) ? std::stoi(match[1]) : 0;
  };
  EXPECT_EQ(hashed(Audit(cache, image)), 0);

  std::string blob = LayerByte(image).first;
  fs::last_write_time(blob, fs::last_write_time(blob) + std::chrono::seconds(1));
  CachedRun touched = Audit(cache, image);
  EXPECT_EQ(touched.reused, 5);
  EXPECT_EQ(hashed(touched), 1) << touched.result.err;
  EXPECT_EQ(touched.result.out, Uncached(image));
  EXPECT_EQ(hashed(Audit(cache, image)), 0);

  std::string copy = dir + "/copy.oci";
  fs::copy(image, copy, fs::copy_options::recursive);
  CachedRun copied = Audit(cache, copy);
  EXPECT_EQ(copied.reused, 5);
  EXPECT_EQ(hashed(copied), 5) << copied.result.err;

  std::string linked = dir + "/linked.oci";
  fs::copy(image, linked, fs::copy_options::recursive | fs::copy_options::create_hard_links);
  CachedRun hard_linked = Audit(cache, linked);
  EXPECT_EQ(hard_linked.reused, 5);
  // Where the file system keeps no birth time, the change time stands in,
  // and making the link changed it.
  struct statx info;
  bool born = statx(AT_FDCWD, blob.c_str(), 0, STATX_BTIME, &info) == 0 &&
              (info.stx_mask & STATX_BTIME) != 0 && info.stx_btime.tv_sec != 0;
  EXPECT_EQ(hashed(hard_linked), born ? 0 : 5) << hard_linked.result.err;
}

}  // namespace
}  // namespace strata
