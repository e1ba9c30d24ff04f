#include "source/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "base/error.h"
#include "base/untrusted_json.h"
#include "source/image_source.h"

namespace strata {

std::string Store::Read(const std::string& name, size_t limit) const {
  auto reader = Open(name);
  return ReadAll(*reader, limit, Describe(name));
}

std::string ReadMetadata(const Store& store, const std::string& name) {
  return store.Read(name, CurrentJsonLimits().max_bytes);
}

std::string Store::Absence(const std::string&) const { return "is missing"; }

std::string Store::Identity(const std::string&) const { return ""; }

std::string Store::Describe(const std::string& name) const {
  return fmt::format("{} in {}", name, path());
}

namespace {

namespace fs = std::filesystem;

// Cleans an archive member name: no "./" prefix, no trailing "/".
std::string CleanMemberName(std::string name) {
  while (name.starts_with("./")) name.erase(0, 2);
  while (name.starts_with("/")) name.erase(0, 1);
  while (name.ends_with("/")) name.pop_back();
  return name;
}

// A file as statx(2) knows it: device, inode, size, and modification and
// birth times to the nanosecond; "" when it cannot be asked, and
// kNamelessBytes when the file has no name. The birth time tells a file
// made anew from the one verified even where the rest agree: a tar
// extracted again over the image reuses the inode number and restores the
// modification time. Nothing but making the inode sets it, and making a
// hard link leaves it, so a layout made by linking another's blobs is the
// same files. Where the file system keeps no birth time, the
// change time stands in; making a hard link changes that, so there a
// linked blob is hashed again once.
std::string FileIdentity(int directory, const char* path, int flags) {
  struct statx info;
  if (statx(directory, path, flags | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME,
            &info) != 0)
    return "";
  // A file with no name (standard input, an Engine's export, spooled) is
  // new bytes on every run: nothing a later run could find again.
  if (info.stx_nlink == 0) return kNamelessBytes;
  bool born = (info.stx_mask & STATX_BTIME) != 0 && info.stx_btime.tv_sec != 0;
  const struct statx_timestamp& made = born ? info.stx_btime : info.stx_ctime;
  return fmt::format("{}:{}:{}:{}:{}.{:09}:{}{}.{:09}", info.stx_dev_major, info.stx_dev_minor,
                     info.stx_ino, info.stx_size, info.stx_mtime.tv_sec, info.stx_mtime.tv_nsec,
                     born ? "b" : "c", made.tv_sec, made.tv_nsec);
}

class DirectoryStore : public Store {
 public:
  explicit DirectoryStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const override { return path_; }
  bool is_archive() const override { return false; }

  bool Has(const std::string& name) const override {
    std::error_code error;
    Located located = Locate(name);
    return located.inside && fs::is_regular_file(located.path, error);
  }

  std::string Absence(const std::string& name) const override {
    Located located = Locate(name);
    if (!located.inside) return located.why;
    std::error_code error;
    fs::file_status status = fs::status(located.path, error);
    if (!fs::exists(status)) return "is missing";
    return fs::is_directory(status) ? "is a directory, not a file" : "is not a regular file";
  }

  int64_t Size(const std::string& name) const override {
    std::error_code error;
    if (!Has(name)) Fail("{} {}", Describe(name), Absence(name));
    auto size = fs::file_size(Locate(name).path, error);
    if (error) Fail("{} is missing", Describe(name));
    return static_cast<int64_t>(size);
  }

  std::unique_ptr<ByteReader> Open(const std::string& name) const override {
    if (!Has(name)) Fail("{} {}", Describe(name), Absence(name));
    // The path with its links resolved, as checked: a link swapped in
    // between the check and the open is not followed.
    // TODO: a directory on the way could still be swapped for a link in
    // that moment; openat2(RESOLVE_BENEATH) would close that window.
    auto file = std::make_shared<const SharedFile>(Locate(name).path);
    int64_t size = file->size();
    return OpenFileRange(std::move(file), 0, size, Describe(name));
  }

  std::string Identity(const std::string& name) const override {
    if (!Has(name)) return "";
    return FileIdentity(AT_FDCWD, Locate(name).path.c_str(), 0);
  }

  std::vector<std::string> List() const override {
    std::vector<std::string> names;
    std::error_code error;
    // Only the top level: this is for messages, and a directory that is
    // not an image may be a whole filesystem.
    for (auto it = fs::directory_iterator(path_, error);
         !error && it != fs::directory_iterator() && names.size() < 100; it.increment(error))
      names.push_back(it->path().filename().string() + (it->is_directory(error) ? "/" : ""));
    return names;
  }

 private:
  // Member names come from untrusted manifests: refuse any that would leave
  // the directory.
  std::string Resolve(const std::string& name) const {
    fs::path relative = fs::path(name).lexically_normal();
    if (relative.is_absolute() || relative.empty() || *relative.begin() == "..")
      Fail("{} points outside the image directory", Describe(name));
    return (fs::path(path_) / relative).string();
  }

  // Where |name| leads once its symbolic links are resolved. A link may
  // lead elsewhere in the directory (a blob stored once for two names),
  // never out of it: an image must not make strata read /etc/passwd.
  struct Located {
    std::string path;  // With links resolved; where it would be when missing.
    bool inside = true;
    std::string why;  // When not inside: what Absence says.
  };
  Located Locate(const std::string& name) const {
    std::string joined = Resolve(name);
    std::error_code error;
    fs::path root = fs::canonical(path_, error);
    fs::path resolved = fs::canonical(joined, error);
    if (error) {
      // Missing, or a link that leads nowhere or in a loop.
      std::error_code link_error;
      fs::path target = fs::read_symlink(joined, link_error);
      if (link_error) return {joined, true, ""};
      fs::path beside = fs::path(joined).parent_path() / target;
      bool leaves = target.is_absolute() ||
                    !IsBeneath(beside.lexically_normal(), fs::path(path_).lexically_normal());
      return {joined, false,
              fmt::format(
                  "is a symbolic link to {}, {}", target.string(),
                  leaves ? "outside the image directory, not a file" : "which leads to no file")};
    }
    if (IsBeneath(resolved, root)) return {resolved.string(), true, ""};
    std::error_code link_error;
    fs::path target = fs::read_symlink(joined, link_error);
    if (link_error)
      return {joined, false,
              fmt::format("leads through a symbolic link to {}, outside the image directory",
                          resolved.string())};
    return {joined, false,
            fmt::format("is a symbolic link to {}, outside the image directory, not a file",
                        target.string())};
  }

  static bool IsBeneath(const fs::path& path, const fs::path& root) {
    std::string rest = path.lexically_relative(root).string();
    return !rest.empty() && rest != "." && !rest.starts_with("..");
  }

  std::string path_;
};

struct Member {
  int64_t offset = 0;
  int64_t size = 0;
  std::string link;    // Target member of a symbolic or hard link.
  std::string target;  // The link's target as stored, for messages.
  bool symlink = false;
  bool outside = false;  // The link leads out of the archive: never followed.
  bool regular = true;
  bool directory = false;
  int copies = 1;  // How many members have this name (tar keeps them all).
};

class TarStore : public Store {
 public:
  TarStore(std::string path, std::shared_ptr<const SharedFile> file,
           std::map<std::string, Member> members, std::vector<std::string> order)
      : path_(std::move(path)),
        file_(std::move(file)),
        members_(std::move(members)),
        order_(std::move(order)) {}

  const std::string& path() const override { return path_; }
  bool is_archive() const override { return true; }

  bool Has(const std::string& name) const override { return Find(name) != nullptr; }

  std::string Absence(const std::string& name) const override {
    std::string why;
    const Member* member = Find(name, true, &why);
    if (member == nullptr) return why;
    return member->directory ? "is a directory, not a file" : "is not a regular file";
  }

  int64_t Size(const std::string& name) const override { return Found(name)->size; }

  std::unique_ptr<ByteReader> Open(const std::string& name) const override {
    const Member* member = Found(name);
    if (member->offset + member->size > file_->size())
      Fail("{} is truncated: the archive ends inside it", Describe(name));
    return OpenFileRange(file_, member->offset, member->size, Describe(name));
  }

  std::string Identity(const std::string& name) const override {
    const Member* member = Find(name);
    if (member == nullptr) return "";
    std::string file = FileIdentity(file_->fd(), "", AT_EMPTY_PATH);
    if (file.empty() || file == kNamelessBytes) return file;
    return fmt::format("{}@{}+{}", file, member->offset, member->size);
  }

  std::vector<std::string> List() const override { return order_; }

 private:
  // The regular file |name| leads to; throws Error saying why there is
  // none, or that the archive holds two members of that name (which one a
  // reader takes depends on the reader: tar takes the last, strata neither).
  // A blob named by its digest may be stored twice (a tool writing each
  // layer of an image that repeats one): the copy read is checked against
  // that digest, so no other copy could be meant.
  const Member* Found(const std::string& name) const {
    const Member* member = Find(name);
    if (member == nullptr) Fail("{} {}", Describe(name), Absence(name));
    if (member->copies > 1 && !CleanMemberName(name).starts_with("blobs/sha256/"))
      Fail("{} holds {} {}; strata cannot tell which copy is meant", path_, name,
           member->copies == 2 ? "twice" : fmt::format("{} times", member->copies));
    return member;
  }

  // Follows links between members (docker writes a repeated layer as a
  // symlink to the first copy), at most a few hops, never a loop, never
  // out of the archive. Only a regular file is found, unless |any_kind|.
  // |why|: when none is found, what Absence says.
  const Member* Find(const std::string& name, bool any_kind = false,
                     std::string* why = nullptr) const {
    std::string current = CleanMemberName(name);
    std::string said = "is missing";
    for (int hop = 0; hop < 8; ++hop) {
      auto it = members_.find(current);
      if (it == members_.end()) {
        if (why != nullptr) *why = said;
        return nullptr;
      }
      const Member& member = it->second;
      if (member.link.empty()) return member.regular || any_kind ? &member : nullptr;
      const char* kind = member.symlink ? "a symbolic link" : "a hard link";
      if (member.outside) {
        if (why != nullptr)
          *why = fmt::format("is {} to {}, outside the archive, not a file", kind, member.target);
        return nullptr;
      }
      if (hop == 0)
        said = fmt::format("is {} to {}, which the archive does not hold", kind, member.target);
      current = member.link;
    }
    if (why != nullptr) *why = "is a link in a loop (or a chain of more than 8), not a file";
    return nullptr;
  }

  std::string path_;
  std::shared_ptr<const SharedFile> file_;
  std::map<std::string, Member> members_;
  std::vector<std::string> order_;
};

// libarchive's message for the last failure; it may have none, and fmt
// refuses a null pointer.
const char* ArchiveError(struct archive* archive) {
  const char* message = archive_error_string(archive);
  return message != nullptr ? message : "unrecognized data";
}

// Resolves a symlink target written relative to |member|'s directory.
// Sets |outside| when it leads out of the archive: an absolute target
// names the reader's own filesystem, "../" past the top leaves it.
std::string ResolveMemberLink(const std::string& member, const std::string& target, bool* outside) {
  fs::path joined = (fs::path(member).parent_path() / target).lexically_normal();
  *outside = target.starts_with("/") || (!joined.empty() && *joined.begin() == "..");
  return CleanMemberName(joined.string());
}

}  // namespace

std::unique_ptr<Store> OpenDirectoryStore(const std::string& path) {
  return std::make_unique<DirectoryStore>(path);
}

std::unique_ptr<Store> OpenTarStore(const std::string& path, const std::string& display) {
  auto file = std::make_shared<SharedFile>(path);
  if (!display.empty()) return OpenTarStore(std::make_shared<SharedFile>(dup(file->fd()), display));
  return OpenTarStore(file);
}

std::unique_ptr<Store> OpenTarStore(std::shared_ptr<const SharedFile> file) {
  const std::string& shown = file->path();
  struct archive* archive = archive_read_new();
  archive_read_support_format_tar(archive);
  std::unique_ptr<struct archive, int (*)(struct archive*)> closer(archive, archive_read_free);
  // Read through a descriptor of our own, from the start: the shared one
  // keeps serving pread() to the layer readers.
  int fd = dup(file->fd());
  if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) Fail("cannot read {}", shown);
  std::unique_ptr<int, void (*)(int*)> fd_closer(&fd, [](int* f) { close(*f); });
  // 64 KiB blocks: the header scan seeks over contents, so larger reads
  // would only read data that is skipped.
  // libarchive reads the first block to recognise the format at open, so a
  // failure here is bytes that are not tar, as it is at the first header.
  if (archive_read_open_fd(archive, fd, 65536) != ARCHIVE_OK)
    Fail("{} is not a tar archive: {}", shown, ArchiveError(archive));

  std::map<std::string, Member> members;
  std::vector<std::string> order;
  std::string last;  // The member read before the current header.
  struct archive_entry* entry;
  while (true) {
    int status = archive_read_next_header(archive, &entry);
    if (status == ARCHIVE_EOF) break;
    // ARCHIVE_RETRY is a header libarchive could not use (a bad checksum):
    // for an image that is corruption, not something to skip silently.
    if (status < ARCHIVE_WARN || status == ARCHIVE_RETRY) {
      if (members.empty()) Fail("{} is not a tar archive: {}", shown, ArchiveError(archive));
      // Name the member the file ends in, rather than libarchive's buffer
      // arithmetic ("needed 10240 bytes, only 600 available").
      const Member& previous = members[last];
      if (previous.offset + previous.size > file->size())
        Fail("{} is truncated: the archive ends inside {}", shown, last);
      // Cut between two members, or inside the next one's header.
      if (std::string_view(ArchiveError(archive)).starts_with("Truncated"))
        Fail("{} is truncated: the archive ends after {}", shown, last);
      Fail("{} is corrupt after {}: {}", shown, last, ArchiveError(archive));
    }

    // The data begins where the header ends: the bytes libarchive's format
    // layer has consumed so far.
    Member member;
    member.offset = archive_filter_bytes(archive, 0);
    member.size = archive_entry_size(entry);
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = CleanMemberName(raw_name ? raw_name : "");
    if (const char* hardlink = archive_entry_hardlink(entry)) {
      // A hard link names another member, from the top of the archive.
      member.target = hardlink;
      member.link = CleanMemberName(fs::path(hardlink).lexically_normal().string());
      member.outside = member.link.starts_with("../") || member.link == "..";
    } else if (archive_entry_filetype(entry) == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      member.target = target != nullptr ? target : "";
      member.symlink = true;
      member.link = ResolveMemberLink(name, member.target, &member.outside);
    } else {
      member.regular = archive_entry_filetype(entry) == AE_IFREG;
      member.directory = archive_entry_filetype(entry) == AE_IFDIR;
    }
    // A directory may be stored twice harmlessly; a file or link may not
    // (see TarStore::Found).
    auto earlier = members.find(name);
    if (earlier != members.end() && !member.directory && !earlier->second.directory)
      member.copies = earlier->second.copies + 1;
    if (member.regular && member.link.empty() && earlier == members.end()) order.push_back(name);
    members[name] = member;
    last = name;
  }

  return std::make_unique<TarStore>(shown, file, std::move(members), std::move(order));
}

}  // namespace strata
