// The rule configuration of .strata.yaml (or --config FILE): rules to
// disable, severities to change, extra path and content rules, scan
// limits, and accepted findings. See doc/config.md for the format.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "rules/content_scanner.h"
#include "rules/finding.h"

namespace strata {

struct CustomRule {
  std::string id;
  std::string title;
  Severity severity = Severity::kMedium;
  std::string path_glob;   // A path rule when set...
  ContentPattern content;  // ...else a content rule (content.regex set).
};

struct AcceptedFinding {
  std::string rule;     // Rule id, or "" for any rule.
  std::string path;     // Glob of paths ("/app/.env", "/app/**"), or "" for any.
  std::string reason;   // Required: why this is accepted.
  std::string expires;  // "YYYY-MM-DD", or "" for never.
};

struct RuleConfig {
  std::string source;  // The file it came from, "" for the defaults.
  std::set<std::string> disabled;
  std::map<std::string, Severity> severities;
  std::vector<CustomRule> custom;
  std::vector<AcceptedFinding> accepted;
  ScanLimits limits;
  std::vector<std::string> base_diff_ids;  // From --base.
  std::string base_image;                  // The --base image as given, for messages.
};

// Reads |path|; when |path| is "", reads ./.strata.yaml if it exists and
// returns the defaults otherwise. Throws Error naming the file and the key
// for anything it cannot understand (unknown keys included, so a typo is
// never silently ignored).
RuleConfig LoadRuleConfig(const std::string& path);

// Reads a settings file (.strata.yaml, a .dive-ci) as YAML. Throws Error
// naming |file| when it cannot be read (a directory, missing) or parsed.
YAML::Node LoadSettingsFile(const std::string& file);

// Parses sizes like "512", "20kB", "1.5MB", "2MiB" into bytes; throws Error.
int64_t ParseSize(const std::string& text, const std::string& what);

// The rule's title, category and default severity, built-in or custom.
struct RuleInfo {
  std::string id;
  std::string title;
  std::string category;
  Severity severity = Severity::kInfo;
  std::string description;
};

// Every rule of |config|: the built-ins, then the custom ones.
std::vector<RuleInfo> AllRules(const RuleConfig& config);

}  // namespace strata
