// Helpers shared by the tests: where the fixtures are, running the real
// binary, and writing small tar layers in memory with libarchive.
#pragma once

#include <cstdint>
#include <map>
#include <cstdlib>
#include <string>
#include <vector>

#include "layer/layer_entry.h"
#include "layer/layer_reader.h"
#include "model/analysis.h"

namespace strata::testing {

// The images tests/fixtures/build.sh made (STRATA_FIXTURES), or "" when
// the variable is unset (a plain `ctest` without `make fixtures`).
std::string FixturesDir();

// Skips the test when the fixtures are not built: a plain `ctest` still
// runs the rest.
#define REQUIRE_FIXTURES()                        \
  if (::strata::testing::FixturesDir().empty()) \
  GTEST_SKIP() << "STRATA_FIXTURES is not set; run `make test`"

// The reference corpus: STRATA_CORPUS, else ../shared/images beside the
// source tree, where CI keeps it.
std::string CorpusDir();

// The strata binary under test (STRATA_BINARY, else the one built here),
// quoted for a shell command line.
std::string StrataCommand();

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the strata binary with |args| (shell-quoted here), |input| on stdin.
// Runs in |cwd| when it is not empty, with the "NAME=VALUE" settings of
// |env| added to the environment. Each run gets a fresh, empty layer cache
// ($XDG_CACHE_HOME points into a temporary directory removed afterwards)
// unless |env| or |args| say otherwise, so runs never share results and
// never touch the user's cache.
RunResult RunStrata(const std::vector<std::string>& args, const std::string& stdin_file = "",
                    const std::string& cwd = "", const std::vector<std::string>& env = {});

// Sets an environment variable for this test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = getenv(name);
    if (old) old_ = old, had_ = true;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { had_ ? setenv(name_, old_.c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// The strata binary under test ($STRATA_BINARY, else the one built).
std::string StrataBinary();

// Runs a shell command; returns its exit code, and its output in |*output|.
int RunShell(const std::string& command, std::string* output);

// One member of an in-memory tar.
struct TarMember {
  std::string path;
  char type = '0';  // '0' file, '5' dir, '2' symlink, '1' hard link, '6' fifo.
  std::string content;
  std::string link;
  uint32_t mode = 0644;
  uint32_t uid = 0;
  std::string xattr_name;  // One extended attribute, when not empty.
  std::string xattr_value;
  uint32_t gid = 0;
  int64_t mtime = 1700000000;
};

// Writes |members| as a tar stream (PAX format unless |gnu|).
std::string MakeTar(const std::vector<TarMember>& members, bool gnu = false);

// |data| compressed as a gzip member (ISA-L) or a zstd frame, as layer
// blobs are.
std::string Gzip(const std::string& data);
std::string Zstd(const std::string& data);

// Reads |tar| as a layer.
LayerContents ReadTar(const std::string& tar);

// Writes an OCI image layout in |dir| with one uncompressed layer per
// element of |layers| and a config holding |config| (merged over a minimal
// valid config; "history" may be given, else one RUN step per layer).
// Returns |dir|.
std::string WriteImage(const std::string& dir, const std::vector<std::vector<TarMember>>& layers,
                       const std::string& config_json = "{}");

// The same, with each layer's tar given as it is.
std::string WriteImageOfTars(const std::string& dir, const std::vector<std::string>& tars,
                             const std::string& config_json = "{}");

// A layer as GNU tar writes one of the directory |root|: names sorted,
// owners 0:0, hard links (to symbolic links too) as tar finds them.
// Fails the test when tar does.
std::string GnuTarOf(const std::string& root);

// Whether umoci, the oracle for layer semantics, can be run: always under
// `make test` (STRATA_FIXTURES set), so what needs it is never skipped there.
bool HaveUmoci();

// Writes an image of |layers| in |work|/layout (WriteImage, with the
// reference "test" umoci names it by) and unpacks it with `umoci unpack
// --rootless` to |work|/bundle/rootfs. Returns umoci's exit code; its
// output goes to |*output|.
int UmociUnpack(const std::string& work, const std::vector<std::vector<TarMember>>& layers,
                std::string* output);
// The same, with each layer's tar given as it is.
int UmociUnpackTars(const std::string& work, const std::vector<std::string>& tars,
                    std::string* output);

// Analyses a whole image from |path| (any supported spelling).
Analysis AnalyzePath(const std::string& path);

// Writes |data| to |path|; creates parent directories.
void WriteFile(const std::string& path, const std::string& data);

// Reads the whole of |path|.
std::string ReadFileText(const std::string& path);

// One path of a tree on disk (or of strata's tree), as the comparisons
// with umoci and with strata's own export see it.
struct Seen {
  char type;
  uint32_t mode, uid, gid;
  int64_t size;
  std::string link;
  uint64_t hash;  // XXH3 of a regular file's content.
};

std::string Describe(const Seen& seen);

// Every path under |root| (relative, no leading "/"), read with lstat only.
std::map<std::string, Seen> WalkDisk(const std::string& root);

// A fresh temporary directory, removed by the caller or left for the OS.
std::string TempDir();

}  // namespace strata::testing
