#include "tui/file_saver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/units.h"
#include "extract/image_files.h"
#include "layer/layer_entry.h"
#include "report/style.h"

namespace strata {

std::string SaveImageFile(const ImageSource& source, const std::string& path, int layer,
                          const std::string& target, const ReadLimits& limits) {
  if (target.empty()) Fail("no file name given");
  std::string file = target;
  struct stat info;
  if (stat(file.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    file += (file.back() == '/' ? "" : "/") + std::string(BaseName(path));

  // O_EXCL with O_CREAT also refuses a symbolic link at |file|.
  // TODO: keys and other secrets are saved 0644 like everything else;
  // files a finding marks as secret should be saved 0600.
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) Fail("cannot create {}: {}", file, strerror(errno));
  try {
    CatFile(
        source, path, layer,
        [fd, &file](const char* data, size_t size) {
          while (size > 0) {
            ssize_t wrote = write(fd, data, size);
            if (wrote < 0 && errno == EINTR) continue;
            if (wrote <= 0) Fail("cannot write {}: {}", file, strerror(errno));
            data += wrote;
            size -= static_cast<size_t>(wrote);
          }
        },
        limits);
  } catch (...) {
    close(fd);
    unlink(file.c_str());
    throw;
  }
  if (close(fd) != 0) {
    unlink(file.c_str());
    Fail("cannot write {}: {}", file, strerror(errno));
  }
  return file;
}

FileSaver::~FileSaver() {
  if (worker_.joinable()) worker_.join();
}

bool FileSaver::Start(const ImageSource& source, const std::string& path, int layer,
                      const std::string& target, const ReadLimits& limits) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return false;
  if (worker_.joinable()) worker_.join();  // The last save, finished.
  running_ = true;
  worker_ = std::thread([this, &source, path, layer, target, limits] {
    std::string message;
    try {
      std::string file = SaveImageFile(source, path, layer, target, limits);
      struct stat info;
      int64_t bytes = stat(file.c_str(), &info) == 0 ? info.st_size : 0;
      message = "saved /" + Printable(path) + " (layer " + std::to_string(layer + 1) + ", " +
                HumanBytes(bytes) + ") to " + Printable(file);
    } catch (const Error& error) {
      message = "save failed: " + Printable(error.what());
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
