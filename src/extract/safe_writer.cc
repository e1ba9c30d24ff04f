#include "extract/safe_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/fd.h"
#include "base/open_beneath.h"
#include "report/style.h"

namespace strata {

namespace {

std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") Fail("/{}: refusing a path with \"..\"", path);
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  if (parts.empty()) Fail("refusing to write the root directory itself");
  return parts;
}

uint32_t ModeBits(const FileMeta& meta, const WriteOptions& options) {
  uint32_t mode = meta.mode & 07777;
  if (!options.keep_setuid) mode &= ~06000u;
  return mode;
}

// The target directory opened, or -1 when nothing is there yet.
int OpenTarget(const std::string& root) {
  if (root.empty()) Fail("the target directory's name is empty");
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) Fail("cannot open {}: {}", root, strerror(errno));
  // A link to nothing is not a target that does not exist: the new
  // directory renamed onto it would replace the link.
  struct stat info;
  if (fd < 0 && lstat(root.c_str(), &info) == 0)
    Fail("cannot open {}: a symbolic link to nothing", root);
  return fd;
}

}  // namespace

SafeWriter::SafeWriter(const std::string& root, WriteOptions options)
    : root_(root), target_fd_(OpenTarget(root)), options_(options), staged_(root, target_fd_) {}

int SafeWriter::Root() { return staged_.fd(); }

void SafeWriter::Prepare(const PlannedPaths& plan) {
  std::set<std::string> replaced;
  // What --overwrite would replace is said only once nothing worse is
  // found: a user told to pass it should not then hear of a directory in
  // the way, which no flag replaces.
  std::string needs_overwrite;
  plan([&](const std::string& path, bool directory) {
    CheckImageInside(path);
    CheckNameLengths(path);
    // A target made now holds nothing in the way.
    if (target_fd_ >= 0) CheckPlanned(path, directory, &replaced, &needs_overwrite);
  });
  if (!needs_overwrite.empty())
    Fail("{}/{} exists; pass --overwrite to replace it", root_, needs_overwrite);
}

// The image's own paths may reach the layout being read when the target
// holds it: /img.oci/index.json would replace the index read.
void SafeWriter::CheckImageInside(const std::string& path) const {
  const std::string& image = options_.image_inside;
  if (image.empty()) return;
  if (path == image || path.starts_with(image + "/"))
    Fail("refusing to write /{}: it is inside the image being read ({}/{})", path, root_, image);
}

// No filesystem holds a name longer than NAME_MAX bytes; a tar stream can.
// Said once, shortened: such a name is often a long run of one byte.
void SafeWriter::CheckNameLengths(const std::string& path) const {
  auto shown = [this](std::string_view text) {
    return options_.shown ? options_.shown(text) : std::string(text);
  };
  for (const std::string& name : Components(path)) {
    if (name.size() <= NAME_MAX) continue;
    std::string head = shown(name);
    // Cut at a character's start: a redaction's "…" stays whole.
    size_t cut = std::min<size_t>(head.size(), 40);
    while (cut > 0 && cut < head.size() && (static_cast<unsigned char>(head[cut]) & 0xc0) == 0x80)
      --cut;
    Fail(
        "cannot export /{}{}… (a name of {} bytes): a directory holds names of up to {} "
        "bytes; export as a tar stream (-) instead",
        Printable(shown(path.substr(0, path.find(name)))), Printable(head.substr(0, cut)),
        name.size(), NAME_MAX);
  }
}

// Mirrors what OpenParent and MakeRoom will find, reading only: lstat each
// parent (a missing one ends the check: all beneath it is new), then the
// path itself.
void SafeWriter::CheckPlanned(const std::string& path, bool directory,
                              std::set<std::string>* replaced, std::string* needs_overwrite) {
  std::vector<std::string> parts = Components(path);
  Fd parent(dup(target_fd_));
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : "/") + parts[i];
    struct stat info;
    if (replaced->count(walked) ||
        fstatat(parent.get(), parts[i].c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
      return;
    if (!S_ISDIR(info.st_mode))
      Fail("refusing to write /{}: /{} is not a directory (a symbolic link or a file)", path,
           walked);
    int next =
        openat(parent.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return;  // Writing will say why.
    parent = Fd(next);
  }
  struct stat info;
  if (fstatat(parent.get(), parts.back().c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (directory && S_ISDIR(info.st_mode)) return;
  if (S_ISDIR(info.st_mode)) FailDirectoryInTheWay(path);
  // Checked on as if --overwrite were given: what lies beneath the path
  // is then new.
  if (!options_.overwrite && needs_overwrite->empty()) *needs_overwrite = path;
  if (directory) replaced->insert(path);
}

// Asked first, so that nobody is told to pass --overwrite, which would
// not help: removing a directory would remove all it holds.
void SafeWriter::FailDirectoryInTheWay(const std::string& path) const {
  Fail(
      "{}/{} is a directory where the image has none; remove it first (not even --overwrite "
      "replaces a directory)",
      root_, path);
}

SafeWriter::~SafeWriter() {
  if (target_fd_ >= 0) close(target_fd_);
}

int SafeWriter::OpenParent(const std::string& path, std::string* name) {
  std::vector<std::string> parts = Components(path);
  *name = parts.back();

  // Most writes land in the directory the one before did, or beneath it
  // (a layer stores a directory's entries together): the walk starts
  // there, not at the root, or a tree thousands deep costs its depth in
  // system calls for every entry. A directory walked stays one: nothing
  // written after replaces a directory.
  size_t start = 0;
  int fd = -1;
  std::string walked;
  if (!opened_.empty() && opened_.size() < parts.size() &&
      std::equal(opened_.begin(), opened_.end(), parts.begin())) {
    start = opened_.size();
    fd = dup(opened_fd_.get());
    for (size_t i = 0; i < start; ++i) walked += (i == 0 ? "" : "/") + parts[i];
  } else {
    fd = dup(Root());
  }

  for (size_t i = start; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : "/") + parts[i];
    int next = openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(fd, parts[i].c_str(), 0700) != 0 && errno != EEXIST) {
        close(fd);
        Fail("cannot create {}/{}: {}", root_, walked, strerror(errno));
      }
      // A layer exported alone need not store its files' parents: they
      // get the modes the final filesystem gives such directories.
      FileMeta implied;
      implied.mode = 0755;
      implied.implied = true;
      NoteDirectory(walked, implied);
      next = openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      int error = errno;
      close(fd);
      if (error == ELOOP || error == ENOTDIR)
        Fail("refusing to write /{}: /{} is not a directory (a symbolic link or a file)", path,
             walked);
      Fail("cannot open {}/{}: {}", root_, walked, strerror(error));
    }
    close(fd);
    fd = next;
  }

  if (parts.size() > 1) {
    opened_.assign(parts.begin(), parts.end() - 1);
    opened_fd_ = Fd(dup(fd));
  }
  return fd;
}

void SafeWriter::MakeRoom(int parent, const std::string& name, const std::string& path,
                          bool for_directory) {
  struct stat info;
  if (fstatat(parent, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (for_directory && S_ISDIR(info.st_mode)) return;
  if (S_ISDIR(info.st_mode)) FailDirectoryInTheWay(path);
  if (!options_.overwrite) Fail("{}/{} exists; pass --overwrite to replace it", root_, path);
  if (unlinkat(parent, name.c_str(), 0) != 0)
    Fail("cannot replace {}/{}: {}", root_, path, strerror(errno));
}

void SafeWriter::ApplyOwner(int parent, const std::string& name, const FileMeta& meta,
                            bool symlink) {
  if (options_.same_owner) fchownat(parent, name.c_str(), meta.uid, meta.gid, AT_SYMLINK_NOFOLLOW);
  struct timespec times[2] = {{meta.mtime, 0}, {meta.mtime, 0}};
  utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  (void)symlink;
}

void SafeWriter::Directory(const std::string& path, const FileMeta& meta) {
  std::string name;
  Fd parent(OpenParent(path, &name));
  MakeRoom(parent.get(), name, path, true);
  if (mkdirat(parent.get(), name.c_str(), 0700) != 0 && errno != EEXIST)
    Fail("cannot create {}/{}: {}", root_, path, strerror(errno));
  NoteDirectory(path, meta);
  ++written_;
}

void SafeWriter::NoteDirectory(const std::string& path, const FileMeta& meta) {
  // The image says nothing of an implied directory's mode or time: one
  // the target holds keeps its own.
  if (meta.implied && target_fd_ >= 0 && InTarget(path)) return;

  // A path noted again (a layer storing a directory twice, or after a
  // file beneath it implied it) takes the later entry's metadata, as tar
  // leaves it; an implied one never replaces a stored one's.
  auto [noted, added] = directory_index_.try_emplace(path, directories_.size());
  if (added) {
    directories_.push_back({path, meta});
    return;
  }
  if (!meta.implied) directories_[noted->second].meta = meta;
}

bool SafeWriter::InTarget(const std::string& path) {
  // Beneath one the target lacks: lacking too, without a walk (implied
  // directories come parents first, at times thousands deep).
  if (!absent_in_target_.empty() && path.starts_with(absent_in_target_ + "/")) {
    absent_in_target_ = path;
    return false;
  }
  Fd dir(OpenDirectoryBeneath(target_fd_, path));
  if (dir.get() >= 0) return true;
  absent_in_target_ = path;
  return false;
}

void SafeWriter::File(const std::string& path, const FileMeta& meta, int64_t,
                      const ContentFiller& fill) {
  std::string name;
  Fd parent(OpenParent(path, &name));
  MakeRoom(parent.get(), name, path, false);
  Fd file(openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 0600));
  if (file.get() < 0) Fail("cannot create {}/{}: {}", root_, path, strerror(errno));

  fill([&](const char* data, size_t size) {
    while (size > 0) {
      ssize_t put = write(file.get(), data, size);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) Fail("cannot write {}/{}: {}", root_, path, strerror(errno));
      data += put;
      size -= static_cast<size_t>(put);
    }
  });

  if (options_.same_owner) fchown(file.get(), meta.uid, meta.gid);
  fchmod(file.get(), ModeBits(meta, options_));
  struct timespec times[2] = {{meta.mtime, 0}, {meta.mtime, 0}};
  futimens(file.get(), times);
  ++written_;
}

void SafeWriter::Symlink(const std::string& path, const std::string& target, const FileMeta& meta) {
  std::string name;
  Fd parent(OpenParent(path, &name));
  MakeRoom(parent.get(), name, path, false);
  if (symlinkat(target.c_str(), parent.get(), name.c_str()) != 0)
    Fail("cannot create the symbolic link {}/{}: {}", root_, path, strerror(errno));
  ApplyOwner(parent.get(), name, meta, true);
  ++written_;
}

void SafeWriter::Hardlink(const std::string& path, const std::string& existing, const FileMeta&) {
  std::string name, existing_name;
  Fd parent(OpenParent(path, &name));
  Fd existing_parent(OpenParent(existing, &existing_name));
  MakeRoom(parent.get(), name, path, false);
  // linkat without AT_SYMLINK_FOLLOW links the entry itself: a symlink at
  // |existing| is never followed out of the target.
  if (linkat(existing_parent.get(), existing_name.c_str(), parent.get(), name.c_str(), 0) != 0)
    Fail("cannot link {}/{} to /{}: {}", root_, path, existing, strerror(errno));
  ++written_;
}

void SafeWriter::Fifo(const std::string& path, const FileMeta& meta) {
  std::string name;
  Fd parent(OpenParent(path, &name));
  MakeRoom(parent.get(), name, path, false);
  if (mkfifoat(parent.get(), name.c_str(), ModeBits(meta, options_)) != 0)
    Fail("cannot create the FIFO {}/{}: {}", root_, path, strerror(errno));
  fchmodat(parent.get(), name.c_str(), ModeBits(meta, options_), 0);
  ApplyOwner(parent.get(), name, meta, false);
  ++written_;
}

bool SafeWriter::Device(const std::string& path, bool, uint32_t, uint32_t, const FileMeta&) {
  Note("/" + path + " (device node, not created)");
  return false;
}

void SafeWriter::Finish() {
  // A new target gets its modes while it still has its temporary name; an
  // existing one once the entries are moved in, which needs them writable.
  if (target_fd_ < 0) ApplyDirectoryModes(Root());
  staged_.Publish(options_.overwrite);
  if (target_fd_ >= 0) ApplyDirectoryModes(target_fd_);
  directories_.clear();
  directory_index_.clear();
  opened_.clear();
  opened_fd_ = Fd();
}

// Deepest first, so a parent's time is set after its children change it.
void SafeWriter::ApplyDirectoryModes(int base) {
  for (auto it = directories_.rbegin(); it != directories_.rend(); ++it) {
    Fd dir(OpenDirectoryBeneath(base, it->path));
    if (dir.get() < 0) continue;
    if (options_.same_owner) fchown(dir.get(), it->meta.uid, it->meta.gid);
    fchmod(dir.get(), ModeBits(it->meta, options_));
    struct timespec times[2] = {{it->meta.mtime, 0}, {it->meta.mtime, 0}};
    futimens(dir.get(), times);
  }
}

}  // namespace strata
