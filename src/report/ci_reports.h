// Reports for pipelines and code-scanning dashboards: SARIF 2.1.0 (GitHub
// code scanning), JUnit XML (GitLab, Jenkins) and a Markdown summary (pull
// request comments, $GITHUB_STEP_SUMMARY). Each takes the verdict, which
// decides what counts as a failure, when a policy was evaluated (ci, or
// audit --ci); without one (a plain audit) they show the findings only, no
// finding fails the build and none claims a verdict, as the table and JSON.
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
  // Both null when no policy was evaluated (audit without --ci), else both set.
  const Policy* policy = nullptr;
  const Verdict* verdict = nullptr;
};

// True when |finding| fails the build: a policy was evaluated, and under it
// the finding does (FailsBuild).
bool FailsBuild(const Finding& finding, const CiReportInput& input);

// The line a report gives when no policy was evaluated.
extern const char* const kNoPolicyEvaluated;

// SARIF 2.1.0: one run, every rule with descriptions and help, one result
// per finding with a location, partial fingerprints, and the layer digest
// and created_by in the message and properties. With a policy, the run says
// whether it passed and each result whether it fails the build; without
// one, neither is said and a notification says no policy was evaluated.
std::string SarifReport(const CiReportInput& input);

// JUnit XML: a suite of policy checks and a suite of findings; a finding
// that fails the build is a failure, an accepted one is skipped. Without a
// policy the policy suite holds one skipped case that says so, and no
// finding is a failure.
std::string JunitReport(const CiReportInput& input);

// A short Markdown summary: verdict, checks, the most severe findings; or,
// without a policy, a line saying none was evaluated, then the findings.
std::string MarkdownReport(const CiReportInput& input);

// security-severity as GitHub reads it: critical 9.5 … info 1.0.
const char* SecuritySeverity(Severity severity);

}  // namespace strata
