#include "blob/byte_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/units.h"

namespace strata {

size_t ViewReader::Read(void* buffer, size_t size) {
  size_t count = std::min(size, data_.size() - offset_);
  memcpy(buffer, data_.data() + offset_, count);
  offset_ += count;
  return count;
}

namespace {

class StringReader : public ByteReader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)), view_(data_) {}
  size_t Read(void* buffer, size_t size) override { return view_.Read(buffer, size); }

 private:
  std::string data_;
  ViewReader view_;  // Over data_, declared after it.
};

}  // namespace

std::unique_ptr<ByteReader> OpenString(std::string data) {
  return std::make_unique<StringReader>(std::move(data));
}

SharedFile::SharedFile(const std::string& path) : path_(path) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) Fail("cannot open {}: {}", path, strerror(errno));

  struct stat info;
  if (fstat(fd_, &info) != 0) Fail("cannot stat {}: {}", path, strerror(errno));
  size_ = info.st_size;
}

SharedFile::SharedFile(int fd, std::string name) : path_(std::move(name)), fd_(fd) {
  struct stat info;
  if (fstat(fd_, &info) != 0) Fail("cannot stat {}: {}", path_, strerror(errno));
  size_ = info.st_size;
}

SharedFile::~SharedFile() {
  if (fd_ >= 0) close(fd_);
}

size_t SharedFile::ReadAt(int64_t offset, void* buffer, size_t size) const {
  while (true) {
    ssize_t got = pread(fd_, buffer, size, offset);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) Fail("cannot read {}: {}", path_, strerror(errno));
  }
}

namespace {

class FileRangeReader : public ByteReader {
 public:
  FileRangeReader(std::shared_ptr<const SharedFile> file, int64_t offset, int64_t length,
                  std::string name)
      : file_(std::move(file)), offset_(offset), left_(length), name_(std::move(name)) {}

  size_t Read(void* buffer, size_t size) override {
    if (left_ <= 0) return 0;
    if (static_cast<int64_t>(size) > left_) size = static_cast<size_t>(left_);

    size_t got = file_->ReadAt(offset_, buffer, size);
    if (got == 0) Fail("{} is truncated: {} missing", name_, Count(left_, "byte"));

    offset_ += static_cast<int64_t>(got);
    left_ -= static_cast<int64_t>(got);
    return got;
  }

 private:
  std::shared_ptr<const SharedFile> file_;
  int64_t offset_;
  int64_t left_;
  std::string name_;
};

}  // namespace

std::unique_ptr<ByteReader> OpenFileRange(std::shared_ptr<const SharedFile> file, int64_t offset,
                                          int64_t length, std::string name) {
  return std::make_unique<FileRangeReader>(std::move(file), offset, length, std::move(name));
}

std::string ReadAll(ByteReader& reader, size_t limit, const std::string& what) {
  std::string data;
  char buffer[65536];
  while (size_t got = reader.Read(buffer, sizeof buffer)) {
    if (data.size() + got > limit)
      Fail("{} is larger than {} bytes; raise --max-json-bytes to read it", what, limit);
    data.append(buffer, got);
  }
  return data;
}

}  // namespace strata
