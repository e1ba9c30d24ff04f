// Writes files under one directory and never outside it, whatever the
// image says: every path is walked component by component with
// openat(O_NOFOLLOW), so a symlink in the image (or already in the target)
// cannot redirect a write; device nodes are never created; setuid and
// setgid bits are dropped unless asked; nothing is overwritten unless asked.
// All or nothing: the files are written into a temporary directory and
// reach the target only in Finish (StagedTarget), so a writer destroyed
// before Finish returns, or a stop signal, leaves the target as it was.
// Used by export, and by every command that writes image files to disk.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/fd.h"
#include "extract/export_sink.h"
#include "extract/staged_target.h"

namespace strata {

struct WriteOptions {
  // Replace a file, link or FIFO in the way (by a directory too, when one
  // is written there); never a directory.
  bool overwrite = false;
  bool keep_setuid = false;  // Keep setuid/setgid bits.
  bool same_owner = false;   // chown to the image's uid/gid (needs root).
  // Where the image being read lies beneath the target (a path relative to
  // it), or "": Prepare refuses to write anything there.
  std::string image_inside;
  // A name as messages may show it (one that spells a token redacted);
  // null shows names as they are. A message that shortens a name
  // shortens what this returns, so no cut leaves a token's head behind.
  std::function<std::string(std::string_view)> shown;
};

class SafeWriter : public ExportSink {
 public:
  // Writes into the directory |root|, opened now when it exists, else
  // created (with its missing parents) by Finish. Throws Error when |root|
  // is empty or cannot be opened.
  SafeWriter(const std::string& root, WriteOptions options);
  ~SafeWriter() override;
  SafeWriter(const SafeWriter&) = delete;
  SafeWriter& operator=(const SafeWriter&) = delete;

  // Refuses (throws Error) any planned path that an existing link, file or
  // directory in the target would make writing refuse: a parent that is not
  // a directory (unless, with --overwrite, a planned directory replaces
  // it), a directory where a planned path is not one, and without
  // --overwrite anything else in the way. Nothing is created. A target that
  // does not exist yet is not looked at.
  void Prepare(const PlannedPaths& plan) override;

  // |path| is an image path without leading "/" (already cleaned). Each
  // call throws Error naming the path when it cannot be written safely.
  void Directory(const std::string& path, const FileMeta& meta) override;

  // |fill| is called with a writer that appends to the new file.
  void File(const std::string& path, const FileMeta& meta, int64_t size,
            const ContentFiller& fill) override;

  void Symlink(const std::string& path, const std::string& target, const FileMeta& meta) override;

  // A hard link at |path| to |existing|, a path written earlier.
  void Hardlink(const std::string& path, const std::string& existing,
                const FileMeta& meta) override;

  void Fifo(const std::string& path, const FileMeta& meta) override;

  // Devices are never created on disk; this notes them for the summary
  // and returns false.
  bool Device(const std::string& path, bool block, uint32_t major, uint32_t minor,
              const FileMeta& meta) override;

  // Applies directory modes and times (kept open until now, so a read-only
  // directory does not block writing into it) and moves what was written
  // into the target (StagedTarget::Publish). Call once at the end; throws
  // Error, the target left as it was, when the files cannot be moved in.
  void Finish() override;

  int written() const override { return written_; }
  const std::vector<std::string>& skipped() const override { return skipped_; }

 private:
  // Opens the directory holding |path|, creating missing ones; returns its
  // fd and sets |*name| to the last component.
  int OpenParent(const std::string& path, std::string* name);
  // Keeps |meta| to give the directory |path| in Finish.
  void NoteDirectory(const std::string& path, const FileMeta& meta);
  // Whether the target held the directory |path| before the export.
  bool InTarget(const std::string& path);
  // The directory written into: the temporary one, made on first use.
  int Root();
  // Sets the modes, owners and times of the directories written, beneath
  // |base|.
  void ApplyDirectoryModes(int base);
  // Prepare's check of one path; |replaced| holds the planned directories
  // that replace a link or file (--overwrite): nothing exists beneath them.
  // Sets |*needs_overwrite| to the first path only --overwrite would
  // replace, unless set.
  void CheckPlanned(const std::string& path, bool directory, std::set<std::string>* replaced,
                    std::string* needs_overwrite);
  // Refuses |path| when it is, or lies beneath, WriteOptions::image_inside.
  void CheckImageInside(const std::string& path) const;
  // Refuses |path| when one of its names is longer than NAME_MAX.
  void CheckNameLengths(const std::string& path) const;
  void MakeRoom(int parent, const std::string& name, const std::string& path, bool for_directory);
  [[noreturn]] void FailDirectoryInTheWay(const std::string& path) const;
  void ApplyOwner(int parent, const std::string& name, const FileMeta& meta, bool symlink);

  std::string root_;
  int target_fd_ = -1;  // The target when it existed before; else -1.
  WriteOptions options_;
  StagedTarget staged_;
  struct PendingDirectory {
    std::string path;
    FileMeta meta;
  };
  std::vector<PendingDirectory> directories_;
  std::unordered_map<std::string, size_t> directory_index_;  // Path → its place above.
  // The directory OpenParent opened last, by its components, and open.
  std::vector<std::string> opened_;
  Fd opened_fd_;
  // The last implied directory the target was found to lack.
  std::string absent_in_target_;
  int written_ = 0;
};

}  // namespace strata
