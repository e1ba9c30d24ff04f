#include "rules/shown_paths.h"

#include <algorithm>
#include <functional>

namespace strata {

void ForEachRedacted(const ContentScanner& scanner, const std::vector<std::string_view>& paths,
                     const std::function<void(size_t, std::string)>& redacted) {
  std::vector<bool> may_name_a_secret = scanner.MayMatch(paths);
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!may_name_a_secret[i]) continue;
    std::string shown = scanner.RedactPath(paths[i]);
    if (shown != paths[i]) redacted(i, std::move(shown));
  }
}

void RedactWastePaths(const ContentScanner& scanner, Analysis* analysis) {
  std::vector<std::string_view> paths;
  paths.reserve(analysis->waste.size());
  for (const WasteItem& item : analysis->waste) paths.push_back(item.path);
  ForEachRedacted(scanner, paths, [analysis](size_t i, std::string path) {
    analysis->waste[i].path = analysis->shown_paths.emplace_back(std::move(path));
  });
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
  ForEachRedacted(scanner, paths, [&changes, analysis](size_t i, std::string path) {
    changes[i]->set_path(analysis->shown_paths.emplace_back(std::move(path)));
  });
}

void RedactDiffPaths(const ContentScanner& scanner, ImageDiff* diff) {
  std::vector<std::string*> targets;
  for (std::vector<FileDiff>* files : {&diff->added, &diff->removed, &diff->changed})
    for (FileDiff& file : *files) targets.push_back(&file.path);
  for (DirectoryDelta& directory : diff->directories) targets.push_back(&directory.path);
  std::vector<std::string_view> paths;
  paths.reserve(targets.size());
  for (const std::string* path : targets) paths.push_back(*path);
  // The views point into the strings: collect, then assign.
  std::vector<std::pair<size_t, std::string>> redacted;
  ForEachRedacted(scanner, paths, [&redacted](size_t i, std::string path) {
    redacted.emplace_back(i, std::move(path));
  });
  for (auto& [i, path] : redacted) *targets[i] = std::move(path);
}

std::string RedactPathsInText(const ContentScanner& scanner, std::string_view text,
                              bool bare_names) {
  std::string shown;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = std::min(text.find(' ', begin), text.size());
    std::string_view word = text.substr(begin, end - begin);
    bool path = bare_names || word.find('/') != std::string_view::npos;
    shown += path ? scanner.RedactPath(word) : std::string(word);
    if (end < text.size()) shown += ' ';
    begin = end + 1;
  }
  return shown;
}

void RedactWarnings(const ContentScanner& scanner, std::vector<std::string>* warnings) {
  for (std::string& warning : *warnings) warning = RedactPathsInText(scanner, warning);
}

}  // namespace strata
