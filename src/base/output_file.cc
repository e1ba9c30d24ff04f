#include "base/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/file_mode.h"
#include "base/remove_tree.h"

namespace strata {

namespace {

// The files RemovedOnStop guards, where a signal handler can read them:
// buffers fixed in size and place, each published by a lock-free flag
// once its path is whole. One --save archive is written at a time, and
// one export's directory.
constexpr int kGuardedTemps = 4;

struct GuardedTemp {
  std::atomic<bool> taken{false};  // Claimed by a guard.
  std::atomic<bool> ready{false};  // |path| is whole: the handler may use it.
  std::atomic<bool> tree{false};   // |path| is a directory, removed with all it holds.
  char path[PATH_MAX];
};
static_assert(std::atomic<bool>::is_always_lock_free, "a signal handler reads the flags");

GuardedTemp guarded_temps[kGuardedTemps];

}  // namespace

std::string FollowLinks(const std::string& file) {
  namespace fs = std::filesystem;
  fs::path at = file;
  // Linux follows at most 40 links in a path (MAXSYMLINKS).
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code error;
    if (!fs::is_symlink(fs::symlink_status(at, error))) break;
    fs::path to = fs::read_symlink(at, error);
    if (error) break;
    at = to.is_absolute() ? to : at.parent_path() / to;
  }
  return at.string();
}

OutputTarget LookAtOutput(const std::string& file) {
  OutputTarget target;
  target.path = FollowLinks(file);
  struct stat info;
  if (stat(file.c_str(), &info) != 0) {
    // New, or a link to nothing yet; other errors (a missing directory,
    // no permission) show when the temporary file is created.
    if (errno == ELOOP) {
      target.kind = OutputTarget::kUnusable;
      target.why = strerror(errno);
    }
    return target;
  }
  if (S_ISDIR(info.st_mode))
    target.kind = OutputTarget::kDirectory;
  else if (S_ISREG(info.st_mode))
    target.kind = OutputTarget::kRegular;
  else
    target.kind = OutputTarget::kSpecial;
  return target;
}

int CreateTempBeside(const std::string& target, std::string* temp) {
  std::string name = target + ".strata-XXXXXX";
  int fd = mkstemp(name.data());
  if (fd < 0) return -1;
  // mkstemp makes the file 0600; the file gets a report's mode.
  if (fchmod(fd, ReplacingFileMode(target)) != 0) {
    int error = errno;
    close(fd);
    unlink(name.c_str());
    errno = error;
    return -1;
  }
  *temp = name;
  return fd;
}

int RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  struct stat info;
  if (lstat(to.c_str(), &info) == 0) {
    errno = EEXIST;
    return -1;
  }
  return rename(from.c_str(), to.c_str());
}

RemovedOnStop::RemovedOnStop(const std::string& path, bool whole_tree) {
  // Longer, and mkstemp could not have made it.
  if (path.size() >= PATH_MAX) return;
  for (int i = 0; i < kGuardedTemps; ++i) {
    bool free = false;
    if (!guarded_temps[i].taken.compare_exchange_strong(free, true)) continue;
    memcpy(guarded_temps[i].path, path.c_str(), path.size() + 1);
    guarded_temps[i].tree.store(whole_tree);
    guarded_temps[i].ready.store(true);
    slot_ = i;
    return;
  }
}

RemovedOnStop::~RemovedOnStop() {
  if (slot_ < 0) return;
  guarded_temps[slot_].ready.store(false);
  guarded_temps[slot_].taken.store(false);
}

void RemoveTempFilesOnStop() {
  for (GuardedTemp& temp : guarded_temps) {
    if (!temp.ready.load()) continue;
    if (temp.tree.load())
      RemoveTree(temp.path);
    else
      unlink(temp.path);
  }
}

}  // namespace strata
