// Every rule strata knows, in one table: `strata rules` prints it, and the
// checks look up titles and default severities here by id.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/finding.h"

namespace strata {

struct Rule {
  const char* id;
  const char* category;  // "secret", "vcs", "cache", "build-tool", "leftover",
                         // "permission", "config", "waste".
  Severity severity;
  const char* title;
  const char* description;
};

// The built-in rules, in the order `strata rules` lists them.
const std::vector<Rule>& BuiltinRules();

// The rule with |id|, or null.
const Rule* FindRule(std::string_view id);

}  // namespace strata
