// Rules decided by paths in each layer: secrets by name, version control
// directories, package caches, build leftovers, the user's own globs, and
// entries crafted against unpackers (escaping, duplicated, dangling links).
// Every layer is checked, so files a later layer removed are found too.
#include <fmt/core.h>

#include <map>
#include <unordered_map>
#include <unordered_set>

#include "base/units.h"
#include "rules/checks.h"
#include "rules/glob.h"
#include "rules/secret_patterns.h"

namespace strata {

namespace {

bool IsEnvFile(std::string_view base) {
  if (base == ".env") return true;
  if (!base.starts_with(".env.")) return false;
  for (std::string_view example : {".env.example", ".env.sample", ".env.template", ".env.dist",
                                   ".env.defaults", ".env.schema"})
    if (base == example) return false;
  return true;
}

bool IsPrivateKeyName(std::string_view base) {
  for (std::string_view name :
       {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"})
    if (base == name) return true;
  return base.ends_with(".key") && base.size() > 4;
}

const char* const kCloudCredentialGlobs =
    "**/.aws/credentials|**/.config/gcloud/credentials.db|"
    "**/.config/gcloud/application_default_credentials.json|**/.config/gcloud/legacy_credentials/"
    "**|"
    "**/.azure/accessTokens.json|**/.azure/msal_token_cache.*";

// Words every cloud credentials path holds: a cheap test before globs.
bool MayBeCloudCredentials(std::string_view path) {
  return path.find(".aws/") != std::string_view::npos ||
         path.find("gcloud/") != std::string_view::npos ||
         path.find(".azure/") != std::string_view::npos;
}

// Calls |visit| for each regular file with content in each layer.
template <typename Visit>
void ForEachStoredFile(const Analysis& analysis, Visit visit) {
  for (const Layer& layer : analysis.layers)
    for (const LayerEntry& entry : layer.contents.entries)
      if (entry.kind == EntryKind::kFile) visit(layer, entry);
}

// Files grouped under one directory of one layer (a cache, a .git).
struct Group {
  int files = 0;
  int surviving = 0;  // Files that reach the final filesystem.
  int64_t bytes = 0;
  const LayerEntry* first = nullptr;
  std::string hint;
};

void AddToGroup(const CheckContext& context, const LayerEntry& entry, Group* group) {
  if (entry.kind != EntryKind::kFile) return;
  ++group->files;
  group->bytes += entry.size;
  if (!context.dropped.count(&entry)) ++group->surviving;
  if (group->first == nullptr) group->first = &entry;
}

// One finding per group; |what| prefixes the detail ("pip cache: 3 files, 1 MB").
void EmitGroups(const CheckContext& context, const std::string& rule_id,
                const std::map<std::pair<int, std::string>, Group>& groups, const std::string& what,
                std::vector<Finding>* findings) {
  for (const auto& [key, group] : groups) {
    Finding finding = MakeFinding(context, rule_id, key.first, key.second);
    finding.bytes = group.bytes;
    std::string prefix = what.empty() && !group.hint.empty()
                             ? group.hint.substr(0, group.hint.find(':')) + ": "
                             : what;
    finding.detail =
        fmt::format("{}{}, {}", prefix, Count(group.files, "file"), HumanBytes(group.bytes));
    // Removed when none of its files reach the final filesystem.
    if (group.surviving == 0) AnnotateFate(context, group.first, &finding);
    std::string fix = group.hint.empty() ? "" : group.hint.substr(group.hint.find(':') + 2);
    finding.fix = FixFor(finding, fix);
    findings->push_back(std::move(finding));
  }
}

struct CacheKind {
  const char* name;
  const char* globs;  // The cache's root directories.
  const char* fix;    // The same-step cleanup for RUN.
};

const CacheKind kCaches[] = {
    {"apt lists", "var/lib/apt/lists",
     "run apt-get update, install and `rm -rf /var/lib/apt/lists/*` in the same RUN"},
    {"apt archives", "var/cache/apt",
     "use apt-get install --no-install-recommends and `apt-get clean` in the same RUN"},
    {"apk cache", "var/cache/apk|etc/apk/cache", "use apk add --no-cache"},
    {"dnf/yum cache", "var/cache/dnf|var/cache/yum",
     "run `dnf clean all` (or yum) in the same RUN"},
    {"pip cache", "**/.cache/pip", "use pip install --no-cache-dir"},
    {"npm cache", "**/.npm/_cacache|**/.npm/_logs",
     "run `npm cache clean --force` in the same RUN, or build in a separate stage"},
    {"yarn cache", "**/.cache/yarn|usr/local/share/.cache/yarn",
     "run `yarn cache clean` in the same RUN"},
    {"pnpm store", "**/.local/share/pnpm/store|**/.pnpm-store",
     "run `pnpm store prune` in the same RUN, or build in a separate stage"},
    {"Maven repository", "**/.m2/repository",
     "build in a separate stage and copy only the artefact"},
    {"Gradle cache", "**/.gradle/caches|**/.gradle/wrapper/dists",
     "build in a separate stage and copy only the artefact"},
    {"Go module cache", "**/go/pkg/mod",
     "build in a separate stage, or `go clean -modcache` in the same RUN"},
    {"Go build cache", "**/.cache/go-build",
     "build in a separate stage, or `go clean -cache` in the same RUN"},
    {"Composer cache", "**/.composer/cache|**/.cache/composer", "use composer install --no-cache"},
    {"Cargo registry", "**/.cargo/registry|usr/local/cargo/registry",
     "build in a separate stage and copy only the binary"},
};

// Words one of kCaches' globs needs in the path: a cheap test before globs.
// All but "pnpm" end in '/', so they are looked for only where the path has
// one: one pass over the path instead of one search per word, on every
// file of every layer. A word is compared only when the character before
// the slash is its last one: comparing all eleven at every slash was
// two thirds of the rules' time on an image of a million files.
bool MayBeCache(std::string_view path) {
  using namespace std::string_view_literals;  // Lengths known when compiled, not strlen'd.
  static constexpr std::string_view kWords[] = {"apt"sv,     "apk"sv,     ".npm"sv, ".m2"sv,
                                                ".gradle"sv, "pkg/mod"sv, "dnf"sv,  "composer"sv,
                                                "cargo"sv,   ".cache"sv,  "yum"sv};
  if (path.find("pnpm"sv) != std::string_view::npos) return true;
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (slash == 0) continue;
    std::string_view before = path.substr(0, slash);
    for (std::string_view word : kWords)
      if (word.back() == before.back() && before.ends_with(word)) return true;
  }
  return false;
}

// Where the first component of |path| that is exactly |name| starts, or
// npos. Views, not strings: it runs on every entry of every layer.
size_t FindComponent(std::string_view path, std::string_view name) {
  for (size_t at = path.find(name); at != std::string_view::npos; at = path.find(name, at + 1)) {
    size_t end = at + name.size();
    if ((at == 0 || path[at - 1] == '/') && (end == path.size() || path[end] == '/')) return at;
  }
  return std::string_view::npos;
}

bool UnderSystemTree(std::string_view path) {
  return GlobMatch(
      "usr/**|lib/**|lib64/**|opt/**|**/node_modules/**|**/site-packages/**|**/dist-packages/**|"
      "**/vendor/**|etc/**|var/lib/**",
      path);
}

}  // namespace

void CheckSecretPaths(const CheckContext& context, std::vector<Finding>* findings) {
  ForEachStoredFile(context.analysis, [&](const Layer& layer, const LayerEntry& entry) {
    std::string_view base = BaseName(entry.path);
    const char* rule = nullptr;
    if (IsEnvFile(base) && !GlobMatch("usr/share/**|**/node_modules/**", entry.path))
      rule = "secret-env-file";
    else if (IsPrivateKeyName(base) && !IsAllowListedContentPath(entry.path))
      rule = "secret-private-key-file";
    else if (MayBeCloudCredentials(entry.path) && GlobMatch(kCloudCredentialGlobs, entry.path))
      rule = "secret-cloud-credentials";
    // PostgreSQL's password file is by name: its lines share no word a
    // content pattern could find cheaply, and one such pattern scanned in
    // every file cost more to compile than all the others.
    else if (base == ".pgpass")
      rule = "secret-config-password";
    if (rule == nullptr || entry.size == 0) return;

    Finding finding = MakeFinding(context, rule, layer.index, entry.path);
    finding.bytes = entry.size;
    finding.detail = fmt::format("{}", HumanBytes(entry.size));
    AnnotateFate(context, &entry, &finding);
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  });
}

void CheckContentHits(const CheckContext& context, std::vector<Finding>* findings) {
  for (const Layer& layer : context.analysis.layers) {
    for (const ContentHit& hit : layer.contents.hits) {
      const LayerEntry& entry = layer.contents.entries[hit.entry];
      Finding finding = MakeFinding(context, hit.rule_id, layer.index, entry.path);
      finding.detail = hit.excerpt;
      AnnotateFate(context, &entry, &finding);
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
  }
}

namespace {

// A finding of |secret|, which the |where| ("name") of the entry at
// |path| spells; |entry| when |path| is an entry's own, for its size and
// fate. Its fix asks for another name: no .dockerignore line can name the
// file without spelling the credential too.
Finding NameFinding(const CheckContext& context, const Layer& layer,
                    const ContentScanner::FoundSecret& secret, std::string_view path,
                    const LayerEntry* entry, std::string_view where) {
  Finding finding = MakeFinding(context, secret.rule_id, layer.index, path);
  finding.detail = fmt::format("{}: {}", where, secret.excerpt);
  if (entry != nullptr) {
    finding.bytes = entry->size;
    AnnotateFate(context, entry, &finding);
  }
  finding.fix = finding.base ? FixFor(finding)
                             : "the credential is in a name, which every pull has: rename it "
                               "where it is made (the build context or the step) and rotate "
                               "the credential now";
  return finding;
}

// Where the names of directories that spell a secret were reported: by
// path, the finding of the first layer that stored one, and the later
// layers that stored it again.
struct NamedDirectories {
  std::unordered_map<std::string_view, std::pair<size_t, std::vector<int>>> found;

  // Appends "(also stored in layers 3 and 5)" to the detail of each
  // finding of a directory that later layers stored again (a name may
  // spell several secrets: its findings follow the first).
  void NoteLaterLayers(std::vector<Finding>* findings) const {
    for (const auto& [path, reported] : found) {
      const auto& [first, later] = reported;
      if (later.empty()) continue;
      std::string note = later.size() == 1 ? " (also stored in layer" : " (also stored in layers";
      for (size_t i = 0; i < later.size(); ++i) {
        if (i > 0) note += i + 1 == later.size() ? " and" : ",";
        note += fmt::format(" {}", later[i] + 1);
      }
      note += ")";
      std::vector<Finding>& all = *findings;
      for (size_t i = first; i < all.size() && all[i].path == all[first].path; ++i)
        all[i].detail += note;
    }
  }
};

// The secrets in the names along |entry|'s path, each component reported
// once a layer (|named|): a directory named after a token is reported as
// itself, not with every file beneath it, and once in all (|directories|),
// in the first layer that stores it: every layer that adds a file beneath
// it stores its name again.
void CheckNamesAlong(const CheckContext& context, const Layer& layer, const LayerEntry& entry,
                     std::unordered_set<std::string_view>* named, NamedDirectories* directories,
                     std::vector<Finding>* findings) {
  size_t component_end = std::string_view::npos;
  bool first_time = false;
  for (const ContentScanner::FoundSecret& secret : context.scanner.FindPathSecrets(entry.path)) {
    std::string_view path = entry.path.substr(0, secret.component_end);
    bool whole = path.size() == entry.path.size();
    if (secret.component_end != component_end) {
      component_end = secret.component_end;
      first_time = named->insert(path).second;
      if (first_time && (!whole || entry.kind == EntryKind::kDirectory)) {
        auto [at, added] = directories->found.try_emplace(path);
        if (added) at->second.first = findings->size();
        if (!added) at->second.second.push_back(layer.index);
        first_time = added;
      }
    }
    if (!first_time) continue;
    findings->push_back(
        NameFinding(context, layer, secret, path, whole ? &entry : nullptr, "name"));
  }
}

}  // namespace

void CheckSecretNames(const CheckContext& context, std::vector<Finding>* findings) {
  NamedDirectories directories;
  for (const Layer& layer : context.analysis.layers) {
    const std::vector<LayerEntry>& entries = layer.contents.entries;

    // Every path and link target of the layer in one scan: only the few
    // that may spell a secret are read component by component. A
    // whiteout's name is left out: the name it removes is reported in
    // the layer that stored it.
    std::vector<std::string_view> texts;
    texts.reserve(entries.size() * 2);
    for (const LayerEntry& entry : entries) {
      texts.push_back(entry.is_whiteout() ? std::string_view() : entry.path);
      texts.push_back(entry.kind == EntryKind::kSymlink ? entry.link() : std::string_view());
    }
    std::vector<bool> may_spell = context.scanner.MayMatch(texts);

    std::unordered_set<std::string_view> named;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (may_spell[2 * i])
        CheckNamesAlong(context, layer, entries[i], &named, &directories, findings);
      if (!may_spell[2 * i + 1]) continue;
      for (const ContentScanner::FoundSecret& secret :
           context.scanner.FindPathSecrets(entries[i].link()))
        findings->push_back(NameFinding(context, layer, secret, entries[i].path, &entries[i],
                                        "symbolic link target"));
    }
  }
  directories.NoteLaterLayers(findings);
}

namespace {

std::string EscapeDetail(const LayerEntry& entry) {
  switch (entry.kind) {
    case EntryKind::kHardlink:
      return "a hard link whose stored target leaves the root; read as /" + entry.link();
    case EntryKind::kWhiteout:
    case EntryKind::kOpaque:
      return "a whiteout stored with \"..\" or an absolute path; read as deleting /" +
             std::string(entry.path);
    default:
      return "stored with \"..\" or an absolute path; read as /" + std::string(entry.path);
  }
}

// Whiteouts and directories may share a path with another entry of the
// same layer legitimately (an opaque marker names its directory, a
// directory stored twice only sets its metadata twice); anything else
// stored twice is a layer no standard tool writes.
bool CountsAsDuplicate(const LayerEntry& entry) {
  return !entry.is_whiteout() && entry.kind != EntryKind::kDirectory;
}

}  // namespace

void CheckHostilePaths(const CheckContext& context, std::vector<Finding>* findings) {
  for (const Layer& layer : context.analysis.layers) {
    // Every path stored so far in this layer, with how often it was stored
    // as an entry that counts as a duplicate: one table, one lookup an entry.
    std::unordered_map<std::string_view, int> copies;
    copies.reserve(layer.contents.entries.size());
    std::vector<const LayerEntry*> duplicated;

    for (const LayerEntry& entry : layer.contents.entries) {
      if (entry.path_escaped) {
        Finding finding = MakeFinding(context, "hostile-path", layer.index, entry.path);
        finding.stored_name = context.scanner.RedactPath(layer.contents.StoredName(entry));
        finding.detail = EscapeDetail(entry);
        finding.fix =
            "rebuild the layer with a standard tool; do not unpack this image with tools that "
            "follow such paths";
        findings->push_back(std::move(finding));
      }

      if (entry.kind == EntryKind::kSymlink && entry.link().empty()) {
        Finding finding = MakeFinding(context, "empty-symlink-target", layer.index, entry.path);
        finding.detail =
            "a symbolic link with an empty target: no filesystem holds one, so unpackers that "
            "make it on disk fail here (umoci's unpack stops)";
        finding.fix = "rebuild the layer with a standard tool: a link on disk always has a target";
        findings->push_back(std::move(finding));
      }

      if (entry.kind == EntryKind::kHardlink && !copies.contains(entry.link())) {
        Finding finding = MakeFinding(context, "hardlink-outside-layer", layer.index, entry.path);
        finding.detail =
            "links to /" + entry.link() + ", which this layer does not store before it";
        finding.fix = "rebuild the layer with a standard tool, which stores the target first";
        findings->push_back(std::move(finding));
      }

      int& count = copies[entry.path];
      if (CountsAsDuplicate(entry) && ++count == 2) duplicated.push_back(&entry);
    }

    for (const LayerEntry* entry : duplicated) {
      Finding finding = MakeFinding(context, "duplicate-path", layer.index, entry->path);
      finding.detail = fmt::format("stored {} times in this layer; unpackers keep the last copy",
                                   copies[entry->path]);
      finding.fix = "rebuild the layer with a standard tool, which stores each path once";
      findings->push_back(std::move(finding));
    }
  }
}

namespace {

// The outermost directory in |entry|'s path named like a whiteout
// (".wh.NAME"), "" when none. Every component but the last counts; an
// opaque marker's path is its directory, so its last counts too.
std::string_view WhiteoutNamedDirectory(const LayerEntry& entry) {
  std::string_view path = entry.path;
  size_t end = entry.kind == EntryKind::kOpaque ? path.size() : DirName(path).size();
  for (size_t start = 0; start < end;) {
    size_t slash = std::min(path.find('/', start), end);
    if (path.substr(start, slash - start).starts_with(kWhiteoutPrefix))
      return path.substr(0, slash);
    start = slash + 1;
  }
  return {};
}

// Whether |stored|, an entry's name as its layer stores it, is a bare
// ".wh." or ".wh..", ".wh..." (the layer reader keeps such names: see
// LayerCursor).
bool IsBareWhiteout(std::string_view stored) {
  while (stored.size() > 1 && stored.ends_with('/')) stored.remove_suffix(1);
  return SelfWhiteoutTarget(BaseName(stored), "").has_value();
}

// One finding per directory named like a whiteout that |layer| stores
// entries beneath, with how many.
void CheckWhiteoutNamedDirectories(const CheckContext& context, const Layer& layer,
                                   std::vector<Finding>* findings) {
  std::vector<std::string_view> directories;  // In the order first met.
  std::unordered_map<std::string_view, int> beneath;
  for (const LayerEntry& entry : layer.contents.entries) {
    std::string_view directory = WhiteoutNamedDirectory(entry);
    if (directory.empty()) continue;
    if (beneath[directory]++ == 0) directories.push_back(directory);
  }
  if (directories.empty()) return;

  std::unordered_map<std::string_view, bool> deleted;
  for (const LayerEntry& entry : layer.contents.entries)
    if (entry.kind == EntryKind::kWhiteout) deleted[entry.path] = true;

  for (std::string_view directory : directories) {
    int count = beneath[directory];
    std::string_view name = BaseName(directory);
    std::string_view parent = DirName(directory);
    std::string named = std::string(parent) + (parent.empty() ? "" : "/") +
                        std::string(name.substr(kWhiteoutPrefix.size()));
    std::string shown = context.scanner.RedactPath(std::string(directory));
    Finding finding = MakeFinding(context, "odd-whiteout", layer.index, directory);
    finding.detail = fmt::format(
        "{} stored beneath a directory named {}, a whiteout's name: unpackers read whiteouts "
        "from the last component only, so they write {} beneath /{}, as strata shows",
        count == 1 ? "1 entry" : fmt::format("{} entries", count),
        context.scanner.RedactPath(std::string(name)), count == 1 ? "it" : "them", shown);
    if (deleted.contains(named))
      finding.detail += ", while the name itself deletes /" + context.scanner.RedactPath(named);
    finding.fix =
        "rename the directory: a name that starts with .wh. is a whiteout to every unpacker";
    findings->push_back(std::move(finding));
  }
}

// What a bare ".wh." |entry| (or ".wh..", ".wh...": a whiteout of its own
// directory or its parent), stored as |stored|, does.
std::string BareWhiteoutDetail(const CheckContext& context, const LayerEntry& entry,
                               std::string_view stored) {
  std::string_view name = BaseName(stored);
  std::string joined = name == ".wh..." ? "'..'" : name == ".wh.." ? "'.'" : "the empty name";
  if (entry.path.empty())
    return fmt::format(
        "a whiteout named {}: unpackers join {} to its directory, which leads to the root, "
        "and remove the whole filesystem (umoci 0.4.7 then fails to unpack the layer); strata "
        "keeps the root",
        name, joined);
  return fmt::format(
      "a whiteout named {}: unpackers join {} to its directory and remove /{}, {} (umoci "
      "0.4.7 then fails to unpack the layer), as strata does",
      name, joined, context.scanner.RedactPath(std::string(entry.path)),
      name == ".wh..." ? "its parent" : "the directory itself");
}

}  // namespace

void CheckOddWhiteouts(const CheckContext& context, std::vector<Finding>* findings) {
  for (const Layer& layer : context.analysis.layers) {
    CheckWhiteoutNamedDirectories(context, layer, findings);

    for (const LayerEntry& entry : layer.contents.entries) {
      if (entry.kind == EntryKind::kWhiteout && IsBareWhiteout(layer.contents.StoredName(entry))) {
        Finding finding = MakeFinding(context, "odd-whiteout", layer.index, entry.path);
        finding.stored_name =
            context.scanner.RedactPath(std::string(layer.contents.StoredName(entry)));
        finding.detail = BareWhiteoutDetail(context, entry, layer.contents.StoredName(entry));
        finding.fix =
            "rebuild the layer with a standard tool, which stores one whiteout per removed path";
        findings->push_back(std::move(finding));
      }
      // In the first layer it empties nothing.
      if (entry.kind == EntryKind::kOpaque && entry.path.empty() && layer.index > 0) {
        Finding finding = MakeFinding(context, "odd-whiteout", layer.index, entry.path);
        finding.detail = fmt::format(
            "an opaque marker at the root: unpackers empty every lower layer, so the image "
            "holds only what layer {} and later ones store, as strata shows",
            layer.index + 1);
        finding.fix =
            "build from scratch (FROM scratch) rather than hide every lower layer, or rebuild "
            "the layer with a standard tool";
        findings->push_back(std::move(finding));
      }
    }
  }
}

namespace {

// "a symbolic link to TARGET (layer N)", then what unpackers that follow
// it (and the links it leads to) do beneath it: |verb| ("write", "delete",
// "empty") where the chain lands.
std::string LinkText(const CheckContext& context, const LinkParent& parent, const char* verb) {
  std::string_view target = parent.link_target;
  std::string link = target.empty() ? "a symbolic link with an empty target"
                                    : "a symbolic link to " + context.scanner.RedactPath(target);
  link += fmt::format(" (layer {})", parent.link_layer + 1);

  const Landing& landing = parent.landing;
  std::string more = landing.links > 1
                         ? fmt::format(", and on through {}", Count(landing.links - 1, "more link"))
                         : "";
  switch (landing.outcome) {
    case Landing::kLands:
      return fmt::format(
          "{}{}: unpackers that follow {} {} /{} (on the host, unless they keep links inside "
          "the root)",
          link, more, landing.links > 1 ? "them" : "it", verb,
          context.scanner.RedactPath(landing.path));
    case Landing::kTooManyLinks:
      return fmt::format(
          "{}, which leads on through more than {} links (a loop, or a chain longer than Linux "
          "follows): unpackers that follow it fail there, or {} where a longer chain ends",
          link, kMaxLinkHops, verb);
    case Landing::kEmptyLink:
      break;
  }
  // The kernel refuses to make such a link, and fails to follow one.
  if (target.empty()) return link + ", which leads nowhere: unpackers cannot make or follow it";
  return fmt::format(
      "{}{}, and on to /{}, a symbolic link with an empty target, which leads nowhere: "
      "unpackers cannot make or follow it",
      link, more, context.scanner.RedactPath(landing.path));
}

// What strata's tree does where |parent| lands: the same as umoci, inside
// the image, or nothing when no unpacker gets past the links.
std::string MergedText(const CheckContext& context, const LinkParent& parent) {
  bool lands = parent.landing.outcome == Landing::kLands;
  std::string link_path = context.scanner.RedactPath(parent.link->path);
  if (!parent.entry->is_whiteout())
    return lands ? fmt::format(
                       "strata shows it there inside the image, as umoci unpacks it, "
                       "with /{} kept a link",
                       link_path)
                 : "strata leaves it out of the merged filesystem (its layer still stores it)";
  if (!lands) return "strata removes nothing through it";
  bool opaque = parent.entry->kind == EntryKind::kOpaque;
  return fmt::format("strata {} /{} too inside the image, as umoci does",
                     opaque ? "empties" : "deletes",
                     context.scanner.RedactPath(parent.landing.path));
}

// The detail of a whiteout or opaque marker stored beneath a link (or,
// for an opaque marker, naming one).
std::string MarkerDetail(const CheckContext& context, const LinkParent& parent) {
  std::string link_path = context.scanner.RedactPath(parent.link->path);
  bool opaque = parent.entry->kind == EntryKind::kOpaque;
  std::string detail =
      fmt::format("{} {} /{}, {}", opaque ? "an opaque marker" : "a whiteout",
                  opaque && parent.entry->path == parent.link->path ? "for" : "stored beneath",
                  link_path, LinkText(context, parent, opaque ? "empty" : "delete"));
  if (parent.more > 0)
    detail +=
        fmt::format("; the layer has {} beneath /{}", Count(parent.more, "more marker"), link_path);
  return detail + "; " + MergedText(context, parent);
}

}  // namespace

void CheckLinkParents(const CheckContext& context, std::vector<Finding>* findings) {
  for (const LinkParent& parent : context.analysis.merge.link_parents()) {
    std::string link_path = context.scanner.RedactPath(parent.link->path);
    Finding finding =
        MakeFinding(context, "path-through-symlink", parent.layer, parent.entry->path);
    if (parent.entry->is_whiteout()) {
      finding.detail = MarkerDetail(context, parent);
    } else {
      finding.detail = fmt::format("stored beneath /{}, {}; {}", link_path,
                                   LinkText(context, parent, "write"), MergedText(context, parent));
      if (parent.more > 0)
        finding.detail += fmt::format("; the layer stores {} beneath /{}",
                                      Count(parent.more, "more entry", "more entries"), link_path);
    }
    finding.fix =
        "rebuild the layer with a standard tool, which never stores a path beneath a symbolic "
        "link; do not unpack this image with tools that follow such links";
    findings->push_back(std::move(finding));
  }
}

void CheckCustomPaths(const CheckContext& context, std::vector<Finding>* findings) {
  for (const CustomRule& rule : context.config.custom) {
    if (rule.path_glob.empty()) continue;
    ForEachStoredFile(context.analysis, [&](const Layer& layer, const LayerEntry& entry) {
      if (!GlobMatch(rule.path_glob, entry.path)) return;
      Finding finding = MakeFinding(context, rule.id, layer.index, entry.path);
      finding.bytes = entry.size;
      finding.detail = HumanBytes(entry.size);
      AnnotateFate(context, &entry, &finding);
      finding.fix = "remove it from the image, or accept the finding in .strata.yaml";
      findings->push_back(std::move(finding));
    });
  }
}

void CheckVcs(const CheckContext& context, std::vector<Finding>* findings) {
  std::map<std::pair<int, std::string>, Group> groups;
  for (const Layer& layer : context.analysis.layers) {
    for (const LayerEntry& entry : layer.contents.entries) {
      if (entry.is_whiteout()) continue;
      std::string_view path = entry.path;
      for (std::string_view marker : {".git", ".svn", ".hg"}) {
        size_t at = FindComponent(path, marker);
        if (at == std::string_view::npos) continue;
        std::string root(path.substr(0, at + marker.size()));
        AddToGroup(context, entry, &groups[{layer.index, root}]);
        break;
      }
    }
  }
  EmitGroups(context, "vcs-directory", groups, "", findings);
}

void CheckCaches(const CheckContext& context, std::vector<Finding>* findings) {
  std::map<std::pair<int, std::string>, Group> groups;
  ForEachStoredFile(context.analysis, [&](const Layer& layer, const LayerEntry& entry) {
    if (entry.size == 0 || !MayBeCache(entry.path)) return;
    for (const CacheKind& cache : kCaches) {
      // Try each ancestor directory of the file as the cache's root.
      for (size_t slash = entry.path.find('/'); slash != std::string::npos;
           slash = entry.path.find('/', slash + 1)) {
        std::string root(entry.path.substr(0, slash));
        if (!GlobMatch(cache.globs, root)) continue;
        Group& group = groups[{layer.index, root}];
        AddToGroup(context, entry, &group);
        group.hint = std::string(cache.name) + ": " + cache.fix;
        return;
      }
    }
  });

  size_t first = findings->size();
  EmitGroups(context, "package-cache", groups, "", findings);

  // A cache of 10 MB or more is worth a medium: it is most of a small image.
  for (size_t i = first; i < findings->size(); ++i) {
    Finding& finding = (*findings)[i];
    if (finding.bytes >= 10'000'000 && finding.severity < Severity::kMedium &&
        !context.config.severities.count("package-cache"))
      finding.severity = Severity::kMedium;
  }
}

// Fewer source files than this are more likely generated or vendored
// snippets than a source tree.
constexpr int kMinSourceFiles = 5;

bool IsSourceFile(std::string_view base) {
  // Each extension has one '.', its first character: the name's last '.'
  // starts it, and something must come before.
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view extension = base.substr(dot);
  for (std::string_view source :
       {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".go", ".rs", ".java", ".scala", ".kt"})
    if (extension == source) return true;
  return false;
}

// The top two components of |path| ("src/app/x/y.c" → "src/app"): where a
// source tree is reported.
std::string TreeRoot(std::string_view path) {
  size_t first = path.find('/');
  if (first == std::string_view::npos) return std::string(path);
  size_t second = path.find('/', first + 1);
  return std::string(second == std::string_view::npos ? path.substr(0, first)
                                                      : path.substr(0, second));
}

void CheckLeftovers(const CheckContext& context, std::vector<Finding>* findings) {
  std::map<std::pair<int, std::string>, Group> tmp_groups;
  std::map<std::pair<int, std::string>, Group> source_groups;
  for (const Layer& layer : context.analysis.layers) {
    for (const LayerEntry& entry : layer.contents.entries) {
      std::string_view base = BaseName(entry.path);
      std::string what;
      if (entry.kind == EntryKind::kFile && entry.size > 0) {
        if (entry.path.starts_with("tmp/") || entry.path.starts_with("var/tmp/")) {
          std::string root = entry.path.starts_with("var/tmp/") ? "var/tmp" : "tmp";
          AddToGroup(context, entry, &tmp_groups[{layer.index, root}]);
          continue;
        }
        if (IsSourceFile(base) && !UnderSystemTree(entry.path)) {
          AddToGroup(context, entry, &source_groups[{layer.index, TreeRoot(entry.path)}]);
          continue;
        }
        if ((base.ends_with(".o") || base.ends_with(".obj")) && base.size() > 2 &&
            !UnderSystemTree(entry.path))
          what = "object file";
        else if (base == "core" ||
                 (base.starts_with("core.") &&
                  base.find_first_not_of("0123456789", 5) == std::string_view::npos &&
                  base.size() > 5))
          what = "core dump";
      } else if (entry.kind == EntryKind::kDirectory &&
                 (base == "test" || base == "tests" || base == "__tests__" || base == "spec") &&
                 !UnderSystemTree(entry.path)) {
        what = "test folder";
      }
      if (what.empty()) continue;

      Finding finding = MakeFinding(context, "build-leftover", layer.index, entry.path);
      finding.bytes = entry.size;
      finding.detail = what + (entry.size > 0 ? ", " + HumanBytes(entry.size) : "");
      AnnotateFate(context, &entry, &finding);
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
  }
  EmitGroups(context, "build-leftover", tmp_groups, "left in a temporary directory: ", findings);

  // A compiled language's sources in the final image mean the build ran in
  // it: a few files are config or scripts, a tree is a build leftover.
  for (auto it = source_groups.begin(); it != source_groups.end();)
    it = it->second.files < kMinSourceFiles ? source_groups.erase(it) : std::next(it);
  EmitGroups(context, "build-leftover", source_groups,
             "source tree of a compiled language: ", findings);
}

}  // namespace strata
