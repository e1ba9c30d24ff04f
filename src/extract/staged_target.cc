#include "extract/staged_target.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "base/error.h"
#include "base/fd.h"
#include "base/open_beneath.h"
#include "base/remove_tree.h"
#include "base/stop_signals.h"

namespace strata {

namespace {

constexpr int kOpenDirectory = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Makes the directory PREFIX.strata-XXXXXX (DIR/.strata-XXXXXX for a
// |prefix| of "DIR/"), as mkdtemp does but with |mode| under the umask, so
// that a new target renamed into place has the mode mkdir gives it.
// Returns its name, or "" with errno set.
std::string MakeTempDirectory(const std::string& prefix, mode_t mode) {
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix + ".strata-";
    for (int i = 0; i < 6; ++i) name += kLetters[random() % (sizeof kLetters - 1)];
    if (mkdir(name.c_str(), mode) == 0) return name;
    if (errno != EEXIST) return "";
  }
  errno = EEXIST;
  return "";
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string NameOf(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The names in the directory |fd|, read whole before any is moved.
std::vector<std::string> Names(int fd) {
  std::vector<std::string> names;
  DIR* dir = fdopendir(dup(fd));
  if (dir == nullptr) Fail("cannot read the export's temporary directory: {}", strerror(errno));
  while (const struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  return names;
}

// renameat, refusing to replace anything at the destination where the
// filesystem can say so.
int RenameAt(int from_dir, const std::string& from, int to_dir, const std::string& to) {
  if (renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  return renameat(from_dir, from.c_str(), to_dir, to.c_str());
}

}  // namespace

StagedTarget::StagedTarget(std::string target, int target_fd)
    : target_(std::move(target)), target_fd_(target_fd >= 0 ? dup(target_fd) : -1) {}

StagedTarget::~StagedTarget() {
  if (tree_fd_ >= 0) close(tree_fd_);
  if (replaced_fd_ >= 0) close(replaced_fd_);
  if (!temp_.empty() && !published_ && !keep_temp_ && RemoveTree(temp_.c_str()) && target_fd_ >= 0)
    futimens(target_fd_, target_times_);  // Changed by making and removing temp_.
  if (target_fd_ >= 0) close(target_fd_);
}

int StagedTarget::fd() {
  if (tree_fd_ >= 0) return tree_fd_;
  if (target_fd_ >= 0)
    MakeInside();
  else
    MakeBeside();
  return tree_fd_;
}

// The topmost missing directory of the target gets the temporary name;
// the rest of the way down is made inside it.
void StagedTarget::MakeBeside() {
  namespace fs = std::filesystem;
  fs::path target = fs::path(target_).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "out/"
  fs::path top = target;
  for (fs::path parent = top.parent_path(); !parent.empty() && parent != top;
       parent = top.parent_path()) {
    struct stat info;
    if (lstat(parent.c_str(), &info) == 0) break;
    if (errno != ENOENT) Fail("cannot create {}: {}", target_, strerror(errno));
    top = parent;
  }
  if (top.filename() == "." || top.filename() == ".." || top.filename().empty())
    Fail("cannot create {}: {}", target_, strerror(ENOENT));

  temp_ = MakeTempDirectory(top.string(), 0777);
  if (temp_.empty()) Fail("cannot create {}: {}", target_, strerror(errno));
  removed_on_stop_ = std::make_unique<RemovedOnStop>(temp_, true);
  publish_as_ = top.string();

  tree_fd_ = open(temp_.c_str(), kOpenDirectory);
  for (const fs::path& name : target.lexically_relative(top)) {
    if (tree_fd_ < 0 || name == ".") break;
    if (mkdirat(tree_fd_, name.c_str(), 0777) != 0)
      Fail("cannot create {}: {}", target_, strerror(errno));
    int next = openat(tree_fd_, name.c_str(), kOpenDirectory);
    close(tree_fd_);
    tree_fd_ = next;
  }
  if (tree_fd_ < 0) Fail("cannot create {}: {}", target_, strerror(errno));
}

// Private (0700) until its entries are moved out, in a directory whose
// name the image can hardly hold (Merge refuses it if it does).
void StagedTarget::MakeInside() {
  struct stat info;
  if (fstat(target_fd_, &info) != 0) Fail("cannot write into {}: {}", target_, strerror(errno));
  target_times_[0] = info.st_atim;
  target_times_[1] = info.st_mtim;
  temp_ = MakeTempDirectory(target_ + "/", 0700);
  if (temp_.empty()) Fail("cannot write into {}: {}", target_, strerror(errno));
  removed_on_stop_ = std::make_unique<RemovedOnStop>(temp_, true);
  temp_name_ = NameOf(temp_);
  Fd temp(open(temp_.c_str(), kOpenDirectory));
  if (temp.get() < 0 || mkdirat(temp.get(), "tree", 0700) != 0 ||
      mkdirat(temp.get(), "replaced", 0700) != 0)
    Fail("cannot write into {}: {}", target_, strerror(errno));
  tree_fd_ = openat(temp.get(), "tree", kOpenDirectory);
  replaced_fd_ = openat(temp.get(), "replaced", kOpenDirectory);
  if (tree_fd_ < 0 || replaced_fd_ < 0) Fail("cannot write into {}: {}", target_, strerror(errno));
}

void StagedTarget::Publish(bool overwrite) {
  fd();  // An export of nothing still makes its (empty) target.
  if (target_fd_ < 0) {
    StopSignalsHeld held;
    if (RenameNoReplace(temp_, publish_as_) != 0) {
      int error = errno;
      if (error == EEXIST || error == ENOTEMPTY)
        Fail("cannot create {}: {} appeared while the export was written; it is left as it is",
             target_, publish_as_);
      Fail("cannot create {}: {}", target_, strerror(error));
    }
    published_ = true;
    removed_on_stop_.reset();
    return;
  }

  MergeOrUndo(overwrite);
  // What is left: the emptied tree, and what --overwrite replaced.
  published_ = true;
  close(tree_fd_);
  close(replaced_fd_);
  tree_fd_ = replaced_fd_ = -1;
  bool removed = RemoveTree(temp_.c_str());
  removed_on_stop_.reset();
  if (!removed)
    Fail("the export is in {}, but its temporary directory {} could not be removed", target_,
         temp_);
}

// The moves, and their undoing when one fails, are not cut short by a
// stop signal.
void StagedTarget::MergeOrUndo(bool overwrite) {
  StopSignalsHeld held;
  try {
    Merge(overwrite);
  } catch (const Error& error) {
    std::string left = Undo();
    if (left.empty()) throw;
    // What could not be put back may be the user's own file, set aside:
    // the temporary directory stays, and the message says where.
    keep_temp_ = true;
    removed_on_stop_.reset();
    throw Error(fmt::format("{}; {}; what is not back is in {}", error.what(), left, temp_));
  }
}

// Walks the directories that the tree and the target both hold, from the
// top; a path only the tree holds moves over in one rename.
void StagedTarget::Merge(bool overwrite) {
  std::vector<std::string> shared = {""};
  while (!shared.empty()) {
    std::string dir = std::move(shared.back());
    shared.pop_back();
    Fd tree(OpenDirectoryBeneath(tree_fd_, dir));
    Fd target(OpenDirectoryBeneath(target_fd_, dir));
    if (tree.get() < 0 || target.get() < 0)
      Fail("cannot write {}/{}: {}", target_, dir, strerror(errno));
    KeepTimes(target.get(), dir);
    for (const std::string& name : Names(tree.get()))
      MergeEntry(tree.get(), target.get(), name, dir.empty() ? name : dir + "/" + name, overwrite,
                 &shared);
  }
}

void StagedTarget::MergeEntry(int tree, int target, const std::string& name,
                              const std::string& path, bool overwrite,
                              std::vector<std::string>* shared) {
  if (path == temp_name_)
    Fail(
        "refusing to write /{}: strata's temporary directory in {} has that name; run the "
        "export again",
        path, target_);
  struct stat in_tree, in_target;
  if (fstatat(tree, name.c_str(), &in_tree, AT_SYMLINK_NOFOLLOW) != 0)
    Fail("cannot write {}/{}: {}", target_, path, strerror(errno));
  if (fstatat(target, name.c_str(), &in_target, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) Fail("cannot write {}/{}: {}", target_, path, strerror(errno));
    MoveIn(tree, target, name, path);
    return;
  }
  if (S_ISDIR(in_tree.st_mode) && S_ISDIR(in_target.st_mode)) {
    shared->push_back(path);
    return;
  }
  // SafeWriter::Prepare refused these already; they were made since.
  if (S_ISDIR(in_target.st_mode))
    Fail(
        "{}/{} is a directory where the image has none; remove it first (not even --overwrite "
        "replaces a directory)",
        target_, path);
  if (!overwrite) Fail("{}/{} exists; pass --overwrite to replace it", target_, path);
  SetAside(target, name, path);
  MoveIn(tree, target, name, path);
}

// TODO: a directory of the target that is another filesystem's mount
// point cannot be renamed into (EXDEV): the export fails there and is
// undone, where copying across (and removing the copy on undo) would do.
void StagedTarget::MoveIn(int tree, int target, const std::string& name, const std::string& path) {
  if (RenameAt(tree, name, target, name) != 0)
    Fail("cannot write {}/{}: {}", target_, path, strerror(errno));
  steps_.push_back({Step::kMovedIn, path, ""});
}

void StagedTarget::SetAside(int target, const std::string& name, const std::string& path) {
  std::string aside = std::to_string(steps_.size());
  if (RenameAt(target, name, replaced_fd_, aside) != 0)
    Fail("cannot replace {}/{}: {}", target_, path, strerror(errno));
  steps_.push_back({Step::kSetAside, path, aside});
}

// A directory's times change as entries move in; undoing puts them back.
void StagedTarget::KeepTimes(int target, const std::string& path) {
  struct stat info;
  if (fstat(target, &info) != 0) return;
  Step step{Step::kTimes, path, ""};
  step.times[0] = info.st_atim;
  step.times[1] = info.st_mtim;
  steps_.push_back(step);
}

std::string StagedTarget::Undo() {
  int failed = 0;
  std::string first;
  for (auto step = steps_.rbegin(); step != steps_.rend(); ++step) {
    std::string error = Undo(*step);
    if (error.empty()) continue;
    if (failed++ == 0) first = error;
  }
  steps_.clear();
  if (failed == 0) return "";
  return fmt::format("{} {} could not be put back (first: {})", failed,
                     failed == 1 ? "path" : "paths", first);
}

std::string StagedTarget::Undo(const Step& step) {
  Fd target(OpenDirectoryBeneath(target_fd_,
                                 step.kind == Step::kTimes ? step.path : ParentOf(step.path)));
  int result = -1;
  if (target.get() >= 0 && step.kind == Step::kTimes) {
    result = futimens(target.get(), step.times);
  } else if (target.get() >= 0 && step.kind == Step::kSetAside) {
    result = RenameAt(replaced_fd_, step.aside, target.get(), NameOf(step.path));
  } else if (target.get() >= 0) {
    Fd tree(OpenDirectoryBeneath(tree_fd_, ParentOf(step.path)));
    if (tree.get() >= 0)
      result = RenameAt(target.get(), NameOf(step.path), tree.get(), NameOf(step.path));
  }
  if (result == 0) return "";
  return fmt::format("{}/{}: {}", target_, step.path, strerror(errno));
}

}  // namespace strata
