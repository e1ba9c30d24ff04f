#include "cli/limit_options.h"

#include "rules/rule_config.h"

namespace strata {

ReadLimits LimitFlags::Resolve() const {
  ReadLimits resolved = limits;
  if (!max_layer_bytes.empty())
    resolved.max_layer_bytes = ParseSize(max_layer_bytes, "--max-layer-bytes");
  return resolved;
}

void AddLimitOptions(CLI::App* app, LimitFlags* flags) {
  app->add_option("--max-entries", flags->limits.max_entries,
                  "Limit: entries in the image (default 10000000)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-path-bytes", flags->limits.max_path_bytes,
                  "Limit: bytes of one path (default 4096)")
      ->check(CLI::PositiveNumber);
  app->add_option("--max-layer-bytes", flags->max_layer_bytes,
                  "Limit: uncompressed bytes of one layer (default 64GiB)");
  app->add_option("--max-ratio", flags->limits.max_ratio,
                  "Limit: expansion of a layer past 1 GiB (default 1000)")
      ->check(CLI::PositiveNumber);
}

}  // namespace strata
