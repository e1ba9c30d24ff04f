#include "tui/explorer.h"

#include <fmt/core.h>

#include "base/units.h"
#include "model/find_expression.h"
#include "report/listing.h"
#include "report/style.h"
#include "rules/catalog.h"

namespace strata {

namespace {

// The build step as the layers pane shows it, like audit's table does.
std::string StepLine(const HistoryStep* step) {
  if (step == nullptr) return "(no history)";
  if (!step->created_by.empty()) return Printable(DescribeStep(step->created_by));
  if (!step->comment.empty()) return Printable("(" + step->comment + ")");
  return "(no command recorded)";
}

const char* EventVerb(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kModified:
      return "modified";
    case ChangeKind::kMetadata:
      return "mode/owner changed";
    case ChangeKind::kRestored:
      return "stored again unchanged";
    case ChangeKind::kRemoved:
      return "removed";
  }
  return "?";
}

}  // namespace

Explorer::Explorer(const Analysis& analysis, std::vector<Finding> findings)
    : analysis_(analysis), findings_(std::move(findings)), history_(analysis), tree_(history_) {
  for (const Layer& layer : analysis.layers) {
    layers_.push_back({layer.index, layer.summary.content_bytes, StepLine(analysis.StepOf(layer))});
  }
  layer_cursor_.Fit(layers_.size());
  SelectLayer(0);
  users_ = ParseIdNames(KeptContent(analysis, "etc/passwd"));
  groups_ = ParseIdNames(KeptContent(analysis, "etc/group"));
}

void Explorer::SelectLayer(int index) {
  layer_cursor_.Set(static_cast<size_t>(std::max(0, index)), layers_.size());
  tree_.SetLayer(static_cast<int>(layer_cursor_.cursor));
}

void Explorer::MoveLayer(long delta) {
  layer_cursor_.Move(delta, layers_.size());
  tree_.SetLayer(static_cast<int>(layer_cursor_.cursor));
}

bool Explorer::Jump(int layer, const std::string& path) {
  if (layer < 0 || layer >= static_cast<int>(layers_.size())) return false;
  SelectLayer(layer);
  view_ = ExplorerView::kTree;
  focus_ = ExplorerFocus::kTree;
  if (tree_.Select(path)) return true;

  // Something hides it: show everything and try again.
  tree_.SetFilter("");
  tree_.SetChangesOnly(false);
  for (Mark mark : {Mark::kAdded, Mark::kModified, Mark::kRemoved, Mark::kUnchanged})
    tree_.SetHidden(mark, false);
  return tree_.Select(path);
}

bool Explorer::OpenSelected() {
  if (view_ == ExplorerView::kWaste && !waste().empty()) {
    const WasteItem& item = waste()[waste_cursor_.cursor];
    // Where the layer left it: a link on its way may have put it elsewhere.
    return Jump(item.layer, std::string(analysis_.merge.PlacedPath(item.entry)));
  }
  if (view_ == ExplorerView::kFindings && !findings_.empty()) {
    const Finding& finding = findings_[findings_cursor_.cursor];
    return Jump(finding.layer, finding.path);
  }
  return false;
}

std::string Explorer::Shown(std::string_view text) const {
  return Printable(shown_ ? shown_(text) : std::string(text));
}

// "app:staff (1000:50)" where the image names either id, else "1000:50".
std::string Explorer::OwnerText(uint32_t uid, uint32_t gid) const {
  std::string ids = fmt::format("{}:{}", uid, gid);
  auto user = users_.find(uid);
  auto group = groups_.find(gid);
  if (user == users_.end() && group == groups_.end()) return ids;
  std::string user_name = user != users_.end() ? Shown(user->second) : std::to_string(uid);
  std::string group_name = group != groups_.end() ? Shown(group->second) : std::to_string(gid);
  return fmt::format("{}:{} ({})", user_name, group_name, ids);
}

std::vector<std::string> Explorer::Details() {
  std::vector<std::string> lines;
  NodeId node;
  if (!tree_.CursorNode(&node)) return lines;
  std::string path = history_.PathOf(node);
  lines.push_back("/" + Shown(path));

  const PathEvent* shown = tree_.Shown(node);
  const LayerEntry* entry = shown != nullptr ? shown->entry : nullptr;
  Mark mark = tree_.MarkOf(node);
  if (entry == nullptr) {
    lines.push_back("type: dir (implied), mode drwxr-xr-x, owner 0:0");
  } else {
    EntryKind kind = entry->kind;
    const LayerEntry* inode = shown->content != nullptr ? shown->content : entry;
    // A symbolic link as ls -l shows it: 0777, whatever its header stored.
    uint32_t mode = kind == EntryKind::kSymlink ? 0777 : inode->mode;
    lines.push_back(fmt::format("type: {}, mode {} ({:04o}), owner {}", EntryKindName(kind),
                                ModeString(kind, mode), mode & 07777,
                                OwnerText(inode->uid, inode->gid)));
    if (!entry->link().empty())
      lines.push_back((kind == EntryKind::kHardlink ? "hard link to /" : "link: -> ") +
                      Shown(entry->link()));
  }
  // A symbolic link's size is its target's length, as ls -l gives it.
  bool link = entry != nullptr && entry->kind == EntryKind::kSymlink;
  std::string size =
      HumanBytes(link ? static_cast<int64_t>(entry->link().size()) : tree_.SizeOf(node));
  if (tree_.IsDirectory(node)) size += " beneath";
  lines.push_back("size: " + size);
  lines.push_back(fmt::format("layer {}: {}", tree_.layer() + 1, MarkName(mark)));

  // The layers that touched it, oldest first.
  std::string touched;
  for (const PathEvent& event : history_.Events(node))
    touched +=
        fmt::format("{}{} {}", touched.empty() ? "" : ", ", event.layer + 1, EventVerb(event.kind));
  if (!touched.empty()) lines.push_back("layers: " + touched);

  // Findings show paths as the screen does.
  std::string shown_path = shown_ ? shown_(path) : path;
  for (const Finding& finding : findings_)
    if (finding.path == shown_path)
      lines.push_back(fmt::format("finding: [{}] {}: {}", SeverityName(finding.severity),
                                  finding.rule_id, Printable(finding.detail)));
  return lines;
}

// The entry a finding names: what its layer stores at its path, or null
// (a finding of the config, a layer out of range). Searched, not indexed:
// only a save asks.
const LayerEntry* Explorer::FindingEntry(const Finding& finding) const {
  if (finding.layer < 0 || finding.layer >= static_cast<int>(analysis_.layers.size()))
    return nullptr;
  const std::string& path =
      finding.unredacted_path.empty() ? finding.path : finding.unredacted_path;
  for (const LayerEntry& entry : analysis_.layers[finding.layer].contents.entries)
    if (entry.path == path) return &entry;
  return nullptr;
}

bool Explorer::SaveTargetAtCursor(SaveTarget* target) {
  NodeId node;
  if (!tree_.CursorNode(&node)) return false;
  const PathEvent* shown = tree_.Shown(node);
  // Only a regular file's bytes (a hard link to a symbolic link has none).
  if (shown == nullptr || shown->entry == nullptr || shown->content == nullptr ||
      shown->content->kind != EntryKind::kFile)
    return false;
  // The path its layer stores it at, which a link on its way may have
  // led elsewhere in the tree: the save reads it from that layer.
  target->path = std::string(shown->entry->path);
  target->layer = shown->layer;
  target->secret = false;
  for (const Finding& finding : findings_) {
    // A rule not built in is the user's own pattern: taken for a secret's.
    const Rule* rule = FindRule(finding.rule_id);
    if (!finding.has_path || (rule != nullptr && std::string_view(rule->category) != "secret"))
      continue;
    const std::string& path =
        finding.unredacted_path.empty() ? finding.path : finding.unredacted_path;
    // The file itself, or another name of its bytes (a hard link either
    // way): the same secret under any name.
    const LayerEntry* named = FindingEntry(finding);
    if (path == target->path ||
        (named != nullptr && (named == shown->content || named == shown->entry)))
      target->secret = true;
  }
  return true;
}

}  // namespace strata
