#include "layer/layer_entry.h"

namespace strata {

static_assert(sizeof(LayerEntry) == 64, "an entry per stored path: keep it small");

const char* EntryKindNoun(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile:
      return "a regular file";
    case EntryKind::kDirectory:
      return "a directory";
    case EntryKind::kSymlink:
      return "a symbolic link";
    case EntryKind::kHardlink:
      return "a hard link";
    case EntryKind::kCharDevice:
      return "a character device";
    case EntryKind::kBlockDevice:
      return "a block device";
    case EntryKind::kFifo:
      return "a FIFO";
    case EntryKind::kSocket:
      return "a socket";
    case EntryKind::kWhiteout:
      return "a whiteout";
    case EntryKind::kOpaque:
      return "an opaque marker";
  }
  return "an entry of an unknown kind";
}

const char* EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile:
      return "file";
    case EntryKind::kDirectory:
      return "dir";
    case EntryKind::kSymlink:
      return "symlink";
    case EntryKind::kHardlink:
      return "hardlink";
    case EntryKind::kCharDevice:
      return "char";
    case EntryKind::kBlockDevice:
      return "block";
    case EntryKind::kFifo:
      return "fifo";
    case EntryKind::kSocket:
      return "socket";
    case EntryKind::kWhiteout:
      return "whiteout";
    case EntryKind::kOpaque:
      return "opaque";
  }
  return "?";
}

char EntryKindLetter(EntryKind kind) {
  switch (kind) {
    case EntryKind::kDirectory:
      return 'd';
    case EntryKind::kSymlink:
      return 'l';
    case EntryKind::kHardlink:
      return 'h';
    case EntryKind::kCharDevice:
      return 'c';
    case EntryKind::kBlockDevice:
      return 'b';
    case EntryKind::kFifo:
      return 'p';
    case EntryKind::kSocket:
      return 's';
    default:
      return '-';
  }
}

std::string CleanLayerPath(std::string_view name, bool* escaped) {
  *escaped = !name.empty() && name.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    start = end + 1;

    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        *escaped = true;
      } else {
        parts.pop_back();
      }
      continue;
    }
    parts.push_back(part);
  }

  std::string clean;
  for (std::string_view part : parts) {
    if (!clean.empty()) clean += '/';
    clean += part;
  }
  return clean;
}

std::optional<std::string> ResolveLink(std::string_view link_path, std::string_view target) {
  if (target.empty()) return std::nullopt;  // Not the link's directory: nowhere.
  bool escaped = false;
  if (target.starts_with("/")) return CleanLayerPath(target, &escaped);
  std::string_view dir = DirName(link_path);
  std::string joined =
      dir.empty() ? std::string(target) : std::string(dir) + "/" + std::string(target);
  return CleanLayerPath(joined, &escaped);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::optional<std::string_view> SelfWhiteoutTarget(std::string_view base, std::string_view dir) {
  if (base == ".wh." || base == ".wh..") return dir;
  if (base == ".wh...") return DirName(dir);
  return std::nullopt;
}

}  // namespace strata
