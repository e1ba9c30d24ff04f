// `strata explore IMAGE`: analyses the image (with the progress display),
// evaluates the rules, then opens the full-screen explorer.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace strata {

// Adds the explore command to |app|; when it is chosen, sets |*run| to the
// function that runs it (it returns an exit code and throws Error).
void AddExploreCommand(CLI::App* app, std::function<int()>* run);

}  // namespace strata
