#include "tui/file_saver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/output_file.h"
#include "base/units.h"
#include "extract/image_files.h"
#include "layer/layer_entry.h"
#include "report/style.h"

namespace strata {

std::string SaveImageFile(const Analysis& analysis, const std::string& path, int layer,
                          const std::string& target, const ReadLimits& limits, bool secret) {
  if (target.empty()) Fail("no file name given");
  std::string file = target;
  // A symbolic link there is not followed, even to a directory (it is
  // then refused below as taken); "link/" names the directory it leads to.
  struct stat info;
  if (lstat(file.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    file += (file.back() == '/' ? "" : "/") + std::string(BaseName(path));

  // The bytes go to FILE.strata-XXXXXX beside it, renamed to FILE when
  // complete, so that a failed or stopped save (the screen chains strata's
  // stop handler in front of ncurses') leaves no half-written file. A
  // file or link already at FILE is refused, now and at the rename.
  if (lstat(file.c_str(), &info) == 0) Fail("cannot create {}: {}", file, strerror(EEXIST));
  std::string temp;
  int fd = CreateTempBeside(file, &temp);
  if (fd < 0) Fail("cannot create {}: {}", file, strerror(errno));
  RemovedOnStop removed_on_stop(temp);
  try {
    CatFile(
        analysis.source, path, layer,
        [fd, &file](const char* data, size_t size) {
          while (size > 0) {
            ssize_t wrote = write(fd, data, size);
            if (wrote < 0 && errno == EINTR) continue;
            if (wrote <= 0) Fail("cannot write {}: {}", file, strerror(errno));
            data += wrote;
            size -= static_cast<size_t>(wrote);
          }
        },
        limits, &analysis);
    // The temporary file has the mode a new file gets (0666 under the
    // umask); a saved file is no more than 0644, a secret no more than 0600.
    if (fstat(fd, &info) == 0) fchmod(fd, info.st_mode & (secret ? 0600 : 0644));
    int closed = close(fd);
    fd = -1;
    if (closed != 0) Fail("cannot write {}: {}", file, strerror(errno));
    if (RenameNoReplace(temp, file) != 0) Fail("cannot create {}: {}", file, strerror(errno));
  } catch (...) {
    if (fd >= 0) close(fd);
    unlink(temp.c_str());
    throw;
  }
  return file;
}

FileSaver::~FileSaver() {
  if (worker_.joinable()) worker_.join();
}

bool FileSaver::Start(const Analysis& analysis, const std::string& path, int layer,
                      const std::string& target, const ReadLimits& limits, bool secret,
                      std::function<std::string(std::string_view)> shown) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return false;
  if (worker_.joinable()) worker_.join();  // The last save, finished.
  running_ = true;
  worker_ = std::thread([this, &analysis, path, layer, target, limits, secret, shown] {
    std::string message;
    try {
      std::string file = SaveImageFile(analysis, path, layer, target, limits, secret);
      struct stat info;
      int64_t bytes = stat(file.c_str(), &info) == 0 ? info.st_size : 0;
      message = "saved /" + Printable(shown(path)) + " (layer " + std::to_string(layer + 1) +
                ", " + HumanBytes(bytes) +
                (secret ? ", mode 0600: a finding marks it secret" : "") + ") to " +
                Printable(shown(file));
    } catch (const Error& error) {
      // The error names the file, as typed or made from the image's name.
      message = "save failed: " + Printable(shown(error.what()));
    } catch (const std::exception& error) {
      message = std::string("save failed: ") + error.what();
    }
    std::lock_guard<std::mutex> done(mutex_);
    result_ = message;
    has_result_ = true;
    running_ = false;
  });
  return true;
}

bool FileSaver::busy() {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

bool FileSaver::TakeResult(std::string* message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!has_result_) return false;
  *message = result_;
  has_result_ = false;
  return true;
}

}  // namespace strata
