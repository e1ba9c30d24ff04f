// Paths inside an image's filesystem, resolved as the kernel resolves them
// under chroot(2): "." and "..", and symbolic links met on the way, never
// leaving the image's root. For commands that take a path in the image
// (`find` starts there, `-newer` names a reference file), and for where an
// entry stored beneath a link lands (the path-through-symlink rule).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/file_tree.h"

namespace strata {

// Symbolic links followed in one resolution before it fails, as Linux's
// MAXSYMLINKS (ELOOP after 40).
inline constexpr int kMaxLinkHops = 40;

// The node at absolute |path| in |tree|, or null when nothing is there (a
// missing name, a file where a directory was needed, a link to nowhere).
// Links before the last component are followed; the last one too when
// |follow_last| or when |path| ends in "/", which also demands a directory.
// Throws Error after 40 links in one resolution (a loop), as Linux gives
// ELOOP.
const FileNode* ResolvePath(const FileTree& tree, const std::string& path, bool follow_last);

// Where a layer entry lands for an unpacker that follows symbolic links
// inside the root, as umoci does: the kernel's resolution with the image's
// root as "/", except that a name the tree lacks is taken as it is (the
// unpacker makes the directory) instead of failing.
struct Landing {
  enum Outcome : uint8_t {
    kLands,         // |path| is where it lands.
    kTooManyLinks,  // More than 40 links on the way: a loop, or a chain past Linux's limit.
    kEmptyLink,     // A link on the way has an empty target, which leads nowhere.
  };
  Outcome outcome = kLands;
  // kLands: where it lands, cleaned ("" is the root). kEmptyLink: the path
  // of the link with the empty target. kTooManyLinks: "".
  std::string path;
  int links = 0;  // Symbolic links followed.
};

// The landing of |path| (a cleaned layer path) in |tree| as it is now.
// Every component but the last is followed when it is a link; the last one
// too when |follow_last| (an opaque marker names a directory to empty).
Landing LandingOf(const FileTree& tree, std::string_view path, bool follow_last);

}  // namespace strata
