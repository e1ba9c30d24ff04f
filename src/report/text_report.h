// The reports people read: one screen for `audit`, a table for `history`,
// per-layer change lists for `layers`.
#pragma once

#include <string>

#include "model/analysis.h"
#include "policy/policy.h"
#include "report/style.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"

namespace strata {

struct TextOptions {
  int top = 10;  // Rows in the "largest waste" and "recoverable" lists.
};

// |rules| may be null (no findings section).
std::string AuditText(const Analysis& analysis, const RuleResults* rules, const Style& style,
                      const TextOptions& options);

// The CI verdict: each policy check with PASS, FAIL or SKIP and the
// measured value, then the findings that failed the build.
std::string VerdictText(const Policy& policy, const Verdict& verdict, const Style& style);

// The verdict in one line, for a CI log that gets no report: "Result:
// FAIL: lowest efficiency 0.596 (>= 0.9); findings 3 failing (none at or
// above high)": each check that failed.
std::string VerdictLine(const Verdict& verdict);

// `strata rules`: every rule with its id, severity and description.
std::string RulesText(const RuleConfig& config, const Style& style);

std::string HistoryText(const Analysis& analysis, const Style& style);

// Each layer (or only |only_layer|, 0-based, when >= 0) with its changes,
// largest first, at most |limit| per layer (0: all).
std::string LayersText(const Analysis& analysis, int only_layer, int limit, const Style& style);

}  // namespace strata
