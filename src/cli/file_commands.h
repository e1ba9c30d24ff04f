// The commands that work with the files of an image: ls, cat, export (and
// find and diff, which read two trees or a query). Registered on the same
// CLI::App as the report commands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace strata {

// Adds the file commands to |app|. Returns the function that runs the one
// chosen (it returns an exit code and throws Error), or leaves |*run|
// empty when none was chosen.
void AddFileCommands(CLI::App* app, std::function<int()>* run);

// `strata find ARGS...` (everything after "find"): parsed by hand, since
// find's tests look like options. Returns the exit code; throws Error.
int RunFind(const std::vector<std::string>& args);

// What --version prints, for strata and each of its commands.
inline const std::string kVersionText = std::string("strata ") + STRATA_VERSION;

}  // namespace strata
