// Byte streams: where a blob's bytes come from, one read at a time.
//
// Every stage of the layer pipeline (file range, digest, decompression) is a
// ByteReader wrapping the one below it, so a layer's bytes are read once and
// flow through hashing, decompression and tar parsing without a copy on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strata {

class ByteReader {
 public:
  virtual ~ByteReader() = default;

  // Reads up to |size| bytes into |buffer|. Returns 0 only at the end of the
  // stream. Throws Error when the bytes cannot be read (I/O error, truncated
  // or corrupt data). Not thread-safe: one reader belongs to one thread.
  virtual size_t Read(void* buffer, size_t size) = 0;
};

// Reads bytes already in memory; |data| must outlive the reader.
class ViewReader : public ByteReader {
 public:
  explicit ViewReader(std::string_view data) : data_(data) {}
  size_t Read(void* buffer, size_t size) override;

 private:
  std::string_view data_;
  size_t offset_ = 0;
};

// A reader over |data|, which it keeps.
std::unique_ptr<ByteReader> OpenString(std::string data);

// An open file shared by the readers of its parts. Reads use pread, so
// readers of different ranges may run on different threads at once.
class SharedFile {
 public:
  // Opens |path| for reading; throws Error naming the path on failure.
  explicit SharedFile(const std::string& path);

  // Takes ownership of the open descriptor |fd|; |name| names it in messages.
  SharedFile(int fd, std::string name);
  ~SharedFile();
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  int fd() const { return fd_; }

  // Reads up to |size| bytes at |offset|; returns the count, 0 at the end.
  size_t ReadAt(int64_t offset, void* buffer, size_t size) const;

 private:
  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
};

// Reads |length| bytes of |file| starting at |offset|. |name| says what the
// range is in error messages ("blobs/sha256/ab12… in app.tar").
std::unique_ptr<ByteReader> OpenFileRange(std::shared_ptr<const SharedFile> file, int64_t offset,
                                          int64_t length, std::string name);

// Reads everything from |reader| into a string; throws Error when more than
// |limit| bytes arrive (|what| names the data in that message).
std::string ReadAll(ByteReader& reader, size_t limit, const std::string& what);

}  // namespace strata
