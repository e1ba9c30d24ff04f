// `strata ls`: a directory of the image as ls(1) would list it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "model/file_tree.h"

namespace strata {

struct LsOptions {
  bool long_format = false;  // -l
  bool recursive = false;    // -R
  bool all = false;          // -a: names starting with "."
  // How a name or link target is shown: a file may be named after a
  // secret, and listings show it redacted. As stored when empty.
  std::function<std::string(std::string_view)> shown;
};

// Lists |path| (a directory's children, or the file itself) of |tree|,
// found as ls(1) finds its argument on the unpacked image: symbolic links
// on the way are followed inside the image, the last one too when |path|
// ends in "/" or, without -l, when it leads to a directory. |users| and
// |groups| name uids and gids in the long form (numbers when absent).
// Throws Error when nothing is there, or on a loop of links.
std::string LsText(const FileTree& tree, const std::string& path, const LsOptions& options,
                   const std::map<uint32_t, std::string>& users,
                   const std::map<uint32_t, std::string>& groups);

// "drwxr-xr-x", "-rwsr-xr-x", "lrwxrwxrwx", as ls -l prints modes.
std::string ModeString(EntryKind kind, uint32_t mode);

}  // namespace strata
