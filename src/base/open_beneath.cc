#include "base/open_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <string>

namespace strata {

namespace {

constexpr int kOpenDirectory = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Set once openat2 turns out to be missing (an older kernel, or a
// seccomp filter that refuses calls it does not know).
std::atomic<bool> no_openat2{false};

// |path| beneath |base| in one call, or -1 (errno ENOSYS when openat2
// cannot be used).
int OpenInOneCall(int base, const std::string& path) {
  if (no_openat2.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  struct open_how how = {};
  how.flags = kOpenDirectory;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, base, path.c_str(), &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    no_openat2 = true;
    errno = ENOSYS;
  }
  return static_cast<int>(fd);
}

// |path| beneath |base| a part at a time.
int OpenPartByPart(int base, std::string_view path) {
  int fd = dup(base);
  size_t start = 0;
  while (fd >= 0 && start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    int next = openat(fd, std::string(path.substr(start, end - start)).c_str(), kOpenDirectory);
    int error = errno;
    close(fd);
    errno = error;
    fd = next;
    start = end + 1;
  }
  return fd;
}

}  // namespace

int OpenDirectoryBeneath(int base, std::string_view path) {
  // A piece of the path short enough for one call, cut after a '/'.
  constexpr size_t kPiece = PATH_MAX - 1;
  int fd = dup(base);
  while (fd >= 0 && !path.empty()) {
    size_t size = path.size();
    if (size > kPiece) {
      size = path.rfind('/', kPiece);
      if (size == std::string_view::npos || size == 0) size = path.find('/');
      if (size == std::string_view::npos) size = path.size();
    }
    std::string_view piece = path.substr(0, size);
    path.remove_prefix(size < path.size() ? size + 1 : size);

    int next = OpenInOneCall(fd, std::string(piece));
    if (next < 0 && errno == ENOSYS) next = OpenPartByPart(fd, piece);
    int error = errno;
    close(fd);
    errno = error;
    fd = next;
  }
  return fd;
}

}  // namespace strata
