// Spooling: a stream that must be read more than once (a `docker save`
// archive arriving on a pipe or from the Engine API) is copied to an
// unlinked temporary file under $TMPDIR, so it can be indexed and its layers
// read in parallel. The file has no name, so nothing is left behind when
// strata stops for any reason.
//
// Both `docker save` and the Engine's export write manifest.json last, so no
// layer can be placed before the stream ends anyway.
// TODO: analyse layers while they stream in, to skip this copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "blob/byte_reader.h"

namespace strata {

// Room a buffered archive gets beyond its layers: JSON documents of at
// most --max-json-bytes each for its manifests, indexes and config, and
// the outer tar's own headers.
constexpr int kStreamJsonDocuments = 16;
constexpr int64_t kStreamHeaderBytes = int64_t{4} << 20;

// The most bytes SpoolStream keeps of an image whose layers may hold
// |max_image_bytes| uncompressed (--max-image-bytes): that, plus
// kStreamJsonDocuments documents of the JSON limit in force, plus
// kStreamHeaderBytes. Saturates at INT64_MAX.
int64_t StreamLimit(int64_t max_image_bytes);

// Copies everything from the descriptor |input| (not closed); |name| says
// what it is in messages. Throws Error when it cannot be read or stored,
// or once more than |max_bytes| arrived (the message names
// --max-image-bytes, from which StreamLimit derives it).
std::shared_ptr<const SharedFile> SpoolStream(int input, const std::string& name,
                                              int64_t max_bytes);

// The same for a ByteReader.
std::shared_ptr<const SharedFile> SpoolReader(ByteReader& input, const std::string& name,
                                              int64_t max_bytes);

}  // namespace strata
