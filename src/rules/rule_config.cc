#include "rules/rule_config.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <iterator>
#include <map>
#include <regex>

#include "base/error.h"
#include "base/utf8.h"
#include "rules/catalog.h"
#include "rules/glob.h"

namespace strata {

namespace {

std::string ScalarAt(const YAML::Node& node, const std::string& key, const char* expected);

void CheckKeys(const YAML::Node& node, std::initializer_list<const char*> known,
               const std::string& where) {
  if (!node.IsMap()) Fail("{} must be a mapping", where);
  for (const auto& item : node) {
    std::string key = ScalarAt(item.first, where, "a key");
    bool ok = false;
    for (const char* k : known) ok |= key == k;
    if (!ok) Fail("{}: unknown key \"{}\"", where, key);
  }
}

// How |node| reads in a message: a value in quotes, else what it is.
std::string Shown(const YAML::Node& node) {
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "an empty value";
}

// The single value |node|, which the file holds at |key| ("f.yaml:
// rules.disable[2]"); anything else is an error saying it is not
// |expected|. yaml-cpp's own "bad conversion" names neither.
std::string ScalarAt(const YAML::Node& node, const std::string& key, const char* expected) {
  if (!node.IsScalar()) Fail("{}: {} is not {}", key, Shown(node), expected);
  return node.Scalar();
}

// true or false (YAML's spellings: yes, no, on, off too) at |key|.
bool BooleanAt(const YAML::Node& node, const std::string& key) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    Fail("{}: {} is not true or false", key, Shown(node));
  return value;
}

// A finite number at |key| ("0.5", "3", "1e-2").
double NumberAt(const YAML::Node& node, const std::string& key) {
  std::string text = ScalarAt(node, key, "a number");
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    Fail("{}: \"{}\" is not a number", key, text);
  return value;
}

// A content rule's min_entropy: Shannon bits per byte, which no text
// has below 0 or above 8 (a bound past 8 would let no match through).
double MinEntropyAt(const YAML::Node& node, const std::string& key) {
  double bits = NumberAt(node, key);
  if (bits < 0 || bits > 8)
    Fail("{}: {} is out of range: bits per character run from 0 to 8", key, node.Scalar());
  return bits;
}

// The string |key| of the mapping |node| at |where|; "" when absent.
std::string Text(const YAML::Node& node, const char* key, const std::string& where, bool required) {
  if (!node[key]) {
    if (required) Fail("{}: \"{}\" is required", where, key);
    return "";
  }
  return ScalarAt(node[key], where + "." + key, "a string");
}

Severity SeverityOf(const std::string& text, const std::string& where) {
  Severity severity;
  if (!ParseSeverity(text, &severity))
    Fail("{}: \"{}\" is not a severity (info, low, medium, high, critical)", where, text);
  return severity;
}

// |text| as a glob of layer paths: each "|" part without its leading "/"
// (as users write paths). Throws Error naming |key| when it is invalid.
std::string ReadGlob(const std::string& text, const std::string& key) {
  std::string glob;
  for (size_t start = 0; start <= text.size();) {
    size_t bar = std::min(text.find('|', start), text.size());
    size_t first = std::min(text.find_first_not_of('/', start), bar);
    glob += (start == 0 ? "" : "|") + text.substr(first, bar - first);
    start = bar + 1;
  }
  std::string error = GlobError(glob);
  if (!error.empty()) Fail("{}: \"{}\" is not a valid glob: {}", key, text, error);
  return glob;
}

void ReadRules(const YAML::Node& rules, const std::string& file, RuleConfig* config) {
  CheckKeys(rules, {"disable", "severity", "paths", "content"}, file + ": rules");
  if (rules["disable"]) {
    if (!rules["disable"].IsSequence()) Fail("{}: rules.disable must be a list of rule ids", file);
    int index = 0;
    for (const auto& id : rules["disable"])
      config->disabled.insert(
          ScalarAt(id, fmt::format("{}: rules.disable[{}]", file, index++), "a rule id"));
  }
  if (rules["severity"] && !rules["severity"].IsMap())
    Fail("{}: rules.severity must map rule ids to severities", file);
  std::map<std::string, std::string> ids;  // Custom rule id → where it was given.
  for (const auto& custom_list : {"paths", "content"}) {
    if (!rules[custom_list]) continue;
    if (!rules[custom_list].IsSequence()) Fail("{}: rules.{} must be a list", file, custom_list);
    bool content = std::string(custom_list) == "content";
    int index = 0;
    for (const auto& item : rules[custom_list]) {
      std::string where = fmt::format("{}: rules.{}", file, custom_list);
      std::string key = fmt::format("{}[{}]", where, index++);
      if (content)
        CheckKeys(item, {"id", "title", "severity", "regex", "caseless", "min_entropy", "paths"},
                  key);
      else
        CheckKeys(item, {"id", "title", "severity", "glob"}, key);
      CustomRule rule;
      rule.id = Text(item, "id", key, true);
      rule.title = Text(item, "title", key, false);
      if (rule.title.empty()) rule.title = rule.id;
      std::string severity = Text(item, "severity", key, false);
      rule.severity =
          severity.empty() ? Severity::kMedium : SeverityOf(severity, key + ".severity");
      if (content) {
        rule.content.rule_id = rule.id;
        rule.content.regex = Text(item, "regex", key, true);
        rule.content.whole_match = true;
        rule.content.caseless = item["caseless"] && BooleanAt(item["caseless"], key + ".caseless");
        // Compiled now, so that a bad pattern is named with its key.
        std::string problem = PatternProblem(rule.content);
        if (!problem.empty()) Fail("{}.regex: \"{}\" {}", key, rule.content.regex, problem);
        if (item["min_entropy"])
          rule.content.min_entropy = MinEntropyAt(item["min_entropy"], key + ".min_entropy");
        std::string paths = Text(item, "paths", key, false);
        if (!paths.empty()) rule.content.path_filter = ReadGlob(paths, key + ".paths");
      } else {
        rule.path_glob = ReadGlob(Text(item, "glob", key, true), key + ".glob");
      }
      if (FindRule(rule.id) != nullptr)
        Fail("{}.id: \"{}\" is a built-in rule id; choose another", key, rule.id);
      // Two rules of one id would share their findings, accepted entries
      // and severity, and `strata rules` would list the id twice.
      auto [first, added] = ids.emplace(rule.id, key.substr(file.size() + 2));
      if (!added)
        Fail("{}.id: \"{}\" is already the id of {}; give each rule its own", key, rule.id,
             first->second);
      config->custom.push_back(rule);
    }
  }
}

// "YYYY-MM-DD" naming a day that exists.
bool IsDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  int year = std::stoi(text.substr(0, 4)), month = std::stoi(text.substr(5, 2)),
      day = std::stoi(text.substr(8, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

void ReadAccepted(const YAML::Node& accept, const std::string& file, RuleConfig* config) {
  if (!accept.IsSequence()) Fail("{}: accept must be a list", file);
  int index = 0;
  for (const auto& item : accept) {
    std::string where = fmt::format("{}: accept[{}]", file, index++);
    std::string key = where + ".path";
    CheckKeys(item, {"rule", "path", "reason", "expires"}, where);
    AcceptedFinding accepted;
    accepted.rule = Text(item, "rule", where, false);
    accepted.path = Text(item, "path", where, false);
    accepted.reason = Text(item, "reason", where, true);
    if (accepted.reason.find_first_not_of(" \t") == std::string::npos)
      Fail("{}.reason: it is empty; say why the finding is accepted", where);
    accepted.expires = Text(item, "expires", where, false);
    if (accepted.rule.empty() && accepted.path.empty())
      Fail("{}: an entry needs a rule, a path or both", where);
    if (!accepted.expires.empty() && !IsDate(accepted.expires))
      Fail("{}: expires \"{}\" is not a date like 2027-01-31", where, accepted.expires);
    if (!accepted.path.empty()) accepted.path = ReadGlob(accepted.path, key);
    config->accepted.push_back(accepted);
  }
}

// Refuses a key that a mapping of |node| (at |path|: "rules.severity")
// holds twice. yaml-cpp keeps both, and a lookup finds the first: the
// second `rules:` of a file would be read by no one, in silence. Each
// list and mapping is walked once, recorded in |seen|: an alias may lead
// back into the node that holds it (`x: &a [*a]`).
void CheckNoKeyTwice(const YAML::Node& node, const std::string& file, const std::string& path,
                     std::vector<YAML::Node>* seen) {
  if (!node.IsSequence() && !node.IsMap()) return;
  for (const YAML::Node& walked : *seen)
    if (walked.is(node)) return;
  seen->push_back(node);

  auto inner = [&path](const std::string& step) {
    return path.empty() || step.starts_with("[") ? path + step : path + "." + step;
  };
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i)
      CheckNoKeyTwice(node[i], file, inner(fmt::format("[{}]", i)), seen);
    return;
  }
  std::map<std::string, int> lines;  // Key → line of its first appearance, from 1.
  for (const auto& item : node) {
    if (!item.first.IsScalar()) continue;  // CheckKeys says a key must be a name.
    std::string key = item.first.Scalar();
    int line = item.first.Mark().line + 1;
    auto [first, added] = lines.emplace(key, line);
    if (!added)
      Fail("{}: {}\"{}\" is given twice ({}); give it once", file, path.empty() ? "" : path + ": ",
           key,
           first->second == line ? fmt::format("on line {}", line)
                                 : fmt::format("lines {} and {}", first->second, line));
    CheckNoKeyTwice(item.second, file, inner(key), seen);
  }
}

// Why |file| cannot be opened ("No such file or directory"): yaml-cpp's
// BadFile does not say, and errno after a stream's failure is not sure
// to be the open's.
std::string WhyUnreadable(const std::string& file) {
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return strerror(errno);
  close(fd);
  return "it could not be read";
}

}  // namespace

int64_t ParseSize(const std::string& text, const std::string& what) {
  // Digits, an optional fraction, an optional unit: nothing else that
  // strtod would take (hex, exponents, signs, "5.").
  static const std::regex kSize(R"(([0-9]+(\.[0-9]+)?) ?([A-Za-z]*))");
  std::smatch match;
  if (!std::regex_match(text, match, kSize))
    Fail("{}: \"{}\" is not a size (like 512, 20kB, 1.5MB, 2GiB)", what, text);
  double value = std::stod(match[1]);
  std::string unit = match[3];
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return std::tolower(c); });

  // Units in any case: kB is 1000 bytes, KiB 1024. A bare k, M or G means
  // either, depending on the tool: asked, not guessed.
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},         {"b", 1},           {"kb", 1e3},           {"mb", 1e6},
      {"gb", 1e9},     {"tb", 1e12},       {"pb", 1e15},          {"eb", 1e18},
      {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0},
      {"pib", 0x1p50}, {"eib", 0x1p60}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    // Past 2^63 the conversion to int64_t would wrap to a negative limit.
    if (value * factor >= 9.2e18)
      Fail("{}: \"{}\" is too large: a size must stay under 2^63 bytes", what, text);
    // 1.5 was taken as 2 bytes; 1.5kB is a whole 1,500.
    if (std::abs(value * factor - std::round(value * factor)) > 1e-6)
      Fail("{}: \"{}\" is not a whole number of bytes", what, text);
    return static_cast<int64_t>(std::llround(value * factor));
  }
  if (unit == "k" || unit == "m" || unit == "g" || unit == "t" || unit == "p" || unit == "e") {
    std::string number = match[1], prefix(1, static_cast<char>(std::toupper(unit[0])));
    Fail("{}: \"{}\" could mean either unit: write {}{}B (powers of 1000) or {}{}iB (of 1024)",
         what, text, number, unit == "k" ? "k" : prefix, number, prefix);
  }
  Fail("{}: \"{}\" is not a size (like 512, 20kB, 1.5MB, 2GiB)", what, text);
}

namespace {

// The first line (from 1) holding bytes that are no UTF-8, or 0.
int FirstLineNotUtf8(const std::string& text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return line;
    if (text[i] == '\n') ++line;
    i += length;
  }
  return 0;
}

}  // namespace

YAML::Node LoadSettingsFile(const std::string& file) {
  // A directory opens as a stream and fails on the first read, with a
  // message about stream buffers: say what is wrong instead.
  std::error_code error;
  if (std::filesystem::is_directory(file, error))
    Fail("cannot read the configuration file {}: it is a directory", file);
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw YAML::BadFile(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw YAML::BadFile(file);
    // yaml-cpp reads a name with bytes that are no UTF-8 as no mapping at
    // all ("must be a mapping"): the line is named instead.
    if (int line = FirstLineNotUtf8(text); line > 0)
      Fail("{}: line {} is not valid UTF-8 (the file must be UTF-8 text)", file, line);
    YAML::Node root = YAML::Load(text);
    std::vector<YAML::Node> seen;
    CheckNoKeyTwice(root, file, "", &seen);
    return root;
  } catch (const YAML::BadFile&) {
    Fail("cannot read the configuration file {}: {}", file, WhyUnreadable(file));
  } catch (const YAML::Exception& error) {
    Fail("{} is not valid YAML: {}", file, error.what());
  } catch (const std::ios_base::failure&) {
    Fail("cannot read the configuration file {}: {}", file, WhyUnreadable(file));
  }
}

RuleConfig LoadRuleConfig(const std::string& path) {
  RuleConfig config;
  std::string file = path;
  if (file.empty()) {
    std::error_code error;
    if (!std::filesystem::exists(".strata.yaml", error)) return config;
    file = ".strata.yaml";
  }
  config.source = file;

  YAML::Node root = LoadSettingsFile(file);
  if (root.IsNull()) return config;

  try {
    // Keys of later features (the CI policy) are read by their own loaders.
    CheckKeys(root, {"rules", "limits", "accept", "policy"}, file);
    if (root["rules"]) ReadRules(root["rules"], file, &config);
    if (root["rules"] && root["rules"]["severity"]) {
      for (const auto& item : root["rules"]["severity"]) {
        std::string id = ScalarAt(item.first, file + ": rules.severity", "a rule id");
        std::string key = file + ": rules.severity." + id;
        config.severities[id] = SeverityOf(ScalarAt(item.second, key, "a severity"), key);
      }
    }
    if (root["limits"]) {
      const YAML::Node& limits = root["limits"];
      CheckKeys(limits, {"max_scan_bytes", "scan_binaries"}, file + ": limits");
      std::string key = file + ": limits.max_scan_bytes";
      if (limits["max_scan_bytes"])
        config.limits.max_scan_bytes =
            static_cast<size_t>(ParseSize(ScalarAt(limits["max_scan_bytes"], key, "a size"), key));
      if (limits["scan_binaries"])
        config.limits.scan_binaries =
            BooleanAt(limits["scan_binaries"], file + ": limits.scan_binaries");
    }
    if (root["accept"]) ReadAccepted(root["accept"], file, &config);
  } catch (const YAML::Exception& error) {
    Fail("{}: {}", file, error.what());
  }

  std::vector<RuleInfo> rules = AllRules(config);
  auto known = [&rules](const std::string& id) {
    for (const RuleInfo& rule : rules)
      if (rule.id == id) return true;
    return false;
  };
  for (const std::string& id : config.disabled)
    if (!known(id))
      Fail("{}: rules.disable names an unknown rule \"{}\" (see strata rules)", file, id);
  for (const auto& [id, severity] : config.severities)
    if (!known(id))
      Fail("{}: rules.severity names an unknown rule \"{}\" (see strata rules)", file, id);
  for (const AcceptedFinding& accepted : config.accepted)
    if (!accepted.rule.empty() && !known(accepted.rule))
      Fail("{}: accept names an unknown rule \"{}\" (see strata rules)", file, accepted.rule);
  if (root["policy"].IsMap() && root["policy"]["skip"].IsSequence()) {
    int index = 0;
    for (const auto& item : root["policy"]["skip"]) {
      std::string id =
          ScalarAt(item, fmt::format("{}: policy.skip[{}]", file, index++), "a rule id");
      if (!known(id))
        Fail("{}: policy.skip names an unknown rule \"{}\" (see strata rules)", file, id);
    }
  }

  return config;
}

std::vector<RuleInfo> AllRules(const RuleConfig& config) {
  std::vector<RuleInfo> rules;
  for (const Rule& rule : BuiltinRules())
    rules.push_back({rule.id, rule.title, rule.category, rule.severity, rule.description});
  for (const CustomRule& rule : config.custom)
    rules.push_back(
        {rule.id, rule.title, rule.path_glob.empty() ? "custom-content" : "custom-path",
         rule.severity,
         rule.path_glob.empty() ? "regex " + rule.content.regex : "glob " + rule.path_glob});
  return rules;
}

}  // namespace strata
