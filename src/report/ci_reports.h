// Reports for pipelines and code-scanning dashboards: SARIF 2.1.0 (GitHub
// code scanning), JUnit XML (GitLab, Jenkins) and a Markdown summary (pull
// request comments, $GITHUB_STEP_SUMMARY). Each takes the verdict, which
// decides what counts as a failure.
#pragma once

#include <string>

#include "model/analysis.h"
#include "policy/policy.h"
#include "rules/evaluate.h"
#include "rules/rule_config.h"

namespace strata {

struct CiReportInput {
  const Analysis& analysis;
  const RuleResults& rules;
  const RuleConfig& config;
  const Policy& policy;
  const Verdict& verdict;
};

// SARIF 2.1.0: one run, every rule with descriptions and help, one result
// per finding with a location, partial fingerprints, and the layer digest
// and created_by in the message and properties.
std::string SarifReport(const CiReportInput& input);

// JUnit XML: a suite of policy checks and a suite of findings; a finding
// that fails the build is a failure, an accepted one is skipped.
std::string JunitReport(const CiReportInput& input);

// A short Markdown summary: verdict, checks, the most severe findings.
std::string MarkdownReport(const CiReportInput& input);

// security-severity as GitHub reads it: critical 9.5 … info 1.0.
const char* SecuritySeverity(Severity severity);

}  // namespace strata
