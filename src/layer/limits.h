// Limits that keep a crafted image from exhausting the machine. Each has
// a default that real images stay far below, a command-line flag to raise
// it, and an error that names both.
#pragma once

#include <cstdint>

namespace strata {

// Directories a path may imply for each entry of the image beyond
// ReadLimits::max_implied_dirs (see there).
constexpr int64_t kImpliedDirsPerEntry = 8;

struct ReadLimits {
  // Entries in one image, and the files and directories their paths
  // imply (the merge's tree). A million small files take about 220 MB of
  // memory in strata's model; ten million is beyond any real image.
  int64_t max_entries = 10'000'000;
  // Directories that the image's paths imply but no entry stores (a/b/f
  // implies a and a/b), beyond kImpliedDirsPerEntry for each entry. Each
  // costs a tree node, as an entry does, but 2,000 of them fit in one
  // 4 kB path: 12,000 entries of a 300 kB image, each 2,000 deep, made the
  // merge take 17 to 24 s and 2 GB before --max-entries stopped it at ten
  // million nodes (now 1.5 s and 107 MB). Docker, buildah and umoci store every directory of a
  // layer, and the reference images and test fixtures imply none; a tool
  // that stores only files implies the directories holding them, fewer
  // than the files in any usual tree. So 8 per entry is a wide margin,
  // and 100,000 more covers small layers of deeply nested files.
  int64_t max_implied_dirs = 100'000;
  // Bytes of one stored path, or of a link's target: Linux's PATH_MAX.
  int64_t max_path_bytes = 4096;
  // Uncompressed bytes of one layer: 64 GiB, eight times the largest real
  // layers seen (CUDA and ML images).
  int64_t max_layer_bytes = int64_t{64} << 30;
  // Uncompressed bytes of all the layers of one image together: 256 GiB,
  // so a hundred layers just under the layer limit cannot keep strata
  // busy for hours.
  int64_t max_image_bytes = int64_t{256} << 30;
  // Expansion of a compressed layer, checked once it passes 1 GiB: gzip
  // cannot exceed about 1032:1, so a higher ratio means zstd fed with
  // crafted repetition; real layers stay under 20:1.
  int64_t max_ratio = 1000;

  // The most directories the paths of an image of |entries| entries may
  // imply: max_implied_dirs, and kImpliedDirsPerEntry for each entry.
  // Saturates at INT64_MAX.
  int64_t ImpliedDirsFor(int64_t entries) const {
    int64_t per_entry = 0, most = 0;
    if (__builtin_mul_overflow(entries, kImpliedDirsPerEntry, &per_entry) ||
        __builtin_add_overflow(per_entry, max_implied_dirs, &most))
      return INT64_MAX;
    return most;
  }
};

}  // namespace strata
