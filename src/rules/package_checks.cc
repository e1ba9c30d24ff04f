// Build and network tools left in the final image: from the package
// databases (dpkg status, apk installed) when the image has one, naming the
// package and the layer that installed it; otherwise from the binaries on
// the PATH.
#include <fmt/core.h>

#include <map>
#include <set>
#include <sstream>

#include "base/units.h"
#include "model/image_config.h"
#include "report/style.h"
#include "rules/checks.h"

namespace strata {

namespace {

struct Tool {
  const char* name;  // Package name, or the binary's name; a package "gcc-12" counts as "gcc".
  Severity severity;
};

// Compilers and build systems are what multi-stage builds exist to leave
// behind (medium); network and debugging tools are often kept on purpose
// (low).
const Tool kTools[] = {
    {"gcc", Severity::kMedium},
    {"g++", Severity::kMedium},
    {"cpp", Severity::kMedium},
    {"clang", Severity::kMedium},
    {"build-essential", Severity::kMedium},
    {"make", Severity::kMedium},
    {"cmake", Severity::kMedium},
    {"autoconf", Severity::kMedium},
    {"automake", Severity::kMedium},
    {"libtool", Severity::kMedium},
    {"binutils", Severity::kMedium},
    {"golang", Severity::kMedium},
    {"go", Severity::kMedium},
    {"rustc", Severity::kMedium},
    {"cargo", Severity::kMedium},
    {"git", Severity::kMedium},
    {"curl", Severity::kLow},
    {"wget", Severity::kLow},
    {"gdb", Severity::kLow},
    {"strace", Severity::kLow},
    {"netcat", Severity::kLow},
    {"nc", Severity::kLow},
    {"ncat", Severity::kLow},
    {"nmap", Severity::kLow},
    {"tcpdump", Severity::kLow},
    {"cc", Severity::kMedium},
    {"c++", Severity::kMedium},
};

// The tool a package or binary name stands for: "gcc-12" → gcc,
// "netcat-openbsd" → netcat; null when it is none.
const Tool* ToolFor(std::string name) {
  for (const Tool& tool : kTools) {
    std::string_view n = tool.name;
    if (name == n) return &tool;
    if (name.starts_with(std::string(n) + "-") &&
        name.find_first_not_of("0123456789.", n.size() + 1) == std::string::npos)
      return &tool;
    if (n == "netcat" && name.starts_with("netcat-")) return &tool;
  }
  return nullptr;
}

struct Package {
  std::string name;
  std::string version;
};

// Installed packages of a dpkg status file.
std::vector<Package> ParseDpkgStatus(const std::string& text) {
  std::vector<Package> packages;
  std::istringstream lines(text);
  std::string line;
  Package current;
  bool installed = false;
  auto flush = [&] {
    if (!current.name.empty() && installed) packages.push_back(current);
    current = Package();
    installed = false;
  };
  while (std::getline(lines, line)) {
    if (line.empty())
      flush();
    else if (line.starts_with("Package: "))
      current.name = line.substr(9);
    else if (line.starts_with("Version: "))
      current.version = line.substr(9);
    else if (line.starts_with("Status: "))
      installed = line.ends_with(" installed");
  }
  flush();
  return packages;
}

// Packages of an apk installed database ("P:name", "V:version").
std::vector<Package> ParseApkInstalled(const std::string& text) {
  std::vector<Package> packages;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("P:"))
      packages.push_back({line.substr(2), ""});
    else if (line.starts_with("V:") && !packages.empty())
      packages.back().version = line.substr(2);
  }
  return packages;
}

// True when |path| is a regular file, or a chain of symbolic links (at
// most 40, as Linux allows) that ends in one.
bool ResolvesToFile(const FileTree& tree, std::string path) {
  for (int hop = 0; hop < 40; ++hop) {
    const FileNode* node = tree.Find(path);
    if (node == nullptr) return false;
    if (node->kind() == EntryKind::kFile) return true;
    if (node->kind() != EntryKind::kSymlink) return false;
    const std::string& target = node->symlink_target();
    bool escaped = false;
    std::string dir(DirName(path));
    path = CleanLayerPath(
        target.starts_with("/") ? target : (dir.empty() ? target : dir + "/" + target), &escaped);
  }
  return false;
}

const char* const kBinDirs[] = {"bin",  "usr/bin",  "usr/local/bin",
                                "sbin", "usr/sbin", "usr/local/sbin"};

}  // namespace

void CheckBuildTools(const CheckContext& context, std::vector<Finding>* findings) {
  const Analysis& analysis = context.analysis;

  // Which layer first stored each package, reading each layer's copy of
  // the database; the final set is the copy the final filesystem keeps.
  std::map<std::string, int> installed_in;
  std::vector<Package> final_packages;
  const FileTree& tree = analysis.merge.tree();
  for (const Layer& layer : analysis.layers) {
    for (const auto& [index, text] : layer.contents.kept) {
      const LayerEntry& entry = layer.contents.entries[index];
      std::vector<Package> packages =
          entry.path == "var/lib/dpkg/status" ? ParseDpkgStatus(text) : ParseApkInstalled(text);
      for (const Package& package : packages) installed_in.try_emplace(package.name, layer.index);
      const FileNode* node = tree.Find(entry.path);
      if (node != nullptr && node->entry == &entry) final_packages = packages;
    }
  }

  // One finding per tool, naming its packages ("gcc: gcc 12.2, gcc-12 12.2").
  std::map<std::string, std::vector<const Package*>> packages_of;
  for (const Package& package : final_packages)
    if (const Tool* tool = ToolFor(package.name)) packages_of[tool->name].push_back(&package);

  std::set<std::string> covered;  // Tools found through a package.
  for (const auto& [name, packages] : packages_of) {
    const Tool* tool = ToolFor(name);
    covered.insert(name);
    int layer = installed_in[packages.front()->name];
    std::string list;
    for (const Package* package : packages) {
      list += (list.empty() ? "" : ", ") + package->name + " " + package->version;
      layer = std::min(layer, installed_in[package->name]);
    }
    Finding finding = MakeFinding(context, "build-tool", layer, std::nullopt);
    finding.severity = std::max(finding.severity, tool->severity);
    finding.detail = fmt::format("{}: package{} {}", name, packages.size() > 1 ? "s" : "", list);
    finding.fix = FixFor(finding);
    findings->push_back(std::move(finding));
  }
  // cc and c++ are the compilers' alternatives links.
  if (covered.count("gcc") || covered.count("clang")) covered.insert("cc");
  if (covered.count("g++") || covered.count("clang")) covered.insert("c++");

  for (const char* dir : kBinDirs) {
    const FileNode* bin = tree.Find(dir);
    if (bin == nullptr || !bin->is_directory()) continue;
    for (const FileNode* node : bin->Children()) {
      std::string name(node->name());
      const Tool* tool = ToolFor(name);
      if (tool == nullptr || covered.count(tool->name) || node->is_directory()) continue;
      std::string path = std::string(dir) + "/" + name;
      if (!ResolvesToFile(tree, path)) continue;  // A dangling link or a loop runs nothing.
      Finding finding = MakeFinding(context, "build-tool", node->layer, path);
      finding.severity = std::max(finding.severity, tool->severity);
      bool applet = node->symlink_target().ends_with("busybox");
      finding.detail = applet ? fmt::format("{} (a busybox applet)", name) : name;
      finding.fix = FixFor(finding);
      findings->push_back(std::move(finding));
    }
  }
}

// Below this, the bytes a later cleanup failed to save do not matter (a
// rewritten counter file); secrets among them have rules of their own.
constexpr int64_t kMinCleanupBytes = 64 * 1024;

void CheckCleanupLayers(const CheckContext& context, std::vector<Finding>* findings) {
  const Analysis& analysis = context.analysis;

  // Bytes each later layer dropped, and from which earlier layers: one
  // finding per cleanup layer, however many layers it cleans after.
  struct Dropped {
    int64_t bytes = 0;
    int files = 0;
    std::map<int, int64_t> by_source;
    std::string largest;
    int64_t largest_bytes = 0;
  };
  std::map<int, Dropped> by_cleanup;
  for (const WasteItem& item : analysis.waste) {
    if (item.by_layer == item.layer) continue;
    Dropped& dropped = by_cleanup[item.by_layer];
    dropped.bytes += item.size;
    ++dropped.files;
    dropped.by_source[item.layer] += item.size;
    if (item.size > dropped.largest_bytes) {
      dropped.largest_bytes = item.size;
      dropped.largest = item.path;
    }
  }

  for (const auto& [cleanup, dropped] : by_cleanup) {
    if (dropped.bytes < kMinCleanupBytes) continue;
    Finding finding = MakeFinding(context, "cleanup-in-later-layer", cleanup, dropped.largest);
    finding.bytes = dropped.bytes;
    if (dropped.bytes >= 10'000'000)
      finding.severity = std::max(finding.severity, Severity::kMedium);

    // The layer that contributed most is where the cleanup belongs.
    int source = dropped.by_source.begin()->first;
    for (const auto& [layer, bytes] : dropped.by_source)
      if (bytes > dropped.by_source.at(source)) source = layer;
    std::string sources = dropped.by_source.size() == 1
                              ? fmt::format("layer {}", source + 1)
                              : fmt::format("{} earlier layers", dropped.by_source.size());
    finding.detail =
        fmt::format("removes or replaces {} ({}) that {} stored; they stay in the image",
                    Count(dropped.files, "file"), HumanBytes(dropped.bytes), sources);
    const HistoryStep* step = analysis.StepOf(analysis.layers[source]);
    std::string source_step = step != nullptr ? DescribeStep(step->created_by) : "";
    finding.fix =
        source < context.base.count
            ? "the files come from the base image: removing them later saves nothing; choose a "
              "base without them"
            : fmt::format(
                  "do this cleanup in the step that created the files (most in layer {}: {})",
                  source + 1, Truncate(source_step, 70));
    findings->push_back(std::move(finding));
  }
}

}  // namespace strata
