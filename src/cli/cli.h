// The strata command line: subcommands, options, exit codes. main() only
// calls RunCli; tests call it too, with their own argument lists.
#pragma once

namespace strata {

// Exit codes, documented in doc/cli.md.
constexpr int kExitOk = 0;
constexpr int kExitPolicyFailed = 1;  // Reserved for CI policy verdicts.
constexpr int kExitError = 2;         // Bad usage, or an image that cannot be read.

// Parses |argv|, runs the subcommand, prints results to stdout and
// diagnostics to stderr. Returns the exit code; never throws.
int RunCli(int argc, char** argv);

}  // namespace strata
