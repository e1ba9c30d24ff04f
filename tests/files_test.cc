// The file commands end to end on real images: export against umoci's
// unpack and tar, cat against the bytes tar extracts, ls, and the safety
// of writing files an untrusted image describes.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::CorpusDir;
using testing::Describe;
using testing::FixturesDir;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::Seen;
using testing::TarMember;
using testing::TempDir;
using testing::WalkDisk;
using testing::WriteFile;
using testing::WriteImage;

void ExpectOneErrorLine(const RunResult& result, const std::string& message) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("strata: error: ")) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
}

void ExpectSameTree(const std::map<std::string, Seen>& want, const std::map<std::string, Seen>& got,
                    const std::string& what) {
  for (const auto& [path, seen] : want) {
    auto it = got.find(path);
    if (it == got.end()) {
      ADD_FAILURE() << what << ": missing " << path;
      continue;
    }
    EXPECT_EQ(Describe(it->second), Describe(seen)) << what << ": " << path;
  }
  for (const auto& [path, seen] : got)
    if (!want.count(path)) ADD_FAILURE() << what << ": extra " << path << " " << Describe(seen);
}

TEST(Export, SquashMatchesUmociUnpack) {
  REQUIRE_FIXTURES();
  for (const char* name : {"semantics", "removed", "multi"}) {
    std::string out = TempDir() + "/rootfs";
    RunResult result =
        RunStrata({"export", "--keep-setuid", FixturesDir() + "/" + name + ".oci", out});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ExpectSameTree(WalkDisk(FixturesDir() + "/" + name + ".rootfs"), WalkDisk(out), name);
  }
}

TEST(Export, SquashOfTheChurnCorpusImageMatchesUmoci) {
  std::string work = TempDir();
  std::string layout = CorpusDir() + "/corpus/churn.oci";
  std::string output;
  ASSERT_EQ(RunShell("cp -r '" + layout + "' '" + work + "/layout' && umoci unpack --image '" +
                         work + "/layout:corpus/churn:1' '" + work + "/bundle'",
                     &output),
            0)
      << output;
  RunResult result = RunStrata({"export", "--keep-setuid", layout, work + "/export"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ExpectSameTree(WalkDisk(work + "/bundle/rootfs"), WalkDisk(work + "/export"), "churn");
}

TEST(Export, SetuidBitsAreDroppedUnlessAsked) {
  REQUIRE_FIXTURES();
  std::string out = TempDir() + "/rootfs";
  ASSERT_EQ(RunStrata({"export", FixturesDir() + "/semantics.oci", out}).exit_code, 0);
  struct stat info;
  ASSERT_EQ(stat((out + "/s/special/suid").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0755u);
}

// A tar stream writes nothing to the host: it keeps every mode as the
// image stores it, setuid and setgid bits included, with or without
// --keep-setuid; what unpacks it decides. A directory drops them unless
// asked (found by a new user: the two differed, and the docs said nothing).
TEST(Export, ATarStreamKeepsSetuidBitsWhereADirectoryDropsThem) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{
                                                     {"bin", '5', "", "", 0755},
                                                     {"bin/su", '0', "elf", "", 04755},
                                                     {"bin/wall", '0', "elf", "", 02711},
                                                     {"bin/both", '0', "elf", "", 06750},
                                                     {"shared", '5', "", "", 02775},
                                                 }});
  const std::map<std::string, uint32_t> stored = {
      {"bin/su", 04755}, {"bin/wall", 02711}, {"bin/both", 06750}, {"shared", 02775}};

  for (std::vector<std::string> args : {std::vector<std::string>{"export", "-q", image, "-"},
                                        {"export", "-q", "--keep-setuid", image, "-"}}) {
    std::string stream = dir + "/stream.tar";
    std::string command = testing::StrataCommand();
    for (const std::string& arg : args) command += " '" + arg + "'";
    std::string output;
    ASSERT_EQ(RunShell(command + " > '" + stream + "'", &output), 0) << output;
    LayerContents contents = testing::ReadTar(ReadFileText(stream));
    std::map<std::string, uint32_t> modes;
    for (const LayerEntry& entry : contents.entries)
      if (stored.count(std::string(entry.path))) modes[std::string(entry.path)] = entry.mode;
    EXPECT_EQ(modes, stored) << args[2];
  }

  std::string out = dir + "/rootfs";
  ASSERT_EQ(RunStrata({"export", "-q", image, out}).exit_code, 0);
  for (const auto& [path, mode] : stored) {
    struct stat info;
    ASSERT_EQ(stat((out + "/" + path).c_str(), &info), 0) << path;
    EXPECT_EQ(info.st_mode & 07777, mode & 0777) << path;
  }
}

TEST(Export, LayerAsTarStreamListsLikeTheLayerItself) {
  REQUIRE_FIXTURES();
  std::string dir = TempDir();
  std::string image = FixturesDir() + "/semantics.docker25.tar";
  std::string output;
  // The third layer's blob, straight from the archive.
  ASSERT_EQ(
      RunShell("cd '" + dir + "' && tar -xf '" + image + "' manifest.json && tar -xf '" + image +
                   "' $(python3 -c 'import "
                   "json;print(json.load(open(\"manifest.json\"))[0][\"Layers\"][2])') && "
                   "mv blobs/sha256/* layer.tar",
               &output),
      0)
      << output;
  ASSERT_EQ(RunShell("cd '" + dir + "' && '" + std::string(STRATA_BINARY) +
                         "' export -q --layer 3 '" + image + "' - > ours.tar",
                     &output),
            0)
      << output;
  std::string listing =
      "tar -tv --numeric-owner -f {} | awk '{print $1, $2, $3, $6}' | sed 's#/$##; s#^\\./##' | "
      "sort";
  std::string theirs, ours;
  RunShell("cd '" + dir +
               "' && tar -tv --numeric-owner -f layer.tar | awk '{print $1, $2, $3, $6}' | sed "
               "'s#/$##; s# \\./# #' | sort",
           &theirs);
  RunShell("cd '" + dir +
               "' && tar -tv --numeric-owner -f ours.tar | awk '{print $1, $2, $3, $6}' | sed "
               "'s#/$##; s# \\./# #' | sort",
           &ours);
  EXPECT_FALSE(theirs.empty());
  EXPECT_EQ(ours, theirs);
}

TEST(Export, NeverOverwritesUnlessAsked) {
  REQUIRE_FIXTURES();
  std::string out = TempDir() + "/rootfs";
  ASSERT_EQ(RunStrata({"export", FixturesDir() + "/multi.oci", out}).exit_code, 0);
  ExpectOneErrorLine(RunStrata({"export", FixturesDir() + "/multi.oci", out}),
                     "exists; pass --overwrite to replace it");
  EXPECT_EQ(RunStrata({"export", "--overwrite", FixturesDir() + "/multi.oci", out}).exit_code, 0);
}

TEST(Export, HostileLayerCannotWriteOutsideTheTarget) {
  std::string dir = TempDir();
  std::string outside = dir + "/outside";
  fs::create_directories(outside);
  std::string image = WriteImage(dir + "/image", {{
                                                      {"evil", '2', "", "", 0777, 0},
                                                      {"a", '0', "fine"},
                                                  },
                                                  {
                                                      {"evil", '2', "", outside},
                                                      {"evil/owned", '0', "pwned"},
                                                  }});
  // The symlink in the layer points outside; the file beneath it must not
  // land there. It is left out and named; the rest is written.
  RunResult result = RunStrata({"export", "--layer", "2", image, dir + "/out"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("skipped /evil/owned (stored beneath /evil, which this layer stores "
                            "as a symbolic link; not written)"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(outside + "/owned"));
  EXPECT_TRUE(fs::is_symlink(dir + "/out/evil"));

  // A target that already holds a symlink pointing outside is not followed.
  fs::create_directories(dir + "/out2");
  fs::create_symlink(outside, dir + "/out2/evil");
  RunResult again = RunStrata({"export", "--overwrite", "--layer", "2", image, dir + "/out2"});
  EXPECT_FALSE(fs::exists(outside + "/owned"));
}

// Exports |image| to |out| (a new directory when ""), as |how| says
// (--layer N, or nothing for the final filesystem) with the flags |extra|;
// returns the directory. A failed export fails the test.
std::string ExportTo(const std::string& image, const std::vector<std::string>& how,
                     const std::vector<std::string>& extra = {}, std::string out = "") {
  if (out.empty()) out = TempDir() + "/out";
  std::vector<std::string> args = {"export"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), how.begin(), how.end());
  args.insert(args.end(), {image, out});
  RunResult result = RunStrata(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return out;
}

// Found by a new user: a layer that stores a path twice stopped `export
// --layer` at the second copy ("dup exists; pass --overwrite"), and a path
// stored with ".." was left out of a layer's export though the full export
// wrote it clamped inside the target, as the docs say both do.
TEST(Export, ALayerIsWrittenAsTarReadsIt) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{{"base", '0', "b"}},
                       {{"dup", '0', "one"}, {"../escape", '0', "clamped"}, {"dup", '0', "two"}}});
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--layer", "2"}, std::vector<std::string>{}}) {
    std::string out = ExportTo(image, how);
    if (::testing::Test::HasFailure()) return;
    EXPECT_EQ(testing::ReadFileText(out + "/dup"), "two");  // The last copy, as tar reads it.
    EXPECT_EQ(testing::ReadFileText(out + "/escape"), "clamped");
    EXPECT_FALSE(fs::exists(dir + "/escape"));
    EXPECT_FALSE(fs::exists(fs::path(out).parent_path() / "escape"));
  }
}

// Found by a user trial: the directories a layer's paths imply, with no
// entry of their own, were 0755 at the epoch in a full export but 0700 at
// the time of the run with --layer; and an existing target's directory
// that the image only implies had its mode and time reset. Both exports
// now make them alike, and leave the target's own as they are.
TEST(Export, ImpliedDirectoriesAreMadeAlikeAndExistingOnesKept) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"usr/lib/x", '0', "x"}}});
  auto mode_and_time = [](const std::string& path) {
    struct stat info;
    EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
    return fmt::format("{:o} {}", info.st_mode & 07777, info.st_mtime);
  };
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--layer", "1"}, std::vector<std::string>{}}) {
    std::string fresh = ExportTo(image, how);
    if (::testing::Test::HasFailure()) return;
    EXPECT_EQ(mode_and_time(fresh + "/usr"), "755 0") << how.size();
    EXPECT_EQ(mode_and_time(fresh + "/usr/lib"), "755 0") << how.size();

    std::string existing = TempDir() + "/existing";
    fs::create_directories(existing + "/usr");
    chmod((existing + "/usr").c_str(), 0750);
    ExportTo(image, how, {}, existing);
    if (::testing::Test::HasFailure()) return;
    EXPECT_TRUE(mode_and_time(existing + "/usr").starts_with("750 ")) << how.size();
    EXPECT_NE(mode_and_time(existing + "/usr"), "750 0") << how.size();
    EXPECT_EQ(mode_and_time(existing + "/usr/lib"), "755 0") << how.size();
    EXPECT_EQ(ReadFileText(existing + "/usr/lib/x"), "x");
  }
}

// A directory a layer stores after a file beneath it (which implied it),
// or stores twice, is left as tar leaves it: with the last entry's mode
// and time (the first one's, or the implied 0755, won before).
TEST(Export, ADirectoryStoredLateOrTwiceTakesItsLastEntry) {
  std::string dir = TempDir();
  TarMember usr{"usr", '5'};
  usr.mode = 0700;
  usr.mtime = 1600000000;
  TarMember first{"d", '5'}, second{"d", '5'};
  first.mode = 0700;
  second.mode = 0750;
  second.mtime = 1650000000;
  std::string image =
      WriteImage(dir + "/image", {{{"usr/lib/x", '0', "x"}, usr, first, second}});
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--layer", "1"}, std::vector<std::string>{}}) {
    std::string out = ExportTo(image, how);
    if (::testing::Test::HasFailure()) return;
    struct stat info;
    ASSERT_EQ(lstat((out + "/usr").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0700u) << how.size();
    EXPECT_EQ(info.st_mtime, 1600000000) << how.size();
    ASSERT_EQ(lstat((out + "/d").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0750u) << how.size();
    EXPECT_EQ(info.st_mtime, 1650000000) << how.size();
  }
}

// A tree deeper than a path the kernel takes in one call (PATH_MAX):
// every directory gets its mode and time, the deepest too. (Found by a
// user trial to take seconds per thousand levels, each directory opened a
// name at a time from the top; the benchmark's numbers, not a test, say
// how long it takes now.)
TEST(Export, ATreeDeeperThanPathMaxGetsEveryMode) {
  std::string dir = TempDir();
  std::vector<TarMember> layer;
  std::string path;
  for (int level = 0; path.size() < 5000; ++level) {
    path += (path.empty() ? "" : "/") + std::string("d");
    TarMember member{path, '5'};
    member.mode = level % 2 == 0 ? 0750 : 0700;
    member.mtime = 1600000000 + level;
    layer.push_back(member);
  }
  layer.push_back({path + "/f", '0', "deep"});
  std::string image = WriteImage(dir + "/image", {layer});
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--layer", "1"}, std::vector<std::string>{}}) {
    std::string out = ExportTo(image, how, {"-q", "--max-path-bytes", "8192"});
    if (::testing::Test::HasFailure()) return;
    // Read a level at a time: no single call takes the whole path.
    int fd = open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t level = 0; level + 1 < layer.size() && fd >= 0; ++level) {
      int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close(fd);
      fd = next;
      ASSERT_GE(fd, 0) << "level " << level;
      struct stat info;
      ASSERT_EQ(fstat(fd, &info), 0);
      EXPECT_EQ(info.st_mode & 07777, layer[level].mode) << "level " << level << how.size();
      EXPECT_EQ(info.st_mtime, layer[level].mtime) << "level " << level << how.size();
      if (::testing::Test::HasFailure()) break;
    }
    char content[8] = {};
    int file = openat(fd, "f", O_RDONLY | O_CLOEXEC);
    EXPECT_EQ(read(file, content, sizeof content), 4);
    EXPECT_STREQ(content, "deep");
    close(file);
    close(fd);
  }
}

TEST(Export, AnEmptyTargetNameIsRefused) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"a", '0', "x"}}});
  fs::create_directories(dir + "/cwd");
  RunResult result = RunStrata({"export", image, ""}, "", dir + "/cwd");
  ExpectOneErrorLine(result, "export needs a target: the directory name is empty");
  EXPECT_TRUE(fs::is_empty(dir + "/cwd"));
}

// A link (or file) already in the target that export refuses is found
// before anything is written: the target is left as it was.
TEST(Export, ARefusalLeavesTheTargetAsItWas) {
  std::string dir = TempDir();
  fs::create_directories(dir + "/outside");
  std::string image = WriteImage(dir + "/image", {{{"a/b/c", '5'},
                                                   {"a/b/c/f", '0', "x"},
                                                   {"etc", '5'},
                                                   {"etc/conf", '0', "y"},
                                                   {"z", '0', "z"}},
                                                  {{"etc/more", '0', "m"}}});
  std::string target = dir + "/out";
  fs::create_directories(target);
  fs::create_symlink(dir + "/outside", target + "/etc");
  std::map<std::string, Seen> before = WalkDisk(target);

  // The final filesystem wants a directory where the link is.
  ExpectOneErrorLine(RunStrata({"export", image, target}),
                     target + "/etc exists; pass --overwrite to replace it");
  ExpectSameTree(before, WalkDisk(target), "squash");
  // A layer's file beneath the link (the layer stores no /etc to put there).
  ExpectOneErrorLine(RunStrata({"export", "--overwrite", "--layer", "2", image, target}),
                     "refusing to write /etc/more: /etc is not a directory");
  ExpectSameTree(before, WalkDisk(target), "--layer 2");
  // A file already there, without --overwrite.
  fs::remove(target + "/etc");
  WriteFile(target + "/z", "old");
  before = WalkDisk(target);
  ExpectOneErrorLine(RunStrata({"export", image, target}),
                     target + "/z exists; pass --overwrite to replace it");
  ExpectSameTree(before, WalkDisk(target), "file in the way");
  EXPECT_TRUE(fs::is_empty(dir + "/outside"));

  // --overwrite replaces the link by a directory, and writes beneath it.
  fs::create_symlink(dir + "/outside", target + "/etc");
  RunResult replaced = RunStrata({"export", "--overwrite", image, target});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(ReadFileText(target + "/etc/conf"), "y");
  EXPECT_EQ(ReadFileText(target + "/z"), "z");
  EXPECT_TRUE(fs::is_empty(dir + "/outside"));
}

// Found by a new user: a directory where the image has a file was refused
// with "pass --overwrite to replace it", and --overwrite then refused it
// too. What --overwrite does, case by case, as doc/cli.md says it.
TEST(Export, OverwriteReplacesWhatIsInTheWayButNeverADirectory) {
  std::string dir = TempDir();
  fs::create_directories(dir + "/outside");
  // app is stored; etc is only implied by etc/passwd.
  std::string image = WriteImage(
      dir + "/image", {{{"app", '5'}, {"app/x", '0', "new"}, {"etc/passwd", '0', "root"}}});
  std::string target = dir + "/out";

  // A directory where the image has a file: never replaced, and nobody is
  // told that --overwrite would.
  fs::create_directories(target + "/app/x");
  std::map<std::string, Seen> before = WalkDisk(target);
  for (std::vector<std::string> args : {std::vector<std::string>{"export", image, target},
                                        {"export", "--overwrite", image, target}}) {
    ExpectOneErrorLine(RunStrata(args), target +
                                            "/app/x is a directory where the image has none; "
                                            "remove it first (not even --overwrite replaces a "
                                            "directory)");
    ExpectSameTree(before, WalkDisk(target), "directory in the way");
  }

  // Files in the way are replaced; what the image does not have stays.
  fs::remove_all(target);
  WriteFile(target + "/app/x", "old");
  WriteFile(target + "/app/keep", "mine");
  ExpectOneErrorLine(RunStrata({"export", image, target}),
                     target + "/app/x exists; pass --overwrite to replace it");
  ASSERT_EQ(RunStrata({"export", "--overwrite", image, target}).exit_code, 0);
  EXPECT_EQ(ReadFileText(target + "/app/x"), "new");
  EXPECT_EQ(ReadFileText(target + "/app/keep"), "mine");

  // A link or a file where the export writes a directory is replaced by
  // it (the link removed, not followed), whether the image stores the
  // directory (app) or only implies it (etc)...
  fs::remove_all(target);
  fs::create_directories(target);
  fs::create_symlink(dir + "/outside", target + "/app");
  WriteFile(target + "/etc", "a file");
  ASSERT_EQ(RunStrata({"export", "--overwrite", image, target}).exit_code, 0);
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(target + "/app")));
  EXPECT_EQ(ReadFileText(target + "/etc/passwd"), "root");
  EXPECT_TRUE(fs::is_empty(dir + "/outside"));

  // ...but a layer's export writes only the directories the layer stores:
  // beneath a link or file it does not replace, it refuses.
  fs::remove_all(target);
  fs::create_directories(target);
  WriteFile(target + "/etc", "a file");
  before = WalkDisk(target);
  ExpectOneErrorLine(RunStrata({"export", "--overwrite", "--layer", "1", image, target}),
                     "refusing to write /etc/passwd: /etc is not a directory");
  ExpectSameTree(before, WalkDisk(target), "--layer 1");
}

// Found by a user trial: with a link where the image has a directory and
// a directory where it has a file, export told the user to pass
// --overwrite, and then, with it, that the directory cannot be replaced.
// The one no flag helps with is said first.
TEST(Export, WhatNoFlagReplacesIsSaidBeforeWhatOverwriteWould) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"app", '5'},
                                                   {"app/x", '0', "new"},
                                                   {"etc", '5'},
                                                   {"etc/passwd", '0', "root"}}});
  std::string target = dir + "/out";
  fs::create_directories(target + "/etc/passwd");
  fs::create_symlink("/nonexistent", target + "/app");
  std::map<std::string, Seen> before = WalkDisk(target);
  for (std::vector<std::string> args : {std::vector<std::string>{"export", image, target},
                                        {"export", "--overwrite", image, target}}) {
    ExpectOneErrorLine(RunStrata(args), target +
                                            "/etc/passwd is a directory where the image has none; "
                                            "remove it first (not even --overwrite replaces a "
                                            "directory)");
    ExpectSameTree(before, WalkDisk(target), "directory in the way");
  }
  fs::remove_all(target + "/etc/passwd");
  ExpectOneErrorLine(RunStrata({"export", image, target}),
                     target + "/app exists; pass --overwrite to replace it");
}

TEST(Export, PathsWithDotDotAreNotWrittenOutside) {
  std::string dir = TempDir();
  std::string image =
      WriteImage(dir + "/image", {{{"../../escape.txt", '0', "x"}, {"ok.txt", '0', "y"}}});
  RunResult result = RunStrata({"export", "--layer", "1", image, dir + "/out/deeper"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(fs::exists(dir + "/escape.txt"));
  EXPECT_FALSE(fs::exists(dir + "/out/escape.txt"));
  EXPECT_TRUE(fs::exists(dir + "/out/deeper/ok.txt"));
  // Clamped inside the target, where strata reads it (and the full export
  // writes it).
  EXPECT_EQ(ReadFileText(dir + "/out/deeper/escape.txt"), "x");
}

TEST(Cat, RemovedFileIsReadFromTheLayerThatStoresIt) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  ExpectOneErrorLine(
      RunStrata({"cat", image, "/app/.env"}),
      "/app/.env was removed in layer 8; layer 6 still stores it: read it with --layer 6");
  RunResult result = RunStrata({"cat", "--layer", "6", image, "/app/.env"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, ReadFileText(CorpusDir() + "/src/leaky-app/.env"));
}

TEST(Cat, FilesEqualWhatUmociUnpacked) {
  REQUIRE_FIXTURES();
  std::string rootfs = FixturesDir() + "/semantics.rootfs";
  for (const char* path :
       {"s/rewrite.txt", "s/links/target.txt", "s/links/hard-same", "s/links/soft",
        "s/f2d/inside.txt", "s/gone/new.txt", "s/names/with space.txt", "bin/busybox"}) {
    for (const char* format : {".oci", ".docker.tar", ".zstd.oci.tar"}) {
      RunResult result =
          RunStrata({"cat", FixturesDir() + "/semantics" + format, std::string("/") + path});
      ASSERT_EQ(result.exit_code, 0) << path << format << ": " << result.err;
      EXPECT_EQ(result.out, ReadFileText(rootfs + "/" + path)) << path << format;
    }
  }
}

TEST(Cat, AbsoluteSymlinksResolveInsideTheImage) {
  REQUIRE_FIXTURES();
  RunResult result = RunStrata({"cat", FixturesDir() + "/semantics.oci", "/s/links/abs"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, ReadFileText(FixturesDir() + "/semantics.rootfs/s/links/target.txt"));
}

// Found by a user trial: a path beneath a removed file "was removed",
// though it never was there; the removal is named as it was.
TEST(Cat, APathBeneathARemovalNamesWhatWasRemoved) {
  std::string image = WriteImage(TempDir() + "/image", {{{"etc/f", '0', "x"}, {"d/", '5'}},
                                                        {{"etc/.wh.f", '0'}, {"d/.wh..wh..opq", '0'}}});
  ExpectOneErrorLine(RunStrata({"cat", image, "/etc/f/x"}),
                     "/etc/f/x: no such file in the image (layer 2 removed /etc/f, and no lower "
                     "layer stores /etc/f/x)");
  ExpectOneErrorLine(RunStrata({"cat", image, "/d/y"}),
                     "/d/y: no such file in the image (layer 2 emptied /d, and no lower layer "
                     "stores /d/y)");
  ExpectOneErrorLine(RunStrata({"cat", image, "/etc/f"}),
                     "/etc/f was removed in layer 2; layer 1 still stores it: read it with "
                     "--layer 1");
}

// One layer is not a filesystem a link can be followed in (doc/cli.md):
// --layer N names where the link leads instead of reading it.
TEST(Cat, ALayerAloneDoesNotFollowASymbolicLink) {
  REQUIRE_FIXTURES();
  std::string image = FixturesDir() + "/semantics.oci";
  ASSERT_EQ(RunStrata({"cat", image, "/linuxrc"}).exit_code, 0);
  ExpectOneErrorLine(RunStrata({"cat", "--layer", "1", image, "/linuxrc"}),
                     "/linuxrc: is a symbolic link to /bin/busybox in layer 1");
}

TEST(Cat, ClearErrors) {
  std::string image = CorpusDir() + "/corpus/leaky-app.oci";
  ExpectOneErrorLine(RunStrata({"cat", image, "/nope/nothing"}),
                     "/nope/nothing: no such file in the image");
  ExpectOneErrorLine(RunStrata({"cat", image, "/app/src"}), "/app/src: is a directory");
  ExpectOneErrorLine(RunStrata({"cat", "--layer", "9", image, "/app/.env"}),
                     "--layer 9 is out of range");
  ExpectOneErrorLine(RunStrata({"cat", "--layer", "2", image, "/app/.env"}),
                     "layer 2 does not store it");
}

// Found by a new user: cat of a link to a missing file named only the
// missing target, not the link asked for.
TEST(Cat, ALinkToAMissingFileIsNamed) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"etc/conf", '2', "", "/etc/missing"},
                                                   {"etc/rel", '2', "", "gone/x"},
                                                   {"etc/hop", '2', "", "conf"}}});
  ExpectOneErrorLine(RunStrata({"cat", image, "/etc/conf"}),
                     "/etc/conf: no such file in the image (its links lead to /etc/missing, "
                     "which is missing)");
  ExpectOneErrorLine(RunStrata({"cat", image, "etc/rel"}),
                     "/etc/rel: no such file in the image (its links lead to /etc/gone/x, "
                     "which is missing)");
  ExpectOneErrorLine(RunStrata({"cat", image, "/etc/hop"}),
                     "/etc/hop: no such file in the image (its links lead to /etc/missing, "
                     "which is missing)");
}

// Found by a user trial: a layer that stores a path twice gave its first
// version to `cat --layer`, where ls, export and the final tree all take
// the last, as tar and umoci do.
TEST(Cat, ALayerStoringAPathTwiceGivesItsLastVersion) {
  std::string dir = TempDir();
  std::string image = WriteImage(
      dir + "/image", {{{"f", '0', "first version"},
                        {"g", '0', "g"},
                        {"f", '0', "second"},
                        {"d", '0', "a file, then a directory"},
                        {"d/x", '0', "x"}}});
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--layer", "1"}, std::vector<std::string>{}}) {
    std::vector<std::string> args = {"cat"};
    args.insert(args.end(), how.begin(), how.end());
    args.insert(args.end(), {image, "/f"});
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "second") << how.size();
  }
  RunResult directory = RunStrata({"cat", "--layer", "1", image, "/d"});
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_NE(directory.err.find("/d: is a directory"), std::string::npos) << directory.err;
}

// Found by a user trial: an empty path was read as the root ("/: is a
// directory").
TEST(Cat, AnEmptyPathIsRefusedAsSuch) {
  std::string image = WriteImage(TempDir() + "/image", {{{"f", '0', "x"}}});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"cat", image, ""},
        std::vector<std::string>{"cat", "--layer", "1", image, ""}})
    ExpectOneErrorLine(RunStrata(args), "cat needs a path in the image: the one given is empty");
}

// Found by a user trial: hard links of one layer that name each other
// (b -> a, then a -> b) are listed by ls, but cat said only "no such
// file", as if the path were not in the image at all.
TEST(Cat, AHardLinkLoopWithinALayerIsNamed) {
  std::string dir = TempDir();
  std::string image =
      WriteImage(dir + "/image", {{{"b", '1', "", "a"}, {"a", '1', "", "b"}, {"f", '0', "x"}}});
  RunResult listed = RunStrata({"ls", image, "/"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, "a\nb\nf\n");
  ExpectOneErrorLine(RunStrata({"cat", image, "/a"}),
                     "/a: no such file in the image (its hard links lead back to /a before its "
                     "layer stored it)");
  ExpectOneErrorLine(RunStrata({"cat", image, "/b"}),
                     "/b: no such file in the image (its links lead to /a, which is missing)");
  ExpectOneErrorLine(RunStrata({"cat", "--layer", "1", image, "/a"}),
                     "/a: no such file in the image (its hard links lead back to /a before its "
                     "layer stored it)");
}

// Found by a user trial: a hard link stored after a whiteout of its target
// (in its own layer or a lower one) holds nothing, and cat's error named
// only the target, as if the user had asked for it.
TEST(Cat, AHardLinkToWhatWasRemovedNamesTheLink) {
  std::string dir = TempDir();
  const std::string why =
      "/y: no such file in the image (a hard link to /x, which layer 2 removed before the link "
      "was made; layer 1 still stores /x: read it with --layer 1)";
  std::string same = WriteImage(dir + "/same", {{{"x", '0', "X"}}, {{".wh.x", '0', ""},
                                                                     {"y", '1', "", "x"}}});
  ExpectOneErrorLine(RunStrata({"cat", same, "/y"}), why);
  ExpectOneErrorLine(RunStrata({"cat", "--layer", "2", same, "/y"}), why);
  std::string above = WriteImage(
      dir + "/above", {{{"x", '0', "X"}}, {{".wh.x", '0', ""}}, {{"y", '1', "", "x"}}});
  ExpectOneErrorLine(RunStrata({"cat", above, "/y"}), why);
  ExpectOneErrorLine(RunStrata({"cat", above, "/x"}),
                     "/x was removed in layer 2; layer 1 still stores it: read it with --layer 1");
}

// Found by a user trial: ls showed a link's target that spells a token
// redacted, but cat's errors, which say where links lead, showed it in
// full.
TEST(Cat, ALinkTargetThatSpellsATokenIsRedactedInErrors) {
  std::string dir = TempDir();
  std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  std::string image = WriteImage(
      dir + "/image", {{{"l", '5'}, {"l/tok", '2', "", "/" + token}, {"l/bare", '2', "", token}}});
  for (std::vector<std::string> args : {std::vector<std::string>{"cat", image, "/l/tok/x"},
                                        {"cat", "--layer", "1", image, "/l/tok"},
                                        {"cat", "--layer", "1", image, "/l/bare"}}) {
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err.find(token), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("ghp_…(40 characters)"), std::string::npos) << result.err;
  }
}

// Found by a user trial: cat of a device said "is a char, not a regular
// file"; the kind is said in words.
TEST(Cat, AnEntryThatIsNoFileIsNamedInWords) {
  std::string image = WriteImage(TempDir() + "/image", {{{"run/pipe", '6'}}});
  for (std::vector<std::string> args : {std::vector<std::string>{"cat", image, "/run/pipe"},
                                        {"cat", "--layer", "1", image, "/run/pipe"}}) {
    RunResult result = RunStrata(args);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err, "strata: error: /run/pipe: is a FIFO, not a regular file\n");
  }
}

// Found in a review: cat --layer 2 followed a hard link of layer 2 into
// the whiteout of its target that layer 2 stores after it ("/x/file was
// removed in layer 2"), and cat of a hard link to a FIFO removed so said
// "removed… read it with --layer 1" for "is a FIFO". umoci, as tar, links
// as it reaches the link in tar order: the link holds what the layers
// below and its own layer's earlier entries put at the target.
TEST(Cat, AHardLinkHoldsItsTargetAsItWasWhenTheLinkWasMade) {
  std::vector<std::vector<TarMember>> layers = {
      {{"x/", '5'}, {"x/file", '0', "bytes\n"}, {"x/old", '0', "old\n"}, {"x/fifo", '6'}},
      {{"x/l2file", '1', "", "x/file"},
       {"x/.wh.file", '0'},
       {"x/l2old", '1', "", "x/old"},
       {"x/old", '0', "new\n"},
       {"x/l2fifo", '1', "", "x/fifo"},
       {"x/.wh.fifo", '0'}}};
  std::string work = TempDir();
  if (testing::HaveUmoci()) {
    std::string output;
    ASSERT_EQ(testing::UmociUnpack(work, layers, &output), 0) << output;
    std::string rootfs = work + "/bundle/rootfs/x/";
    EXPECT_EQ(ReadFileText(rootfs + "l2file"), "bytes\n");
    EXPECT_EQ(ReadFileText(rootfs + "l2old"), "old\n");
    EXPECT_TRUE(fs::is_fifo(rootfs + "l2fifo"));
    EXPECT_FALSE(fs::exists(rootfs + "file"));
  }
  std::string image = WriteImage(work + "/image", layers);
  for (std::vector<std::string> layer : {std::vector<std::string>{}, {"--layer", "2"}}) {
    auto cat = [&](const std::string& path) {
      std::vector<std::string> args = {"cat"};
      args.insert(args.end(), layer.begin(), layer.end());
      args.insert(args.end(), {image, path});
      return RunStrata(args);
    };
    RunResult file = cat("/x/l2file");
    EXPECT_EQ(file.exit_code, 0) << file.err;
    EXPECT_EQ(file.out, "bytes\n");
    EXPECT_EQ(cat("/x/l2old").out, "old\n");
    EXPECT_EQ(cat("/x/l2fifo").err, "strata: error: /x/l2fifo: is a FIFO, not a regular file\n");
  }
  // The whiteout still removes the target's own name.
  ExpectOneErrorLine(RunStrata({"cat", "--layer", "2", image, "/x/file"}),
                     "/x/file was removed in layer 2; layer 1 still stores it");
}

// Links that lead to a directory, the root included, say so as cat of the
// directory itself does; paths through them resolve.
TEST(Cat, LinksToDirectoriesAndTheRoot) {
  std::string dir = TempDir();
  std::string image = WriteImage(dir + "/image", {{{"a", '5'},
                                                   {"a/f", '0', "hi\n"},
                                                   {"implied/x/f", '0', "deep\n"},
                                                   {"up", '2', "", "../../"},
                                                   {"root", '2', "", "/"},
                                                   {"a/parent", '2', "", ".."},
                                                   {"to-implied", '2', "", "implied/x"}},
                                                  {{"b", '0', "b"}}});
  for (const char* link : {"/up", "/root", "/a/parent", "/up/"})
    ExpectOneErrorLine(RunStrata({"cat", image, link}),
                       std::string(link).substr(0, std::string(link).find_last_not_of('/') + 1) +
                           ": is a directory (a symbolic link to /)");
  ExpectOneErrorLine(RunStrata({"cat", image, "/implied"}),
                     "/implied: is a directory in layer 1 (");
  // Named as asked, not by where the link leads.
  ExpectOneErrorLine(RunStrata({"cat", image, "/to-implied"}),
                     "/to-implied: is a directory: its links lead to /implied/x, a directory in "
                     "layer 1 (");
  for (const char* path : {"/up/a/f", "/root/a/f", "/a/parent/a/f", "/a/parent/up/a/parent/a/f"}) {
    RunResult result = RunStrata({"cat", image, path});
    EXPECT_EQ(result.exit_code, 0) << path << ": " << result.err;
    EXPECT_EQ(result.out, "hi\n") << path;
  }
  RunResult deep = RunStrata({"cat", image, "/root/to-implied/f"});
  EXPECT_EQ(deep.out, "deep\n") << deep.err;
}

// Owners and groups are named alike: by the image's /etc/passwd and
// /etc/group, numbers for ids they do not name (or when the file is absent).
// Found by a user trial: a removed file whose bytes a hard link still
// holds was "no such file" to ls, where cat said which layer removed it.
TEST(Ls, ARemovedFileAHardLinkStillHoldsIsSaidRemoved) {
  std::string image = WriteImage(TempDir() + "/image",
                                 {{{"app/", '5'}, {"app/b", '0', "x"}, {"app/hb", '1', "", "app/b"}},
                                  {{"app/.wh.b", '0'}}});
  const std::string removed = "/app/b was removed in layer 2; layer 1 still stores it: read it "
                              "with --layer 1";
  ExpectOneErrorLine(RunStrata({"ls", image, "/app/b"}), removed);
  ExpectOneErrorLine(RunStrata({"cat", image, "/app/b"}), removed);
  RunResult linked = RunStrata({"cat", image, "/app/hb"});
  EXPECT_EQ(linked.exit_code, 0) << linked.err;
  EXPECT_EQ(linked.out, "x");
}

TEST(Ls, OwnerAndGroupAreNamedAlike) {
  std::string dir = TempDir();
  std::vector<TarMember> files = {
      {"data/named", '0', "x", "", 0644, 1000, "", "", 50},
      {"data/unnamed", '0', "x", "", 0644, 1001, "", "", 51},
  };
  std::vector<TarMember> databases = files;
  databases.push_back(
      {"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\napp:x:1000:50::/app:/bin/sh\n"});
  databases.push_back({"etc/group", '0', "root:x:0:\nstaff:x:50:\n"});
  auto owners = [](const std::string& listing) {
    std::vector<std::string> columns;
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string mode, user, group;
      words >> mode >> user >> group;
      columns.push_back(user + " " + group);
    }
    return columns;
  };

  RunResult named = RunStrata({"ls", "-l", WriteImage(dir + "/named", {databases}), "/data"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(owners(named.out), (std::vector<std::string>{"app staff", "1001 51"})) << named.out;
  RunResult bare = RunStrata({"ls", "-l", WriteImage(dir + "/bare", {files}), "/data"});
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_EQ(owners(bare.out), (std::vector<std::string>{"1000 50", "1001 51"})) << bare.out;
}

// Found by a user trial: a time past the year 9999 (PAX headers hold
// any) was cut mid-field ("36812-02-2 T00:3"). Such times are shown in
// seconds, as GNU ls shows them.
TEST(Ls, TimesNoFourDigitYearHoldsAreShownInSeconds) {
  std::string dir = TempDir();
  int64_t future = int64_t{1} << 40, past = -99999999999, far = -1000000000000000000;
  std::string image = WriteImage(dir + "/image", {{{"a", '0', "x", "", 0644, 0, "", "", 0, future},
                                                   {"b", '0', "x", "", 0644, 0, "", "", 0, past},
                                                   {"c", '0', "x"},
                                                   {"d", '0', "x", "", 0644, 0, "", "", 0, far},
                                                   {"e", '0', "x", "", 0644, 0, "", "", 0, 0}}});
  RunResult listed = RunStrata({"ls", "-l", image, "/"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(fmt::format(" {:>16} a\n", future)), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(fmt::format(" {:>16} b\n", past)), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(" 2023-11-14 22:13 c\n"), std::string::npos) << listed.out;
  // Twenty characters, as many as the ISO time a date is cut from (the
  // trial found it cut too); and the epoch, which reproducible builds store.
  EXPECT_NE(listed.out.find(fmt::format(" {} d\n", far)), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(" 1970-01-01 00:00 e\n"), std::string::npos) << listed.out;
}

TEST(Ls, ListsLikeLsOnTheUnpackedTree) {
  REQUIRE_FIXTURES();
  std::string theirs;
  RunShell("ls -A '" + FixturesDir() + "/semantics.rootfs/s'", &theirs);
  RunResult ours = RunStrata({"ls", "-a", FixturesDir() + "/semantics.oci", "/s"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, theirs);

  RunResult long_form = RunStrata({"ls", "-l", FixturesDir() + "/semantics.oci", "/s/special"});
  EXPECT_NE(long_form.out.find("-rwsr-xr-x"), std::string::npos) << long_form.out;
  EXPECT_NE(long_form.out.find("drwxrwxrwt"), std::string::npos) << long_form.out;

  // As of the layer before /s/gone was recreated, it is absent.
  RunResult early = RunStrata({"ls", "--layer", "3", FixturesDir() + "/semantics.oci", "/s"});
  EXPECT_EQ(early.out.find("gone"), std::string::npos) << early.out;
  ExpectOneErrorLine(RunStrata({"ls", FixturesDir() + "/semantics.oci", "/does/not/exist"}),
                     "/does/not/exist: no such file or directory in the image");
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// The CLI's own argument handling around the find engine: tests that look
// like options, a start path, --removed, --layer, -print0.
TEST(FindCli, SameAnswersAsGnuFindOnTheUnpackedTree) {
  if (testing::FixturesDir().empty()) GTEST_SKIP() << "STRATA_FIXTURES is not set; run `make test`";
  std::string image = testing::FixturesDir() + "/semantics.oci";
  std::string rootfs = testing::FixturesDir() + "/semantics.rootfs";
  const std::vector<std::vector<std::string>> cases = {
      {"-name", "*.txt"},
      {"/s", "-type", "l"},
      {"-perm", "-4000"},
      {"/s", "-type", "d", "-name", "*e*"},
      {"/s/links", "!", "-type", "l"},
      {"/s", "-size", "+0", "-type", "f", "-o", "-type", "p"}};
  for (const std::vector<std::string>& args : cases) {
    std::vector<std::string> command = {"find", image};
    command.insert(command.end(), args.begin(), args.end());
    testing::RunResult ours = testing::RunStrata(command);
    ASSERT_EQ(ours.exit_code, 0) << ours.err;

    std::string start = args[0].starts_with("/") ? args[0] : "/";
    std::string gnu =
        "cd '" + rootfs + "' && LC_ALL=C find '." + (start == "/" ? std::string() : start) + "'";
    for (size_t i = start == "/" ? 0 : 1; i < args.size(); ++i) gnu += " '" + args[i] + "'";
    gnu += " | sed 's#^\\.##; s#^$#/#' | LC_ALL=C sort";
    std::string theirs;
    testing::RunShell(gnu, &theirs);
    std::string sorted;
    testing::RunShell("printf '%s' '" + ours.out + "' | LC_ALL=C sort", &sorted);
    EXPECT_EQ(sorted, theirs) << "find " << args[0];
    EXPECT_FALSE(theirs.empty()) << args[0];
  }
}

// Found by a user trial: a start path through a file, or a link to one
// with a trailing '/', was "no such file or directory"; find(1) says "Not
// a directory".
TEST(FindCli, AStartThroughAFileIsNotADirectory) {
  std::string image =
      WriteImage(TempDir() + "/image", {{{"a/f", '0', "x"}, {"a/l", '2', "", "f"}}});
  ExpectOneErrorLine(RunStrata({"find", image, "/a/l/"}), "/a/l/: not a directory in the image");
  ExpectOneErrorLine(RunStrata({"find", image, "/a/f/x"}),
                     "/a/f/x: not a directory in the image");
  ExpectOneErrorLine(RunStrata({"find", image, "/a/none/"}),
                     "/a/none/: no such file or directory in the image");
  RunResult link = RunStrata({"find", image, "/a/l"});
  EXPECT_EQ(link.out, "/a/l\n") << link.err;
}

TEST(FindCli, RemovedLayerAndPrint0) {
  std::string image = testing::CorpusDir() + "/corpus/leaky-app.oci";
  testing::RunResult removed = testing::RunStrata({"find", "--removed", image, "-name", ".env"});
  EXPECT_EQ(removed.out, "/app/.env\n");
  testing::RunResult layer = testing::RunStrata({"find", "--layer", "4", image, "-type", "l"});
  EXPECT_EQ(layer.out, "/usr/bin/make\n/usr/bin/wget\n");
  testing::RunResult zero =
      testing::RunStrata({"find", image, "/app/src", "-type", "f", "-print0"});
  EXPECT_EQ(zero.out, std::string("/app/src/index.html\0/app/src/server.js\0", 39));
  testing::RunResult bad = testing::RunStrata({"find", image, "-bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(bad.err.starts_with("strata: error: ")) << bad.err;
}

TEST(DiffCli, ReportsSharedLayersAndChangedFiles) {
  std::string a = testing::CorpusDir() + "/corpus/churn.oci";
  std::string b = testing::CorpusDir() + "/corpus/leaky-app.oci.tar";
  testing::RunResult result = testing::RunStrata({"diff", "--format", "json", a, b});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json diff = nlohmann::json::parse(result.out);
  EXPECT_EQ(diff["schema"], "strata.diff/v1");
  EXPECT_NE(result.out.find("/app/src/server.js"), std::string::npos);
  testing::RunResult table = testing::RunStrata({"diff", a, b});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("Layers"), std::string::npos);
  EXPECT_EQ(testing::RunStrata({"diff", a, "/nonexistent"}).exit_code, 2);
}

}  // namespace
}  // namespace strata
