#include "model/find_expression.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <unordered_map>

#include "base/edit_distance.h"
#include "base/error.h"
#include "model/image_path.h"

namespace strata {

enum class FindOperator : uint8_t { kTest, kNot, kAnd, kOr, kComma };

enum class FindTest : uint8_t {
  kName,
  kIName,
  kPath,
  kIPath,
  kType,
  kSize,
  kPerm,
  kUser,
  kGroup,
  kUid,
  kGid,
  kNewer,
  kMtime,
  kMmin,
  kEmpty,
  kTrue,
  kFalse,
};

// "+N", "-N" or "N" as find reads numbers: more than, less than, exactly.
struct FindNumber {
  char sign = '=';
  int64_t value = 0;
};

struct FindNode {
  FindOperator op = FindOperator::kTest;
  FindTest test = FindTest::kTrue;
  std::string name;      // The test as written ("-name"), for messages and text.
  std::string argument;  // Its argument as written.
  bool has_argument = false;
  FindNumber number;                      // -size (in units), -uid, -gid, -mtime, -mmin.
  int64_t unit = 1;                       // -size: bytes per unit.
  uint32_t bits = 0;                      // -perm: mode bits; -type: one bit per EntryKind.
  char perm_match = '=';                  // -perm: '=' exactly, '-' all of, '/' any of.
  std::unique_ptr<FindNode> left, right;  // Operands; !: left only.
};

namespace {

// What GNU find sees for a directory on ext4 or xfs while it is small;
// the image stores no directory size at all.
constexpr int64_t kDirectorySize = 4096;

constexpr int64_t kSecondsPerDay = 86400;

bool IsOperator(std::string_view token) {
  return token == "-o" || token == "-or" || token == "-a" || token == "-and" || token == ",";
}

bool IsAllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A non-negative decimal number, all of |text|, or nullopt.
std::optional<int64_t> ParseCount(std::string_view text) {
  int64_t value = 0;
  if (!IsAllDigits(text)) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Reads "N", "+N" or "-N" of |argument|; nullopt when it is not one.
std::optional<FindNumber> ReadFindNumber(std::string_view text) {
  FindNumber number;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    number.sign = text[0];
    text.remove_prefix(1);
  }
  std::optional<int64_t> value = ParseCount(text);
  if (!value) return std::nullopt;
  number.value = *value;
  return number;
}

FindNumber ParseFindNumber(const std::string& test, const std::string& argument) {
  std::optional<FindNumber> number = ReadFindNumber(argument);
  if (!number) Fail("{}: '{}' is not a number (N, +N or -N)", test, argument);
  return *number;
}

// -mtime and -mmin: days or minutes that fit in seconds with room to spare
// (a million years), so the age arithmetic cannot overflow.
FindNumber ParseAge(const std::string& test, const std::string& argument) {
  FindNumber number = ParseFindNumber(test, argument);
  if (number.value > int64_t{400'000'000}) Fail("{}: '{}' is out of range", test, argument);
  return number;
}

bool Compare(int64_t value, const FindNumber& number) {
  if (number.sign == '+') return value > number.value;
  if (number.sign == '-') return value < number.value;
  return value == number.value;
}

// -size [+-]N[bcwkMG]: N units, each |unit| bytes; no suffix means
// 512-byte blocks, as in find.
void ParseSize(const std::string& argument, FindNode* node) {
  std::string_view text = argument;
  static const std::pair<char, int64_t> kUnits[] = {{'b', 512},
                                                    {'c', 1},
                                                    {'w', 2},
                                                    {'k', 1024},
                                                    {'M', int64_t{1} << 20},
                                                    {'G', int64_t{1} << 30}};
  node->unit = 512;
  for (auto [suffix, bytes] : kUnits) {
    if (!text.empty() && text.back() == suffix) {
      node->unit = bytes;
      text.remove_suffix(1);
      break;
    }
  }
  std::optional<FindNumber> number = ReadFindNumber(text);
  if (!number) Fail("-size: invalid size '{}' (N, +N or -N, then b, c, w, k, M or G)", argument);
  node->number = *number;
}

void ParseType(const std::string& argument, FindNode* node) {
  static const std::pair<char, EntryKind> kLetters[] = {
      {'f', EntryKind::kFile},        {'d', EntryKind::kDirectory},  {'l', EntryKind::kSymlink},
      {'b', EntryKind::kBlockDevice}, {'c', EntryKind::kCharDevice}, {'p', EntryKind::kFifo},
      {'s', EntryKind::kSocket}};
  for (size_t i = 0; i < argument.size(); i += 2) {
    auto found = std::find_if(std::begin(kLetters), std::end(kLetters),
                              [&](const auto& letter) { return letter.first == argument[i]; });
    if (found == std::end(kLetters))
      Fail("-type: unknown type '{}' (f, d, l, b, c, p or s)", argument[i]);
    uint32_t bit = 1u << static_cast<int>(found->second);
    if (node->bits & bit) Fail("-type: '{}' is listed twice in '{}'", argument[i], argument);
    node->bits |= bit;
    if (i + 1 < argument.size() && argument[i + 1] != ',')
      Fail("-type: '{}' must be type letters separated by commas (f,l)", argument);
  }
  if (argument.empty() || argument.back() == ',')
    Fail("-type: '{}' must be type letters separated by commas (f,l)", argument);
}

// chmod(1)'s symbolic modes, applied to 0 with a umask of 0 as find does:
// "u+s", "g=w,o-x", "a+X", "u=g". Returns the resulting bits.
class SymbolicMode {
 public:
  explicit SymbolicMode(const std::string& text) : text_(text) {}

  uint32_t Parse() {
    size_t start = 0;
    while (true) {
      size_t comma = text_.find(',', start);
      ParseClause(std::string_view(text_).substr(start, comma - start));
      if (comma == std::string::npos) return value_;
      start = comma + 1;
    }
  }

 private:
  [[noreturn]] void Invalid() const { Fail("-perm: invalid mode '{}'", text_); }

  static uint32_t WhoMask(char who) {
    switch (who) {
      case 'u':
        return 04700;
      case 'g':
        return 02070;
      case 'o':
        return 01007;
      default:
        return 07777;
    }
  }

  // The permissions one letter grants, before the "who" mask applies.
  uint32_t PermissionBits(char letter) const {
    switch (letter) {
      case 'r':
        return 0444;
      case 'w':
        return 0222;
      case 'x':
        return 0111;
      case 'X':
        return (value_ & 0111) != 0 ? 0111 : 0;  // Only when some x is set.
      case 's':
        return 06000;
      default:
        return 01000;  // 't'
    }
  }

  // "u=g": the source class's rwx, copied to every class.
  uint32_t CopiedBits(char source) const {
    int shift = source == 'u' ? 6 : source == 'g' ? 3 : 0;
    uint32_t rwx = (value_ >> shift) & 7;
    return rwx << 6 | rwx << 3 | rwx;
  }

  void ParseClause(std::string_view clause) {
    uint32_t who = 0;
    size_t i = 0;
    for (; i < clause.size() && std::string_view("ugoa").find(clause[i]) != std::string_view::npos;
         ++i)
      who |= WhoMask(clause[i]);
    if (who == 0) who = 07777;
    if (i == clause.size()) Invalid();

    while (i < clause.size()) {
      char op = clause[i++];
      if (op != '+' && op != '-' && op != '=') Invalid();
      uint32_t bits = 0;
      if (i < clause.size() && std::string_view("ugo").find(clause[i]) != std::string_view::npos) {
        bits = CopiedBits(clause[i++]);
      } else {
        for (; i < clause.size() &&
               std::string_view("rwxXst").find(clause[i]) != std::string_view::npos;
             ++i)
          bits |= PermissionBits(clause[i]);
      }
      Apply(op, who, bits & who);
    }
  }

  void Apply(char op, uint32_t who, uint32_t bits) {
    if (op == '+')
      value_ |= bits;
    else if (op == '-')
      value_ &= ~bits;
    else
      value_ = (value_ & ~who) | bits;
  }

  const std::string& text_;
  uint32_t value_ = 0;
};

void ParsePerm(const std::string& argument, FindNode* node) {
  std::string_view mode = argument;
  if (!mode.empty() && (mode[0] == '-' || mode[0] == '/')) {
    node->perm_match = mode[0];
    mode.remove_prefix(1);
  } else if (!mode.empty() && mode[0] == '+' && IsAllDigits(mode.substr(1))) {
    Fail("-perm: '{}' is an old form find no longer accepts; use /{}", argument, mode.substr(1));
  }
  if (mode.empty()) Fail("-perm: invalid mode '{}'", argument);

  if (IsAllDigits(mode)) {
    uint32_t bits = 0;
    for (char digit : mode) {
      if (digit > '7' || bits > 0777)
        Fail("-perm: invalid mode '{}' (octal, at most 7777)", argument);
      bits = bits << 3 | static_cast<uint32_t>(digit - '0');
    }
    node->bits = bits;
  } else {
    node->bits = SymbolicMode(std::string(mode)).Parse();
  }
}

int ParseDepth(const std::string& test, const std::string& argument) {
  std::optional<int64_t> depth = ParseCount(argument);
  if (!depth || *depth > 1'000'000) Fail("{}: '{}' is not a depth (0, 1, 2, ...)", test, argument);
  return static_cast<int>(*depth);
}

enum class Argument : uint8_t { kNone, kOne };

struct TestSpec {
  std::string_view name;
  FindTest test;
  Argument argument;
};

// Every test the parser knows; -maxdepth and -mindepth are options that
// count as -true where they stand, as in find.
constexpr TestSpec kTests[] = {
    {"-name", FindTest::kName, Argument::kOne},
    {"-iname", FindTest::kIName, Argument::kOne},
    {"-path", FindTest::kPath, Argument::kOne},
    {"-ipath", FindTest::kIPath, Argument::kOne},
    {"-wholename", FindTest::kPath, Argument::kOne},
    {"-iwholename", FindTest::kIPath, Argument::kOne},
    {"-type", FindTest::kType, Argument::kOne},
    {"-size", FindTest::kSize, Argument::kOne},
    {"-perm", FindTest::kPerm, Argument::kOne},
    {"-user", FindTest::kUser, Argument::kOne},
    {"-group", FindTest::kGroup, Argument::kOne},
    {"-uid", FindTest::kUid, Argument::kOne},
    {"-gid", FindTest::kGid, Argument::kOne},
    {"-newer", FindTest::kNewer, Argument::kOne},
    {"-mtime", FindTest::kMtime, Argument::kOne},
    {"-mmin", FindTest::kMmin, Argument::kOne},
    {"-empty", FindTest::kEmpty, Argument::kNone},
    {"-true", FindTest::kTrue, Argument::kNone},
    {"-false", FindTest::kFalse, Argument::kNone},
    {"-maxdepth", FindTest::kTrue, Argument::kOne},
    {"-mindepth", FindTest::kTrue, Argument::kOne},
};

constexpr std::string_view kActions[] = {"-print",   "-print0", "-printf", "-fprint", "-fprint0",
                                         "-fprintf", "-ls",     "-fls",    "-exec",   "-execdir",
                                         "-ok",      "-okdir",  "-delete", "-prune",  "-quit"};

// |token| is argument |position|, where a test belongs.
[[noreturn]] void FailUnknownTest(const std::string& token, size_t position) {
  if (std::find(std::begin(kActions), std::end(kActions), token) != std::end(kActions))
    Fail("{} is an action; strata find has none, it prints every matching path", token);
  if (token.empty() || token[0] != '-')
    Fail("'{}' is not a test: the path to search goes before the tests", token);
  std::string_view closest;
  size_t best = 3;  // Suggest only names at most two edits away.
  for (const TestSpec& spec : kTests) {
    size_t distance = EditDistance(token, spec.name);
    if (distance < best) {
      best = distance;
      closest = spec.name;
    }
  }
  if (closest.empty()) throw UnknownTestError(fmt::format("unknown test '{}'", token), position);
  throw UnknownTestError(fmt::format("unknown test '{}'; did you mean {}?", token, closest),
                         position);
}

// Recursive descent over find's grammar, loosest first:
//   list := or { "," or }
//   or   := and { ("-o" | "-or") and }
//   and  := not { ["-a" | "-and"] not }
//   not  := ("!" | "-not") not | primary
//   primary := "(" list ")" | test
class Parser {
 public:
  explicit Parser(const std::vector<std::string>& args) : args_(args) {}

  FindExpression Parse() {
    if (args_.empty()) {
      expression_.root = MakeTest(FindTest::kTrue, "-true");
      return expression_;
    }
    std::unique_ptr<FindNode> root = ParseList();
    if (!AtEnd()) Fail("unbalanced parentheses: ')' without a '(' before it");
    expression_.root = std::move(root);
    return expression_;
  }

 private:
  bool AtEnd() const { return pos_ >= args_.size(); }
  bool PeekIs(std::string_view token) const { return !AtEnd() && args_[pos_] == token; }

  static std::unique_ptr<FindNode> MakeTest(FindTest test, std::string name) {
    auto node = std::make_unique<FindNode>();
    node->test = test;
    node->name = std::move(name);
    return node;
  }

  static std::unique_ptr<FindNode> Join(FindOperator op, std::unique_ptr<FindNode> left,
                                        std::unique_ptr<FindNode> right) {
    auto node = std::make_unique<FindNode>();
    node->op = op;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  std::unique_ptr<FindNode> ParseList() {
    std::unique_ptr<FindNode> left = ParseOr();
    while (PeekIs(",")) {
      ++pos_;
      left = Join(FindOperator::kComma, std::move(left), ParseOr());
    }
    return left;
  }

  std::unique_ptr<FindNode> ParseOr() {
    std::unique_ptr<FindNode> left = ParseAnd();
    while (PeekIs("-o") || PeekIs("-or")) {
      ++pos_;
      left = Join(FindOperator::kOr, std::move(left), ParseAnd());
    }
    return left;
  }

  std::unique_ptr<FindNode> ParseAnd() {
    std::unique_ptr<FindNode> left = ParseNot();
    while (true) {
      if (PeekIs("-a") || PeekIs("-and"))
        ++pos_;
      else if (AtEnd() || PeekIs(")") || PeekIs("-o") || PeekIs("-or") || PeekIs(","))
        break;
      left = Join(FindOperator::kAnd, std::move(left), ParseNot());
    }
    return left;
  }

  std::unique_ptr<FindNode> ParseNot() {
    if (!PeekIs("!") && !PeekIs("-not")) return ParsePrimary();
    ++pos_;
    return Join(FindOperator::kNot, ParseNot(), nullptr);
  }

  std::unique_ptr<FindNode> ParsePrimary() {
    if (AtEnd()) Fail("expected an expression after '{}'", args_[pos_ - 1]);
    const std::string& token = args_[pos_];
    if (IsOperator(token)) Fail("'{}' has no expression before it", token);
    if (token == ")") Fail("expected an expression before ')'");
    ++pos_;
    if (token != "(") return ParseTest(token);

    if (PeekIs(")")) Fail("empty parentheses: '( )' holds no expression");
    if (AtEnd()) Fail("unbalanced parentheses: '(' without a ')' after it");
    std::unique_ptr<FindNode> inner = ParseList();
    if (!PeekIs(")")) Fail("unbalanced parentheses: '(' without a ')' after it");
    ++pos_;
    return inner;
  }

  std::unique_ptr<FindNode> ParseTest(const std::string& token) {
    const TestSpec* spec = nullptr;
    for (const TestSpec& candidate : kTests)
      if (candidate.name == token) spec = &candidate;
    if (spec == nullptr) FailUnknownTest(token, pos_ - 1);

    std::unique_ptr<FindNode> node = MakeTest(spec->test, token);
    if (spec->argument == Argument::kOne) {
      if (AtEnd()) Fail("{}: missing argument", token);
      node->argument = args_[pos_++];
      node->has_argument = true;
      ParseArgument(node.get());
    }
    return node;
  }

  void ParseArgument(FindNode* node) {
    const std::string& argument = node->argument;
    switch (node->test) {
      case FindTest::kType:
        ParseType(argument, node);
        break;
      case FindTest::kSize:
        ParseSize(argument, node);
        break;
      case FindTest::kPerm:
        ParsePerm(argument, node);
        break;
      case FindTest::kUid:
      case FindTest::kGid:
        node->number = ParseFindNumber(node->name, argument);
        break;
      case FindTest::kMtime:
      case FindTest::kMmin:
        node->number = ParseAge(node->name, argument);
        break;
      case FindTest::kUser:
      case FindTest::kGroup:
      case FindTest::kNewer:
        if (argument.empty()) Fail("{}: the argument is empty", node->name);
        break;
      case FindTest::kTrue:
        if (node->name == "-maxdepth") expression_.max_depth = ParseDepth(node->name, argument);
        if (node->name == "-mindepth") expression_.min_depth = ParseDepth(node->name, argument);
        break;
      default:
        break;  // Patterns: fnmatch takes any text.
    }
  }

  const std::vector<std::string>& args_;
  size_t pos_ = 0;
  FindExpression expression_;
};

std::string NodeText(const FindNode& node, bool top) {
  switch (node.op) {
    case FindOperator::kTest:
      return node.has_argument ? node.name + " " + node.argument : node.name;
    case FindOperator::kNot:
      return "! " + NodeText(*node.left, false);
    default:
      break;
  }
  const char* op = node.op == FindOperator::kAnd  ? " -a "
                   : node.op == FindOperator::kOr ? " -o "
                                                  : " , ";
  std::string text = NodeText(*node.left, false) + op + NodeText(*node.right, false);
  return top ? text : "( " + text + " )";
}

// Bytes as find's stat sees them (see RunFind in the header).
int64_t FindSize(const FileNode* node) {
  switch (node->kind()) {
    case EntryKind::kFile:
      return node->size();
    case EntryKind::kDirectory:
      return kDirectorySize;
    case EntryKind::kSymlink:
      return static_cast<int64_t>(node->symlink_target().size());
    default:
      return 0;
  }
}

// Permission bits as find's stat sees them: Linux shows every symbolic
// link as 0777, whatever mode its tar header stored.
uint32_t FindMode(const FileNode* node) {
  return node->kind() == EntryKind::kSymlink ? 0777 : node->mode() & 07777;
}

// The name -name matches: the last component of |path| with trailing
// slashes dropped; "/" for the root.
std::string_view BaseNameOf(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return path;
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

struct Candidate {
  const FileNode* node;
  const std::string& path;
  std::string_view name;
};

// Evaluates an expression, with the references that need the image
// (-newer's path, -user's and -group's names) resolved once up front.
class Evaluator {
 public:
  Evaluator(const FindExpression& expression, const FindContext& context) : context_(context) {
    if (expression.root != nullptr) Bind(*expression.root);
  }

  bool Matches(const FindNode& node, const Candidate& candidate) const {
    switch (node.op) {
      case FindOperator::kTest:
        return Test(node, candidate);
      case FindOperator::kNot:
        return !Matches(*node.left, candidate);
      case FindOperator::kAnd:
        return Matches(*node.left, candidate) && Matches(*node.right, candidate);
      case FindOperator::kOr:
        return Matches(*node.left, candidate) || Matches(*node.right, candidate);
      case FindOperator::kComma:
        // find evaluates the left side for its actions; without actions
        // only the right side decides.
        return Matches(*node.right, candidate);
    }
    return false;
  }

 private:
  void Bind(const FindNode& node) {
    if (node.left) Bind(*node.left);
    if (node.right) Bind(*node.right);
    if (node.op != FindOperator::kTest) return;
    if (node.test == FindTest::kNewer) bound_[&node] = ReferenceMtime(node.argument);
    if (node.test == FindTest::kUser)
      bound_[&node] = IdNamed(node, context_.user_names, "/etc/passwd");
    if (node.test == FindTest::kGroup)
      bound_[&node] = IdNamed(node, context_.group_names, "/etc/group");
  }

  int64_t ReferenceMtime(const std::string& path) const {
    std::string absolute = path.starts_with("/") ? path : "/" + path;
    std::optional<int64_t> mtime = context_.mtime_of ? context_.mtime_of(absolute) : std::nullopt;
    if (!mtime) Fail("-newer {}: no such file or directory in the image", path);
    return *mtime;
  }

  // A name wins over a number, as in find: a user may be called "1000".
  static int64_t IdNamed(const FindNode& node, const std::map<uint32_t, std::string>& names,
                         const char* file) {
    for (const auto& [id, name] : names)
      if (name == node.argument) return id;
    std::optional<int64_t> id = ParseCount(node.argument);
    if (!id || *id > UINT32_MAX)
      Fail("{} {}: not a name in the image's {}, nor a number", node.name, node.argument, file);
    return *id;
  }

  bool Test(const FindNode& test, const Candidate& candidate) const {
    const FileNode* node = candidate.node;
    switch (test.test) {
      case FindTest::kName:
        return fnmatch(test.argument.c_str(), std::string(candidate.name).c_str(), 0) == 0;
      case FindTest::kIName:
        return fnmatch(test.argument.c_str(), std::string(candidate.name).c_str(), FNM_CASEFOLD) ==
               0;
      case FindTest::kPath:
        return fnmatch(test.argument.c_str(), candidate.path.c_str(), 0) == 0;
      case FindTest::kIPath:
        return fnmatch(test.argument.c_str(), candidate.path.c_str(), FNM_CASEFOLD) == 0;
      case FindTest::kType:
        return (test.bits & (1u << static_cast<int>(node->kind()))) != 0;
      case FindTest::kSize:
        return Compare((FindSize(node) + test.unit - 1) / test.unit, test.number);
      case FindTest::kPerm:
        return PermMatches(test, FindMode(node));
      case FindTest::kUser:
        return node->uid() == bound_.at(&test);
      case FindTest::kGroup:
        return node->gid() == bound_.at(&test);
      case FindTest::kUid:
        return Compare(node->uid(), test.number);
      case FindTest::kGid:
        return Compare(node->gid(), test.number);
      case FindTest::kNewer:
        return NodeMtime(node) > bound_.at(&test);
      case FindTest::kMtime:
        return MtimeMatches(test.number, AgeOf(node));
      case FindTest::kMmin:
        return MminMatches(test.number, AgeOf(node));
      case FindTest::kEmpty:
        return IsEmpty(node);
      case FindTest::kTrue:
        return true;
      case FindTest::kFalse:
        return false;
    }
    return false;
  }

  // Seconds since |node| was modified; a crafted mtime saturates rather
  // than overflows.
  int64_t AgeOf(const FileNode* node) const {
    int64_t age = 0;
    if (__builtin_sub_overflow(context_.now, NodeMtime(node), &age))
      return NodeMtime(node) < 0 ? INT64_MAX : INT64_MIN;
    return age;
  }

  static bool PermMatches(const FindNode& test, uint32_t mode) {
    if (test.perm_match == '-') return (mode & test.bits) == test.bits;
    if (test.perm_match == '/') return test.bits == 0 || (mode & test.bits) != 0;
    return mode == test.bits;
  }

  // Ages in whole seconds against a whole-second |now|, with the bounds
  // GNU find 4.9 shows: N days is [N, N+1) days; +N is N+1 days or more;
  // -N is N days or less (to the second, so -1 and 1 share one instant).
  static bool MtimeMatches(const FindNumber& days, int64_t age) {
    int64_t low = days.value * kSecondsPerDay;
    if (days.sign == '+') return age >= low + kSecondsPerDay;
    if (days.sign == '-') return age <= low;
    return age >= low && age < low + kSecondsPerDay;
  }

  // -mmin counts differently: N minutes is [N-1, N) minutes, +N is N
  // minutes or more, -N is less than N.
  static bool MminMatches(const FindNumber& minutes, int64_t age) {
    int64_t high = minutes.value * 60;
    if (minutes.sign == '+') return age >= high;
    if (minutes.sign == '-') return age < high;
    return age >= high - 60 && age < high;
  }

  static bool IsEmpty(const FileNode* node) {
    if (node->is_directory()) return !node->has_children();
    return node->kind() == EntryKind::kFile && node->size() == 0;
  }

  const FindContext& context_;
  std::unordered_map<const FindNode*, int64_t> bound_;
};

class Walker {
 public:
  Walker(const FindExpression& expression, const Evaluator& evaluator,
         std::vector<FindEntry>* found)
      : expression_(expression), evaluator_(evaluator), found_(found) {}

  // Visits |start| and everything beneath it, parents first, children in
  // name order. Iterative: a layer may nest directories deeper than the
  // stack. Each open directory keeps its children and the next to visit.
  void Walk(const FileNode* start, const std::string& start_path) {
    std::vector<OpenDirectory> open;
    if (Visit(start, start_path, BaseNameOf(start_path), 0))
      open.push_back(Opened(start, start_path));

    while (!open.empty()) {
      OpenDirectory& dir = open.back();
      if (dir.next == dir.children.size()) {
        open.pop_back();
        continue;
      }
      const FileNode* child = dir.children[dir.next++];
      std::string path = dir.prefix + std::string(child->name());
      int depth = static_cast<int>(open.size());
      if (Visit(child, path, child->name(), depth)) open.push_back(Opened(child, path));
    }
  }

 private:
  // Tests |node|; true when the walk goes on beneath it.
  bool Visit(const FileNode* node, const std::string& path, std::string_view name, int depth) {
    if (depth >= expression_.min_depth && Matches({node, path, name}))
      found_->push_back({path, node, depth});
    if (!node->is_directory()) return false;
    return expression_.max_depth < 0 || depth < expression_.max_depth;
  }

  struct OpenDirectory {
    std::string prefix;  // The directory's path with a slash.
    std::vector<const FileNode*> children;
    size_t next = 0;
  };

  static OpenDirectory Opened(const FileNode* dir, const std::string& path) {
    return {path.ends_with("/") ? path : path + "/", dir->Children(), 0};
  }

  // A default-constructed expression (no root) matches everything.
  bool Matches(const Candidate& candidate) const {
    return expression_.root == nullptr || evaluator_.Matches(*expression_.root, candidate);
  }

  const FindExpression& expression_;
  const Evaluator& evaluator_;
  std::vector<FindEntry>* found_;
};

}  // namespace

FindExpression ParseFindExpression(const std::vector<std::string>& args) {
  return Parser(args).Parse();
}

std::string FindExpressionText(const FindExpression& expression) {
  return NodeText(*expression.root, true);
}

std::vector<FindEntry> RunFind(const FileTree& tree, const std::string& start,
                               const FindExpression& expression, const FindContext& context) {
  std::string path = start.starts_with("/") ? start : "/" + start;
  const FileNode* node = ResolvePath(tree, path, false);
  if (node == nullptr) {
    // As find(1) says it: a name on the way, or before a trailing '/',
    // that is there but no directory (a link to a file included).
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.ends_with('/')) trimmed.pop_back();
    for (size_t slash = trimmed.find('/', 1);; slash = trimmed.find('/', slash + 1)) {
      if (slash == std::string::npos && trimmed == path) break;
      const FileNode* on_way =
          ResolvePath(tree, slash == std::string::npos ? trimmed : trimmed.substr(0, slash), true);
      if (on_way == nullptr) break;
      if (!on_way->is_directory()) Fail("{}: not a directory in the image", path);
      if (slash == std::string::npos) break;
    }
    Fail("{}: no such file or directory in the image", path);
  }

  Evaluator evaluator(expression, context);
  std::vector<FindEntry> found;
  Walker(expression, evaluator, &found).Walk(node, path);
  return found;
}

int64_t NodeMtime(const FileNode* node) {
  if (node->content != nullptr) return node->content->mtime;
  return node->entry != nullptr ? node->entry->mtime : 0;
}

std::function<std::optional<int64_t>(const std::string&)> MtimeLookup(const FileTree& tree) {
  return [&tree](const std::string& path) -> std::optional<int64_t> {
    const FileNode* node = ResolvePath(tree, path, false);
    if (node == nullptr) return std::nullopt;
    return NodeMtime(node);
  };
}

std::map<uint32_t, std::string> ParseIdNames(const std::string& text) {
  std::map<uint32_t, std::string> names;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = std::string_view(text).substr(start, end - start);
    start = end + 1;

    // name:password:id:...
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (line.empty() || line[0] == '#' || first == 0 || second == std::string_view::npos) continue;
    size_t third = line.find(':', second + 1);
    std::optional<int64_t> id = ParseCount(line.substr(second + 1, third - second - 1));
    if (!id || *id > UINT32_MAX) continue;
    names.emplace(static_cast<uint32_t>(*id), std::string(line.substr(0, first)));
  }
  return names;
}

}  // namespace strata
