// Reading files out of an image without a shell in it: `strata cat` and
// `strata export`.
#pragma once

#include <functional>
#include <string>

#include "extract/export_sink.h"
#include "layer/limits.h"
#include "model/analysis.h"
#include "source/image_source.h"

namespace strata {

struct CatResult {
  int layer = -1;    // The layer the bytes came from (0-based).
  std::string path;  // The path read, after following links.
  int64_t bytes = 0;
};

// Throws the Error cat and ls give for /|path| (an image path without a
// leading "/"), removed by layer |removed_in| and still stored by layer
// |stored_in| (both 0-based).
[[noreturn]] void FailRemoved(const std::string& path, int removed_in, int stored_in);

// Writes the content of |path| to |sink| as layer |layer| (0-based) stores
// it, including files that a later layer removed; or, when |layer| < 0,
// as reading the layers from the top down finds it, which takes no link
// on an entry's way into account (CatMerged does). Reads layers from the
// top down and stops once the file is done, so only the layers above it
// are decompressed; the digests of a layer read only in part are not
// checked. Follows symbolic links in the image (at
// most 40) and hard links. Throws Error with one line: no such file, a
// directory, removed (and where it is still stored), a bad layer number.
//
// Of entries of one layer that name the path, the last is the layer's (as
// tar, umoci and the merge take it). |analysis|, when given, is the
// image's (its layers' entries say which that is), and the layer is read
// once, up to it; without it, the layer that stores the file is read to
// its end to know, then again up to the file.
CatResult CatFile(const ImageSource& source, const std::string& path, int layer,
                  const std::function<void(const char*, size_t)>& sink,
                  const ReadLimits& limits = ReadLimits(), const Analysis* analysis = nullptr);

// Writes the content of |path| as the final filesystem of |analysis| holds
// it: found in the merged tree as a shell finds it on the unpacked image
// (links followed inside the image), its bytes read from the layer that
// stores them, up to them. Throws Error with one line as CatFile does
// when there is no regular file there.
CatResult CatMerged(const Analysis& analysis, const std::string& path,
                    const std::function<void(const char*, size_t)>& sink,
                    const ReadLimits& limits = ReadLimits());

struct ExportOptions {
  int layer = -1;  // 0-based layer whose changes to write; < 0: the final filesystem.
  ReadLimits limits;
};

// Writes the final filesystem (or one layer's changes) of the analysed image
// to |sink|. Reads only the layers that hold something to write.
void ExportImage(const Analysis& analysis, const ExportOptions& options, ExportSink* sink);

}  // namespace strata
