// Layer decompression, chosen by the stream's first bytes.
//
// Media types and file names lie (docker archives call gzip layers
// "layer.tar", and some registries mislabel zstd), so the compression is read
// from the magic bytes: 1f 8b is gzip (ISA-L, all members of a multi-member
// stream), 28 b5 2f fd is zstd (libzstd, all frames), anything else is taken
// as an uncompressed tar.
#pragma once

#include <memory>
#include <string>

#include "blob/byte_reader.h"

namespace strata {

enum class Compression { kNone, kGzip, kZstd };

const char* CompressionName(Compression compression);

// Returns a reader of the decompressed bytes of |raw|, which it reads
// through but does not own. |name| names the blob in error messages.
// Sets |*detected| to the compression found.
std::unique_ptr<ByteReader> OpenDecompressed(ByteReader* raw, const std::string& name,
                                             Compression* detected);

}  // namespace strata
