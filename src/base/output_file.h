// Files strata writes for the user (a report, a --save archive) and where
// they land. Each is written beside its target under a temporary name and
// renamed over it, so that a failed run leaves no half-written file. A
// symbolic link at the name the user gave is kept and written through, as
// the shell's `>` writes through one: the file it points at is replaced,
// or created there when it does not exist yet.
#pragma once

#include <string>

namespace strata {

// Where writing to |file| lands: |file| itself, or the end of the chain
// of symbolic links it starts, each resolved against its own directory.
// The end need not exist (a link to a file not written yet). A chain too
// long to be a real one (a loop) ends where it was cut off, which then
// cannot be opened (ELOOP).
std::string FollowLinks(const std::string& file);

// What is at a file the user named for output, links followed.
struct OutputTarget {
  enum Kind {
    kNew,        // nothing yet (or a link to nothing yet): created
    kRegular,    // a regular file: replaced, its mode kept
    kDirectory,  // cannot be written
    kSpecial,    // a device, FIFO or socket: only written to, never replaced
    kUnusable,   // a loop of links; |why| says so
  };
  Kind kind = kNew;
  std::string path;  // Where a rename lands: FollowLinks(file).
  std::string why;   // For kUnusable: strerror's text.
};

// Looks at |file| as it is now. Does not create or open anything.
OutputTarget LookAtOutput(const std::string& file);

// Creates the temporary file that will replace |target| (a path from
// OutputTarget::path): TARGET.strata-XXXXXX beside it, with the mode
// ReplacingFileMode(target) gives, so the renamed file looks as if the
// shell's `>` had written it. Returns its descriptor and sets |temp| to
// its name, or returns -1 with errno set and |temp| untouched.
int CreateTempBeside(const std::string& target, std::string* temp);

// Renames |from| to |to| unless something is at |to| already (then fails
// with EEXIST), as renameat2's RENAME_NOREPLACE does. Where a filesystem
// lacks that flag, checks with lstat first and then renames, which a file
// made at |to| in between would lose to. Returns 0, or -1 with errno set.
int RenameNoReplace(const std::string& from, const std::string& to);

// While one lives, a stop signal (SIGINT, SIGTERM) that ends the process
// removes |path|: a temporary file written for long, as a --save archive
// is, while the image is read; with |whole_tree|, the directory |path| and
// everything in it (RemoveTree), as an export's temporary directory.
// (Reports are written in milliseconds, with the signals held back
// instead.) Guards may live on any thread; a few at once are kept
// (kGuardedTemps), more are not guarded.
class RemovedOnStop {
 public:
  explicit RemovedOnStop(const std::string& path, bool whole_tree = false);
  ~RemovedOnStop();
  RemovedOnStop(const RemovedOnStop&) = delete;
  RemovedOnStop& operator=(const RemovedOnStop&) = delete;

 private:
  int slot_ = -1;
};

// Removes every file and tree a RemovedOnStop guards now. For the handler
// of a stop signal: async-signal-safe (it reads fixed buffers and calls
// unlink and RemoveTree only).
void RemoveTempFilesOnStop();

}  // namespace strata
