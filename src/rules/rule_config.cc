#include "rules/rule_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <ios>
#include <regex>

#include "base/error.h"
#include "rules/catalog.h"
#include "rules/glob.h"

namespace strata {

namespace {

void CheckKeys(const YAML::Node& node, std::initializer_list<const char*> known,
               const std::string& where) {
  if (!node.IsMap()) Fail("{} must be a mapping", where);
  for (const auto& item : node) {
    std::string key = item.first.as<std::string>();
    bool ok = false;
    for (const char* k : known) ok |= key == k;
    if (!ok) Fail("{}: unknown key \"{}\"", where, key);
  }
}

std::string Text(const YAML::Node& node, const char* key, const std::string& where, bool required) {
  if (!node[key]) {
    if (required) Fail("{}: \"{}\" is required", where, key);
    return "";
  }
  if (!node[key].IsScalar()) Fail("{}: \"{}\" must be a string", where, key);
  return node[key].as<std::string>();
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
    for (const auto& id : rules["disable"]) config->disabled.insert(id.as<std::string>());
  }
  if (rules["severity"] && !rules["severity"].IsMap())
    Fail("{}: rules.severity must map rule ids to severities", file);
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
                  where);
      else
        CheckKeys(item, {"id", "title", "severity", "glob"}, where);
      CustomRule rule;
      rule.id = Text(item, "id", where, true);
      rule.title = Text(item, "title", where, false);
      if (rule.title.empty()) rule.title = rule.id;
      std::string severity = Text(item, "severity", where, false);
      rule.severity = severity.empty() ? Severity::kMedium : SeverityOf(severity, where);
      if (content) {
        rule.content.rule_id = rule.id;
        rule.content.regex = Text(item, "regex", where, true);
        rule.content.whole_match = true;
        rule.content.caseless = item["caseless"] && item["caseless"].as<bool>();
        rule.content.min_entropy = item["min_entropy"] ? item["min_entropy"].as<double>() : 0;
        std::string paths = Text(item, "paths", where, false);
        if (!paths.empty()) rule.content.path_filter = ReadGlob(paths, key + ".paths");
      } else {
        rule.path_glob = ReadGlob(Text(item, "glob", where, true), key + ".glob");
      }
      if (FindRule(rule.id) != nullptr)
        Fail("{}: \"{}\" is a built-in rule id; choose another", where, rule.id);
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
    std::string where = file + ": accept";
    std::string key = fmt::format("{}[{}].path", where, index++);
    CheckKeys(item, {"rule", "path", "reason", "expires"}, where);
    AcceptedFinding accepted;
    accepted.rule = Text(item, "rule", where, false);
    accepted.path = Text(item, "path", where, false);
    accepted.reason = Text(item, "reason", where, true);
    accepted.expires = Text(item, "expires", where, false);
    if (accepted.rule.empty() && accepted.path.empty())
      Fail("{}: an entry needs a rule, a path or both", where);
    if (!accepted.expires.empty() && !IsDate(accepted.expires))
      Fail("{}: expires \"{}\" is not a date like 2027-01-31", where, accepted.expires);
    if (!accepted.path.empty()) accepted.path = ReadGlob(accepted.path, key);
    config->accepted.push_back(accepted);
  }
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
  static const std::pair<const char*, double> kUnits[] = {{"", 1},
                                                          {"b", 1},
                                                          {"kb", 1e3},
                                                          {"mb", 1e6},
                                                          {"gb", 1e9},
                                                          {"tb", 1e12},
                                                          {"kib", 1024.0},
                                                          {"mib", 1048576.0},
                                                          {"gib", 1073741824.0},
                                                          {"tib", 1099511627776.0}};
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
  if (unit == "k" || unit == "m" || unit == "g" || unit == "t") {
    std::string number = match[1], prefix(1, static_cast<char>(std::toupper(unit[0])));
    Fail("{}: \"{}\" could mean either unit: write {}{}B (powers of 1000) or {}{}iB (of 1024)",
         what, text, number, unit == "k" ? "k" : prefix, number, prefix);
  }
  Fail("{}: \"{}\" is not a size (like 512, 20kB, 1.5MB, 2GiB)", what, text);
}

YAML::Node LoadSettingsFile(const std::string& file) {
  // A directory opens as a stream and fails on the first read, with a
  // message about stream buffers: say what is wrong instead.
  std::error_code error;
  if (std::filesystem::is_directory(file, error))
    Fail("cannot read the configuration file {}: it is a directory", file);
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    Fail("cannot read the configuration file {}", file);
  } catch (const YAML::Exception& error) {
    Fail("{} is not valid YAML: {}", file, error.what());
  } catch (const std::ios_base::failure&) {
    Fail("cannot read the configuration file {}", file);
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
      for (const auto& item : root["rules"]["severity"])
        config.severities[item.first.as<std::string>()] =
            SeverityOf(item.second.as<std::string>(), file + ": rules.severity");
    }
    if (root["limits"]) {
      const YAML::Node& limits = root["limits"];
      CheckKeys(limits, {"max_scan_bytes", "scan_binaries"}, file + ": limits");
      if (limits["max_scan_bytes"])
        config.limits.max_scan_bytes = static_cast<size_t>(ParseSize(
            limits["max_scan_bytes"].as<std::string>(), file + ": limits.max_scan_bytes"));
      if (limits["scan_binaries"]) config.limits.scan_binaries = limits["scan_binaries"].as<bool>();
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
  if (root["policy"] && root["policy"]["skip"] && root["policy"]["skip"].IsSequence())
    for (const auto& id : root["policy"]["skip"])
      if (!known(id.as<std::string>()))
        Fail("{}: policy.skip names an unknown rule \"{}\" (see strata rules)", file,
             id.as<std::string>());

  // Compile the custom content rules now, so a bad one is named with its file.
  for (const CustomRule& rule : config.custom) {
    if (rule.path_glob.empty()) {
      try {
        ContentScanner({rule.content}, config.limits);
      } catch (const Error& error) {
        Fail("{}: rules.content: {}", file, error.what());
      }
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
