// The mode of a file strata writes for the user (a report, a --save
// archive): what the shell's `>` would give it, so that a file written
// through a temporary name and a rename looks no different.
#pragma once

#include <sys/types.h>

#include <string>

namespace strata {

// The mode open(2) gives a new file created with 0666: 0644 under the
// usual umask of 022. Reads the umask by setting it and back, so a file
// another thread creates in between gets mode 0666; call it where no other
// thread creates files.
mode_t NewFileMode();

// The mode for a file that replaces |path|: the mode of the file there now
// (links followed), so a report rewritten in place keeps it, else
// NewFileMode().
mode_t ReplacingFileMode(const std::string& path);

}  // namespace strata
