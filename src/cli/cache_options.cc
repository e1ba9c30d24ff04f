#include "cli/cache_options.h"

#include <fmt/core.h>

#include "base/error.h"
#include "cli/limit_options.h"
#include "report/style.h"
#include "rules/rule_config.h"

namespace strata {

std::unique_ptr<LayerCache> CacheFlags::Open(bool quiet) const {
  if (disabled) return nullptr;
  std::string where = dir.empty() ? DefaultCacheDir() : dir;
  if (where.empty()) return nullptr;  // No HOME: nowhere that is the user's.
  int64_t max_bytes =
      max_size.empty() ? kDefaultCacheBytes : ParseSize(max_size, "--cache-max-size");
  try {
    return LayerCache::Open(where, max_bytes);
  } catch (const Error& error) {
    if (!quiet)
      fmt::print(stderr, "strata: warning: {}; reading every layer\n", Printable(error.what()));
    return nullptr;
  }
}

void AddCacheOptions(CLI::App* app, CacheFlags* flags) {
  app->add_option("--cache-dir", flags->dir,
                  "Layer cache directory (default: $XDG_CACHE_HOME/strata or "
                  "~/.cache/strata)")
      ->check(NotEmptyValidator("a directory"));
  app->add_option("--cache-max-size", flags->max_size,
                  "Bytes of results the layer cache keeps; the least "
                  "recently used go first (default 2GiB)")
      ->check(SizeValidator());
  // It wins over --cache-dir: a script that always names its cache can
  // add it for one run.
  app->add_flag("--no-cache", flags->disabled,
                "Read every layer; neither use nor update the layer cache (even with --cache-dir)");
}

void AddResultCacheOption(CLI::App* app, CacheFlags* flags) {
  app->add_flag("--no-result-cache", flags->no_results,
                "Analyse the image again even when this exact command ran on it before (the "
                "layer cache still applies)");
}

void ReportCache(const LayerCache& cache, bool verbose, bool quiet) {
  const LayerCacheStats& stats = cache.stats();
  if (!quiet)
    for (const std::string& problem : stats.problems)
      fmt::print(stderr, "strata: warning: {}\n", Printable(problem));
  if (!verbose) return;
  int64_t reused = stats.hits.load();
  fmt::print(stderr, "strata: layer cache {}: {} {} reused, {} read, {} stored", cache.path(),
             reused, reused == 1 ? "layer" : "layers", stats.misses.load(), stats.stored.load());
  int64_t rehashed = stats.rehashed.load();
  if (rehashed > 0)
    fmt::print(stderr, ", {} {} hashed again (new, touched since verified, or read from a stream)", rehashed,
               rehashed == 1 ? "blob" : "blobs");
  int64_t damaged = stats.damaged.load();
  if (damaged > 0)
    fmt::print(stderr, ", {} unusable {} replaced", damaged, damaged == 1 ? "row" : "rows");
  int64_t evicted = stats.evicted;
  if (evicted > 0)
    fmt::print(stderr, ", {} least recently used {} dropped (--cache-max-size)", evicted,
               evicted == 1 ? "result" : "results");
  fmt::print(stderr, "\n");
}

}  // namespace strata
