// Removing a directory strata made, with everything in it: an export's
// temporary directory, when the export fails or is stopped by a signal.
#pragma once

namespace strata {

// Removes the directory |path| and all it holds; symbolic links are
// removed, never followed. Directories it cannot read or write are
// chmod-ed 0700 first (an export applies the image's modes, 0555 or 0000
// included), so call it only on a tree strata made. Returns true when
// |path| is gone (or was never there); false when something could not be
// removed (an immutable file, a mount point), in which case the rest is
// left as it is.
//
// Async-signal-safe, for a stop signal's handler: it allocates nothing,
// keeps one directory open at a time and a 4 KiB buffer on the stack,
// and walks any depth by going back up through "..". Safe against a
// writer still adding entries on another thread: what appears behind it
// is found when it reads the directory again.
bool RemoveTree(const char* path);

}  // namespace strata
