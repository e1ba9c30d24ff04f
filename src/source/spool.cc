#include "source/spool.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/error.h"

namespace strata {

namespace {

std::string TempDirectory() {
  const char* dir = getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

// Creates the unlinked file and fills it with |read| until that returns 0.
template <typename ReadFn>
std::shared_ptr<const SharedFile> Spool(const std::string& name, ReadFn read) {
  std::string path = TempDirectory() + "/strata-stream-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) Fail("cannot create a temporary file for {} in {}: {}", name, path, strerror(errno));
  unlink(path.c_str());
  auto file = std::make_shared<SharedFile>(fd, name);

  char buffer[1 << 16];
  while (size_t got = read(buffer, sizeof buffer)) {
    for (size_t done = 0; done < got;) {
      ssize_t put = write(fd, buffer + done, got - done);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) Fail("cannot buffer {} in {}: {}", name, TempDirectory(), strerror(errno));
      done += put;
    }
  }
  return std::make_shared<SharedFile>(dup(fd), name);
}

}  // namespace

std::shared_ptr<const SharedFile> SpoolStream(int input, const std::string& name) {
  return Spool(name, [&](char* buffer, size_t size) -> size_t {
    while (true) {
      ssize_t got = read(input, buffer, size);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) Fail("cannot read {}: {}", name, strerror(errno));
      return got;
    }
  });
}

std::shared_ptr<const SharedFile> SpoolReader(ByteReader& input, const std::string& name) {
  return Spool(name, [&](char* buffer, size_t size) { return input.Read(buffer, size); });
}

}  // namespace strata
