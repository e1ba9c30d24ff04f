// Writes exported files as a tar stream (PAX format) to a file descriptor:
// `strata export IMAGE -` for piping into tar or docker import.
//
// A stream that fails half-way (a corrupt layer, a full disk) gets no end
// marker, so whatever reads it sees a truncated archive, not a complete
// one with files missing; and when the descriptor is a regular file the
// stream started at the end of (`> out.tar`, `>> all.tar`), the file is
// cut back to where it started. What went down a pipe cannot be taken
// back.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "extract/export_sink.h"

struct archive;

namespace strata {

class TarSink : public ExportSink {
 public:
  // Writes to |fd| (not closed). Throws Error when libarchive cannot start.
  explicit TarSink(int fd);
  // Unless Finish succeeded: ends the stream without its end marker, and
  // cuts a regular file back (see above).
  ~TarSink() override;

  void Directory(const std::string& path, const FileMeta& meta) override;
  void File(const std::string& path, const FileMeta& meta, int64_t size,
            const ContentFiller& fill) override;
  void Symlink(const std::string& path, const std::string& target, const FileMeta& meta) override;
  void Hardlink(const std::string& path, const std::string& existing,
                const FileMeta& meta) override;
  void Fifo(const std::string& path, const FileMeta& meta) override;
  bool Device(const std::string& path, bool block, uint32_t major, uint32_t minor,
              const FileMeta& meta) override;
  void Whiteout(const std::string& path, bool opaque) override;
  void Finish() override;
  int written() const override { return written_; }

 private:
  void Header(const std::string& path, unsigned int type, const FileMeta& meta, int64_t size,
              const std::string& link, bool hardlink, uint32_t major = 0, uint32_t minor = 0);

  static ssize_t WriteOut(struct archive* archive, void* client, const void* buffer,
                          size_t length);

  struct archive* archive_;
  int fd_;
  bool abandoned_ = false;  // Unfinished: WriteOut drops what is left.
  int64_t start_ = -1;  // Where a regular file is cut back to; -1: not one.
  bool finished_ = false;
  int written_ = 0;
};

}  // namespace strata
