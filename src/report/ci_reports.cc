#include "report/ci_reports.h"

namespace strata {

// A plain audit has no verdict to report: saying "passed" would hide the
// findings, saying "failed" would contradict its exit code 0.
const char* const kNoPolicyEvaluated =
    "no policy evaluated: audit without --ci fails no build; strata ci (or audit --ci) "
    "applies the policy";

bool FailsBuild(const Finding& finding, const CiReportInput& input) {
  return input.policy != nullptr && FailsBuild(finding, *input.policy);
}

}  // namespace strata
