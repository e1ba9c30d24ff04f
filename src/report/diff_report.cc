#include "report/diff_report.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/units.h"
#include "source/image_source.h"

namespace strata {

namespace {

using json = nlohmann::json;

// "+1.5 kB", "-20 B", "0 B".
std::string SignedBytes(int64_t bytes) {
  return bytes > 0 ? "+" + HumanBytes(bytes) : HumanBytes(bytes);
}

std::string SignedCount(int64_t count) {
  return count > 0 ? fmt::format("+{}", count) : fmt::format("{}", count);
}

// Red for growth, green for shrinkage: smaller images are the goal.
std::string ColouredDelta(int64_t bytes, int width, const Style& style) {
  std::string text = PadLeft(SignedBytes(bytes), width);
  return bytes > 0 ? style.Red(text) : bytes < 0 ? style.Green(text) : text;
}

std::string ImageLine(const char* label, const DiffImage& image, const Style& style) {
  std::string name = ImageTitle(image.input, image.reference);
  std::string format = image.endpoint.empty()
                           ? image.format
                           : fmt::format("{} at {}", image.format, Printable(image.endpoint));
  return fmt::format("{}       {} · {} · {} · final filesystem {}, {}\n", style.Bold(label),
                     Printable(name), format, Count(image.layers, "layer"),
                     Count(image.final_files, "file"), HumanBytes(image.final_bytes));
}

void AppendHeader(const ImageDiff& diff, const Style& style, std::string* out) {
  *out += ImageLine("A", diff.a, style);
  *out += ImageLine("B", diff.b, style);
  int64_t files = diff.b.final_files - diff.a.final_files;
  std::string net = fmt::format("{} {} · {} in the final filesystem", SignedCount(files),
                                files == 1 || files == -1 ? "file" : "files",
                                SignedBytes(diff.b.final_bytes - diff.a.final_bytes));
  *out += fmt::format("{}  {} · {} added, {} removed, {} changed\n", style.Bold("Change"), net,
                      diff.added.size(), diff.removed.size(), diff.changed.size());
}

std::string SharedText(const LayerComparison& layers) {
  int shared = static_cast<int>(layers.shared.size());
  if (shared == 0) return "none shared";
  if (layers.shared_prefix == shared)
    return fmt::format("{} shared (the first {} of both)", shared, shared);
  return fmt::format("{} shared ({} of them first in both)", shared, layers.shared_prefix);
}

void AppendLayerRows(const char* side, const std::vector<DiffLayer>& layers, const Style& style,
                     int top, std::string* out) {
  int step_width = std::max(20, style.width - 24);
  for (size_t i = 0; i < layers.size() && i < static_cast<size_t>(top); ++i) {
    const DiffLayer& layer = layers[i];
    std::string step = layer.step.empty() ? "(no history)" : layer.step;
    *out += fmt::format("  {}  {:>3}  {:>8}  {}\n", side, layer.index + 1,
                        HumanBytes(layer.content_bytes), Truncate(Printable(step), step_width));
  }
  if (layers.size() > static_cast<size_t>(top))
    *out += style.Dim(fmt::format("  … and {} more only in {} (--top N, or --format json)",
                                  layers.size() - top, side)) +
            "\n";
}

void AppendLayers(const LayerComparison& layers, const Style& style, int top, std::string* out) {
  *out += "\n" + style.Bold("Layers") +
          fmt::format("  {} · {} only in A · {} only in B\n", SharedText(layers),
                      layers.only_a.size(), layers.only_b.size());
  if (layers.only_a.empty() && layers.only_b.empty()) return;
  *out += style.Dim("       #      SIZE  STEP") + "\n";
  AppendLayerRows("A", layers.only_a, style, top, out);
  AppendLayerRows("B", layers.only_b, style, top, out);
}

void AppendDirectories(const std::vector<DirectoryDelta>& directories, const Style& style, int top,
                       std::string* out) {
  *out += "\n" + style.Bold("Size by directory") + "\n";
  *out += style.Dim("      BEFORE      AFTER      DELTA   FILES  DIRECTORY") + "\n";
  int shown = 0, unchanged = 0, hidden = 0;
  int path_width = std::max(20, style.width - 50);
  for (const DirectoryDelta& directory : directories) {
    if (directory.delta() == 0 && directory.files_a == directory.files_b) {
      ++unchanged;
    } else if (shown++ >= top) {
      ++hidden;
    } else {
      *out +=
          fmt::format("  {:>10} {:>10} {} {:>7}  {}\n", HumanBytes(directory.bytes_a),
                      HumanBytes(directory.bytes_b), ColouredDelta(directory.delta(), 10, style),
                      SignedCount(directory.files_b - directory.files_a),
                      Truncate(Printable(directory.path), path_width));
    }
  }
  if (shown == 0) *out += "  no directory changed in size\n";
  if (hidden > 0)
    *out += style.Dim(fmt::format("  … and {} more (--top N, or --format json)", hidden)) + "\n";
  if (unchanged > 0 && shown > 0)
    *out += style.Dim(fmt::format("  {} more unchanged", unchanged)) + "\n";
}

std::string FilePath(const FileDiff& file) {
  EntryKind type = file.change == FileChange::kAdded ? file.type_b : file.type_a;
  return Printable(file.path) +
         (type == EntryKind::kDirectory && file.change != FileChange::kChanged ? "/" : "");
}

std::string ChangedWhat(const FileDiff& file) {
  std::string what;
  for (const std::string& name : FileDifferenceNames(file.differences))
    what += (what.empty() ? "" : ", ") + name;
  if (file.differences & kDiffType)
    what += fmt::format(": {} → {}", EntryKindName(file.type_a), EntryKindName(file.type_b));
  return what;
}

void AppendFileRows(const std::vector<FileDiff>& files, const Style& style, int top,
                    std::string* out) {
  int width = std::max(20, style.width - 24);
  for (size_t i = 0; i < files.size() && i < static_cast<size_t>(top); ++i) {
    const FileDiff& file = files[i];
    std::string what = file.change == FileChange::kChanged ? ChangedWhat(file) : "";
    int path_width = what.empty() ? width : std::max(10, width - static_cast<int>(what.size()) - 2);
    std::string path = Truncate(FilePath(file), path_width);
    *out += fmt::format("  {}  {}  {}{}\n", ColouredDelta(file.delta(), 9, style),
                        PadRight(FileChangeName(file.change), 7), path,
                        what.empty() ? "" : "  " + style.Dim(what));
  }
  if (files.size() > static_cast<size_t>(top))
    *out += style.Dim(fmt::format("  … and {} more {} (--top N, or --format json)",
                                  files.size() - top, FileChangeName(files[0].change))) +
            "\n";
}

void AppendFiles(const ImageDiff& diff, const Style& style, int top, std::string* out) {
  *out += "\n" + style.Bold("Files") +
          fmt::format("  {} added · {} removed · {} changed\n", diff.added.size(),
                      diff.removed.size(), diff.changed.size());
  if (diff.added.empty() && diff.removed.empty() && diff.changed.empty()) {
    *out += "  none: the final filesystems hold the same paths, contents, modes and owners\n";
    return;
  }
  *out += style.Dim("      DELTA  CHANGE   PATH") + "\n";
  AppendFileRows(diff.added, style, top, out);
  AppendFileRows(diff.removed, style, top, out);
  AppendFileRows(diff.changed, style, top, out);
}

void AppendFindingRows(const char* label, const std::vector<Finding>& findings, const Style& style,
                       int top, std::string* out) {
  for (size_t i = 0; i < findings.size() && i < static_cast<size_t>(top); ++i) {
    const Finding& finding = findings[i];
    std::string what = finding.has_path ? PathText(finding) : Printable(finding.detail);
    if (finding.has_path && !finding.detail.empty()) what += "  " + Printable(finding.detail);
    int width = std::max(20, style.width - 20 - static_cast<int>(finding.rule_id.size()));
    *out += fmt::format("  {}  {}  {}  {}\n", PadRight(label, 4),
                        PadRight(SeverityName(finding.severity), 8), finding.rule_id,
                        Truncate(what, width));
  }
  if (findings.size() > static_cast<size_t>(top))
    *out += style.Dim(fmt::format("  … and {} more {} (--top N, or --format json)",
                                  findings.size() - top, label)) +
            "\n";
}

void AppendFindings(const ImageDiff& diff, const Style& style, int top, std::string* out) {
  *out += "\n" + style.Bold("Findings") +
          fmt::format("  {} new in B · {} gone since A · {} in both\n", diff.findings_only_b.size(),
                      diff.findings_only_a.size(), diff.findings_shared);
  AppendFindingRows("new", diff.findings_only_b, style, top, out);
  AppendFindingRows("gone", diff.findings_only_a, style, top, out);
}

json ImageJson(const DiffImage& image) {
  return {{"input", image.input},
          {"reference", image.reference},
          {"format", image.format},
          {"endpoint", image.endpoint},
          {"layers", image.layers},
          {"blob_bytes", image.blob_bytes},
          {"final_files", image.final_files},
          {"final_bytes", image.final_bytes}};
}

json LayerJson(const DiffLayer& layer) {
  return {{"index", layer.index + 1},
          {"diff_id", layer.diff_id},
          {"content_bytes", layer.content_bytes},
          {"step", layer.step}};
}

json LayersJson(const LayerComparison& layers) {
  json only_a = json::array(), only_b = json::array();
  for (const DiffLayer& layer : layers.only_a) only_a.push_back(LayerJson(layer));
  for (const DiffLayer& layer : layers.only_b) only_b.push_back(LayerJson(layer));
  return {{"shared_prefix", layers.shared_prefix},
          {"shared", layers.shared},
          {"only_a", only_a},
          {"only_b", only_b}};
}

json FileJson(const FileDiff& file) {
  bool in_a = file.change != FileChange::kAdded, in_b = file.change != FileChange::kRemoved;
  return {{"path", file.path},
          {"type_a", in_a ? json(EntryKindName(file.type_a)) : json(nullptr)},
          {"type_b", in_b ? json(EntryKindName(file.type_b)) : json(nullptr)},
          {"bytes_a", file.size_a},
          {"bytes_b", file.size_b},
          {"delta", file.delta()},
          {"changed", FileDifferenceNames(file.differences)}};
}

json FilesJson(const std::vector<FileDiff>& files) {
  json list = json::array();
  for (const FileDiff& file : files) list.push_back(FileJson(file));
  return list;
}

json DirectoriesJson(const std::vector<DirectoryDelta>& directories) {
  json list = json::array();
  for (const DirectoryDelta& directory : directories)
    list.push_back({{"path", directory.path},
                    {"files_a", directory.files_a},
                    {"files_b", directory.files_b},
                    {"bytes_a", directory.bytes_a},
                    {"bytes_b", directory.bytes_b},
                    {"delta", directory.delta()}});
  return list;
}

json FindingsJson(const std::vector<Finding>& findings) {
  json list = json::array();
  for (const Finding& finding : findings)
    list.push_back(
        {{"rule", finding.rule_id},
         {"severity", SeverityName(finding.severity)},
         {"title", finding.title},
         {"path", finding.has_path ? json("/" + finding.path) : json(nullptr)},
         {"stored_path", finding.stored_name.empty() ? json(nullptr) : json(finding.stored_name)},
         {"detail", finding.detail},
         {"layer", finding.layer < 0 ? json(nullptr) : json(finding.layer + 1)},
         {"base_image", finding.base},
         {"accepted", finding.accepted.empty() ? json(nullptr) : json(finding.accepted)}});
  return list;
}

int64_t SumOf(const std::vector<FileDiff>& files, int64_t FileDiff::*size) {
  int64_t total = 0;
  for (const FileDiff& file : files) total += file.*size;
  return total;
}

}  // namespace

std::string DiffText(const ImageDiff& diff, const Style& style, const DiffTextOptions& options) {
  std::string out;
  AppendHeader(diff, style, &out);
  AppendLayers(diff.layers, style, options.top, &out);
  AppendDirectories(diff.directories, style, options.top, &out);
  AppendFiles(diff, style, options.top, &out);
  if (diff.findings_compared) AppendFindings(diff, style, options.top, &out);
  return out;
}

json DiffJson(const ImageDiff& diff) {
  json report = {
      {"schema", kDiffSchema},
      {"strata_version", STRATA_VERSION},
      {"a", ImageJson(diff.a)},
      {"b", ImageJson(diff.b)},
      {"summary",
       {{"files_added", diff.added.size()},
        {"files_removed", diff.removed.size()},
        {"files_changed", diff.changed.size()},
        {"added_bytes", SumOf(diff.added, &FileDiff::size_b)},
        {"removed_bytes", SumOf(diff.removed, &FileDiff::size_a)},
        {"final_files_delta", diff.b.final_files - diff.a.final_files},
        {"final_bytes_delta", diff.b.final_bytes - diff.a.final_bytes}}},
      {"layers", LayersJson(diff.layers)},
      {"directories", DirectoriesJson(diff.directories)},
      {"files",
       {{"added", FilesJson(diff.added)},
        {"removed", FilesJson(diff.removed)},
        {"changed", FilesJson(diff.changed)}}},
      {"findings", nullptr},
  };
  if (diff.findings_compared)
    report["findings"] = {{"shared", diff.findings_shared},
                          {"only_a", FindingsJson(diff.findings_only_a)},
                          {"only_b", FindingsJson(diff.findings_only_b)}};
  return report;
}

}  // namespace strata
