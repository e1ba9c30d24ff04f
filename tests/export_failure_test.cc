// An export that fails part-way leaves its target as it was before the run
// (extract/staged_target.h): a layer that reads differently the second
// time (truncated, corrupt, or changed), a write the disk refuses, entries
// that cannot be moved into place, and a tar stream cut short. The stop
// signals are tested end to end in registry_source_test.cc.
#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>

#include "base/error.h"
#include "blob/byte_reader.h"
#include "extract/image_files.h"
#include "extract/safe_writer.h"
#include "extract/tar_sink.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::AnalyzePath;
using testing::Describe;
using testing::ReadFileText;
using testing::RunShell;
using testing::Seen;
using testing::StrataCommand;
using testing::TarMember;
using testing::TempDir;
using testing::WalkDisk;
using testing::WriteFile;
using testing::WriteImage;

constexpr int kSmallFiles = 200;

// A layer of many small files that do not compress to nothing, then a
// large one: a failure three quarters in comes after many were written.
std::vector<TarMember> ManyFiles() {
  std::mt19937 random(7);
  std::vector<TarMember> members = {{"app", '5'}, {"app/data", '5'}};
  for (int i = 0; i < kSmallFiles; ++i) {
    std::string content(3000, ' ');
    for (char& c : content) c = static_cast<char>('a' + random() % 26);
    members.push_back({fmt::format("app/data/f{:03}", i), '0', content});
  }
  members.push_back({"app/big", '0', std::string(1 << 20, 'b')});
  members.push_back({"zlast", '0', "the end"});
  return members;
}

std::string ReadBlob(const LayerBlob& blob) {
  std::unique_ptr<ByteReader> reader = blob.open();
  std::string data;
  char buffer[65536];
  while (size_t got = reader->Read(buffer, sizeof buffer)) data.append(buffer, got);
  return data;
}

std::string Flipped(std::string data, size_t at) {
  data[at] = static_cast<char>(data[at] ^ 0xFF);
  return data;
}

// The names directly in |dir|.
std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

void ExpectSameTree(const std::map<std::string, Seen>& want,
                    const std::map<std::string, Seen>& got) {
  for (const auto& [path, seen] : want) {
    auto it = got.find(path);
    if (it == got.end())
      ADD_FAILURE() << "missing " << path;
    else
      EXPECT_EQ(Describe(it->second), Describe(seen)) << path;
  }
  for (const auto& [path, seen] : got)
    if (!want.count(path)) ADD_FAILURE() << "extra " << path << " " << Describe(seen);
}

int64_t MtimeOf(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) return -1;
  return info.st_mtim.tv_sec * 1000000000 + info.st_mtim.tv_nsec;
}

// Forwards to another sink, counting the files it took.
class CountingSink : public ExportSink {
 public:
  explicit CountingSink(ExportSink* to) : to_(to) {}
  void Prepare(const PlannedPaths& plan) override { to_->Prepare(plan); }
  void Directory(const std::string& path, const FileMeta& meta) override {
    to_->Directory(path, meta);
  }
  void File(const std::string& path, const FileMeta& meta, int64_t size,
            const ContentFiller& fill) override {
    to_->File(path, meta, size, fill);
    ++files_;
  }
  void Symlink(const std::string& path, const std::string& target, const FileMeta& meta) override {
    to_->Symlink(path, target, meta);
  }
  void Hardlink(const std::string& path, const std::string& existing,
                const FileMeta& meta) override {
    to_->Hardlink(path, existing, meta);
  }
  void Fifo(const std::string& path, const FileMeta& meta) override { to_->Fifo(path, meta); }
  bool Device(const std::string& path, bool block, uint32_t major, uint32_t minor,
              const FileMeta& meta) override {
    return to_->Device(path, block, major, minor, meta);
  }
  void Finish() override { to_->Finish(); }
  int written() const override { return to_->written(); }
  int files() const { return files_; }

 private:
  ExportSink* to_;
  int files_ = 0;
};

// The layer's blob as a second read would find it, broken three ways,
// each after many files were written.
std::vector<std::pair<std::string, std::string>> BrokenBlobs(const std::string& tar) {
  std::string gzip = testing::Gzip(tar);
  // A tar header three quarters into the small files: its checksum fails.
  size_t header = tar.find(fmt::format("app/data/f{:03}", kSmallFiles * 3 / 4));
  return {{"truncated gzip", gzip.substr(0, gzip.size() * 3 / 4)},
          {"corrupt gzip", Flipped(gzip, gzip.size() * 3 / 4)},
          {"damaged tar header", Flipped(tar, header + 120)}};
}

TEST(ExportFailure, ABrokenLayerLeavesNoTargetAndNoTemporaryDirectory) {
  std::string dir = TempDir();
  Analysis analysis = AnalyzePath(WriteImage(dir + "/image", {ManyFiles()}));
  std::string tar = ReadBlob(analysis.layers[0].blob);
  for (const auto& [what, blob] : BrokenBlobs(tar)) {
    analysis.layers[0].blob.open = [blob] { return OpenString(blob); };
    for (const char* target : {"/out", "/new/parents/out"}) {
      {
        SafeWriter writer(dir + target, WriteOptions());
        CountingSink sink(&writer);
        EXPECT_THROW(ExportImage(analysis, ExportOptions(), &sink), Error) << what;
        EXPECT_GT(sink.files(), kSmallFiles / 2) << what;
      }
      EXPECT_EQ(Names(dir), std::set<std::string>{"image"}) << what << " " << target;
    }
  }
}

TEST(ExportFailure, ABrokenLayerLeavesAnExistingTargetAsItWas) {
  std::string dir = TempDir();
  Analysis analysis = AnalyzePath(WriteImage(dir + "/image", {ManyFiles()}));
  std::string tar = ReadBlob(analysis.layers[0].blob);
  std::string target = dir + "/existing";
  WriteFile(target + "/mine", "keep");
  WriteFile(target + "/app/data/f000", "old");  // --overwrite replaces it.
  WriteFile(dir + "/outside/x", "x");
  fs::create_symlink(dir + "/outside", target + "/zlast");  // And this link.
  std::map<std::string, Seen> before = WalkDisk(target);
  int64_t mtime = MtimeOf(target), app_mtime = MtimeOf(target + "/app");

  for (const auto& [what, blob] : BrokenBlobs(tar)) {
    analysis.layers[0].blob.open = [blob] { return OpenString(blob); };
    WriteOptions options;
    options.overwrite = true;
    {
      SafeWriter writer(target, options);
      CountingSink sink(&writer);
      EXPECT_THROW(ExportImage(analysis, ExportOptions(), &sink), Error) << what;
      EXPECT_GT(sink.files(), kSmallFiles / 2) << what;
    }
    ExpectSameTree(before, WalkDisk(target));
    EXPECT_EQ(MtimeOf(target), mtime) << what;
    EXPECT_EQ(MtimeOf(target + "/app"), app_mtime) << what;
  }
  EXPECT_EQ(Names(dir), (std::set<std::string>{"existing", "image", "outside"}));
}

// A blob that reads as a good tar the second time, one file's bytes
// changed: the digests, checked again as the export reads, catch it.
TEST(ExportFailure, ABlobThatChangedSinceTheAnalysisIsNotWritten) {
  std::string dir = TempDir();
  Analysis analysis = AnalyzePath(WriteImage(dir + "/image", {ManyFiles()}));
  std::string tar = ReadBlob(analysis.layers[0].blob);
  size_t content = tar.find(std::string(512, 'b'));
  ASSERT_NE(content, std::string::npos);
  std::string changed = tar;
  changed[content + 1000] = 'c';
  analysis.layers[0].blob.open = [changed] { return OpenString(changed); };
  {
    SafeWriter writer(dir + "/out", WriteOptions());
    try {
      ExportImage(analysis, ExportOptions(), &writer);
      ADD_FAILURE() << "exported bytes that no longer match the digest";
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("layer 1: blob digest mismatch"), std::string::npos)
          << error.what();
    }
  }
  EXPECT_EQ(Names(dir), std::set<std::string>{"image"});
}

// A tar stream into a file (`> out.tar`, `>> all.tar`) is cut back to
// where it started; unbroken, it is whole.
TEST(ExportFailure, ATarStreamIntoAFileIsCutBackToWhereItStarted) {
  std::string dir = TempDir();
  Analysis analysis = AnalyzePath(WriteImage(dir + "/image", {ManyFiles()}));
  std::string tar = ReadBlob(analysis.layers[0].blob);
  LayerBlob good = analysis.layers[0].blob;
  WriteFile(dir + "/all.tar", "earlier archive");
  for (const auto& [what, blob] : BrokenBlobs(tar)) {
    analysis.layers[0].blob.open = [blob] { return OpenString(blob); };
    for (int flags : {O_TRUNC, O_APPEND}) {
      std::string file = dir + (flags == O_TRUNC ? "/out.tar" : "/all.tar");
      int fd = open(file.c_str(), O_WRONLY | O_CREAT | flags, 0644);
      ASSERT_GE(fd, 0);
      {
        TarSink sink(fd);
        EXPECT_THROW(ExportImage(analysis, ExportOptions(), &sink), Error) << what;
      }
      close(fd);
      EXPECT_EQ(ReadFileText(file), flags == O_TRUNC ? "" : "earlier archive") << what;
    }
  }

  analysis.layers[0].blob = good;
  int fd = open((dir + "/out.tar").c_str(), O_WRONLY | O_TRUNC);
  {
    TarSink sink(fd);
    ExportImage(analysis, ExportOptions(), &sink);
  }
  close(fd);
  EXPECT_EQ(testing::ReadTar(ReadFileText(dir + "/out.tar")).entries.size(), kSmallFiles + 4);
}

// What the tests below run in a shell: the image path and strata, quoted.
std::string Quoted(const std::string& text) { return "'" + text + "'"; }

// A file larger than the process may write (RLIMIT_FSIZE; SIGXFSZ
// ignored, so write(2) fails with EFBIG): the files before it were
// written, and go again.
TEST(ExportFailure, AWriteTheSystemRefusesLeavesTheTargetAsItWas) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {ManyFiles()});
  std::string target = dir + "/existing";
  WriteFile(target + "/mine", "keep");
  std::map<std::string, Seen> before = WalkDisk(target);
  for (const std::string& out : {dir + "/out", target}) {
    std::string output;
    int code = RunShell("trap '' XFSZ; ulimit -f 1024; " + StrataCommand() + " export -q " +
                            Quoted(image) + " " + Quoted(out),
                        &output);
    EXPECT_EQ(code, 2) << output;
    EXPECT_EQ(output, "strata: error: cannot write " + out + "/app/big: File too large\n");
  }
  EXPECT_EQ(Names(dir), (std::set<std::string>{"existing", "image"}));
  ExpectSameTree(before, WalkDisk(target));
}

// Whether this process may make a mount namespace of its own and mount a
// tmpfs in it (root in most containers; not an ordinary user).
bool CanMountTmpfs() {
  std::string output;
  std::string dir = TempDir();
  return RunShell("unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs " + Quoted(dir) + "'",
                  &output) == 0;
}

#define REQUIRE_MOUNT() \
  if (!CanMountTmpfs()) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)"

// A disk that fills up: a 1 MiB tmpfs, in a mount namespace of the test's
// own, takes the small files (a 4 kB page each) but not the 1 MiB one.
TEST(ExportFailure, AFullDiskLeavesTheTargetAsItWas) {
  REQUIRE_MOUNT();
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {ManyFiles()});
  std::string disk = dir + "/disk";
  fs::create_directories(disk);
  std::string strata = StrataCommand() + " export -q " + Quoted(image) + " ";
  std::string output;
  int code = RunShell("cd " + Quoted(dir) +
                          " && unshare -m sh -c '"
                          "mount -t tmpfs -o size=1m tmpfs disk && mkdir disk/existing && "
                          "echo keep > disk/existing/mine && " +
                          strata + "disk/out; echo \"exit $?\"; " + strata +
                          "disk/existing; echo \"exit $?\"; find disk | sort'",
                      &output);
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(output,
            "strata: error: cannot write disk/out/app/big: No space left on device\n"
            "exit 2\n"
            "strata: error: cannot write disk/existing/app/big: No space left on device\n"
            "exit 2\n"
            "disk\n"
            "disk/existing\n"
            "disk/existing/mine\n");
}

// Moving into place can fail too: here a directory of the target is
// another filesystem's mount point, which rename(2) cannot cross. What
// was moved before is moved back.
TEST(ExportFailure, AMoveIntoPlaceThatFailsIsUndone) {
  REQUIRE_MOUNT();
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {ManyFiles()});
  std::string target = dir + "/existing";
  WriteFile(target + "/mine", "keep");
  WriteFile(target + "/zlast", "old last");  // --overwrite sets it aside, then puts it back.
  fs::create_directories(target + "/app");
  std::string listing = "find existing -printf \"%p %y %s %T@\\n\" | sort";
  std::string output;
  int code = RunShell("cd " + Quoted(dir) +
                          " && unshare -m sh -c '"
                          "mount -t tmpfs tmpfs existing/app && echo kept > existing/app/own && " +
                          listing + " > before && " + StrataCommand() + " export -q --overwrite " +
                          Quoted(image) + " existing; echo \"exit $?\"; " + listing +
                          " > after; cmp before after && echo same'",
                      &output);
  EXPECT_EQ(code, 0) << output;
  // app/big or app/data, whichever the directory lists first.
  EXPECT_TRUE(output.starts_with("strata: error: cannot write existing/app/")) << output;
  EXPECT_TRUE(output.ends_with(": Invalid cross-device link\nexit 2\nsame\n")) << output;
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 3) << output;
  EXPECT_EQ(Names(target), (std::set<std::string>{"app", "mine", "zlast"}));
  EXPECT_EQ(ReadFileText(target + "/zlast"), "old last");
}

}  // namespace
}  // namespace strata
