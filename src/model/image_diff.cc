#include "model/image_diff.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_set>

#include "base/error.h"
#include "model/image_config.h"

namespace strata {

namespace {

DiffImage DescribeImage(const Analysis& analysis) {
  DiffImage image;
  image.input = analysis.source.input;
  image.reference = analysis.source.reference;
  image.format = analysis.source.format;
  image.endpoint = analysis.source.endpoint;
  image.layers = static_cast<int>(analysis.layers.size());
  image.blob_bytes = analysis.blob_bytes;
  image.final_files = analysis.final_files;
  image.final_bytes = analysis.final_bytes;
  return image;
}

DiffLayer DescribeLayer(const Analysis& analysis, const Layer& layer) {
  DiffLayer described{layer.index, layer.diff_id, layer.summary.content_bytes, ""};
  if (const HistoryStep* step = analysis.StepOf(layer)) {
    described.step = !step->created_by.empty() ? DescribeStep(step->created_by)
                     : !step->comment.empty()  ? "(" + step->comment + ")"
                                               : "";
  }
  return described;
}

LayerComparison CompareLayers(const Analysis& a, const Analysis& b) {
  LayerComparison layers;
  while (layers.shared_prefix < static_cast<int>(std::min(a.layers.size(), b.layers.size())) &&
         a.layers[layers.shared_prefix].diff_id == b.layers[layers.shared_prefix].diff_id)
    ++layers.shared_prefix;

  std::unordered_set<std::string> in_a, in_b, listed;
  for (const Layer& layer : a.layers) in_a.insert(layer.diff_id);
  for (const Layer& layer : b.layers) in_b.insert(layer.diff_id);
  for (const Layer& layer : a.layers) {
    if (!in_b.count(layer.diff_id))
      layers.only_a.push_back(DescribeLayer(a, layer));
    else if (listed.insert(layer.diff_id).second)
      layers.shared.push_back(layer.diff_id);
  }
  for (const Layer& layer : b.layers)
    if (!in_a.count(layer.diff_id)) layers.only_b.push_back(DescribeLayer(b, layer));
  return layers;
}

// The content hash of a regular file; 0 for a hard link whose target no
// layer stored (the merge warned about it), which has no content.
uint64_t ContentHash(const FileNode* node) {
  return node->content != nullptr ? node->content->content_hash : 0;
}

// Which attributes of one path differ. Symbolic links' modes are left
// out: Linux ignores them and builders store them inconsistently.
uint32_t Differences(const FileNode* a, const FileNode* b) {
  EntryKind kind = a->kind();
  if (kind != b->kind()) return kDiffType;

  uint32_t differences = 0;
  if (kind == EntryKind::kFile) {
    if (a->size() != b->size()) differences |= kDiffSize;
    if (ContentHash(a) != ContentHash(b) || (a->content == nullptr) != (b->content == nullptr))
      differences |= kDiffContent;
  }
  if (kind == EntryKind::kSymlink && a->symlink_target() != b->symlink_target())
    differences |= kDiffLink;
  if ((kind == EntryKind::kCharDevice || kind == EntryKind::kBlockDevice) &&
      (a->inode()->device_major() != b->inode()->device_major() ||
       a->inode()->device_minor() != b->inode()->device_minor()))
    differences |= kDiffDevice;
  if (kind != EntryKind::kSymlink && a->mode() != b->mode()) differences |= kDiffMode;
  if (a->uid() != b->uid() || a->gid() != b->gid()) differences |= kDiffOwner;
  return differences;
}

// Walks both trees at once, each directory's children merged in name
// order; a path missing on one side is passed as null. Iterative: a layer
// may nest directories deeper than the stack.
class TreeComparer {
 public:
  explicit TreeComparer(ImageDiff* diff) : diff_(diff) {}

  // Compares everything beneath |a| and |b| (the roots: "" for |path|).
  void CompareChildren(const FileNode* a, const FileNode* b, const std::string& path) {
    std::vector<Pair> open = {Opened(a, b, path)};
    while (!open.empty()) {
      Pair& dir = open.back();
      bool more_a = dir.next_a < dir.children_a.size();
      bool more_b = dir.next_b < dir.children_b.size();
      if (!more_a && !more_b) {
        open.pop_back();
        continue;
      }

      const FileNode* child_a = more_a ? dir.children_a[dir.next_a] : nullptr;
      const FileNode* child_b = more_b ? dir.children_b[dir.next_b] : nullptr;
      bool take_a = !more_b || (more_a && child_a->name() <= child_b->name());
      bool take_b = !more_a || (more_b && child_b->name() <= child_a->name());
      std::string child_path =
          dir.path + "/" + std::string(take_a ? child_a->name() : child_b->name());
      if (take_a) ++dir.next_a;
      if (take_b) ++dir.next_b;

      // |dir| may move when |open| grows.
      Compare(take_a ? child_a : nullptr, take_b ? child_b : nullptr, child_path);
      Pair beneath = Opened(take_a ? child_a : nullptr, take_b ? child_b : nullptr, child_path);
      if (!beneath.children_a.empty() || !beneath.children_b.empty())
        open.push_back(std::move(beneath));
    }
  }

 private:
  // A directory on either side, and how far the walk through it has got.
  struct Pair {
    std::string path;
    std::vector<const FileNode*> children_a, children_b;
    size_t next_a = 0, next_b = 0;
  };

  static Pair Opened(const FileNode* a, const FileNode* b, const std::string& path) {
    Pair pair;
    pair.path = path;
    if (a != nullptr && a->is_directory()) pair.children_a = a->Children();
    if (b != nullptr && b->is_directory()) pair.children_b = b->Children();
    return pair;
  }

  void Compare(const FileNode* a, const FileNode* b, const std::string& path) {
    FileDiff file;
    file.path = path;
    if (a != nullptr) {
      file.type_a = a->kind();
      file.size_a = a->size();
    }
    if (b != nullptr) {
      file.type_b = b->kind();
      file.size_b = b->size();
    }
    if (a == nullptr) {
      file.change = FileChange::kAdded;
      diff_->added.push_back(file);
    } else if (b == nullptr) {
      file.change = FileChange::kRemoved;
      diff_->removed.push_back(file);
    } else if ((file.differences = Differences(a, b)) != 0) {
      diff_->changed.push_back(file);
    }
  }

  ImageDiff* diff_;
};

void SortFiles(ImageDiff* diff) {
  auto by = [](auto size) {
    return [size](const FileDiff& x, const FileDiff& y) {
      return size(x) != size(y) ? size(x) > size(y) : x.path < y.path;
    };
  };
  std::sort(diff->added.begin(), diff->added.end(), by([](const FileDiff& f) { return f.size_b; }));
  std::sort(diff->removed.begin(), diff->removed.end(),
            by([](const FileDiff& f) { return f.size_a; }));
  std::sort(diff->changed.begin(), diff->changed.end(),
            by([](const FileDiff& f) { return f.delta() < 0 ? -f.delta() : f.delta(); }));
}

// Adds |tree|'s regular-file bytes to |directories| by top-level
// directory, on side a (|side_a|) or b. Hard links share one content,
// counted once, as Analysis::final_bytes counts it.
void SumDirectories(const FileTree& tree, bool side_a,
                    std::map<std::string, DirectoryDelta>* directories) {
  for (const FileNode* child : tree.root()->Children())
    if (child->is_directory()) {
      std::string path = "/" + std::string(child->name());
      (*directories)[path].path = path;
    }

  std::unordered_set<const LayerEntry*> counted;
  FileTree::Walk(tree.root(), "", [&](const FileNode* node, const std::string& path) {
    if (node->kind() != EntryKind::kFile || node->content == nullptr ||
        !counted.insert(node->content).second)
      return;
    size_t slash = path.find('/');
    std::string top = slash == std::string::npos ? "/" : "/" + path.substr(0, slash);
    DirectoryDelta& directory = (*directories)[top];
    directory.path = top;
    (side_a ? directory.files_a : directory.files_b) += 1;
    (side_a ? directory.bytes_a : directory.bytes_b) += node->size();
  });
}

std::vector<DirectoryDelta> CompareDirectories(const FileTree& a, const FileTree& b) {
  std::map<std::string, DirectoryDelta> by_path;
  SumDirectories(a, true, &by_path);
  SumDirectories(b, false, &by_path);
  std::vector<DirectoryDelta> directories;
  for (auto& [path, directory] : by_path) directories.push_back(directory);
  std::stable_sort(directories.begin(), directories.end(),
                   [](const DirectoryDelta& x, const DirectoryDelta& y) {
                     return std::abs(x.delta()) > std::abs(y.delta());
                   });
  return directories;
}

// Findings are the same when rule, path (and stored name) and detail are:
// the layer that holds them may differ between two builds of one
// Dockerfile.
std::string FindingKey(const Finding& finding) {
  return finding.rule_id + '\x1f' + finding.path + '\x1f' + finding.stored_name + '\x1f' +
         finding.detail;
}

void CompareFindings(const RuleResults& a, const RuleResults& b, ImageDiff* diff) {
  std::set<std::string> keys_a, keys_b;
  for (const Finding& finding : a.findings) keys_a.insert(FindingKey(finding));
  for (const Finding& finding : b.findings) keys_b.insert(FindingKey(finding));
  for (const Finding& finding : a.findings) {
    if (keys_b.count(FindingKey(finding)))
      ++diff->findings_shared;
    else
      diff->findings_only_a.push_back(finding);
  }
  for (const Finding& finding : b.findings)
    if (!keys_a.count(FindingKey(finding))) diff->findings_only_b.push_back(finding);
  diff->findings_compared = true;
}

}  // namespace

const char* FileChangeName(FileChange change) {
  switch (change) {
    case FileChange::kAdded:
      return "added";
    case FileChange::kRemoved:
      return "removed";
    case FileChange::kChanged:
      break;
  }
  return "changed";
}

std::vector<std::string> FileDifferenceNames(uint32_t differences) {
  static const std::pair<FileDifference, const char*> kNames[] = {
      {kDiffType, "type"},   {kDiffSize, "size"}, {kDiffContent, "content"}, {kDiffMode, "mode"},
      {kDiffOwner, "owner"}, {kDiffLink, "link"}, {kDiffDevice, "device"}};
  std::vector<std::string> names;
  for (auto [bit, name] : kNames)
    if (differences & bit) names.push_back(name);
  return names;
}

ImageDiff DiffImages(const Analysis& a, const Analysis& b, const RuleResults* rules_a,
                     const RuleResults* rules_b) {
  if (a.config_only || b.config_only)
    Fail("diff needs both images' layers read, not only their configs");
  ImageDiff diff;
  diff.a = DescribeImage(a);
  diff.b = DescribeImage(b);
  diff.layers = CompareLayers(a, b);

  TreeComparer(&diff).CompareChildren(a.merge.tree().root(), b.merge.tree().root(), "");
  SortFiles(&diff);
  diff.directories = CompareDirectories(a.merge.tree(), b.merge.tree());

  if (rules_a != nullptr && rules_b != nullptr) CompareFindings(*rules_a, *rules_b, &diff);
  return diff;
}

}  // namespace strata
