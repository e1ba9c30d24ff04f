#include "model/dive_metrics.h"

#include <xxhash.h>

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
  std::sort(entries.begin(), entries.end(), [](const LayerEntry* a, const LayerEntry* b) {
    return std::string_view(a->path) < std::string_view(b->path);
  });

  // In sorted order, any path under P follows P (after siblings that sort
  // between "P" and "P/", like "P-x"), so look ahead past those. Views,
  // not strings: this runs on every entry.
  std::vector<const LayerEntry*> leaves;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string_view path = entries[i]->path;
    bool has_child = false;
    for (size_t j = i + 1; j < entries.size(); ++j) {
      std::string_view other = entries[j]->path;
      if (!other.starts_with(path)) break;
      if (other.size() > path.size() && other[path.size()] == '/') {
        has_child = true;
        break;
      }
    }
    if (!has_child) leaves.push_back(entries[i]);
  }
  return leaves;
}

}  // namespace

void DiveMetricsBuilder::AddLayer(int index, const LayerContents& layer, const LayerMerge& merge) {
  NoteWhiteouts(layer, merge);
  AddLeaves(index, layer);
}

void DiveMetricsBuilder::NoteWhiteouts(const LayerContents& layer, const LayerMerge& merge) {
  // Every whiteout, leaf or not (which AddLeaves decides): the few that
  // are not cost a walk that the merge makes anyway.
  for (const LayerEntry& entry : layer.entries)
    if (entry.kind == EntryKind::kWhiteout && !entry.path.empty())
      hidden_bytes_[&entry] = merge.StoredBytesBeneath(std::string(entry.path));
}

void DiveMetricsBuilder::AddLeaves(int index, const LayerContents& layer) {
  int64_t layer_size = 0;
  for (const LayerEntry& entry : layer.entries) layer_size += entry.size;
  image_size_ += layer_size;
  if (index > 0) user_size_ += layer_size;

  for (const LayerEntry* leaf : Leaves(layer)) {
    if (leaf->kind == EntryKind::kWhiteout) whiteout_leaves_.emplace_back(leaves_.size(), leaf);
    XXH128_hash_t hash = XXH3_128bits(leaf->path.data(), leaf->path.size());
    leaves_.push_back({hash.high64, hash.low64, leaf->size});
  }
}

DiveMetrics DiveMetricsBuilder::Finish() {
  for (const auto& [at, whiteout] : whiteout_leaves_) leaves_[at].size = hidden_bytes_.at(whiteout);

  // Leaves of one path are neighbours once sorted by hash.
  std::sort(leaves_.begin(), leaves_.end(), [](const Leaf& a, const Leaf& b) {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  });

  DiveMetrics metrics;
  int64_t minimum_total = 0;
  int64_t cumulative_total = 0;
  for (size_t begin = 0, end; begin < leaves_.size(); begin = end) {
    int64_t cumulative = 0;
    int64_t minimum = leaves_[begin].size;
    for (end = begin; end < leaves_.size() && leaves_[end].high == leaves_[begin].high &&
                      leaves_[end].low == leaves_[begin].low;
         ++end) {
      cumulative += leaves_[end].size;
      minimum = std::min(minimum, leaves_[end].size);
    }
    minimum_total += minimum;
    cumulative_total += cumulative;
    if (end - begin > 1) metrics.wasted_bytes += cumulative;
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
