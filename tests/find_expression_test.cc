// find's expression language over the merged tree: parsing and
// precedence, each test on small images written here, and the same
// expressions run by GNU find over an unpack of the same image.
#include "model/find_expression.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <clocale>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>

#include "base/error.h"
#include "base/text_arena.h"
#include "model/image_path.h"
#include "test_support.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::AnalyzePath;
using testing::FixturesDir;
using testing::TarMember;
using testing::TempDir;
using testing::WriteImage;

using Strings = std::vector<std::string>;

Strings Split(const std::string& text) {
  Strings words;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

std::string Parsed(const std::string& args) {
  return FindExpressionText(ParseFindExpression(Split(args)));
}

// The error ParseFindExpression throws for |args|, or "" when it parses.
std::string ParseError(const Strings& args) {
  try {
    ParseFindExpression(args);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

Strings Paths(const std::vector<FindEntry>& entries) {
  Strings paths;
  for (const FindEntry& entry : entries) paths.push_back(entry.path);
  return paths;
}

Strings Sorted(Strings paths) {
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string Quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// GNU find over |root| + |start| with |args| ("@" at the start of an
// argument stands for |root|), in the C locale. Paths come back as the
// image names them: "/" + the part below |root|.
Strings GnuFind(const std::string& root, const std::string& start, const Strings& args,
                const std::string& locale = "C") {
  // Parenthesised, or -printf would bind to the last "-o" operand only.
  std::string command = "LC_ALL=" + locale + " find " + Quote(root + start) + " '('";
  for (const std::string& arg : args)
    command += " " + Quote(arg.starts_with("@") ? root + arg.substr(1) : arg);
  command += (args.empty() ? " -true" : "") + std::string(" ')' -printf '%p\\0'");
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  std::string output;
  char buffer[65536];
  for (size_t n; pipe != nullptr && (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  EXPECT_EQ(pipe == nullptr ? -1 : pclose(pipe), 0) << command;

  Strings paths;
  for (size_t start_at = 0, end; (end = output.find('\0', start_at)) != std::string::npos;
       start_at = end + 1) {
    std::string path = output.substr(start_at, end - start_at).substr(root.size());
    paths.push_back(path.empty() ? "/" : path);
  }
  return Sorted(paths);
}

Strings StrataFind(const FileTree& tree, const std::string& start, const Strings& args,
                   const FindContext& context) {
  Strings args_in_image;
  for (const std::string& arg : args)
    args_in_image.push_back(arg.starts_with("@") ? arg.substr(1) : arg);
  return Sorted(Paths(RunFind(tree, start, ParseFindExpression(args_in_image), context)));
}

std::string Joined(const Strings& args) {
  std::string text;
  for (const std::string& arg : args) text += (text.empty() ? "" : " ") + arg;
  return text;
}

// A tree held in memory, for what tar headers written by the test helpers
// cannot vary (mtimes, gids).
class MemoryTree {
 public:
  LayerEntry& Add(const std::string& path, EntryKind kind, int64_t mtime, int64_t size = 0) {
    LayerEntry& entry = entries_.emplace_back();
    entry.path = paths_.Keep(path);
    entry.kind = kind;
    entry.mtime = mtime;
    entry.size = size;
    entry.mode = kind == EntryKind::kDirectory ? 0755 : 0644;
    FileNode* node = tree_.Ensure(path, [](FileNode*) {});
    node->entry = &entry;
    node->content = kind == EntryKind::kFile ? &entry : nullptr;
    return entry;
  }

  const FileTree& tree() const { return tree_; }
  FileNode* Node(const std::string& path) { return tree_.Find(path); }

 private:
  FileTree tree_;
  std::deque<LayerEntry> entries_;
  TextArena paths_;  // The entries' paths.
};

TEST(FindParse, PrecedenceIsFinds) {
  EXPECT_EQ(Parsed(""), "-true");
  EXPECT_EQ(Parsed("-name a -name b -o -name c"), "( -name a -a -name b ) -o -name c");
  EXPECT_EQ(Parsed("-name a -o -name b -type f"), "-name a -o ( -name b -a -type f )");
  EXPECT_EQ(Parsed("! -name a -o -type f"), "! -name a -o -type f");
  EXPECT_EQ(Parsed("-not ( -name a -or -name b ) -and -empty"),
            "! ( -name a -o -name b ) -a -empty");
  EXPECT_EQ(Parsed("-name a ( -type f -o -type d )"), "-name a -a ( -type f -o -type d )");
  EXPECT_EQ(Parsed("-name a , -name b -o -name c"), "-name a , ( -name b -o -name c )");
  EXPECT_EQ(Parsed("-name a -o -name b -o -name c"), "( -name a -o -name b ) -o -name c");
  EXPECT_EQ(Parsed("! ! -true"), "! ! -true");
}

TEST(FindParse, DepthOptionsAreGlobalAndTrueWhereTheyStand) {
  FindExpression expression = ParseFindExpression(Split("-name a -o -maxdepth 2 -mindepth 1"));
  EXPECT_EQ(expression.max_depth, 2);
  EXPECT_EQ(expression.min_depth, 1);
  EXPECT_EQ(FindExpressionText(expression), "-name a -o ( -maxdepth 2 -a -mindepth 1 )");
  EXPECT_EQ(ParseFindExpression({}).max_depth, -1);
}

TEST(FindParse, BadInputIsOneClearLine) {
  const std::pair<Strings, std::string> cases[] = {
      {{"-nmae", "x"}, "unknown test '-nmae'; did you mean -name?"},
      {{"-frobnicate"}, "unknown test '-frobnicate'"},
      {{"-name"}, "-name: missing argument"},
      {{"-name", "a", "-newer"}, "-newer: missing argument"},
      {{"(", "-name", "a"}, "unbalanced parentheses: '(' without a ')'"},
      {{"("}, "unbalanced parentheses: '(' without a ')'"},
      {{"-name", "a", ")"}, "unbalanced parentheses: ')' without a '('"},
      {{"(", ")"}, "empty parentheses"},
      {{"-o", "-name", "a"}, "'-o' has no expression before it"},
      {{"-name", "a", "-o"}, "expected an expression after '-o'"},
      {{"-name", "a", "-a", ")"}, "expected an expression before ')'"},
      {{"!"}, "expected an expression after '!'"},
      {{"-size", "12x"}, "-size: invalid size '12x'"},
      {{"-size", "+"}, "-size: invalid size '+'"},
      {{"-size", "k"}, "-size: invalid size 'k'"},
      {{"-perm", "0999"}, "-perm: invalid mode '0999'"},
      {{"-perm", "17777"}, "-perm: invalid mode '17777'"},
      {{"-perm", "u+q"}, "-perm: invalid mode 'u+q'"},
      {{"-perm", "u"}, "-perm: invalid mode 'u'"},
      {{"-perm", "u+s,"}, "-perm: invalid mode 'u+s,'"},
      {{"-perm", "+222"}, "use /222"},
      {{"-type", "x"}, "-type: unknown type 'x'"},
      {{"-type", "f,f"}, "-type: 'f' is listed twice"},
      {{"-type", "fd"}, "separated by commas"},
      {{"-type", "f,"}, "separated by commas"},
      {{"-uid", "abc"}, "-uid: 'abc' is not a number"},
      {{"-mtime", "1.5"}, "-mtime: '1.5' is not a number"},
      {{"-mmin", "99999999999"}, "-mmin: '99999999999' is out of range"},
      {{"-maxdepth", "-1"}, "-maxdepth: '-1' is not a depth"},
      {{"-print"}, "-print is an action"},
      {{"/usr"}, "'/usr' is not a test"},
  };
  for (const auto& [args, expected] : cases) {
    std::string error = ParseError(args);
    EXPECT_NE(error.find(expected), std::string::npos) << Joined(args) << " gave: " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(FindParse, GoodInputParses) {
  for (const char* args : {"-perm 4755", "-perm -u+s", "-perm /g=w,o=w", "-perm a+X",
                           "-perm u=rwx,g=u", "-size 10", "-size +1M", "-size -3G", "-type f,l,d",
                           "-uid +0", "-mtime -2", "-mmin +30", "-user 0", "-name [a-z]*"})
    EXPECT_EQ(ParseError(Split(args)), "") << args;
}

// One image with a bit of everything find can tell apart.
class FindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TarMember conf{"app/conf/App.CONF", '0', std::string(600, 'c')};
    conf.mode = 0640;
    conf.uid = 1000;
    TarMember server{"app/bin/server", '0', std::string(1000, 's')};
    server.mode = 04755;
    TarMember tool{"app/bin/tool", '0', ""};
    tool.mode = 0700;
    TarMember conf_dir{"app/conf/", '5'};
    conf_dir.mode = 02775;
    analysis_ = AnalyzePath(WriteImage(TempDir(), {{{"app/", '5'},
                                                    {"app/bin/", '5'},
                                                    server,
                                                    tool,
                                                    conf_dir,
                                                    conf,
                                                    {"app/conf/.hidden", '0', "x"},
                                                    {"app/empty/", '5'},
                                                    {"app/link", '2', "", "bin/server"},
                                                    {"app/hard", '1', "", "app/bin/server"},
                                                    {"app/fifo", '6'},
                                                    {"big", '0', std::string(1048577, 'b')},
                                                    {"srv", '2', "", "/app"},
                                                    {"loop1", '2', "", "loop2"},
                                                    {"loop2", '2', "", "loop1"}}}));
    context_.user_names = {{0, "root"}, {1000, "app"}};
    context_.group_names = {{0, "root"}};
    context_.mtime_of = MtimeLookup(tree());
  }

  const FileTree& tree() const { return analysis_.merge.tree(); }

  Strings Find(const std::string& args, const std::string& start = "/") {
    return Paths(RunFind(tree(), start, ParseFindExpression(Split(args)), context_));
  }

  std::string FindError(const std::string& args, const std::string& start = "/") {
    try {
      Find(args, start);
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  }

  Analysis analysis_;
  FindContext context_;
};

TEST_F(FindTest, WalksParentsFirstChildrenInNameOrder) {
  Strings all = {"/",
                 "/app",
                 "/app/bin",
                 "/app/bin/server",
                 "/app/bin/tool",
                 "/app/conf",
                 "/app/conf/.hidden",
                 "/app/conf/App.CONF",
                 "/app/empty",
                 "/app/fifo",
                 "/app/hard",
                 "/app/link",
                 "/big",
                 "/loop1",
                 "/loop2",
                 "/srv"};
  EXPECT_EQ(Find(""), all);
  std::vector<FindEntry> entries = RunFind(tree(), "/", ParseFindExpression({}), context_);
  EXPECT_EQ(entries[2].depth, 2);
  EXPECT_EQ(entries[2].node, tree().Find("app/bin"));
  EXPECT_EQ(Paths(RunFind(tree(), "/", FindExpression(), context_)), all);
}

TEST_F(FindTest, DepthLimits) {
  EXPECT_EQ(Find("-maxdepth 1"), (Strings{"/", "/app", "/big", "/loop1", "/loop2", "/srv"}));
  EXPECT_EQ(Find("-maxdepth 0"), (Strings{"/"}));
  EXPECT_EQ(Find("-mindepth 2 -maxdepth 2 -type d"),
            (Strings{"/app/bin", "/app/conf", "/app/empty"}));
  EXPECT_EQ(Find("-mindepth 3"), (Strings{"/app/bin/server", "/app/bin/tool", "/app/conf/.hidden",
                                          "/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-mindepth 1 -maxdepth 1", "/app/bin"),
            (Strings{"/app/bin/server", "/app/bin/tool"}));
}

TEST_F(FindTest, NamesAndPaths) {
  EXPECT_EQ(Find("-name *.conf"), Strings{});
  EXPECT_EQ(Find("-iname *.conf"), (Strings{"/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-name *hidden"), (Strings{"/app/conf/.hidden"}));  // No FNM_PERIOD, as in find.
  EXPECT_EQ(Find("-name [a-c]?? -type d"), (Strings{"/app", "/app/bin"}));
  EXPECT_EQ(Find("-name /"), (Strings{"/"}));
  EXPECT_EQ(Find("-path /app*server"), (Strings{"/app/bin/server"}));  // "*" crosses "/".
  EXPECT_EQ(Find("-ipath /APP/CONF/*"), (Strings{"/app/conf/.hidden", "/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-name bin", "/app/bin/"), (Strings{"/app/bin/"}));
}

TEST_F(FindTest, TypesCountHardLinksAsFiles) {
  EXPECT_EQ(Find("-type f"), (Strings{"/app/bin/server", "/app/bin/tool", "/app/conf/.hidden",
                                      "/app/conf/App.CONF", "/app/hard", "/big"}));
  EXPECT_EQ(Find("-type l"), (Strings{"/app/link", "/loop1", "/loop2", "/srv"}));
  EXPECT_EQ(Find("-type p,d -path /app/*"),
            (Strings{"/app/bin", "/app/conf", "/app/empty", "/app/fifo"}));
  EXPECT_EQ(Find("-type b,c,s"), Strings{});
}

TEST_F(FindTest, SizesRoundUpToTheirUnit) {
  EXPECT_EQ(Find("-size 2 -type f"),
            (Strings{"/app/bin/server", "/app/conf/App.CONF", "/app/hard"}));
  EXPECT_EQ(Find("-size 1000c"), (Strings{"/app/bin/server", "/app/hard"}));
  EXPECT_EQ(Find("-size 1k -type f"),
            (Strings{"/app/bin/server", "/app/conf/.hidden", "/app/conf/App.CONF", "/app/hard"}));
  EXPECT_EQ(Find("-size +1M"), (Strings{"/big"}));
  EXPECT_EQ(Find("-size -1M"),
            (Strings{"/app/bin/tool", "/app/fifo"}));                // Only the empty, as in find.
  EXPECT_EQ(Find("-size 10c"), (Strings{"/app/link"}));              // The target's length.
  EXPECT_EQ(Find("-size 4096c -name e*"), (Strings{"/app/empty"}));  // A directory.
  EXPECT_EQ(Find("-size +1G"), Strings{});
}

TEST_F(FindTest, Empty) { EXPECT_EQ(Find("-empty"), (Strings{"/app/bin/tool", "/app/empty"})); }

TEST_F(FindTest, Permissions) {
  EXPECT_EQ(Find("-perm 4755"), (Strings{"/app/bin/server", "/app/hard"}));
  EXPECT_EQ(Find("-perm -4000"), (Strings{"/app/bin/server", "/app/hard"}));
  EXPECT_EQ(Find("-perm /u+s"), (Strings{"/app/bin/server", "/app/hard"}));
  EXPECT_EQ(Find("-perm u+s"), Strings{});  // Exactly 4000.
  EXPECT_EQ(Find("-perm -g+s"), (Strings{"/app/conf"}));
  EXPECT_EQ(Find("-perm 640"), (Strings{"/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-perm u=rw,g=r"), (Strings{"/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-perm 700"), (Strings{"/app/bin/tool"}));
  EXPECT_EQ(Find("-perm u=rwx"), (Strings{"/app/bin/tool"}));
  EXPECT_EQ(Find("-perm a=rwx,g-wx,o=g"), Find("-perm 744"));
  EXPECT_EQ(Find("-perm u=rwx,g=u,o=g"), Find("-perm 777"));
  EXPECT_EQ(Find("-perm a+X -type f"), Strings{});  // X on 0 adds nothing.
  EXPECT_EQ(Find("-perm u+x,a+X -type f"), Find("-perm 111 -type f"));
  // Symbolic links are 0777 on disk, whatever the header said (0644 here).
  EXPECT_EQ(Find("-perm 777"), (Strings{"/app/link", "/loop1", "/loop2", "/srv"}));
  EXPECT_EQ(Find("-perm /0"), Find(""));
  EXPECT_EQ(Find("-perm -o+w"), Find("-type l"));
}

TEST_F(FindTest, OwnersByNameFromTheImage) {
  EXPECT_EQ(Find("-user app"), (Strings{"/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-user 1000"), (Strings{"/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-uid +0"), (Strings{"/app/conf/App.CONF"}));
  EXPECT_EQ(Find("-uid -1000 -o -user app"), Find(""));
  EXPECT_EQ(Find("-group root"), Find(""));
  EXPECT_EQ(Find("-gid 0"), Find(""));
  EXPECT_EQ(Find("-user 4242"), Strings{});
  EXPECT_NE(FindError("-user nobody").find("-user nobody: not a name in the image's /etc/passwd"),
            std::string::npos);
  EXPECT_NE(FindError("-group staff").find("/etc/group"), std::string::npos);
}

TEST_F(FindTest, OperatorsCombine) {
  EXPECT_EQ(Find("-type f ! -path /app/*"), (Strings{"/big"}));
  EXPECT_EQ(Find("-name tool -o -name big"), (Strings{"/app/bin/tool", "/big"}));
  EXPECT_EQ(Find("-type l -a ( -name loop* -o -name srv ) -a -not -name loop2"),
            (Strings{"/loop1", "/srv"}));
  EXPECT_EQ(Find("-false -o -name big"), (Strings{"/big"}));
  EXPECT_EQ(Find("-name big , -name srv"), (Strings{"/srv"}));
  EXPECT_EQ(Find("-false"), Strings{});
}

TEST_F(FindTest, StartPathsResolveLikeFindP) {
  EXPECT_EQ(Find("", "/srv"), (Strings{"/srv"}));  // The link itself, not followed.
  EXPECT_EQ(Find("-maxdepth 1", "/srv/"), (Strings{"/srv/", "/srv/bin", "/srv/conf", "/srv/empty",
                                                   "/srv/fifo", "/srv/hard", "/srv/link"}));
  EXPECT_EQ(Find("", "/srv/bin"), (Strings{"/srv/bin", "/srv/bin/server", "/srv/bin/tool"}));
  EXPECT_EQ(Find("", "app/./bin/../empty"), (Strings{"/app/./bin/../empty"}));
  EXPECT_EQ(Find("", "/app/link"), (Strings{"/app/link"}));
  EXPECT_EQ(FindError("", "/nope"), "/nope: no such file or directory in the image");
  // A file named as a directory is not one, as find(1) says (a user trial).
  EXPECT_EQ(FindError("", "/big/"), "/big/: not a directory in the image");
  EXPECT_EQ(FindError("", "/loop1/x"), "/loop1/x: too many levels of symbolic links in the image");
}

TEST_F(FindTest, NewerNeedsThePathInTheImage) {
  EXPECT_EQ(Find("-newer /app"), Strings{});  // Every header says 1700000000.
  EXPECT_EQ(FindError("-newer /missing"),
            "-newer /missing: no such file or directory in the image");
  FindContext no_lookup;
  EXPECT_THROW(RunFind(tree(), "/", ParseFindExpression({"-newer", "/app"}), no_lookup), Error);
}

TEST(FindLookup, ResolvesLinksOnTheWayButNotAtTheEnd) {
  MemoryTree memory;
  memory.Add("usr/bin", EntryKind::kDirectory, 10);
  memory.Add("usr/bin/env", EntryKind::kFile, 20);
  memory.Add("bin", EntryKind::kSymlink, 30).set_link("usr/bin");
  memory.Add("usr/local/up", EntryKind::kSymlink, 40).set_link("../../bin/env");
  memory.Add("empty-link", EntryKind::kSymlink, 50);
  auto mtime_of = MtimeLookup(memory.tree());
  EXPECT_EQ(mtime_of("/bin/env"), 20);
  EXPECT_EQ(mtime_of("/bin"), 30);
  EXPECT_EQ(mtime_of("/bin/"), 10);
  EXPECT_EQ(mtime_of("/usr/local/up"), 40);
  EXPECT_EQ(mtime_of("/usr"), 0);  // Implied: no layer stored it.
  EXPECT_EQ(mtime_of("/nope"), std::nullopt);
  EXPECT_EQ(ResolvePath(memory.tree(), "/usr/local/up", true), memory.tree().Find("usr/bin/env"));
  EXPECT_EQ(ResolvePath(memory.tree(), "/../../usr/bin/../bin/env", false),
            memory.tree().Find("usr/bin/env"));
  EXPECT_EQ(ResolvePath(memory.tree(), "/usr/bin/env/x", false), nullptr);
  EXPECT_EQ(ResolvePath(memory.tree(), "/empty-link/", false), nullptr);
}

// Ages in seconds, chosen on both sides of find's day and minute bounds.
constexpr int64_t kAges[] = {-90000, -61,   -60,    -1,     0,      1,     59,
                             60,     61,    119,    120,    3600,   86398, 86399,
                             86400,  86401, 172799, 172800, 172801, 259200};

constexpr const char* kTimeTests[] = {
    "-mtime 0",  "-mtime -0", "-mtime +0", "-mtime 1",  "-mtime -1",    "-mtime +1",   "-mtime 2",
    "-mtime -2", "-mmin 0",   "-mmin -0",  "-mmin +0",  "-mmin 1",      "-mmin -1",    "-mmin +1",
    "-mmin 2",   "-mmin -2",  "-mmin 60",  "-mmin -61", "-newer @/f60", "-newer @/f-1"};

TEST(FindTimes, AgesMatchGnuFind) {
  std::string dir = TempDir();
  for (int attempt = 0; attempt < 5; ++attempt) {
    int64_t now = time(nullptr);
    MemoryTree memory;
    std::string touch = "true";
    for (int64_t age : kAges) {
      std::string name = fmt::format("f{}", age);
      memory.Add(name, EntryKind::kFile, now - age);
      touch += fmt::format(" && touch -d @{} {}", now - age, Quote(dir + "/" + name));
    }
    ASSERT_EQ(system(touch.c_str()), 0);

    FindContext context;
    context.now = now;
    context.mtime_of = MtimeLookup(memory.tree());
    std::vector<std::pair<Strings, Strings>> results;
    for (const char* tests : kTimeTests) {
      Strings args = Split(std::string("-type f ") + tests);
      results.emplace_back(GnuFind(dir, "", args), StrataFind(memory.tree(), "/", args, context));
    }
    // GNU find's clock must have read the same second as |now|.
    if (time(nullptr) != now) continue;
    for (size_t i = 0; i < results.size(); ++i)
      EXPECT_EQ(results[i].second, results[i].first) << kTimeTests[i];
    EXPECT_FALSE(results[0].first.empty());
    fs::remove_all(dir);
    return;
  }
  FAIL() << "the clock moved on during every attempt";
}

TEST(FindTimes, HardLinksTakeTheirTargetsMtime) {
  MemoryTree memory;
  const LayerEntry& target = memory.Add("target", EntryKind::kFile, 100);
  memory.Add("link", EntryKind::kHardlink, 999);
  memory.Node("link")->content = &target;
  EXPECT_EQ(NodeMtime(memory.tree().Find("link")), 100);
  EXPECT_EQ(NodeMtime(memory.tree().root()), 0);
}

TEST(FindIdNames, ReadsPasswdAndGroup) {
  std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\n# comment\n\nbroken line\ntoor:x:0:0::/:/bin/sh\n"
      "app:x:10001:10001:app:/home/app:/bin/sh\n:x:5:5::/:\nbad:x:nan:0\nbig:x:99999999999:0\n"
      "last:x:7";
  EXPECT_EQ(ParseIdNames(passwd),
            (std::map<uint32_t, std::string>{{0, "root"}, {7, "last"}, {10001, "app"}}));
  EXPECT_EQ(ParseIdNames("root:x:0:\r\nwheel:x:10:root\n"),
            (std::map<uint32_t, std::string>{{0, "root"}, {10, "wheel"}}));
}

// The same expressions as GNU find sees them on umoci's unpack of the
// same image; they cover every test with a fixed answer.
const std::pair<std::string, Strings> kOracleCases[] = {
    {"/", {}},
    {"/", {"-name", "*.txt"}},
    {"/", {"-iname", "CAF*", "-o", "-iname", "*SPACE*"}},
    {"/", {"-mindepth", "1", "-name", "s*"}},
    {"/", {"-path", "*/links/*", "!", "-type", "l"}},
    {"/", {"-ipath", "*/S/NAMES/*"}},
    {"/", {"-type", "f"}},
    {"/", {"-type", "l,p"}},
    {"/", {"-type", "d", "-empty"}},
    {"/", {"-empty", "-o", "-type", "p"}},
    {"/", {"-size", "-1"}},
    {"/", {"-size", "+10c", "-type", "f"}},
    {"/", {"-size", "12c", "-o", "-size", "4k"}},
    {"/", {"-size", "1", "!", "-type", "d"}},
    {"/", {"-perm", "-4000"}},
    {"/", {"-perm", "/g+s,o+t"}},
    {"/", {"-perm", "644", "-o", "-perm", "755"}},
    {"/", {"-perm", "-u=rwx,g=rx", "-type", "f"}},
    {"/", {"-perm", "/o+w", "!", "-type", "l"}},
    {"/", {"-maxdepth", "2", "-type", "d"}},
    {"/", {"-mindepth", "3", "-name", "*e*"}},
    {"/", {"-newer", "@/s/links/target.txt", "-type", "f"}},
    {"/", {"!", "-newer", "@/s/special/suid", "-path", "*/s/*"}},
    {"/", {"(", "-name", "*.sh", "-o", "-name", "*.txt", ")", "-a", "!", "-path", "*/names/*"}},
    {"/",
     {"-user", "root", "-uid", "0", "-group", "root", "-gid", "-1", "-type", "f", "-perm", "/111"}},
    {"/", {"-false", "-o", "-true", ",", "-name", "passwd"}},
    {"/s", {"-maxdepth", "1"}},
    {"/s/links/", {"-name", "*e*"}},
    {"/etc/passwd", {}},
};

TEST(FindOracle, SemanticsFixtureMatchesGnuFind) {
  REQUIRE_FIXTURES();
  std::string rootfs = FixturesDir() + "/semantics.rootfs";
  Analysis analysis = AnalyzePath(FixturesDir() + "/semantics.oci");
  FindContext context;
  context.mtime_of = MtimeLookup(analysis.merge.tree());
  context.user_names = ParseIdNames(testing::ReadFileText(rootfs + "/etc/passwd"));
  context.group_names = ParseIdNames(testing::ReadFileText(rootfs + "/etc/group"));
  for (const auto& [start, args] : kOracleCases) {
    Strings gnu = GnuFind(rootfs, start, args);
    EXPECT_FALSE(gnu.empty()) << start << " " << Joined(args) << " matches nothing: a weak case";
    EXPECT_EQ(StrataFind(analysis.merge.tree(), start, args, context), gnu)
        << start << " " << Joined(args);
  }
}

// strata runs in C.UTF-8, where "?" matches one character, not one byte;
// names that are not UTF-8 still match byte by byte.
TEST(FindOracle, Utf8NamesMatchAsGnuFindMatchesThem) {
  REQUIRE_FIXTURES();
  std::string rootfs = FixturesDir() + "/semantics.rootfs";
  Analysis analysis = AnalyzePath(FixturesDir() + "/semantics.oci");
  std::string previous = setlocale(LC_CTYPE, nullptr);
  ASSERT_NE(setlocale(LC_CTYPE, "C.UTF-8"), nullptr);
  for (const Strings& args :
       {Strings{"-name", "caf?.txt"}, Strings{"-iname", "CAF[[:alpha:]].TXT"}}) {
    Strings gnu = GnuFind(rootfs, "/", args, "C.UTF-8");
    EXPECT_EQ(gnu, Strings{"/s/names/caf\xC3\xA9.txt"}) << Joined(args);
    EXPECT_EQ(StrataFind(analysis.merge.tree(), "/", args, FindContext()), gnu) << Joined(args);
  }
  setlocale(LC_CTYPE, previous.c_str());
  EXPECT_EQ(GnuFind(rootfs, "/", {"-name", "caf?.txt"}), Strings{});  // Two bytes in C.
}

// The corpus image with the awkward names (a newline, bytes that are not
// UTF-8) and a loop of links, unpacked here by umoci from a copy.
TEST(FindOracle, ChurnCorpusMatchesGnuFind) {
  if (FixturesDir().empty() && system("command -v umoci >/dev/null") != 0)
    GTEST_SKIP() << "umoci is not installed";
  std::string layout = testing::CorpusDir() + "/corpus/churn.oci";
  ASSERT_TRUE(fs::exists(layout)) << layout;
  std::string work = TempDir();
  std::string command = fmt::format(
      "cp -r '{}' '{}/layout' && umoci unpack --image '{}/layout:corpus/churn:1' '{}/bundle' "
      ">/dev/null 2>&1",
      layout, work, work, work);
  ASSERT_EQ(system(command.c_str()), 0) << command;
  std::string rootfs = work + "/bundle/rootfs";

  Analysis analysis = AnalyzePath(layout);
  FindContext context;
  context.mtime_of = MtimeLookup(analysis.merge.tree());
  const std::pair<std::string, Strings> cases[] = {
      {"/", {}},
      {"/", {"-type", "f", "-size", "+100k"}},
      {"/", {"-type", "l"}},
      {"/", {"-name", "*line", "-o", "-name", "raw-*"}},
      {"/", {"-perm", "-4000", "-o", "-perm", "-1000"}},
      {"/", {"-perm", "/o+w", "!", "-type", "l"}},
      {"/", {"-empty", "-type", "f", "-path", "*/names/*"}},
      {"/", {"-newer", "@/links/t"}},
      {"/links/", {"-maxdepth", "1", "!", "-name", "loop*"}},
      {"/data", {"-type", "p,f"}},
  };
  for (const auto& [start, args] : cases) {
    Strings gnu = GnuFind(rootfs, start, args);
    EXPECT_FALSE(gnu.empty()) << start << " " << Joined(args) << " matches nothing: a weak case";
    EXPECT_EQ(StrataFind(analysis.merge.tree(), start, args, context), gnu)
        << start << " " << Joined(args);
  }
  fs::remove_all(work);
}

}  // namespace
}  // namespace strata
