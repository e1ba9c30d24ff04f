#include "base/file_mode.h"

#include <sys/stat.h>

namespace strata {

mode_t NewFileMode() {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

mode_t ReplacingFileMode(const std::string& path) {
  struct stat existing;
  return stat(path.c_str(), &existing) == 0 ? existing.st_mode & 07777 : NewFileMode();
}

}  // namespace strata
