// One entry of a layer tarball, as the layer stores it.
//
// Paths are cleaned once, here: no "./" or "/" prefix, no trailing "/",
// "." and ".." resolved lexically and clamped at the root, so "" is the
// root itself. Whiteouts are decoded into their own kinds, so nothing after
// this point looks at ".wh." names again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sparse.h"

namespace strata {

enum class EntryKind : uint8_t {
  kFile,
  kDirectory,
  kSymlink,
  kHardlink,  // Shares the inode of |link|, a path in this or a lower layer.
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
  kWhiteout,  // .wh.NAME: |path| is the NAME it removes from lower layers.
  kOpaque,    // .wh..wh..opq: |path| is the directory whose lower children it hides.
};

// "file", "dir", "symlink", "hardlink", "char", "block", "fifo", "socket",
// "whiteout", "opaque".
const char* EntryKindName(EntryKind kind);

// The one-letter type ls(1) shows: '-', 'd', 'l', 'h', 'c', 'b', 'p', 's'.
char EntryKindLetter(EntryKind kind);

// 80 bytes. The path's bytes are not the entry's: they live in whatever
// made it, a LayerContents' arena (layer/layer_reader.h) or, while a
// LayerCursor yields it, the cursor until its next entry. A copy of an
// entry shares them: keep it no longer than their owner.
// TODO: memory. Paths could be interned (a directory prefix once per
// layer) and the device numbers join |link| in a side table: about 64
// bytes an entry.
struct LayerEntry {
  std::string_view path;
  SparseText link;  // Symlink target as stored, or hard link target path.
  // Extended attributes from PAX SCHILY.xattr.* records (file capabilities
  // live here: security.capability), as name and raw value.
  SparseList<std::pair<std::string, std::string>> xattrs;
  int64_t size = 0;  // Content bytes; 0 for everything but regular files.
  int64_t mtime = 0;
  uint64_t content_hash = 0;  // XXH3 of the content, regular files only.
  uint32_t mode = 0;          // Permission bits with setuid/setgid/sticky.
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t device_major = 0;
  uint32_t device_minor = 0;
  EntryKind kind = EntryKind::kFile;
  bool path_escaped = false;  // The stored name had ".." or an absolute path.

  bool is_whiteout() const { return kind == EntryKind::kWhiteout || kind == EntryKind::kOpaque; }
};

// Cleans a stored tar name as described above. Sets |*escaped| when the
// name tried to leave the root.
std::string CleanLayerPath(std::string_view name, bool* escaped);

// The last component of |path| ("" for the root).
std::string_view BaseName(std::string_view path);

// Everything before the last component ("" for a top-level name).
std::string_view DirName(std::string_view path);

}  // namespace strata
