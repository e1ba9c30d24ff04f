// Limits that keep a crafted image from exhausting the machine. Each has
// a default that real images stay far below, a command-line flag to raise
// it, and an error that names both.
#pragma once

#include <cstdint>

namespace strata {

struct ReadLimits {
  // Entries in one image, and the files and directories their paths
  // imply (the merge's tree). A million small files take about 220 MB of
  // memory in strata's model; ten million is beyond any real image.
  int64_t max_entries = 10'000'000;
  // Bytes of one stored path: Linux's PATH_MAX.
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
};

}  // namespace strata
