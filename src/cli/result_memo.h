// Whole results of audit and ci, kept in the layer cache's database: the
// same command run again on the same image prints its reports without
// reading or merging a single layer. The layer cache alone still has to
// decode and merge every layer, which for an image of a million files
// costs seconds; this costs a lookup.
//
// The key names everything the reports depend on: this strata binary,
// the command line, the image (its config bytes, each layer blob's digest
// and size, as the layer cache trusts them), the configuration and policy
// files' bytes, the --base image's diff_ids, today's date (rules expire)
// and how standard output is styled. A change to any of them is a miss.
// See doc/cache.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "source/image_source.h"

namespace strata {

struct MemoInputs {
  std::vector<std::string> args;  // The command line after "strata".
  const ImageSource* source = nullptr;
  std::vector<std::string> files;  // Settings files that may be read; absent ones count too.
  std::vector<std::string> base_diff_ids;
  std::string today;
};

// The key for |inputs|, or "" when nothing may be kept: this binary
// cannot be identified, or a settings file is not a regular file (a pipe
// read once cannot be hashed again).
std::string ResultKey(const MemoInputs& inputs);

// What a command printed: its reports (one per output, in order), the
// warnings it gave and its exit code.
struct MemoResult {
  int exit_code = 0;
  std::vector<std::string> reports;
  std::vector<std::string> warnings;
};

std::string EncodeMemo(const MemoResult& result);

// nullopt unless |bytes| decodes to a result with |outputs| reports.
std::optional<MemoResult> DecodeMemo(const std::string& bytes, size_t outputs);

}  // namespace strata
