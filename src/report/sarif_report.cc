#include <fmt/core.h>

#include <map>
#include <nlohmann/json.hpp>

#include "blob/sha256.h"
#include "report/ci_reports.h"
#include "report/json_report.h"
#include "report/style.h"

namespace strata {

namespace {

using json = nlohmann::json;

const char* Level(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
    case Severity::kHigh:
      return "error";
    case Severity::kMedium:
      return "warning";
    default:
      return "note";
  }
}

// "secret-env-file" → "SecretEnvFile": SARIF's rule name is an identifier.
std::string RuleName(const std::string& id) {
  std::string name;
  bool upper = true;
  for (char c : id) {
    if (c == '-' || c == '_' || c == '.') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

json RuleJson(const RuleInfo& rule, Severity severity) {
  std::string help = rule.description +
                     " strata reports where it entered the image (layer, build step, "
                     "COPY/RUN/base) and the fix that fits that route.";
  return {{"id", rule.id},
          {"name", RuleName(rule.id)},
          {"shortDescription", {{"text", rule.title}}},
          {"fullDescription", {{"text", rule.description}}},
          {"help", {{"text", help}, {"markdown", "**" + rule.title + "**\n\n" + help}}},
          {"defaultConfiguration", {{"level", Level(severity)}}},
          {"properties",
           {{"security-severity", SecuritySeverity(severity)},
            {"tags", json::array({"security", "container", rule.category})},
            {"precision", "high"}}}};
}

// The line a finding points at, from "line N: …" in its detail.
int LineOf(const Finding& finding) {
  if (!finding.detail.starts_with("line ")) return 1;
  try {
    return std::max(1, std::stoi(finding.detail.substr(5)));
  } catch (...) {
    return 1;
  }
}

std::string MessageOf(const Analysis& analysis, const Finding& finding) {
  std::string text = finding.title;
  if (finding.has_path) text += ": " + PathText(finding);
  if (!finding.detail.empty()) text += " (" + finding.detail + ")";
  if (finding.layer >= 0) {
    text += fmt::format(". Layer {} ({})", finding.layer + 1,
                        analysis.layers[finding.layer].contents.blob_digest);
    if (!finding.created_by.empty()) text += ", made by: " + finding.created_by;
  } else {
    text += ". In the image config";
  }
  if (finding.removed_by >= 0 && finding.overwritten)
    text +=
        fmt::format(". Replaced in layer {}; the old copy is still stored", finding.removed_by + 1);
  else if (finding.removed_by >= 0)
    text +=
        fmt::format(". Removed in layer {} but still stored in the image", finding.removed_by + 1);
  return text + ". Fix: " + finding.fix + ".";
}

// A relative URI reference for an image path: every byte outside RFC
// 3986's unreserved set (and "/") percent-encoded.
std::string UriPath(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string uri;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri;
}

}  // namespace

const char* SecuritySeverity(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "9.5";
    case Severity::kHigh:
      return "8.0";
    case Severity::kMedium:
      return "5.5";
    case Severity::kLow:
      return "3.0";
    case Severity::kInfo:
      break;
  }
  return "1.0";
}

std::string SarifReport(const CiReportInput& input) {
  const Analysis& analysis = input.analysis;
  std::vector<RuleInfo> all = AllRules(input.config);
  json rules = json::array();
  std::map<std::string, int> rule_index;
  for (const RuleInfo& rule : all) {
    Severity severity = rule.severity;
    if (auto it = input.config.severities.find(rule.id); it != input.config.severities.end())
      severity = it->second;
    rule_index[rule.id] = static_cast<int>(rules.size());
    rules.push_back(RuleJson(rule, severity));
  }

  std::string image =
      analysis.source.reference.empty() ? analysis.source.input : analysis.source.reference;
  json results = json::array();
  for (const Finding& finding : input.rules.findings) {
    // Findings in the image's files point at the file (relative to the
    // image root; a name stored outside the root, where strata reads it);
    // config findings at the image itself.
    std::string uri = !finding.has_path      ? "image-config"
                      : finding.path.empty() ? "."
                                             : UriPath(finding.path);
    json location = {{"physicalLocation",
                      {{"artifactLocation", {{"uri", uri}, {"uriBaseId", "IMAGE_ROOT"}}},
                       {"region", {{"startLine", LineOf(finding)}}}}},
                     {"message", {{"text", image}}}};
    // Names stored as ".." and "./.." are read as the same path: their
    // stored names tell them apart (and leave every other fingerprint as it was).
    std::string path =
        finding.stored_name.empty() ? finding.path : finding.path + "\n" + finding.stored_name;
    std::string fingerprint =
        Sha256Of(finding.rule_id + "\n" + path + "\n" + finding.detail + "\n" +
                 (finding.layer >= 0 ? analysis.layers[finding.layer].diff_id : "config"));
    json result = {
        {"ruleId", finding.rule_id},
        {"ruleIndex", rule_index.count(finding.rule_id) ? rule_index[finding.rule_id] : 0},
        {"level", Level(finding.severity)},
        {"message", {{"text", MessageOf(analysis, finding)}}},
        {"locations", json::array({location})},
        {"partialFingerprints", {{"strataFinding/v1", fingerprint.substr(7, 32)}}},
        {"properties", FindingJson(analysis, finding)}};
    result["properties"]["security-severity"] = SecuritySeverity(finding.severity);
    if (input.policy) result["properties"]["fails_build"] = FailsBuild(finding, *input.policy);
    if (!finding.accepted.empty())
      result["suppressions"] =
          json::array({{{"kind", "external"}, {"justification", finding.accepted}}});
    results.push_back(result);
  }

  json invocation = {{"executionSuccessful", true},
                     {"properties",
                      {{"image", image},
                       {"policy_evaluated", input.verdict != nullptr},
                       {"rules_evaluated", input.rules.evaluated}}}};
  // Beside the image, the Engine it came from: two hosts may hold one name.
  if (!analysis.source.endpoint.empty())
    invocation["properties"]["endpoint"] = analysis.source.endpoint;
  if (input.verdict) invocation["properties"]["policy_passed"] = input.verdict->passed;
  json notes = json::array();
  // No results because no rule ran, not because none matched.
  if (!input.rules.evaluated)
    notes.push_back(
        {{"level", "note"},
         {"message", {{"text", "no rule ran (--no-rules): findings were not evaluated"}}}});
  if (!input.verdict)
    notes.push_back({{"level", "note"}, {"message", {{"text", kNoPolicyEvaluated}}}});
  if (!notes.empty()) invocation["toolExecutionNotifications"] = notes;
  json run = {{"tool",
               {{"driver",
                 {{"name", "strata"},
                  {"version", STRATA_VERSION},
                  {"semanticVersion", STRATA_VERSION},
                  {"rules", rules}}}}},
              {"originalUriBaseIds",
               {{"IMAGE_ROOT",
                 {{"uri", "file:///"},
                  {"description", {{"text", "The root of the image's filesystem"}}}}}}},
              {"invocations", json::array({invocation})},
              {"automationDetails", {{"id", "strata/" + image + "/"}}},
              {"results", results}};
  json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                {"version", "2.1.0"},
                {"runs", json::array({run})}};
  return DumpJson(sarif);
}

}  // namespace strata
