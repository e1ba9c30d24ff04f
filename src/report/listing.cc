#include "report/listing.h"

#include <fmt/core.h>

#include "base/error.h"
#include "base/units.h"
#include "model/image_path.h"
#include "report/style.h"

namespace strata {

std::string ModeString(EntryKind kind, uint32_t mode) {
  std::string text(10, '-');
  text[0] = EntryKindLetter(kind) == 'h' ? '-' : EntryKindLetter(kind);
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (mode & (0400u >> i)) text[1 + i] = rwx[i];
  if (mode & 04000) text[3] = text[3] == 'x' ? 's' : 'S';
  if (mode & 02000) text[6] = text[6] == 'x' ? 's' : 'S';
  if (mode & 01000) text[9] = text[9] == 'x' ? 't' : 'T';
  return text;
}

namespace {

std::string Name(const std::map<uint32_t, std::string>& names, uint32_t id) {
  auto it = names.find(id);
  return it != names.end() ? it->second : std::to_string(id);
}

std::string Shown(std::string_view text, const LsOptions& options) {
  return Printable(options.shown ? options.shown(text) : std::string(text));
}

std::string Line(const FileNode* node, const std::string& name, const LsOptions& options,
                 const std::map<uint32_t, std::string>& users,
                 const std::map<uint32_t, std::string>& groups) {
  std::string shown = Shown(name, options);
  if (!options.long_format) return shown + "\n";
  // A time no four-digit year holds is shown in seconds, as GNU ls does;
  // a directory no entry stored has none.
  std::string when(16, ' ');
  if (node->entry != nullptr) {
    int64_t mtime = node->entry->mtime;
    std::string iso = mtime == 0 ? "1970-01-01T00:00:00Z" : IsoTime(mtime);
    when = iso.empty() ? fmt::format("{:>16}", mtime) : iso.substr(0, 10) + " " + iso.substr(11, 5);
  }
  // A symbolic link shows as Linux shows one, whatever mode its tar
  // header stored: 0777, and the length of its target (as find does).
  bool link = node->kind() == EntryKind::kSymlink;
  uint32_t mode = link ? 0777 : node->mode();
  const std::string& target = node->symlink_target();
  int64_t size = link ? static_cast<int64_t>(target.size()) : node->size();
  std::string line =
      fmt::format("{} {:>8} {:>8} {:>10} {} {}", ModeString(node->kind(), mode),
                  Name(users, node->uid()), Name(groups, node->gid()), size, when, shown);
  // An empty target (which no filesystem holds) shown as the shell writes an empty word.
  if (link) line += " -> " + (target.empty() ? "''" : Shown(target, options));
  return line + "\n";
}

// Lists |top| and, with -R, every directory beneath it, each after its
// parent's listing and before its parent's next sibling, as ls -R does.
// Iterative: a layer may nest directories deeper than the stack.
void ListDirectories(const FileNode* top, const std::string& top_path, const LsOptions& options,
                     const std::map<uint32_t, std::string>& users,
                     const std::map<uint32_t, std::string>& groups, std::string* out) {
  std::vector<std::pair<const FileNode*, std::string>> stack = {{top, top_path}};
  while (!stack.empty()) {
    auto [dir, path] = std::move(stack.back());
    stack.pop_back();
    if (dir != top) *out += "\n";
    if (options.recursive) *out += Shown(path.empty() ? "/" : "/" + path, options) + ":\n";

    std::vector<const FileNode*> children = dir->Children();
    for (const FileNode* child : children)
      if (options.all || !child->name().starts_with("."))
        *out += Line(child, std::string(child->name()), options, users, groups);

    if (!options.recursive) continue;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      std::string name((*it)->name());
      if (!(*it)->is_directory() || (!options.all && name.starts_with("."))) continue;
      stack.emplace_back(*it, path.empty() ? name : path + "/" + name);
    }
  }
}

// The node ls lists for |asked| (absolute), as ls(1) finds it on the
// unpacked image: links on the way are followed, and the last one too
// when the path ends in "/", or (as GNU ls does without -l) when it
// leads to a directory. Throws Error, in ls's words, when nothing is there.
const FileNode* ResolveArgument(const FileTree& tree, const std::string& asked,
                                const LsOptions& options) {
  const FileNode* node = ResolvePath(tree, asked, false);
  if (node != nullptr && node->kind() == EntryKind::kSymlink && !options.long_format) {
    // A dangling link is listed itself; a loop is an error (ELOOP), as in ls.
    const FileNode* target = ResolvePath(tree, asked, true);
    if (target != nullptr && target->is_directory()) node = target;
  }
  if (node != nullptr) return node;

  Landing landing = LandingOf(tree, asked, true);
  if (landing.outcome == Landing::kEmptyLink)
    Fail(
        "{}: no such file or directory in the image (/{} is a symbolic link with an empty "
        "target)",
        Printable(asked), Printable(landing.path));
  // The first name on the way that is not there, or not a directory, says which.
  for (size_t slash = asked.find('/', 1); slash != std::string::npos;
       slash = asked.find('/', slash + 1)) {
    const FileNode* parent = ResolvePath(tree, asked.substr(0, slash), true);
    if (parent == nullptr) break;
    if (!parent->is_directory()) Fail("{}: not a directory in the image", Printable(asked));
  }
  Fail("{}: no such file or directory in the image", Printable(asked));
}

}  // namespace

std::string LsText(const FileTree& tree, const std::string& raw_path, const LsOptions& options,
                   const std::map<uint32_t, std::string>& users,
                   const std::map<uint32_t, std::string>& groups) {
  std::string asked = raw_path.starts_with("/") ? raw_path : "/" + raw_path;
  const FileNode* node = ResolveArgument(tree, asked, options);
  bool escaped = false;
  std::string path = CleanLayerPath(raw_path, &escaped);  // As shown: the path asked for.
  std::string out;
  if (!node->is_directory()) return Line(node, "/" + path, options, users, groups);
  ListDirectories(node, path, options, users, groups, &out);
  return out;
}

}  // namespace strata
