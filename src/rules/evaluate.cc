#include "rules/evaluate.h"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <exception>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "base/units.h"
#include "rules/checks.h"
#include "rules/glob.h"
#include "rules/shown_paths.h"

namespace strata {

Finding MakeFinding(const CheckContext& context, const std::string& rule_id, int layer,
                    std::optional<std::string_view> path) {
  Finding finding;
  finding.rule_id = rule_id;
  // A file may be named after a secret (a token as its name): reports
  // show paths, and no report shows a secret in full.
  if (path) {
    finding.path = context.scanner.RedactPath(*path);
    if (finding.path != *path) finding.unredacted_path = *path;
  }
  finding.has_path = path.has_value();
  finding.layer = layer;
  for (const RuleInfo& rule : context.rules) {
    if (rule.id == rule_id) {
      finding.title = rule.title;
      finding.severity = rule.severity;
      break;
    }
  }
  if (layer >= 0) {
    const Layer& stored = context.analysis.layers[layer];
    finding.history_index = stored.history_index;
    if (const HistoryStep* step = context.analysis.StepOf(stored))
      finding.created_by = step->created_by;
    finding.base = layer < context.base.count;
  }
  finding.route = RouteOfLayer(context.analysis, layer, context.base);
  if (finding.route == Route::kCopy)
    finding.copy_destination = CopyDestination(context.analysis, finding.history_index);
  return finding;
}

void AnnotateFate(const CheckContext& context, const LayerEntry* entry, Finding* finding) {
  if (entry == nullptr) return;
  auto it = context.dropped.find(entry);
  if (it == context.dropped.end()) return;
  finding->removed_by = it->second->by_layer;
  finding->overwritten = !it->second->removed;
}

std::unique_ptr<ContentScanner> MakeContentScanner(const RuleConfig& config,
                                                   const CompiledPatternStore& store) {
  // Built-in patterns first: of patterns that match the same text, the
  // first one reports it, and a loose custom rule (`[a-z0-9]{3}`, low)
  // must not take a private key or a GitHub token from its critical rule.
  std::vector<ContentPattern> patterns = ContentScanner::BuiltinPatterns();
  for (const CustomRule& rule : config.custom) {
    if (!rule.path_glob.empty()) continue;
    patterns.push_back(rule.content);
    patterns.back().whole_match = true;  // Never std::regex on an image's text.
  }
  std::vector<ContentPattern> enabled;
  for (ContentPattern& pattern : patterns)
    if (!config.disabled.count(pattern.rule_id)) enabled.push_back(std::move(pattern));
  return std::make_unique<ContentScanner>(std::move(enabled), config.limits, store);
}

std::string TodayUtc() {
  time_t now = time(nullptr);
  struct tm utc;
  gmtime_r(&now, &utc);
  char text[16];
  strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

namespace {

bool Expired(const AcceptedFinding& accepted, const std::string& today) {
  return !accepted.expires.empty() && accepted.expires < today;
}

// Whether |accepted|'s rule and path match |finding|, expired or not.
bool Matches(const AcceptedFinding& accepted, const Finding& finding) {
  if (!accepted.rule.empty() && accepted.rule != finding.rule_id) return false;
  return accepted.path.empty() || GlobMatch(accepted.path, finding.path) ||
         (!finding.unredacted_path.empty() && GlobMatch(accepted.path, finding.unredacted_path));
}

// The accepted-findings entry that covers |finding|, or null. Expired
// entries cover nothing.
const AcceptedFinding* AcceptedBy(const RuleConfig& config, const Finding& finding,
                                  const std::string& today) {
  for (const AcceptedFinding& accepted : config.accepted)
    if (!Expired(accepted, today) && Matches(accepted, finding)) return &accepted;
  return nullptr;
}

// The first expired entry that would cover |finding|, or null.
const AcceptedFinding* LapsedFor(const RuleConfig& config, const Finding& finding,
                                 const std::string& today) {
  for (const AcceptedFinding& accepted : config.accepted)
    if (Expired(accepted, today) && Matches(accepted, finding)) return &accepted;
  return nullptr;
}

// "the accepted finding (rule vcs-directory, path /app/.git) in
// .strata.yaml expires 2026-01-31, which has passed: 2 findings it
// matches count again".
std::string LapsedWarning(const RuleConfig& config, const AcceptedFinding& accepted, int findings) {
  std::string what;
  if (!accepted.rule.empty()) what = "rule " + accepted.rule;
  if (!accepted.path.empty()) {
    // Globs are kept without their leading "/"; users write them with one.
    std::string path = "/" + accepted.path;
    for (size_t bar = path.find('|'); bar != std::string::npos; bar = path.find('|', bar + 2))
      path.insert(bar + 1, "/");
    what += (what.empty() ? "" : ", ") + std::string("path ") + path;
  }
  return fmt::format(
      "the accepted finding ({}) in {} expires {}, which has passed: {} it "
      "matches {} again",
      what, config.source, accepted.expires, Count(findings, "finding"),
      findings == 1 ? "counts" : "count");
}

using Check = void (*)(const CheckContext&, std::vector<Finding>*);

// In the order their findings are listed (the final sort is stable).
constexpr Check kChecks[] = {
    CheckSecretPaths,   CheckContentHits,  CheckSecretNames, CheckCustomPaths,  CheckVcs,
    CheckCaches,        CheckLeftovers,    CheckPermissions, CheckBuildTools,   CheckConfig,
    CheckCleanupLayers, CheckHostilePaths, CheckLinkParents, CheckOddWhiteouts,
};

// Runs every check, on as many threads as there are cores (the checks only
// read the model; FileTree's const lookups keep no state), and returns
// their findings in kChecks' order. On an image of a million files the
// checks took a third of a warm audit, one after another. Rethrows the
// first check's error, in kChecks' order.
std::vector<Finding> RunChecks(const CheckContext& context) {
  constexpr size_t kCount = std::size(kChecks);
  std::vector<std::vector<Finding>> found(kCount);
  std::vector<std::exception_ptr> errors(kCount);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < kCount;) {
      try {
        kChecks[i](context, &found[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };

  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, unsigned{kCount});
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();

  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
  std::vector<Finding> findings;
  for (std::vector<Finding>& part : found)
    findings.insert(findings.end(), std::make_move_iterator(part.begin()),
                    std::make_move_iterator(part.end()));
  return findings;
}

// Build steps every image has. A custom content pattern that matches one
// of them matches ordinary words, not secrets: it would report them, and
// hide them in every step, CMD and ENV the reports show.
constexpr const char* kOrdinaryText[] = {
    "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl "
    "ca-certificates && rm -rf /var/lib/apt/lists/*",
    "/bin/sh -c mkdir -p /app && cd /app",
    "/bin/sh -c #(nop) WORKDIR /usr/src/app",
    "/bin/sh -c #(nop) COPY file:package.json in ./",
    "/bin/sh -c npm ci --omit=dev && npm cache clean --force",
    "/bin/sh -c pip install --no-cache-dir -r requirements.txt",
    "/bin/sh -c useradd -r -u 1001 -g app app",
    "/bin/sh -c #(nop) CMD [\"python3\" \"app.py\"]",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
};

// One warning for each custom content rule of |config| that matches
// ordinary build steps, naming the first it matches.
std::vector<std::string> LooseCustomPatternWarnings(const RuleConfig& config,
                                                    const ContentScanner& scanner) {
  std::set<std::string> custom;
  for (const CustomRule& rule : config.custom)
    if (!rule.content.regex.empty() && !config.disabled.count(rule.id)) custom.insert(rule.id);
  if (custom.empty()) return {};

  std::vector<std::string> warnings;
  for (const char* text : kOrdinaryText) {
    for (const ContentHit& hit : scanner.ScanText(text)) {
      if (!custom.erase(hit.rule_id)) continue;
      warnings.push_back(fmt::format(
          "custom content rule {} in {} matches ordinary text (in \"{}\"): it reports and hides "
          "such text in every build step, CMD and ENV; a narrower pattern finds only secrets",
          hit.rule_id, config.source, text));
    }
  }
  return warnings;
}

}  // namespace

RuleResults EvaluateRules(const Analysis& analysis, const RuleConfig& config,
                          const ContentScanner& scanner, const std::string& today) {
  CheckContext context{
      analysis,         config,
      scanner,          DetectBaseLayers(analysis, config.base_diff_ids, config.base_image),
      AllRules(config), {}};
  for (const WasteItem& item : analysis.waste) context.dropped[item.entry] = &item;

  std::vector<Finding> findings = RunChecks(context);
  // Details and stored names show paths too: as the path column shows them.
  for (Finding& finding : findings) {
    finding.detail = RedactPathsInText(scanner, finding.detail);
    if (!finding.stored_name.empty()) finding.stored_name = scanner.RedactPath(finding.stored_name);
  }

  RuleResults results;
  results.base = context.base;
  if (!context.base.warning.empty()) results.warnings.push_back(context.base.warning);
  std::map<const AcceptedFinding*, int> lapsed;  // Expired entries → findings they match.
  for (Finding& finding : findings) {
    if (config.disabled.count(finding.rule_id)) continue;
    auto severity = config.severities.find(finding.rule_id);
    if (severity != config.severities.end()) finding.severity = severity->second;
    if (const AcceptedFinding* accepted = AcceptedBy(config, finding, today))
      finding.accepted = accepted->reason;
    else if (const AcceptedFinding* expired = LapsedFor(config, finding, today))
      ++lapsed[expired];
    results.findings.push_back(std::move(finding));
  }
  for (const AcceptedFinding& accepted : config.accepted)
    if (lapsed.count(&accepted))
      results.warnings.push_back(LapsedWarning(config, accepted, lapsed[&accepted]));
  for (std::string& warning : LooseCustomPatternWarnings(config, scanner))
    results.warnings.push_back(std::move(warning));

  std::stable_sort(results.findings.begin(), results.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (a.severity != b.severity) return a.severity > b.severity;
                     if (a.base != b.base) return !a.base;
                     return a.layer < b.layer;
                   });
  return results;
}

}  // namespace strata
