// Opens a directory by a path beneath another, following no symbolic
// link: what writing an untrusted image's paths into a directory needs.
#pragma once

#include <string_view>

namespace strata {

// Opens the directory |path| (names separated by '/'; "" is |base|
// itself; no ".." part) beneath the open directory |base|, refusing a
// symbolic link at any part of it. Returns a new descriptor, or -1 with
// errno set: ENOENT, ENOTDIR (a file, or a link, at the end), ELOOP (a
// link on the way), or another.
//
// One system call resolves up to PATH_MAX bytes of the path (openat2, on
// Linux 5.6 and later): a directory thousands deep, opened part by part,
// cost a call per part, and an export set the mode of every directory
// that way.
int OpenDirectoryBeneath(int base, std::string_view path);

}  // namespace strata
