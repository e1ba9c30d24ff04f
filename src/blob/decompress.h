// Layer decompression, chosen by the stream's first bytes.
//
// Media types and file names lie (docker archives call gzip layers
// "layer.tar", and some registries mislabel zstd), so the compression is read
// from the magic bytes: 1f 8b is gzip (ISA-L, all members of a multi-member
// stream), 28 b5 2f fd is zstd (libzstd, all frames), anything else is taken
// as an uncompressed tar.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "blob/byte_reader.h"

namespace strata {

enum class Compression { kNone, kGzip, kZstd };

const char* CompressionName(Compression compression);

// What the stored bytes are, asked when they end inside a gzip member or a
// zstd frame. That happens to a stream cut short, and also to a corrupt one:
// a flipped bit can leave the decoder reading on past the last byte (in a
// block header, a Huffman table, the final-block bit). Only the blob's digest
// tells the two apart. Sources check a blob's length before it is read (a
// descriptor's size, a registry's transfer, an archive's member), so the
// bytes that end early are all the bytes the image has.
enum class BlobCheck {
  kMatchesDigest,      // The blob is the one the image names: it was cut before.
  kDiffersFromDigest,  // Its bytes changed since the image named it: corrupt.
  kNoDigest,           // The image names no digest (a legacy docker archive).
};

// Returns a reader of the decompressed bytes of |raw|, which it reads
// through but does not own. |name| names the blob in error messages.
// Sets |*detected| to the compression found. |check_blob|, when given, is
// called at most once, on the thread that reads the returned reader, after
// |raw| has returned its end; without it an early end counts as kNoDigest.
// |*trailing_at|, when given, is set (on the reading thread) to the offset
// in |raw| of the first byte after the last gzip member when bytes that
// begin no member follow it (garbage, zero padding: gzip(1) ignores them,
// Go's reader refuses them); it is left alone otherwise.
std::unique_ptr<ByteReader> OpenDecompressed(ByteReader* raw, const std::string& name,
                                             Compression* detected,
                                             std::function<BlobCheck()> check_blob = nullptr,
                                             std::atomic<int64_t>* trailing_at = nullptr);

}  // namespace strata
