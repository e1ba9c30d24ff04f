#include "source/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "base/error.h"
#include "base/untrusted_json.h"

namespace strata {

std::string Store::Read(const std::string& name, size_t limit) const {
  auto reader = Open(name);
  return ReadAll(*reader, limit, Describe(name));
}

std::string ReadMetadata(const Store& store, const std::string& name) {
  return store.Read(name, CurrentJsonLimits().max_bytes);
}

std::string Store::Absence(const std::string&) const { return "is missing"; }

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

class DirectoryStore : public Store {
 public:
  explicit DirectoryStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const override { return path_; }
  bool is_archive() const override { return false; }

  bool Has(const std::string& name) const override {
    std::error_code error;
    return fs::is_regular_file(Resolve(name), error);
  }

  std::string Absence(const std::string& name) const override {
    std::error_code error;
    fs::file_status status = fs::status(Resolve(name), error);
    if (!fs::exists(status)) return "is missing";
    return fs::is_directory(status) ? "is a directory, not a file" : "is not a regular file";
  }

  int64_t Size(const std::string& name) const override {
    std::error_code error;
    if (!Has(name)) Fail("{} {}", Describe(name), Absence(name));
    auto size = fs::file_size(Resolve(name), error);
    if (error) Fail("{} is missing", Describe(name));
    return static_cast<int64_t>(size);
  }

  std::unique_ptr<ByteReader> Open(const std::string& name) const override {
    if (!Has(name)) Fail("{} {}", Describe(name), Absence(name));
    auto file = std::make_shared<const SharedFile>(Resolve(name));
    int64_t size = file->size();
    return OpenFileRange(std::move(file), 0, size, Describe(name));
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

  std::string path_;
};

struct Member {
  int64_t offset = 0;
  int64_t size = 0;
  std::string link;  // Target member of a symbolic or hard link.
  bool regular = true;
  bool directory = false;
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
    const Member* member = Find(name, true);
    if (member == nullptr) return "is missing";
    return member->directory ? "is a directory, not a file" : "is not a regular file";
  }

  int64_t Size(const std::string& name) const override {
    const Member* member = Find(name);
    if (member == nullptr) Fail("{} {}", Describe(name), Absence(name));
    return member->size;
  }

  std::unique_ptr<ByteReader> Open(const std::string& name) const override {
    const Member* member = Find(name);
    if (member == nullptr) Fail("{} {}", Describe(name), Absence(name));
    if (member->offset + member->size > file_->size())
      Fail("{} is truncated: the archive ends inside it", Describe(name));
    return OpenFileRange(file_, member->offset, member->size, Describe(name));
  }

  std::vector<std::string> List() const override { return order_; }

 private:
  // Follows links between members (docker writes a repeated layer as a
  // symlink to the first copy), at most a few hops, never a loop. Only a
  // regular file is found, unless |any_kind|.
  const Member* Find(const std::string& name, bool any_kind = false) const {
    std::string current = CleanMemberName(name);
    for (int hop = 0; hop < 8; ++hop) {
      auto it = members_.find(current);
      if (it == members_.end()) return nullptr;
      if (it->second.link.empty()) return it->second.regular || any_kind ? &it->second : nullptr;
      current = it->second.link;
    }
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
std::string ResolveMemberLink(const std::string& member, const std::string& target) {
  fs::path base = fs::path(member).parent_path();
  fs::path joined = target.starts_with("/") ? fs::path(target) : base / target;
  return CleanMemberName(joined.lexically_normal().string());
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
      member.link = CleanMemberName(hardlink);
    } else if (archive_entry_filetype(entry) == AE_IFLNK) {
      member.link = ResolveMemberLink(name, archive_entry_symlink(entry));
    } else {
      member.regular = archive_entry_filetype(entry) == AE_IFREG;
      member.directory = archive_entry_filetype(entry) == AE_IFDIR;
    }
    if (member.regular && member.link.empty()) order.push_back(name);
    members[name] = member;
    last = name;
  }

  return std::make_unique<TarStore>(shown, file, std::move(members), std::move(order));
}

}  // namespace strata
