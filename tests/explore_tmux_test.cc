// `strata explore` end to end: the real binary in a tmux window, driven by
// send-keys, its screen read back with capture-pane at every step. Each
// step waits for the text it expects (polling, with a generous bound), so
// nothing depends on how fast the machine is.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "source_servers.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::AnalyzePath;
using testing::FixturesDir;
using testing::ReadFileText;
using testing::RunResult;
using testing::RunShell;
using testing::RunStrata;
using testing::TarMember;
using testing::TempDir;
using testing::WriteFile;
using testing::WriteImage;

std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// One tmux server of its own (its own socket), one window running strata.
class TmuxWindow {
 public:
  TmuxWindow() {
    static int count = 0;
    socket_ = "strata-test-" + std::to_string(getpid()) + "-" + std::to_string(++count);
  }
  ~TmuxWindow() { Tmux("kill-server"); }

  // Starts |args| of strata in a |columns|x|rows| window, in the
  // directory |cwd| when one is given. When strata ends, the window says
  // "strata exited N" and stays.
  void Start(const std::vector<std::string>& args, int columns, int rows,
             const std::string& cwd = "") {
    // The binary RunStrata runs: $STRATA_BINARY (a sanitizer build, say),
    // else the one built beside the tests.
    const char* binary = getenv("STRATA_BINARY");
    std::string command = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR= " +
                          Quote(binary != nullptr && *binary ? binary : STRATA_BINARY);
    for (const std::string& arg : args) command += " " + Quote(arg);
    command += "; echo strata exited $?; sleep 600";
    std::string out;
    int code = RunShell("tmux -L " + socket_ + " -f /dev/null new-session -d -s main -x " +
                            std::to_string(columns) + " -y " + std::to_string(rows) +
                            (cwd.empty() ? "" : " -c " + Quote(cwd)) + " " + Quote(command) +
                            " 2>&1",
                        &out);
    ASSERT_EQ(code, 0) << out;
  }

  std::string Screen() { return Tmux("capture-pane -p -t main"); }

  // Waits until the screen shows every text of |present| and none of
  // |absent|; returns the screen. Waiting for the whole expected state,
  // not one text of it, means a frame caught half drawn is never judged.
  // The bound is generous: a loaded machine may take a while, and no test
  // measures time.
  std::string WaitForAll(const std::vector<std::string>& present,
                         const std::vector<std::string>& absent = {}) {
    std::string screen;
    auto shows = [&screen](const std::string& text) {
      return screen.find(text) != std::string::npos;
    };
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      screen = Screen();
      if (std::all_of(present.begin(), present.end(), shows) &&
          std::none_of(absent.begin(), absent.end(), shows))
        return screen;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::string want;
    for (const std::string& text : present) want += " \"" + text + "\"";
    for (const std::string& text : absent) want += " not \"" + text + "\"";
    ADD_FAILURE() << "the screen never showed" << want << "; it shows:\n" << screen;
    return screen;
  }
  std::string WaitFor(const std::string& text) { return WaitForAll({text}); }

  // Keys in tmux's names ("Tab", "C-u", "Enter", "]"), one per argument.
  void Keys(const std::vector<std::string>& keys) {
    std::string line = "send-keys -t main";
    for (const std::string& key : keys) line += " " + Quote(key);
    Tmux(line);
  }

  // Literal text, typed as is.
  void Type(const std::string& text) { Tmux("send-keys -t main -l " + Quote(text)); }

  void Resize(int columns, int rows) {
    Tmux("resize-window -t main -x " + std::to_string(columns) + " -y " + std::to_string(rows));
  }

 private:
  std::string Tmux(const std::string& args) {
    std::string out;
    RunShell("tmux -L " + socket_ + " " + args + " 2>&1", &out);
    return out;
  }

  std::string socket_;
};

bool HaveTmux() {
  std::string out;
  return RunShell("command -v tmux", &out) == 0;
}

#define REQUIRE_TMUX() \
  if (!HaveTmux()) GTEST_SKIP() << "tmux is not installed (scripts/setup.sh installs it)"

// The line of the screen holding |text|, for checks on one row.
std::string LineWith(const std::string& screen, const std::string& text) {
  size_t at = screen.find(text);
  if (at == std::string::npos) return "";
  size_t start = screen.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  return screen.substr(start, screen.find('\n', at) - start);
}

TEST(ExploreTmux, WalkThroughAnImage) {
  REQUIRE_FIXTURES();
  REQUIRE_TMUX();
  std::string dir = TempDir();
  TmuxWindow window;
  window.Start({"explore", "--no-cache", FixturesDir() + "/removed.oci"}, 120, 40);

  // Open: the layers, the first layer's files, the key line.
  window.WaitForAll(
      {"Files as of layer 1", "Layers (4)", "(static busybox base)", "q quit  ? keys", "+ > bin"});

  // Move down the layers: layer 2 adds /r; bin is unchanged there.
  window.Keys({"Down"});
  std::string screen = window.WaitForAll(
      {"Files as of layer 2", "RUN mkdir -p /r", "+ > r", "  > bin"}, {"+ > bin"});
  EXPECT_NE(LineWith(screen, "+ > r").find("3.4 MB"), std::string::npos) << screen;

  // Sort by size: r (3.4 MB) before bin (2.0 MB); hide unchanged: no bin.
  window.Keys({"o"});
  screen = window.WaitForAll({"sort: size", "│+ > r", "│  > bin"});
  EXPECT_LT(screen.find("+ > r"), screen.find("> bin")) << screen;
  window.Keys({"o", "4"});
  window.WaitForAll({"hiding: unchanged", "sort: name", "+ > r"}, {"> bin"});
  window.Keys({"4"});
  window.WaitForAll({"> bin"}, {"hiding:"});

  // Into the tree, filter, expand. (Rows of the tree start after the
  // pane's edge; the layers pane quotes paths too: "RUN rm /r/big-zero.bin".)
  window.Keys({"Tab", "/"});
  window.WaitFor("\nfilter:");  // The prompt, at the start of a row.
  window.Type("/r/big");
  window.Keys({"Enter"});
  window.WaitForAll({"filter: r/big", "│+ > r"}, {"> bin"});
  window.Keys({"Right"});
  window.WaitForAll({"│+ v r", "│+     big-random.bin", "│+     big-zero.bin"}, {"tree"});
  window.Keys({"j", "j"});
  window.WaitForAll({"\n/r/big-zero.bin ", "layers: 2 added, 4 removed", "layer 2: added"});

  // Layer 4 removed it: marked, and the changes-only mode.
  window.Keys({"]", "]"});
  window.WaitForAll({"Files as of layer 4", "│-     big-zero.bin", "layer 4: removed"});
  window.Keys({"/", "C-u", "Enter", "c", "e"});
  window.WaitForAll({"this layer's changes", "│-         15.dat", "│-   v tree"},
                    {"  keep.txt", "> bin", "v bin"});

  // Back to everything; save keep.txt as layer 3 stored it.
  window.Keys({"c", "/"});
  window.Type("keep");
  window.Keys({"Enter"});
  window.WaitForAll({"filter: keep", "v r"}, {"this layer's changes"});
  window.Keys({"j"});
  window.WaitFor("\n/r/keep.txt ");
  window.Keys({"s"});
  window.WaitFor("save to: keep.txt");
  window.Keys({"C-u"});
  window.Type(dir + "/saved.txt");
  window.Keys({"Enter"});
  window.WaitFor("saved /r/keep.txt (layer 3, 5 B) to " + dir + "/saved.txt");
  EXPECT_EQ(ReadFileText(dir + "/saved.txt"), "keep\n");

  // Views: waste, jump from it (clearing the filter); findings; help.
  window.Keys({"w"});
  window.WaitForAll({"Waste (", "layer   2 removed in   4  /r/big-zero.bin"});
  window.Keys({"Enter"});
  window.WaitForAll({"Files as of layer 2", "\n/r/big-zero.bin "}, {"filter:"});
  window.Keys({"f"});
  window.WaitFor("Findings (");
  window.Keys({"t", "?"});
  window.WaitFor("Keys (any key closes this)");
  window.Keys({"q"});  // Closes the help only.
  window.WaitForAll({"Files as of layer 2"}, {"Keys (any key closes this)"});

  // Resize: too small, then large again.
  window.Resize(50, 10);
  window.WaitForAll({"needs a window of at least 60x14", "(this one is 50x10)"}, {"Layers (4)"});
  // Found by a user trial: narrower, the line was cut before the size.
  window.Resize(24, 10);
  window.WaitForAll({"at least 60x14", "(this one is 24x10);", "press q"}, {"Layers (4)"});
  window.Resize(100, 30);
  window.WaitForAll({"Layers (4)", "Files as of layer 2"}, {"needs a window"});

  window.Keys({"q"});
  window.WaitFor("strata exited 0");
}

// Names no terminal should see raw: invalid UTF-8, escapes, very long.
TEST(ExploreTmux, HostileNamesStayOnTheirRow) {
  REQUIRE_TMUX();
  std::string dir = TempDir();
  std::string long_name(400, 'n');
  WriteImage(dir + "/image", {{{"bad\xff\xfe.txt", '0', "x"},
                               {"esc\x1b[31mred.txt", '0', "y"},
                               {long_name, '0', "z"},
                               {"caf\xc3\xa9.txt", '0', "w"}}});
  TmuxWindow window;
  window.Start({"explore", "--no-cache", dir + "/image"}, 100, 20);
  std::string screen = window.WaitForAll(
      {"Files as of layer 1", "bad\\xff\\xfe.txt", "esc\\x1b[31mred.txt", "café.txt", "nnnn…"});
  for (size_t start = 0, end; start < screen.size(); start = end + 1) {
    end = screen.find('\n', start);
    if (end == std::string::npos) end = screen.size();
    std::string line = screen.substr(start, end - start);
    EXPECT_LE(std::count_if(line.begin(), line.end(), [](char c) { return (c & 0xC0) != 0x80; }),
              100)
        << line;
  }
  window.Keys({"q"});
  window.WaitFor("strata exited 0");
}

// explore reads the layer cache audit fills: with every layer cached, the
// blobs are not read at all (here they are spoilt, so a read would fail).
// How many layers runs took from the cache in |dir| (its layer_uses
// table: a row per layer a run found there).
int LayersTakenFromCache(const std::string& dir) {
  sqlite3* db = nullptr;
  int count = -1;
  if (sqlite3_open((dir + "/layers-v1.sqlite").c_str(), &db) == SQLITE_OK)
    sqlite3_exec(
        db, "SELECT count(*) FROM layer_uses",
        [](void* out, int, char** values, char**) {
          *static_cast<int*>(out) = std::atoi(values[0]);
          return 0;
        },
        &count, nullptr);
  sqlite3_close(db);
  return count;
}

TEST(ExploreTmux, UsesTheLayersAuditCached) {
  REQUIRE_FIXTURES();
  REQUIRE_TMUX();
  std::string dir = TempDir();
  fs::copy(FixturesDir() + "/removed.oci", dir + "/image", fs::copy_options::recursive);
  ASSERT_EQ(RunStrata({"audit", "--cache-dir", dir + "/cache", dir + "/image"}).exit_code, 0);
  ASSERT_EQ(LayersTakenFromCache(dir + "/cache"), 0);

  TmuxWindow cached;
  cached.Start({"explore", "--cache-dir", dir + "/cache", dir + "/image"}, 120, 40);
  cached.WaitForAll({"Files as of layer 1", "Layers (4)"});
  cached.Keys({"q"});
  cached.WaitFor("strata exited 0");
  EXPECT_EQ(LayersTakenFromCache(dir + "/cache"), 4);

  // Blobs written over since are not trusted from the cache: read, they
  // fail their digests, with the cache or without.
  Analysis analysis = AnalyzePath(dir + "/image");
  for (const Layer& layer : analysis.layers) {
    std::string blob = dir + "/image/blobs/sha256/" + layer.blob.digest.substr(7);
    WriteFile(blob, std::string(fs::file_size(blob), 'x'));
  }
  for (const char* cache : {"--cache-dir", "--no-cache"}) {
    std::vector<std::string> args = {"explore", cache, dir + "/image"};
    if (args[1] == "--cache-dir") args.insert(args.begin() + 2, dir + "/cache");
    TmuxWindow window;
    window.Start(args, 120, 40);
    window.WaitForAll({"strata: error: layer ", "is not a tar stream", "strata exited 2"});
  }
}

// The title named the image as typed: a token in its tag in full, and an
// Engine image without its Engine, where audit's reports hide the one and
// name the other (two hosts may hold one name).
TEST(ExploreTmux, TheTitleHidesATokenTagAndNamesTheEngine) {
  REQUIRE_FIXTURES();
  REQUIRE_TMUX();
  const std::string token = "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5";
  std::string layout = WriteImage(TempDir() + "/layout", {{{"a", '0', "x"}}});
  nlohmann::json index = nlohmann::json::parse(ReadFileText(layout + "/index.json"));
  index["manifests"][0]["annotations"] = {
      {"org.opencontainers.image.ref.name", "trial/x:" + token}};
  WriteFile(layout + "/index.json", index.dump());

  TmuxWindow tagged;
  tagged.Start({"explore", "--no-cache", "oci:" + layout + ":trial/x:" + token}, 200, 30);
  std::string screen = tagged.WaitFor("strata explore  oci:" + layout +
                                      ":trial/x:ghp_…(40 characters)  layer 1/1");
  EXPECT_EQ(screen.find("aB3dE5gH7jK9mN1p"), std::string::npos) << screen;
  tagged.Keys({"q"});
  tagged.WaitFor("strata exited 0");

  testing::MockEngine engine("tcp", "app:1", FixturesDir() + "/multi.docker.tar", "plain");
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(engine.port());
  testing::ScopedEnv host("DOCKER_HOST", endpoint);
  TmuxWindow from_engine;
  from_engine.Start({"explore", "--no-cache", "docker-daemon:app:1"}, 200, 30);
  from_engine.WaitFor("strata explore  docker-daemon:app:1 at " + endpoint + "  layer 1/");
  from_engine.Keys({"q"});
  from_engine.WaitFor("strata exited 0");
}

// The tree showed a file named after a token redacted, but the save
// prompt offered its name in full on the status line.
TEST(ExploreTmux, TheSavePromptOffersATokenNameRedacted) {
  REQUIRE_TMUX();
  std::string dir = TempDir();
  std::string token = "ghp_R7kq2VwX9mN4bT8cJ1zH6pL3sD5fG0aY2eQw";
  WriteImage(dir + "/image", {{{token, '0', "x"}}});
  TmuxWindow window;
  window.Start({"explore", "--no-cache", dir + "/image"}, 120, 30, dir);
  window.WaitForAll({"Files as of layer 1", "ghp_…(40 characters)"});
  window.Keys({"Tab", "s"});
  std::string screen = window.WaitFor("save to: ghp_…(40 characters)");
  EXPECT_EQ(screen.find("R7kq2VwX9mN4bT8c"), std::string::npos) << screen;

  // Found by a user trial: the name taken as offered saved a file named
  // "ghp_…(40 characters)", and the status line said where in full. The
  // offered name stands for the file's own; the line hides it.
  window.Keys({"Enter"});
  screen = window.WaitFor(
      "saved /ghp_…(40 characters) (layer 1, 1 B, mode 0600: a finding marks it secret) to "
      "ghp_…(40 characters)");
  EXPECT_EQ(screen.find("R7kq2VwX9mN4bT8c"), std::string::npos) << screen;
  EXPECT_EQ(testing::ReadFileText(dir + "/" + token), "x");
  // Again: the file is there, and the error names it hidden too.
  window.Keys({"s"});
  window.WaitFor("save to: ghp_…(40 characters)");
  window.Keys({"Enter"});
  screen = window.WaitFor("save failed: cannot create ghp_…(40 characters): File exists");
  EXPECT_EQ(screen.find("R7kq2VwX9mN4bT8c"), std::string::npos) << screen;
  window.Keys({"q"});
  window.WaitFor("strata exited 0");
}

// Found by a user trial: a name holding an escape sequence and a newline
// was offered escaped, and taken as offered it saved a file whose name
// held them raw (edited by one character, the backslashes were literal).
// What the prompt shows is what is written.
TEST(ExploreTmux, TheSavePromptWritesTheNameAsShown) {
  REQUIRE_TMUX();
  std::string dir = TempDir();
  WriteImage(dir + "/image", {{{"x\x1b[31mred\nnl", '0', "x"}}});
  TmuxWindow window;
  window.Start({"explore", "--no-cache", dir + "/image"}, 120, 30, dir);
  window.WaitForAll({"Files as of layer 1", "x\\x1b[31mred\\nnl"});
  window.Keys({"Tab", "s"});
  window.WaitFor("save to: x\\x1b[31mred\\nnl");
  window.Keys({"Enter"});
  window.WaitFor("saved /x\\x1b[31mred\\nnl (layer 1, 1 B)");
  EXPECT_EQ(testing::ReadFileText(dir + "/x\\x1b[31mred\\nnl"), "x");
  EXPECT_FALSE(fs::exists(dir + "/x\x1b[31mred\nnl"));
  window.Keys({"q"});
  window.WaitFor("strata exited 0");
}

// An accepted finding whose date had passed counted again in silence:
// audit warns of it, explore said nothing.
TEST(ExploreTmux, SaysAnAcceptedFindingExpired) {
  REQUIRE_TMUX();
  std::string dir = TempDir();
  WriteImage(dir + "/image", {{{"app/.git/config", '0', "[core]\n"}}});
  WriteFile(dir + "/a.yaml",
            "accept:\n"
            "  - {rule: vcs-directory, path: /app/.git, reason: old, expires: 2020-01-31}\n");
  const std::string warning = "the accepted finding (rule vcs-directory, path /app/.git) in " +
                              dir + "/a.yaml expires 2020-01-31, which has passed";

  TmuxWindow window;
  window.Start({"explore", "--no-cache", "--config", dir + "/a.yaml", dir + "/image"}, 400, 30);
  window.WaitForAll({"Files as of layer 1", "warning: " + warning});
  window.Keys({"q"});
  window.WaitForAll({"strata: warning: " + warning, "strata exited 0"});
}

// strata's stop handler now sits in front of ncurses' (to remove a save's
// temporary file): Ctrl-C still reaches ncurses, which leaves the screen
// and restores the terminal before the process ends.
TEST(ExploreTmux, CtrlCStillRestoresTheTerminal) {
  REQUIRE_FIXTURES();
  REQUIRE_TMUX();
  TmuxWindow window;
  window.Start({"explore", "--no-cache", FixturesDir() + "/removed.oci"}, 120, 40);
  window.WaitForAll({"Files as of layer 1", "Layers (4)"});
  window.Keys({"C-c"});
  window.WaitForAll({"strata exited 1"}, {"Layers (4)"});
}

// Found by a new user: a save stopped by Ctrl-C left its file behind,
// half written. The base layer's blob is whole for the analysis and
// stalls half-way through /bin/busybox when the save reads it again; Ctrl-C
// then removes the save's temporary file, and ncurses still restores the
// terminal.
TEST(ExploreTmux, CtrlCDuringASaveLeavesNoFile) {
  REQUIRE_FIXTURES();
  REQUIRE_TMUX();
  testing::MockRegistry registry("again-stall");
  std::string dir = TempDir();
  TmuxWindow window;
  window.Start({"explore", "--no-cache", "--insecure", registry.url()}, 120, 40);
  window.WaitForAll({"Files as of layer 1", "Layers ("});
  window.Keys({"Tab", "/"});
  window.WaitFor("\nfilter:");
  window.Type("/bin/busybox");
  window.Keys({"Enter"});
  window.WaitForAll({"filter: bin/busybox", "> bin"});
  window.Keys({"Right", "j"});
  window.WaitFor("\n/bin/busybox ");
  window.Keys({"s"});
  window.WaitFor("save to: busybox");
  window.Keys({"C-u"});
  window.Type(dir + "/saved");
  window.Keys({"Enter"});
  auto writing = [&dir] {
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().filename().string().starts_with("saved.strata-") &&
          fs::file_size(entry.path()) > 0)
        return true;
    return false;
  };
  EXPECT_TRUE(testing::WaitUntil(writing)) << window.Screen();
  window.Keys({"C-c"});
  window.WaitForAll({"strata exited 1"}, {"Layers ("});
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(Explore, NeedsATerminal) {
  REQUIRE_FIXTURES();
  RunResult result = RunStrata({"explore", FixturesDir() + "/multi.oci"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "strata: error: explore needs a terminal, and standard output is not one (for a "
            "report, use audit)\n");
  EXPECT_EQ(result.out, "");
}

}  // namespace
}  // namespace strata
