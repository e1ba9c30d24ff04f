// The CI policy: thresholds on waste and efficiency, and the severity at
// which a finding fails the build. Read from .strata.yaml's `policy:` key,
// from a dive `.dive-ci` file (evaluated on dive's own metrics, so a team
// moving from dive gets the same verdict), and from command-line flags.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/analysis.h"
#include "rules/evaluate.h"

namespace strata {

struct Policy {
  std::string source;         // ".strata.yaml", ".dive-ci", "defaults", plus " + flags".
  bool dive_metrics = false;  // Thresholds apply to dive's figures (.dive-ci).
  std::optional<double> lowest_efficiency;            // Fraction; none: disabled.
  std::optional<int64_t> highest_wasted_bytes;        // None: disabled.
  std::optional<double> highest_user_wasted_percent;  // Fraction; none: disabled.
  std::optional<Severity> fail_on;                    // None: findings never fail.
  std::set<std::string> skip;                         // Rules whose findings never fail the build.
  // What the user should hear of how it was chosen (a .dive-ci not read).
  std::vector<std::string> warnings;
};

// Command-line settings, each overriding the file's.
struct PolicyFlags {
  std::string lowest_efficiency;
  std::string highest_wasted_bytes;
  std::string highest_user_wasted_percent;
  std::string fail_on;
  std::vector<std::string> skip;
};

// The policy: |dive_ci_path| when given; else |config_path| (or
// ./.strata.yaml) when there is one, its `policy:` key or the defaults
// without one (a ./.dive-ci beside it is then not read, with a warning);
// else ./.dive-ci; else the defaults (dive's:
// efficiency 0.9, wasted bytes disabled, user wasted 0.1; and findings of
// high severity or above), then |flags| on top. Throws Error naming the
// file and key on a bad value.
Policy LoadPolicy(const std::string& config_path, const std::string& dive_ci_path,
                  const PolicyFlags& flags);

// What is wrong with |text| as the value of the policy flag |flag|
// ("--lowest-efficiency", "--highest-wasted-bytes",
// "--highest-user-wasted-percent" or "--fail-on"), as LoadPolicy would
// say it without the flag's name: "\"2\" is not a fraction between 0 and
// 1"; "" when it is a value the flag takes. For the option parser, which
// names the flag and the command's help.
std::string PolicyFlagProblem(const std::string& flag, const std::string& text);

enum class CheckStatus { kPass, kFail, kSkip };

const char* CheckStatusName(CheckStatus status);

struct PolicyCheck {
  std::string name;  // "lowest efficiency"
  std::string key;   // "lowest_efficiency"
  CheckStatus status = CheckStatus::kSkip;
  std::string measured;   // "0.596"
  std::string threshold;  // ">= 0.9", or "disabled"
  std::string metrics;    // "dive" or "strata": whose figure was measured.
  std::string other;      // The other tool's figure, for comparison.
};

struct Verdict {
  bool passed = true;
  std::vector<PolicyCheck> checks;
  std::vector<const Finding*> failing;  // Findings that failed the build.
};

// Evaluates |policy| on the image and its findings. |rules| must outlive
// the verdict (it points at the failing findings).
Verdict EvaluatePolicy(const Analysis& analysis, const RuleResults& rules, const Policy& policy);

// True when |finding| fails the build under |policy|.
bool FailsBuild(const Finding& finding, const Policy& policy);

// strata's own figures, in dive's units: efficiency is the share of stored
// file bytes that reach the final filesystem; user wasted is wasted bytes
// over the file bytes of every layer but the first.
double StrataEfficiency(const Analysis& analysis);
double StrataUserWastedFraction(const Analysis& analysis);

}  // namespace strata
