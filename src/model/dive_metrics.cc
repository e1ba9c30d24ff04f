#include "model/dive_metrics.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

namespace strata {

namespace {

// dive visits only the leaves of each layer's own tree: entries under which
// the same layer stores nothing. Opaque markers are not visited (dive keeps
// no node for them).
std::vector<const LayerEntry*> Leaves(const LayerContents& layer) {
  std::vector<const LayerEntry*> entries;
  for (const LayerEntry& entry : layer.entries)
    if (entry.kind != EntryKind::kOpaque && !entry.path.empty()) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const LayerEntry* a, const LayerEntry* b) { return a->path < b->path; });

  // In sorted order, any path under P follows P (after siblings that sort
  // between "P" and "P/", like "P-x"), so look ahead past those.
  std::vector<const LayerEntry*> leaves;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string prefix = entries[i]->path + "/";
    bool has_child = false;
    for (size_t j = i + 1; j < entries.size(); ++j) {
      const std::string& other = entries[j]->path;
      if (other.starts_with(prefix)) {
        has_child = true;
        break;
      }
      if (!other.starts_with(entries[i]->path)) break;
    }
    if (!has_child) leaves.push_back(entries[i]);
  }
  return leaves;
}

}  // namespace

void DiveMetricsBuilder::AddLayer(int index, const LayerContents& layer, const LayerMerge& merge) {
  int64_t layer_size = 0;
  for (const LayerEntry& entry : layer.entries) layer_size += entry.size;
  image_size_ += layer_size;
  if (index > 0) user_size_ += layer_size;

  for (const LayerEntry* leaf : Leaves(layer)) {
    int64_t size =
        leaf->kind == EntryKind::kWhiteout ? merge.StoredBytesBeneath(leaf->path) : leaf->size;
    PathData& data = paths_[leaf->path];
    data.cumulative += size;
    if (data.minimum < 0 || size < data.minimum) data.minimum = size;
    ++data.seen;
  }
}

DiveMetrics DiveMetricsBuilder::Finish() const {
  DiveMetrics metrics;
  int64_t minimum_total = 0;
  int64_t cumulative_total = 0;
  for (const auto& [path, data] : paths_) {
    minimum_total += data.minimum;
    cumulative_total += data.cumulative;
    if (data.seen > 1) metrics.wasted_bytes += data.cumulative;
  }

  metrics.efficiency = cumulative_total == 0 ? 1.0
                                             : static_cast<double>(minimum_total) /
                                                   static_cast<double>(cumulative_total);
  metrics.image_size = image_size_;
  metrics.user_size = user_size_;
  metrics.user_wasted_fraction =
      user_size_ == 0 ? std::nan("")
                      : static_cast<double>(metrics.wasted_bytes) / static_cast<double>(user_size_);
  return metrics;
}

}  // namespace strata
