#include "source/spool.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "base/untrusted_json.h"

namespace strata {

namespace {

std::string TempDirectory() {
  const char* dir = getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

// Creates the unlinked file and fills it with |read| until that returns 0,
// or until more than |max_bytes| arrived.
template <typename ReadFn>
std::shared_ptr<const SharedFile> Spool(const std::string& name, int64_t max_bytes, ReadFn read) {
  std::string dir = TempDirectory();
  std::string path = dir + "/strata-stream-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0)
    Fail("cannot buffer {}: cannot create a file in {}: {}; set TMPDIR to a writable directory",
         name, dir, strerror(errno));
  unlink(path.c_str());
  // Closes (and so frees) the file however this ends.
  auto file = std::make_shared<SharedFile>(fd, name);

  char buffer[1 << 16];
  int64_t total = 0;
  while (size_t got = read(buffer, sizeof buffer)) {
    if (static_cast<int64_t>(got) > max_bytes - total)
      Fail(
          "{} is larger than {} bytes, the most an image within --max-image-bytes takes with "
          "its manifests and configs; raise --max-image-bytes to read it",
          name, max_bytes);
    total += static_cast<int64_t>(got);
    for (size_t done = 0; done < got;) {
      ssize_t put = write(fd, buffer + done, got - done);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0)
        Fail("cannot buffer {} in {}: {}; set TMPDIR to a directory with room for it", name, dir,
             strerror(errno));
      done += put;
    }
  }
  return std::make_shared<SharedFile>(dup(fd), name);
}

}  // namespace

// Why the layers' limit bounds the whole archive: a docker archive stores
// its layers as plain tars, so it is about as large as they are, and an
// OCI archive's layers are compressed, so smaller. Besides its layers an
// archive of one image holds manifest.json or index.json, up to four
// nested indexes, a manifest and a config: seven documents, each within
// the JSON limit (sixteen leave room for `repositories`, VERSION files and
// other images' small documents); and a tar header of 0.5 to 1.5 kB per
// member, which kStreamHeaderBytes covers for some 3,000 members
// (`docker save` writes four per layer). An archive of several images, or
// of every platform of one, counts whole: raise --max-image-bytes for it.
int64_t StreamLimit(int64_t max_image_bytes) {
  int64_t json = static_cast<int64_t>(CurrentJsonLimits().max_bytes);
  int64_t margin = 0, limit = 0;
  if (__builtin_mul_overflow(json, kStreamJsonDocuments, &margin) ||
      __builtin_add_overflow(margin, kStreamHeaderBytes, &margin) ||
      __builtin_add_overflow(max_image_bytes, margin, &limit))
    return INT64_MAX;
  return limit;
}

std::shared_ptr<const SharedFile> SpoolStream(int input, const std::string& name,
                                              int64_t max_bytes) {
  return Spool(name, max_bytes, [&](char* buffer, size_t size) -> size_t {
    while (true) {
      ssize_t got = read(input, buffer, size);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) Fail("cannot read {}: {}", name, strerror(errno));
      return got;
    }
  });
}

std::shared_ptr<const SharedFile> SpoolReader(ByteReader& input, const std::string& name,
                                              int64_t max_bytes) {
  return Spool(name, max_bytes,
               [&](char* buffer, size_t size) { return input.Read(buffer, size); });
}

}  // namespace strata
