// One entry of a layer tarball, as the layer stores it.
//
// Paths are cleaned once, here: no "./" or "/" prefix, no trailing "/",
// "." and ".." resolved lexically and clamped at the root, so "" is the
// root itself. Whiteouts are decoded into their own kinds, so nothing after
// this point looks at ".wh." names again.
#pragma once

#include <cstdint>
#include <optional>
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

// The kind as prose says it, with its article: "a character device".
const char* EntryKindNoun(EntryKind kind);

// The one-letter type ls(1) shows: '-', 'd', 'l', 'h', 'c', 'b', 'p', 's'.
char EntryKindLetter(EntryKind kind);

// Extended attributes from PAX SCHILY.xattr.* records (file capabilities
// live here: security.capability), as name and raw value.
using Xattrs = std::vector<std::pair<std::string, std::string>>;

// What few entries have, kept apart so that the rest do without it.
struct EntryExtras {
  std::string link;
  Xattrs xattrs;
};

// 64 bytes. The path's bytes are not the entry's: they live in whatever
// made it, a LayerContents' arena (layer/layer_reader.h) or, while a
// LayerCursor yields it, the cursor until its next entry. A copy of an
// entry shares them: keep it no longer than their owner.
// TODO: memory. Paths could be interned (a directory prefix once per
// layer): fewer path bytes.
struct LayerEntry {
  std::string_view path;
  // The link target and xattrs behind one pointer, null unless the entry
  // has either: read them through link() and xattrs().
  Sparse<EntryExtras> extras;
  int64_t size = 0;  // Content bytes; 0 for everything but regular files.
  int64_t mtime = 0;
  // XXH3 of the content, regular files only. A device has no content: its
  // numbers live here instead (device_major(), set_device()).
  uint64_t content_hash = 0;
  uint32_t mode = 0;  // Permission bits with setuid/setgid/sticky.
  uint32_t uid = 0;
  uint32_t gid = 0;
  EntryKind kind = EntryKind::kFile;
  bool path_escaped = false;  // The stored name had ".." or an absolute path.

  bool is_device() const {
    return kind == EntryKind::kCharDevice || kind == EntryKind::kBlockDevice;
  }
  // A device's numbers; 0 for anything else.
  uint32_t device_major() const {
    return is_device() ? static_cast<uint32_t>(content_hash >> 32) : 0;
  }
  uint32_t device_minor() const { return is_device() ? static_cast<uint32_t>(content_hash) : 0; }
  // Sets the numbers of a device (|kind| set first); ignored for anything else.
  void set_device(uint32_t major, uint32_t minor) {
    if (is_device()) content_hash = (uint64_t{major} << 32) | minor;
  }

  bool is_whiteout() const { return kind == EntryKind::kWhiteout || kind == EntryKind::kOpaque; }

  // Symlink target as stored, or hard link target path; "" for the rest.
  const std::string& link() const { return extras.get().link; }
  void set_link(std::string link) {
    if (!link.empty() || !extras.get().link.empty()) extras.mutable_get().link = std::move(link);
  }
  const Xattrs& xattrs() const { return extras.get().xattrs; }
  Xattrs& mutable_xattrs() { return extras.mutable_get().xattrs; }
};

// Cleans a stored tar name as described above. Sets |*escaped| when the
// name tried to leave the root.
std::string CleanLayerPath(std::string_view name, bool* escaped);

// Where a symbolic link at |link_path| with |target| points, as a cleaned
// path: relative targets start from the link's directory, and nothing
// climbs above the root. Links further on are not followed. nullopt for
// an empty target, which points nowhere: the kernel refuses to make such
// a link, and fails to follow one (ENOENT).
std::optional<std::string> ResolveLink(std::string_view link_path, std::string_view target);

// The last component of |path| ("" for the root).
std::string_view BaseName(std::string_view path);

// How a whiteout's name starts (the OCI image spec's prefix).
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";

// What a whiteout named |base| (".wh." and a name) takes away when the
// name is "", "." or "..": unpackers join it to the whiteout's directory
// |dir|, so it removes that directory itself, or its parent. nullopt for
// every other name, which removes the file it names.
std::optional<std::string_view> SelfWhiteoutTarget(std::string_view base, std::string_view dir);

// Everything before the last component ("" for a top-level name).
std::string_view DirName(std::string_view path);

}  // namespace strata
