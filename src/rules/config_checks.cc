// Rules on the image config: secrets in ENV, LABEL and recorded build
// arguments (and any known token in a history step), the user it runs as,
// and its health check.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "model/image_config.h"
#include "rules/checks.h"
#include "rules/evaluate.h"
#include "rules/secret_patterns.h"

namespace strata {

namespace {

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// Names that say "secret", minus the well-known ones that hold public
// values: GPG key fingerprints of official images, checksums, paths to a
// secret (the *_FILE convention), versions, hosts and user names.
bool NameSaysSecret(const std::string& name) {
  std::string upper = Upper(name);
  static const char* const kPublic[] = {
      "GPG_KEY",   "_FINGERPRINT", "_KEY_ID",   "_PUBLIC_KEY", "_KEYRING", "_KEYSERVER",
      "_FILE",     "_PATH",        "_DIR",      "_VERSION",    "_SHA256",  "_SHA512",
      "_SHA1",     "_MD5",         "_CHECKSUM", "_HOST",       "_PORT",    "_USER",
      "_USERNAME", "_URL",         "_ENABLED",  "_LENGTH",     "_SIZE",    "_TTL"};
  for (const char* suffix : kPublic)
    if (upper.ends_with(suffix) || upper == std::string(suffix).substr(1)) return false;
  static const char* const kSecret[] = {"PASSWORD",   "PASSWD", "SECRET",     "TOKEN",
                                        "API_KEY",    "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
                                        "CREDENTIAL", "AUTH"};
  for (const char* word : kSecret)
    if (upper.find(word) != std::string::npos) return true;
  // "SIGNING_KEY", "deploy.key", but not "MONKEY".
  return upper == "KEY" || upper.ends_with("_KEY") || upper.ends_with(".KEY") ||
         upper.ends_with("-KEY");
}

bool ValueLooksReal(const std::string& value) {
  if (value.size() < 6 || LooksLikePlaceholder(value)) return false;
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower != "true" && lower != "false" &&
         lower.find_first_not_of("0123456789.") != std::string::npos;
}

// Checks one NAME=value pair of the config; |where| says where it is.
void CheckPair(const CheckContext& context, const char* rule, int layer, const std::string& name,
               const std::string& value, const std::string& where, std::vector<Finding>* findings) {
  std::vector<ContentHit> hits = context.scanner.ScanText(value);
  if (!hits.empty()) {
    for (const ContentHit& hit : hits) {
      Finding finding = MakeFinding(context, rule, layer, std::nullopt);
      finding.route = Route::kConfig;
      finding.detail = fmt::format("{} {}: {} ({})", where, name, hit.excerpt, hit.rule_id);
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
    return;
  }
  if (!NameSaysSecret(name) || !ValueLooksReal(value)) return;
  Finding finding = MakeFinding(context, rule, layer, std::nullopt);
  finding.route = Route::kConfig;
  finding.detail = fmt::format("{} {}={}", where, name, Redact(value));
  finding.fix = FixFor(finding);
  findings->push_back(std::move(finding));
}

// The build arguments a history step recorded: "|2 A=1 B=2 /bin/sh -c …".
std::vector<std::pair<std::string, std::string>> BuildArgs(const std::string& created_by) {
  std::vector<std::pair<std::string, std::string>> args;
  static const std::regex kPrefix(R"(^\|(\d+) )");
  std::smatch match;
  if (!std::regex_search(created_by, match, kPrefix)) return args;
  int count = std::stoi(match[1]);
  size_t at = match.length(0);
  for (int i = 0; i < count && at < created_by.size(); ++i) {
    size_t end = created_by.find(' ', at);
    if (end == std::string::npos) end = created_by.size();
    std::string pair = created_by.substr(at, end - at);
    size_t equals = pair.find('=');
    if (equals != std::string::npos)
      args.emplace_back(pair.substr(0, equals), pair.substr(equals + 1));
    at = end + 1;
  }
  return args;
}

// The layer made by history step |step|, or -1 for an empty-layer step.
int LayerOfStep(const Analysis& analysis, int step) {
  for (const Layer& layer : analysis.layers)
    if (layer.history_index == step) return layer.index;
  return -1;
}

}  // namespace

void RedactImageConfig(const ContentScanner& scanner, Analysis* analysis, RuleResults* results) {
  ImageConfig& config = analysis->config;
  auto redact_pair = [&scanner](std::string* pair) {
    size_t equals = pair->find('=');
    if (equals == std::string::npos) {
      *pair = scanner.RedactText(*pair);
      return;
    }
    std::string name = pair->substr(0, equals), value = pair->substr(equals + 1);
    value =
        NameSaysSecret(name) && ValueLooksReal(value) ? Redact(value) : scanner.RedactText(value);
    *pair = name + "=" + value;
  };

  for (HistoryStep& step : config.history) {
    std::string text = step.created_by;
    for (const auto& [name, value] : BuildArgs(step.created_by))
      if (NameSaysSecret(name) && ValueLooksReal(value)) {
        size_t at = text.find(name + "=" + value);
        if (at != std::string::npos)
          text.replace(at + name.size() + 1, value.size(), Redact(value));
      }
    step.created_by = scanner.RedactText(text);
  }
  for (std::string& item : config.cmd) item = scanner.RedactText(item);
  for (std::string& item : config.entrypoint) item = scanner.RedactText(item);
  for (std::string& variable : config.env) redact_pair(&variable);
  for (auto& [name, value] : config.labels)
    value =
        NameSaysSecret(name) && ValueLooksReal(value) ? Redact(value) : scanner.RedactText(value);

  if (results == nullptr) return;
  for (Finding& finding : results->findings)
    if (finding.history_index >= 0 &&
        finding.history_index < static_cast<int>(config.history.size()))
      finding.created_by = config.history[finding.history_index].created_by;
}

void CheckConfig(const CheckContext& context, std::vector<Finding>* findings) {
  const ImageConfig& config = context.analysis.config;

  for (const std::string& variable : config.env) {
    size_t equals = variable.find('=');
    if (equals == std::string::npos) continue;
    CheckPair(context, "secret-in-env", -1, variable.substr(0, equals), variable.substr(equals + 1),
              "ENV", findings);
  }
  for (const auto& [name, value] : config.labels)
    CheckPair(context, "secret-in-label", -1, name, value, "LABEL", findings);

  for (size_t i = 0; i < config.history.size(); ++i) {
    const HistoryStep& step = config.history[i];
    int layer = LayerOfStep(context.analysis, static_cast<int>(i));
    std::string where = fmt::format("history step {}, build arg", i + 1);
    for (const auto& [name, value] : BuildArgs(step.created_by))
      CheckPair(context, "secret-in-build-arg", layer, name, value, where, findings);

    // Known token formats anywhere in the step's command line.
    for (const ContentHit& hit : context.scanner.ScanText(step.created_by)) {
      if (hit.rule_id == "secret-generic-assignment" && !BuildArgs(step.created_by).empty())
        continue;
      Finding finding = MakeFinding(context, hit.rule_id, layer, std::nullopt);
      finding.history_index = static_cast<int>(i);
      finding.created_by = step.created_by;
      finding.route = Route::kConfig;
      finding.detail = fmt::format("history step {}: {}", i + 1, hit.excerpt);
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
  }

  std::string user = config.user.substr(0, config.user.find(':'));
  if (user.empty() || user == "root" || user == "0") {
    Finding finding = MakeFinding(context, "runs-as-root", -1, std::nullopt);
    finding.detail = user.empty() ? "no USER is set" : "USER " + config.user;
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  }
  if (!config.has_healthcheck) {
    Finding finding = MakeFinding(context, "no-healthcheck", -1, std::nullopt);
    finding.detail = "no HEALTHCHECK";
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  }
}

}  // namespace strata
