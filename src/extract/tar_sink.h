// Writes exported files as a tar stream (PAX format) to a file descriptor:
// `strata export IMAGE -` for piping into tar or docker import.
#pragma once

#include "extract/export_sink.h"

struct archive;

namespace strata {

class TarSink : public ExportSink {
 public:
  // Writes to |fd| (not closed). Throws Error when libarchive cannot start.
  explicit TarSink(int fd);
  ~TarSink() override;

  void Directory(const std::string& path, const FileMeta& meta) override;
  void File(const std::string& path, const FileMeta& meta, int64_t size,
            const ContentFiller& fill) override;
  void Symlink(const std::string& path, const std::string& target, const FileMeta& meta) override;
  void Hardlink(const std::string& path, const std::string& existing,
                const FileMeta& meta) override;
  void Fifo(const std::string& path, const FileMeta& meta) override;
  void Device(const std::string& path, bool block, uint32_t major, uint32_t minor,
              const FileMeta& meta) override;
  void Whiteout(const std::string& path, bool opaque) override;
  void Finish() override;
  int written() const override { return written_; }

 private:
  void Header(const std::string& path, unsigned int type, const FileMeta& meta, int64_t size,
              const std::string& link, bool hardlink, uint32_t major = 0, uint32_t minor = 0);

  struct archive* archive_;
  int written_ = 0;
};

}  // namespace strata
