#include "rules/shown_paths.h"

namespace strata {

std::vector<std::string> ShownPaths(const ContentScanner& scanner,
                                    const std::vector<std::string_view>& paths) {
  std::vector<bool> may_name_a_secret = scanner.MayMatch(paths);
  std::vector<std::string> shown;
  shown.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i)
    shown.push_back(may_name_a_secret[i] ? scanner.RedactPath(paths[i]) : std::string(paths[i]));
  return shown;
}

void RedactWastePaths(const ContentScanner& scanner, Analysis* analysis) {
  std::vector<std::string_view> paths;
  paths.reserve(analysis->waste.size());
  for (const WasteItem& item : analysis->waste) paths.push_back(item.path);
  std::vector<std::string> shown = ShownPaths(scanner, paths);

  for (size_t i = 0; i < paths.size(); ++i)
    if (shown[i] != paths[i])
      analysis->waste[i].path = analysis->shown_paths.emplace_back(std::move(shown[i]));
}

void RedactChangePaths(const ContentScanner& scanner, int only_layer, int limit,
                       Analysis* analysis) {
  std::vector<Change*> changes;
  for (Layer& layer : analysis->layers) {
    if (only_layer >= 0 && layer.index != only_layer) continue;
    size_t count = layer.changes.size();
    if (limit > 0) count = std::min(count, static_cast<size_t>(limit));
    for (size_t i = 0; i < count; ++i) changes.push_back(&layer.changes[i]);
  }
  std::vector<std::string_view> paths;
  paths.reserve(changes.size());
  for (const Change* change : changes) paths.push_back(change->path());
  std::vector<std::string> shown = ShownPaths(scanner, paths);

  for (size_t i = 0; i < changes.size(); ++i)
    if (shown[i] != paths[i])
      changes[i]->set_path(analysis->shown_paths.emplace_back(std::move(shown[i])));
}

void RedactDiffPaths(const ContentScanner& scanner, ImageDiff* diff) {
  std::vector<std::string*> targets;
  for (std::vector<FileDiff>* files : {&diff->added, &diff->removed, &diff->changed})
    for (FileDiff& file : *files) targets.push_back(&file.path);
  for (DirectoryDelta& directory : diff->directories) targets.push_back(&directory.path);
  std::vector<std::string_view> paths;
  paths.reserve(targets.size());
  for (const std::string* path : targets) paths.push_back(*path);
  std::vector<std::string> shown = ShownPaths(scanner, paths);

  for (size_t i = 0; i < targets.size(); ++i) *targets[i] = std::move(shown[i]);
}

}  // namespace strata
