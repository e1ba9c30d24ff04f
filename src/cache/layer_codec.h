// A layer's result (LayerContents) as a compact byte string, for the layer
// cache: everything a layer's read produced that does not depend on how its
// blob was stored (the entries, the content scan's hits, the files kept
// whole, the diff_id and the tar size), so any blob holding the same tar
// can reuse it.
//
// The format (see doc/cache.md): a zstd frame holding a magic, the format
// version, the diff_id and then varint-encoded fields; each path is stored
// as the length it shares with the previous entry's path plus the rest,
// since tar order keeps a directory's files together.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "layer/layer_reader.h"

namespace strata {

// Bumped whenever the encoding below changes.
inline constexpr int kLayerCodecFormat = 2;  // 2: names stored outside the root.

// Encodes |layer|'s stored-bytes-independent parts. Thread-safe.
std::string EncodeLayerResult(const LayerContents& layer);

// Decodes what EncodeLayerResult wrote for the layer named |diff_id|.
// Returns nullopt when |bytes| is damaged in any way (truncated, not zstd,
// another format version, another diff_id, an index out of range); never
// trusts a length or count it has not checked against the bytes left. The
// blob fields (blob_digest, blob_size, compression) are left for the
// caller. Thread-safe.
std::optional<LayerContents> DecodeLayerResult(std::string_view bytes, const std::string& diff_id);

}  // namespace strata
