#include "policy/policy.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "base/units.h"
#include "rules/rule_config.h"

namespace strata {

namespace {

bool Exists(const std::string& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

YAML::Node LoadYaml(const std::string& file) { return LoadSettingsFile(file); }

std::string Scalar(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) Fail("{} must be a single value", where);
  return node.as<std::string>();
}

double Fraction(const std::string& text, const std::string& where) {
  size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (...) {
  }
  if (used != text.size() || value < 0 || value > 1 || std::isnan(value))
    Fail("{}: \"{}\" is not a fraction between 0 and 1", where, text);
  return value;
}

bool Disabled(const std::string& text) {
  return text == "disabled" || text == "off" || text == "none";
}

void SetFraction(const std::string& text, const std::string& where, std::optional<double>* value) {
  if (Disabled(text))
    value->reset();
  else
    *value = Fraction(text, where);
}

void SetBytes(const std::string& text, const std::string& where, std::optional<int64_t>* value) {
  if (Disabled(text))
    value->reset();
  else
    *value = ParseSize(text, where);
}

// Sizes as dive reads them (go-humanize): case-insensitive, "20M", "20MB"
// and "20Mb" are 20,000,000, "20MiB" is 20 × 2^20.
int64_t ParseDiveSize(const std::string& text, const std::string& where) {
  size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (...) {
  }
  std::string unit;
  for (char c : text.substr(used))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},           {"b", 1},           {"k", 1e3},           {"kb", 1e3},
      {"m", 1e6},        {"mb", 1e6},        {"g", 1e9},           {"gb", 1e9},
      {"t", 1e12},       {"tb", 1e12},       {"ki", 1024.0},       {"kib", 1024.0},
      {"mi", 1048576.0}, {"mib", 1048576.0}, {"gi", 1073741824.0}, {"gib", 1073741824.0}};
  for (const auto& [name, factor] : kUnits)
    if (unit == name && value >= 0) return static_cast<int64_t>(std::llround(value * factor));
  Fail("{}: \"{}\" is not a size (like 20MB)", where, text);
}

void SetSeverity(const std::string& text, const std::string& where,
                 std::optional<Severity>* value) {
  Severity severity;
  if (Disabled(text))
    value->reset();
  else if (ParseSeverity(text, &severity))
    *value = severity;
  else
    Fail("{}: \"{}\" is not a severity (info, low, medium, high, critical, or none)", where, text);
}

// .strata.yaml's policy: key. Returns false when the file has none.
bool ReadStrataPolicy(const std::string& file, Policy* policy) {
  YAML::Node root = LoadYaml(file);
  // "policy:" with every key beneath it commented out is null: no policy.
  if (!root.IsMap() || !root["policy"] || root["policy"].IsNull()) return false;
  const YAML::Node& node = root["policy"];
  if (!node.IsMap()) Fail("{}: policy must be a mapping", file);
  for (const auto& item : node) {
    std::string key = item.first.as<std::string>();
    std::string where = file + ": policy." + key;
    if (key == "lowest_efficiency")
      SetFraction(Scalar(item.second, where), where, &policy->lowest_efficiency);
    else if (key == "highest_wasted_bytes")
      SetBytes(Scalar(item.second, where), where, &policy->highest_wasted_bytes);
    else if (key == "highest_user_wasted_percent")
      SetFraction(Scalar(item.second, where), where, &policy->highest_user_wasted_percent);
    else if (key == "fail_on")
      SetSeverity(Scalar(item.second, where), where, &policy->fail_on);
    else if (key == "skip") {
      if (!item.second.IsSequence()) Fail("{} must be a list of rule ids", where);
      for (const auto& id : item.second) policy->skip.insert(id.as<std::string>());
    } else {
      Fail("{}: policy: unknown key \"{}\"", file, key);
    }
  }
  policy->source = file;
  return true;
}

// dive's .dive-ci: rules.lowestEfficiency, highestWastedBytes,
// highestUserWastedPercent. Findings never fail a dive policy: dive has
// none, and the same image must get the same verdict.
void ReadDivePolicy(const std::string& file, Policy* policy) {
  YAML::Node root = LoadYaml(file);
  policy->source = file;
  policy->dive_metrics = true;
  policy->fail_on.reset();
  if (root.IsNull()) return;
  if (!root.IsMap()) Fail("{} must be a mapping", file);
  const YAML::Node& rules = root["rules"];
  if (!rules) return;
  if (!rules.IsMap()) Fail("{}: rules must be a mapping", file);
  for (const auto& item : rules) {
    std::string key = item.first.as<std::string>();
    std::string where = file + ": rules." + key;
    if (key == "lowestEfficiency")
      SetFraction(Scalar(item.second, where), where, &policy->lowest_efficiency);
    else if (key == "highestWastedBytes") {
      std::string text = Scalar(item.second, where);
      if (Disabled(text))
        policy->highest_wasted_bytes.reset();
      else
        policy->highest_wasted_bytes = ParseDiveSize(text, where);
    } else if (key == "highestUserWastedPercent")
      SetFraction(Scalar(item.second, where), where, &policy->highest_user_wasted_percent);
    else
      Fail("{}: unknown dive rule \"{}\"", file, key);
  }
}

void ApplyFlags(const PolicyFlags& flags, Policy* policy) {
  bool any = false;
  if (!flags.lowest_efficiency.empty()) {
    SetFraction(flags.lowest_efficiency, "--lowest-efficiency", &policy->lowest_efficiency);
    any = true;
  }
  if (!flags.highest_wasted_bytes.empty()) {
    SetBytes(flags.highest_wasted_bytes, "--highest-wasted-bytes", &policy->highest_wasted_bytes);
    any = true;
  }
  if (!flags.highest_user_wasted_percent.empty()) {
    SetFraction(flags.highest_user_wasted_percent, "--highest-user-wasted-percent",
                &policy->highest_user_wasted_percent);
    any = true;
  }
  if (!flags.fail_on.empty()) {
    SetSeverity(flags.fail_on, "--fail-on", &policy->fail_on);
    any = true;
  }
  for (const std::string& rule : flags.skip) {
    policy->skip.insert(rule);
    any = true;
  }
  if (any) policy->source += " + flags";
}

std::string FractionText(double value) {
  return std::isnan(value) ? "n/a" : fmt::format("{:.4f}", value);
}

}  // namespace

std::string PolicyFlagProblem(const std::string& flag, const std::string& text) {
  PolicyFlags flags;
  if (flag == "--lowest-efficiency") flags.lowest_efficiency = text;
  if (flag == "--highest-wasted-bytes") flags.highest_wasted_bytes = text;
  if (flag == "--highest-user-wasted-percent") flags.highest_user_wasted_percent = text;
  if (flag == "--fail-on") flags.fail_on = text;
  Policy policy;
  try {
    ApplyFlags(flags, &policy);
  } catch (const Error& error) {
    std::string message = error.what();
    return message.starts_with(flag + ": ") ? message.substr(flag.size() + 2) : message;
  }
  return "";
}

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPass:
      return "PASS";
    case CheckStatus::kFail:
      return "FAIL";
    case CheckStatus::kSkip:
      break;
  }
  return "SKIP";
}

Policy LoadPolicy(const std::string& config_path, const std::string& dive_ci_path,
                  const PolicyFlags& flags) {
  // dive's defaults, and findings of high severity or above.
  Policy policy;
  policy.source = "defaults";
  policy.lowest_efficiency = 0.9;
  policy.highest_user_wasted_percent = 0.1;
  policy.fail_on = Severity::kHigh;

  // An explicit .dive-ci wins; then .strata.yaml (its defaults when it has
  // no policy key); a .dive-ci beside no .strata.yaml is read as dive would.
  std::string strata_file =
      !config_path.empty() ? config_path : (Exists(".strata.yaml") ? ".strata.yaml" : "");
  if (!dive_ci_path.empty()) {
    ReadDivePolicy(dive_ci_path, &policy);
  } else if (!strata_file.empty()) {
    bool has_policy = ReadStrataPolicy(strata_file, &policy);
    if (!has_policy) policy.source = "defaults (" + strata_file + " has no policy)";
    // A team moving from dive that adds a .strata.yaml for its rules
    // alone would lose its thresholds without a word.
    if (Exists(".dive-ci"))
      policy.warnings.push_back(fmt::format(
          ".dive-ci is not read: {} comes first{}; move its thresholds under policy: there, or "
          "pass --dive-ci .dive-ci",
          strata_file, has_policy ? "" : " (it has no policy: the defaults apply)"));
  } else if (Exists(".dive-ci")) {
    ReadDivePolicy(".dive-ci", &policy);
  }
  ApplyFlags(flags, &policy);
  return policy;
}

double StrataEfficiency(const Analysis& analysis) {
  if (analysis.content_bytes == 0) return 1.0;
  return static_cast<double>(analysis.content_bytes - analysis.wasted_bytes) /
         static_cast<double>(analysis.content_bytes);
}

double StrataUserWastedFraction(const Analysis& analysis) {
  int64_t user = 0;
  for (size_t i = 1; i < analysis.layers.size(); ++i)
    user += analysis.layers[i].summary.content_bytes;
  return user == 0 ? std::nan("")
                   : static_cast<double>(analysis.wasted_bytes) / static_cast<double>(user);
}

bool FailsBuild(const Finding& finding, const Policy& policy) {
  return policy.fail_on.has_value() && finding.severity >= *policy.fail_on &&
         finding.accepted.empty() && !policy.skip.count(finding.rule_id);
}

Verdict EvaluatePolicy(const Analysis& analysis, const RuleResults& rules, const Policy& policy) {
  Verdict verdict;
  const DiveMetrics& dive = analysis.dive;
  bool use_dive = policy.dive_metrics;
  const char* ours = use_dive ? "dive" : "strata";

  double efficiency = use_dive ? dive.efficiency : StrataEfficiency(analysis);
  double other_efficiency = use_dive ? StrataEfficiency(analysis) : dive.efficiency;
  PolicyCheck check{"lowest efficiency",           "lowest_efficiency", CheckStatus::kSkip,
                    FractionText(efficiency),      "disabled",          ours,
                    FractionText(other_efficiency)};
  if (policy.lowest_efficiency) {
    check.threshold = fmt::format(">= {}", *policy.lowest_efficiency);
    check.status = efficiency < *policy.lowest_efficiency ? CheckStatus::kFail : CheckStatus::kPass;
  }
  verdict.checks.push_back(check);

  int64_t wasted = use_dive ? dive.wasted_bytes : analysis.wasted_bytes;
  int64_t other_wasted = use_dive ? analysis.wasted_bytes : dive.wasted_bytes;
  check = {"highest wasted bytes",
           "highest_wasted_bytes",
           CheckStatus::kSkip,
           fmt::format("{} ({})", wasted, HumanBytes(wasted)),
           "disabled",
           ours,
           fmt::format("{} ({})", other_wasted, HumanBytes(other_wasted))};
  if (policy.highest_wasted_bytes) {
    check.threshold = fmt::format("<= {} ({})", *policy.highest_wasted_bytes,
                                  HumanBytes(*policy.highest_wasted_bytes));
    check.status = wasted > *policy.highest_wasted_bytes ? CheckStatus::kFail : CheckStatus::kPass;
  }
  verdict.checks.push_back(check);

  double user = use_dive ? dive.user_wasted_fraction : StrataUserWastedFraction(analysis);
  double other_user = use_dive ? StrataUserWastedFraction(analysis) : dive.user_wasted_fraction;
  check = {"highest user wasted percent",
           "highest_user_wasted_percent",
           CheckStatus::kSkip,
           FractionText(user),
           "disabled",
           ours,
           FractionText(other_user)};
  // With no user layers there is nothing to measure: dive's NaN never
  // exceeds a threshold, and neither does ours.
  if (policy.highest_user_wasted_percent) {
    check.threshold = fmt::format("<= {}", *policy.highest_user_wasted_percent);
    check.status = !std::isnan(user) && user > *policy.highest_user_wasted_percent
                       ? CheckStatus::kFail
                       : CheckStatus::kPass;
  }
  verdict.checks.push_back(check);

  for (const Finding& finding : rules.findings)
    if (FailsBuild(finding, policy)) verdict.failing.push_back(&finding);
  check = {"findings", "fail_on", CheckStatus::kSkip, "not checked", "disabled", "strata", ""};
  if (!rules.evaluated) {
    // No rule ran: "0 at or above" would pass a check that was never made.
    check.measured = "not evaluated";
    check.threshold = "no rule ran (--no-rules)";
  } else if (policy.fail_on) {
    // Reads as one phrase in the verdict line: "findings 10 at or above
    // high (none allowed)".
    check.measured = fmt::format("{} at or above {}", verdict.failing.size(),
                                 SeverityName(*policy.fail_on));
    check.threshold = "none allowed";
    check.status = verdict.failing.empty() ? CheckStatus::kPass : CheckStatus::kFail;
  }
  verdict.checks.push_back(check);

  for (const PolicyCheck& c : verdict.checks) verdict.passed &= c.status != CheckStatus::kFail;
  return verdict;
}

}  // namespace strata
