// Where an export to a directory writes until it is complete, so that an
// export that fails (a corrupt layer, a full disk) or is stopped (Ctrl-C,
// SIGTERM) leaves its target as it was before the run.
//
// A target that does not exist yet is written whole under a temporary
// name beside its topmost missing directory (out.strata-XXXXXX for out;
// a.strata-XXXXXX/b/out for a/b/out when a does not exist either) and
// renamed into place at the end: one rename, so the target appears
// complete or not at all, missing parents included.
//
// An existing directory is written into TARGET/.strata-XXXXXX/tree, and
// at the end each entry of that tree is moved into the target: a path the
// target lacks in one rename, with everything beneath it; a directory both
// hold by moving its entries one by one; a file, link or FIFO that
// --overwrite replaces by first setting the old one aside (into
// TARGET/.strata-XXXXXX/replaced). Every move is recorded, and when one
// fails they are undone in reverse: the target gets back what it held,
// replaced files included, and its directories' times.
//
// Until then the temporary directory is removed by the destructor and by
// a stop signal (RemovedOnStop); publishing holds the stop signals back.
// Not thread-safe: one thread writes and publishes.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "base/output_file.h"

namespace strata {

class StagedTarget {
 public:
  // |target| as the user named it; |target_fd| that directory, opened, or
  // -1 when nothing is there yet (not owned: this keeps a copy). Makes
  // nothing yet.
  StagedTarget(std::string target, int target_fd);
  // Removes the temporary directory, with all in it, unless published.
  ~StagedTarget();
  StagedTarget(const StagedTarget&) = delete;
  StagedTarget& operator=(const StagedTarget&) = delete;

  // The directory to write into, made on the first call (owned). Throws
  // Error naming the target when it cannot be made.
  int fd();

  // Moves what was written into the target, as the file comment says.
  // |overwrite|: replace a file, link or FIFO in the way; without it, one
  // found there is refused. Throws Error with one line when it cannot; the
  // target is then as it was. Call at most once, after fd().
  void Publish(bool overwrite);

 private:
  // One step of publishing into an existing target, undone in reverse.
  struct Step {
    enum Kind { kMovedIn, kSetAside, kTimes } kind;
    std::string path;               // Image path (no leading "/"); "" for the target itself.
    std::string aside;              // kSetAside: its name in replaced_fd_.
    struct timespec times[2] = {};  // kTimes: the directory's atime and mtime.
  };

  void MakeBeside();
  void MakeInside();
  void MergeOrUndo(bool overwrite);
  void Merge(bool overwrite);
  void MergeEntry(int tree, int target, const std::string& name, const std::string& path,
                  bool overwrite, std::vector<std::string>* shared);
  void MoveIn(int tree, int target, const std::string& name, const std::string& path);
  void SetAside(int target, const std::string& name, const std::string& path);
  void KeepTimes(int target, const std::string& path);
  // Undoes the steps; returns "" or what could not be put back.
  std::string Undo();
  std::string Undo(const Step& step);

  std::string target_;
  int target_fd_;                         // Owned: a copy of the one given.
  struct timespec target_times_[2] = {};  // An existing target's, before temp_ was made.
  std::string temp_;                      // The temporary directory; "" until made.
  std::string temp_name_;                 // Its name, inside an existing target.
  std::string publish_as_;                // A new target: where temp_ is renamed to.
  int tree_fd_ = -1;                      // Where the export writes.
  int replaced_fd_ = -1;  // An existing target: where replaced entries are set aside.
  std::unique_ptr<RemovedOnStop> removed_on_stop_;
  std::vector<Step> steps_;
  bool published_ = false;
  bool keep_temp_ = false;  // An undo failed: what it holds may be the user's.
};

}  // namespace strata
