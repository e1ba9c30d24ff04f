// The --max-* flags every command that reads layers takes (see
// layer/limits.h for what each guards against).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/untrusted_json.h"
#include "layer/limits.h"

namespace strata {

// --threads takes at most this many layers at once: a sanity bound on a
// typing mistake, not a tuned value.
constexpr int kMaxThreads = 256;

// --layer N counts from 1; no image has more layers than this, and it
// fits the int that holds it.
constexpr int kMaxLayer = 1 << 30;

struct LimitFlags {
  ReadLimits limits;
  std::string max_layer_bytes;  // Sizes like "64GiB"; "" keeps the default.
  std::string max_image_bytes;

  // The limits with the flags applied; throws Error on a bad size.
  ReadLimits Resolve() const;
};

// A CLI11 check for a size like "16MiB", for any flag that takes one.
CLI::Validator SizeValidator();

// A CLI11 check for a whole number from |min| to |max|; its message names
// the range (CLI11's own says "Value abc not in range" even for words), or
// says a number past |max| is too large and what the most is.
CLI::Validator WholeNumberValidator(long long min, long long max);

// A CLI11 check that refuses an empty value, saying the option needs
// |what| ("a file name"): a script's unset variable must not quietly
// mean the option's default (the user's own cache, ./.strata.yaml).
CLI::Validator NotEmptyValidator(const std::string& what);

// Adds the --max-* flags to |app|. The JSON limits (--max-json-bytes,
// --max-json-depth) are put in force (SetJsonLimits) as they are parsed,
// since images are opened before anything else reads |flags|.
void AddLimitOptions(CLI::App* app, LimitFlags* flags);

}  // namespace strata
