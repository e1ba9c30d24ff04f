// Reads one layer blob in a single pass: blob digest, decompression,
// diff_id, tar entries. Nothing is written to disk and file contents are
// never held in memory: each is hashed (XXH3) as it streams past.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/text_arena.h"
#include "blob/byte_reader.h"
#include "blob/decompress.h"
#include "layer/content_inspector.h"
#include "layer/layer_entry.h"
#include "layer/limits.h"

namespace strata {

// What one layer holds, as read from its blob. Move-only: the entries'
// paths point into |paths|, whose blocks move with it.
struct LayerContents {
  std::vector<LayerEntry> entries;  // In tar order.
  TextArena paths;                  // The bytes of every entry's path.
  std::string blob_digest;          // sha256 of the stored (maybe compressed) bytes.
  std::string diff_id;              // sha256 of the uncompressed tar stream.
  int64_t blob_size = 0;
  int64_t tar_size = 0;  // Uncompressed bytes, including anything after the end marker.
  Compression compression = Compression::kNone;
  std::vector<ContentHit> hits;  // From the content inspector, if any.
  // Files the inspector asked to keep whole (package databases), by entry
  // index.
  std::vector<std::pair<size_t, std::string>> kept;
  // Names that leave the root, and bare ".wh." whiteouts
  // (LayerCursor::stored_name), by entry index, in entry order: a hostile
  // layer's, so few.
  std::vector<std::pair<size_t, std::string>> stored_names;
  // What looked wrong in the layer's own bytes, without the layer's name
  // (a cached result serves the layer wherever an image puts it).
  std::vector<std::string> warnings;

  // Appends |entry| with its path copied into |paths|, so that it no
  // longer needs whatever held the path before; returns the one kept.
  LayerEntry& Add(LayerEntry entry);

  // The stored name of |entry| (one of |entries|) when it left the root
  // or was a bare ".wh.", else "".
  std::string_view StoredName(const LayerEntry& entry) const;
};

struct LayerReadOptions {
  // Names the layer in messages: "layer 3 (sha256:ab12…)".
  std::string name;

  // The digest the image names for the blob, "" when it names none. Not
  // checked here (the caller compares), but it tells a truncated compressed
  // stream from a corrupt one (see LayerCursor).
  std::string blob_digest;

  // Counts raw bytes read, for progress displays; may be null. Updated from
  // the reading thread with relaxed atomics.
  std::atomic<int64_t>* bytes_read = nullptr;

  // Sees the content of the files it asks for; may be null.
  const ContentInspector* inspector = nullptr;

  ReadLimits limits;

  // Uncompressed bytes read so far by all the layers of the image, shared
  // between the reading threads and held to limits.max_image_bytes; may be
  // null.
  std::atomic<int64_t>* image_bytes = nullptr;

  // False reads the layer on the calling thread alone; true lets a big
  // layer use two more (see LayerCursor).
  bool pipelined = true;
};

// Reads the whole of |blob|. Throws Error naming the layer when the bytes
// are not a tar stream (after decompression) or are corrupt or truncated.
// Digests are computed, not checked: the caller compares them with what the
// manifest and config promise. Safe to call on several threads at once with
// different readers.
LayerContents ReadLayer(ByteReader& blob, const LayerReadOptions& options);

}  // namespace strata
