#include "extract/tar_sink.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace strata {

// libarchive's output, through TarSink: to the file descriptor, or nowhere
// once the stream is abandoned, so that closing it (which frees
// libarchive's buffers) writes no end marker.
la_ssize_t TarSink::WriteOut(struct archive* archive, void* client, const void* buffer,
                             size_t length) {
  auto* sink = static_cast<TarSink*>(client);
  if (sink->abandoned_) return static_cast<la_ssize_t>(length);
  const char* bytes = static_cast<const char*>(buffer);
  size_t done = 0;
  while (done < length) {
    ssize_t wrote = write(sink->fd_, bytes + done, length - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      archive_set_error(archive, errno, "%s", strerror(errno));
      return -1;
    }
    done += static_cast<size_t>(wrote);
  }
  return static_cast<la_ssize_t>(length);
}

TarSink::TarSink(int fd) : archive_(archive_write_new()), fd_(fd) {
  // The stream starts at the file's end when every write lands there
  // (O_APPEND), or when the file is positioned there (`>` just truncated
  // it). Anywhere else it writes over bytes that cutting back would lose.
  struct stat info;
  if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    int flags = fcntl(fd, F_GETFL);
    if ((flags >= 0 && (flags & O_APPEND)) || lseek(fd, 0, SEEK_CUR) == info.st_size)
      start_ = info.st_size;
  }
  archive_write_set_format_pax_restricted(archive_);
  archive_write_set_bytes_in_last_block(archive_, 1);
  if (archive_write_open2(archive_, this, nullptr, &TarSink::WriteOut, nullptr, nullptr) !=
      ARCHIVE_OK)
    Fail("cannot start the tar stream: {}", archive_error_string(archive_));
}

TarSink::~TarSink() {
  // An unfinished stream ends without its end marker (a reader must not
  // take it for whole): closing it then writes nothing, and frees what
  // libarchive holds (archive_write_fail would skip that, and leak).
  if (!finished_) {
    abandoned_ = true;
    archive_write_close(archive_);
  }
  archive_write_free(archive_);
  if (!finished_ && start_ >= 0) (void)!ftruncate(fd_, start_);
}

void TarSink::Header(const std::string& path, unsigned int type, const FileMeta& meta, int64_t size,
                     const std::string& link, bool hardlink, uint32_t major, uint32_t minor) {
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, meta.mode & 07777);
  archive_entry_set_uid(entry, meta.uid);
  archive_entry_set_gid(entry, meta.gid);
  archive_entry_set_mtime(entry, meta.mtime, 0);
  archive_entry_set_size(entry, size);
  if (hardlink)
    archive_entry_set_hardlink(entry, link.c_str());
  else if (!link.empty())
    archive_entry_set_symlink(entry, link.c_str());
  if (type == AE_IFCHR || type == AE_IFBLK) {
    archive_entry_set_rdevmajor(entry, major);
    archive_entry_set_rdevminor(entry, minor);
  }
  int status = archive_write_header(archive_, entry);
  archive_entry_free(entry);
  if (status < ARCHIVE_WARN)
    Fail("cannot write /{} to the tar stream: {}", path, archive_error_string(archive_));
  ++written_;
}

void TarSink::Directory(const std::string& path, const FileMeta& meta) {
  Header(path + "/", AE_IFDIR, meta, 0, "", false);
}

void TarSink::File(const std::string& path, const FileMeta& meta, int64_t size,
                   const ContentFiller& fill) {
  Header(path, AE_IFREG, meta, size, "", false);
  int64_t left = size;
  fill([&](const char* data, size_t length) {
    if (static_cast<int64_t>(length) > left) length = static_cast<size_t>(left);
    if (length > 0 && archive_write_data(archive_, data, length) < 0)
      Fail("cannot write /{} to the tar stream: {}", path, archive_error_string(archive_));
    left -= static_cast<int64_t>(length);
  });
  if (left != 0) Fail("/{}: the layer held fewer bytes than its header promised", path);
}

void TarSink::Symlink(const std::string& path, const std::string& target, const FileMeta& meta) {
  Header(path, AE_IFLNK, meta, 0, target, false);
}

void TarSink::Hardlink(const std::string& path, const std::string& existing, const FileMeta& meta) {
  Header(path, AE_IFREG, meta, 0, existing, true);
}

void TarSink::Fifo(const std::string& path, const FileMeta& meta) {
  Header(path, AE_IFIFO, meta, 0, "", false);
}

bool TarSink::Device(const std::string& path, bool block, uint32_t major, uint32_t minor,
                     const FileMeta& meta) {
  // A tar stream only describes the node; creating it is up to its reader.
  Header(path, block ? AE_IFBLK : AE_IFCHR, meta, 0, "", false, major, minor);
  return true;
}

void TarSink::Whiteout(const std::string& path, bool opaque) {
  FileMeta meta;
  meta.mode = 0;  // As docker and buildkit write whiteouts.
  std::string dir = path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
  std::string name = path.substr(dir.size());
  if (opaque)
    Header(path.empty() ? ".wh..wh..opq" : path + "/.wh..wh..opq", AE_IFREG, meta, 0, "", false);
  else
    Header(dir + ".wh." + name, AE_IFREG, meta, 0, "", false);
}

void TarSink::Finish() {
  if (archive_write_close(archive_) != ARCHIVE_OK)
    Fail("cannot finish the tar stream: {}", archive_error_string(archive_));
  finished_ = true;
}

}  // namespace strata
