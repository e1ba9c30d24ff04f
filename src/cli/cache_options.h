// The --cache-dir, --cache-max-size and --no-cache flags of the commands that analyse an
// image, and what they print about the layer cache (see doc/cache.md).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cache/layer_cache.h"

namespace strata {

struct CacheFlags {
  std::string dir;          // --cache-dir; "" means DefaultCacheDir().
  bool disabled = false;    // --no-cache: neither read nor written.
  bool no_results = false;  // --no-result-cache: layers only, no whole results.
  std::string max_size;     // --cache-max-size; "" means kDefaultCacheBytes.

  // The cache the flags name, or null when it is disabled, no directory is
  // known, or it cannot be opened; a cache is never a reason to fail, so
  // that is a warning on standard error (unless |quiet|).
  std::unique_ptr<LayerCache> Open(bool quiet) const;
};

void AddCacheOptions(CLI::App* app, CacheFlags* flags);

// --no-result-cache, for the commands whose whole result is kept (audit, ci).
void AddResultCacheOption(CLI::App* app, CacheFlags* flags);

// After an analysis: warns of what went wrong with |cache| (unless
// |quiet|) and, when |verbose|, says how many layers it supplied.
void ReportCache(const LayerCache& cache, bool verbose, bool quiet);

}  // namespace strata
