// Paths inside an image's filesystem, resolved as the kernel resolves them
// under chroot(2): "." and "..", and symbolic links met on the way, never
// leaving the image's root. For commands that take a path in the image
// (`find` starts there, `-newer` names a reference file).
#pragma once

#include <string>

#include "model/file_tree.h"

namespace strata {

// The node at absolute |path| in |tree|, or null when nothing is there (a
// missing name, a file where a directory was needed, a link to nowhere).
// Links before the last component are followed; the last one too when
// |follow_last| or when |path| ends in "/", which also demands a directory.
// Throws Error after 40 links in one resolution (a loop), as Linux gives
// ELOOP.
const FileNode* ResolvePath(const FileTree& tree, const std::string& path, bool follow_last);

}  // namespace strata
