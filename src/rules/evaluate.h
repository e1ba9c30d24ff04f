// Runs every rule over an analysed image and returns the findings, with
// the configuration applied (disabled rules, severities, accepted
// findings), most severe first.
#pragma once

#include <string>
#include <vector>

#include "model/analysis.h"
#include "rules/attribution.h"
#include "rules/content_scanner.h"
#include "rules/finding.h"
#include "rules/rule_config.h"

namespace strata {

struct RuleResults {
  std::vector<Finding> findings;  // Most severe first, then by layer.
  BaseLayers base;
  bool evaluated = true;  // False when no rule ran (--no-rules): no findings to judge.
  // An accepted finding whose date passed and that would still accept
  // some: its findings count again, which the user should hear of.
  std::vector<std::string> warnings;
};

// The content scanner for |config|: built-in patterns plus custom ones.
// Pass it to Analyze (AnalyzeOptions::inspector) so contents are scanned
// during the layer pass, then to EvaluateRules.
std::unique_ptr<ContentScanner> MakeContentScanner(const RuleConfig& config,
                                                   const CompiledPatternStore& store = {});

// |today| is "YYYY-MM-DD", for expiring accepted findings; each expired
// entry that matches a finding gets a warning in the results. Runs the checks
// on up to one thread per core; |analysis| must not change meanwhile.
RuleResults EvaluateRules(const Analysis& analysis, const RuleConfig& config,
                          const ContentScanner& scanner, const std::string& today);

// Replaces, in everything the reports print from the image config (history
// steps and their comments, CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, …)
// and in the image's name (its input and reference), every secret that
// |scanner| confirms, every value of a build argument or variable whose
// name says secret, and every password typed into a history step, CMD or
// ENTRYPOINT (FindStepSecrets, RedactArgvSecrets), by its redacted form;
// names (WORKDIR, USER, the image's reference) as ContentScanner::RedactPath
// hides a token in a path. Call after EvaluateRules (which must see the
// values); then the findings' copies of history steps are redacted too.
void RedactImageConfig(const ContentScanner& scanner, Analysis* analysis, RuleResults* results);

// Today's date in UTC as "YYYY-MM-DD".
std::string TodayUtc();

}  // namespace strata
