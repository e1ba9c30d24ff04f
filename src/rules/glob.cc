#include "rules/glob.h"

namespace strata {

namespace {

// Matches one component against a pattern of literals, '*' and '?'.
bool MatchComponent(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view Head(std::string_view path, std::string_view* rest) {
  size_t slash = path.find('/');
  *rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  return path.substr(0, slash);
}

bool MatchPath(std::string_view glob, std::string_view path) {
  if (glob.empty()) return path.empty();
  std::string_view glob_rest;
  std::string_view part = Head(glob, &glob_rest);

  if (part == "**") {
    // Try every split: "**" takes zero, one, two, ... leading components.
    while (true) {
      if (MatchPath(glob_rest, path)) return true;
      if (path.empty()) return false;
      std::string_view path_rest;
      Head(path, &path_rest);
      if (path_rest.data() == nullptr || path_rest.empty()) return glob_rest.empty();
      path = path_rest;
    }
  }

  if (path.empty()) return false;
  std::string_view path_rest;
  std::string_view name = Head(path, &path_rest);
  return MatchComponent(part, name) && MatchPath(glob_rest, path_rest);
}

// Elsewhere a trailing "/" means "directories only" (gitignore, shell
// globs): "build/**/" is every directory beneath build. Matching paths
// alone, strata would read it as "build/**", files included, which is not
// what was written: it is refused, with the glob to write instead.
std::string TrailingSlashError(std::string_view part) {
  std::string_view bare = part;
  while (!bare.empty() && bare.back() == '/') bare.remove_suffix(1);
  std::string why = "it ends in \"/\" (strata's globs match files and directories alike): ";
  if (bare == "**" || bare.ends_with("/**")) return why + "write \"" + std::string(bare) + "\"";
  std::string path(bare);
  return why + "write \"" + path + "\" for " + path + " itself or \"" + path +
         "/**\" for what it holds";
}

}  // namespace

bool GlobMatch(std::string_view glob, std::string_view path) {
  while (true) {
    size_t bar = glob.find('|');
    if (MatchPath(glob.substr(0, bar), path)) return true;
    if (bar == std::string_view::npos) return false;
    glob = glob.substr(bar + 1);
  }
}

std::string GlobError(std::string_view glob) {
  if (glob.empty()) return "it is empty";
  while (true) {
    size_t bar = glob.find('|');
    std::string_view part = glob.substr(0, bar);
    if (part.empty()) return "it has an empty pattern (before, after or between \"|\")";
    if (part.back() == '/' && part.find_first_not_of('/') != std::string_view::npos)
      return TrailingSlashError(part);
    if (part.find_first_of("[]{}\\") != std::string_view::npos)
      return "[...], {...} and \\ are not glob syntax here: only *, ** and ? are";
    for (std::string_view rest = part; !rest.empty();) {
      std::string_view name = Head(rest, &rest);
      if (name.empty()) return "it has an empty path component (\"//\")";
      if (name != "**" && name.find("**") != std::string_view::npos)
        return "\"**\" must be a whole path component, like **/*.sql";
    }
    if (bar == std::string_view::npos) return "";
    glob = glob.substr(bar + 1);
  }
}

}  // namespace strata
