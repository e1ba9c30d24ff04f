// The --max-* flags every command that reads layers takes (see
// layer/limits.h for what each guards against).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "layer/limits.h"

namespace strata {

struct LimitFlags {
  ReadLimits limits;
  std::string max_layer_bytes;  // A size like "64GiB"; "" keeps the default.

  // The limits with the flags applied; throws Error on a bad size.
  ReadLimits Resolve() const;
};

void AddLimitOptions(CLI::App* app, LimitFlags* flags);

}  // namespace strata
