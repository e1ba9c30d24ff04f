// Where exported files go: a directory (SafeWriter) or a tar stream
// (TarSink). The exporter walks layers and calls these in order: parents
// before children, hard links after their targets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata {

struct FileMeta {
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  // A directory no entry stores, made because a path beneath it needs it
  // (0755, root's, the epoch): a directory sink leaves one the target
  // already holds as it is.
  bool implied = false;
};

// Called with a writer; calls the writer with the file's bytes in order.
using ContentFiller = std::function<void(const std::function<void(const char*, size_t)>&)>;

// Calls its argument with every path an export will create (an image path
// without a leading "/") and whether it is a directory, parents first.
using PlannedPaths = std::function<void(const std::function<void(const std::string&, bool)>&)>;

class ExportSink {
 public:
  virtual ~ExportSink() = default;
  // Called once, before anything is written, with every path the export
  // will create: what the sink would refuse while writing because of what
  // is already there, it refuses here (throws Error), so that such a
  // refusal leaves nothing behind. The default accepts everything.
  virtual void Prepare(const PlannedPaths&) {}
  // Paths are image paths without a leading "/".
  virtual void Directory(const std::string& path, const FileMeta& meta) = 0;
  virtual void File(const std::string& path, const FileMeta& meta, int64_t size,
                    const ContentFiller& fill) = 0;
  virtual void Symlink(const std::string& path, const std::string& target,
                       const FileMeta& meta) = 0;
  virtual void Hardlink(const std::string& path, const std::string& existing,
                        const FileMeta& meta) = 0;
  virtual void Fifo(const std::string& path, const FileMeta& meta) = 0;
  // Returns whether the node is there now (a hard link to it may name
  // it), or only noted.
  virtual bool Device(const std::string& path, bool block, uint32_t major, uint32_t minor,
                      const FileMeta& meta) = 0;
  // Whiteouts, in a single layer's export; a directory sink only notes them.
  virtual void Whiteout(const std::string& path, bool opaque) {
    Note("/" + path + (opaque ? " (opaque marker)" : " (removed by this layer)"));
  }
  // Something not written, and why; listed after the export.
  void Note(const std::string& message) { skipped_.push_back(message); }
  virtual void Finish() = 0;
  virtual int written() const = 0;
  virtual const std::vector<std::string>& skipped() const { return skipped_; }

 protected:
  std::vector<std::string> skipped_;
};

}  // namespace strata
