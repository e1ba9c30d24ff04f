#include "base/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata {

namespace {

constexpr int kOpenDirectory = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

enum class Pass {
  kEmpty,    // Nothing left in the directory.
  kRemoved,  // Some entries went: read it again for the ones behind them.
  kDescend,  // A directory that is not empty yet: |*child| is it, opened.
  kStuck,    // Entries that cannot be removed, and none that could.
};

bool IsDotOrDotDot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

// Removes what it can of one entry of |dir|: a file or link, or an empty
// directory. Sets |*child| to a directory that still holds something.
bool RemoveEntry(int dir, const char* name, int* child) {
  if (unlinkat(dir, name, 0) == 0 || errno == ENOENT) return true;
  // Linux says EISDIR for a directory; POSIX allows EPERM.
  if (errno != EISDIR && errno != EPERM) return false;
  if (unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return true;
  if (errno != ENOTEMPTY && errno != EEXIST) return false;
  // A directory of mode 0000 or 0555 (as the image said) cannot be read or
  // emptied until it is ours again. It is a directory (unlinkat said so),
  // so the chmod follows no link.
  fchmodat(dir, name, 0700, 0);
  *child = openat(dir, name, kOpenDirectory);
  return false;
}

// Reads |dir| from its start once, removing what it can.
Pass EmptyOnce(int dir, int* child) {
  alignas(struct dirent64) char buffer[4096];
  if (lseek(dir, 0, SEEK_SET) != 0) return Pass::kStuck;
  int seen = 0, removed = 0;
  for (;;) {
    ssize_t got = getdents64(dir, buffer, sizeof buffer);
    if (got < 0) return Pass::kStuck;
    if (got == 0) break;
    for (ssize_t at = 0; at < got;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buffer + at);
      at += entry->d_reclen;
      if (IsDotOrDotDot(entry->d_name)) continue;
      ++seen;
      *child = -1;
      if (RemoveEntry(dir, entry->d_name, child))
        ++removed;
      else if (*child >= 0)
        return Pass::kDescend;
    }
  }
  if (seen == 0) return Pass::kEmpty;
  return removed > 0 ? Pass::kRemoved : Pass::kStuck;
}

}  // namespace

// One directory is open at a time: a directory that is not empty is
// entered, and once emptied the walk goes back up through ".." and reads
// the parent again from its start, where the emptied directory is now
// removed. So the depth costs no memory, and a writer adding entries
// meanwhile only costs another pass.
bool RemoveTree(const char* path) {
  int dir = open(path, kOpenDirectory);
  if (dir < 0 && errno == EACCES && chmod(path, 0700) == 0) dir = open(path, kOpenDirectory);
  if (dir < 0) return errno == ENOENT;
  fchmod(dir, 0700);
  int depth = 0;
  for (;;) {
    int child = -1;
    switch (EmptyOnce(dir, &child)) {
      case Pass::kRemoved:
        continue;
      case Pass::kDescend:
        close(dir);
        dir = child;
        ++depth;
        continue;
      case Pass::kStuck:
        close(dir);
        return false;
      case Pass::kEmpty:
        break;
    }
    if (depth == 0) {
      close(dir);
      return rmdir(path) == 0 || errno == ENOENT;
    }
    int parent = openat(dir, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    if (parent < 0) return false;
    dir = parent;
    --depth;
  }
}

}  // namespace strata
