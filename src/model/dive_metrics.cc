#include "model/dive_metrics.h"

#include <fmt/core.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"

namespace strata {

namespace {

// A set of paths by open addressing, for one layer's directories: a
// std::unordered_set allocates a node a path.
class PathSet {
 public:
  explicit PathSet(size_t expected) {
    size_t size = 64;
    while (size < expected * 2) size *= 2;
    slots_.resize(size);
  }

  // Adds |path|, which must outlive the set; returns false when it was
  // there already.
  bool Insert(std::string_view path) {
    Slot& slot = slots_[SlotOf(path)];
    if (slot.used) return false;
    slot = {path.data(), path.size(), true};
    if (++count_ * 2 > slots_.size()) Grow();
    return true;
  }

  bool Contains(std::string_view path) const { return slots_[SlotOf(path)].used; }
  size_t size() const { return count_; }

 private:
  struct Slot {
    const char* data = nullptr;
    size_t size = 0;
    bool used = false;
  };

  // The slot holding |path|, or the empty one where it would go.
  size_t SlotOf(std::string_view path) const {
    size_t mask = slots_.size() - 1;
    for (size_t i = XXH3_64bits(path.data(), path.size()) & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (!slot.used || std::string_view(slot.data, slot.size) == path) return i;
    }
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old)
      if (slot.used) slots_[SlotOf({slot.data, slot.size})] = slot;
  }

  std::vector<Slot> slots_;
  size_t count_ = 0;
};

// dive visits only the leaves of each layer's own tree: entries under which
// the same layer stores nothing. Opaque markers are not visited (dive keeps
// no node for them). In the layer's order: Finish groups leaves by path,
// so their order does not show.
std::vector<const LayerEntry*> Leaves(int index, const LayerContents& layer, int64_t max_paths,
                                      int64_t max_implied) {
  auto visited = [](const LayerEntry& entry) {
    return entry.kind != EntryKind::kOpaque && !entry.path.empty();
  };
  // Parents beyond the directories the layer stores are implied ones
  // (or stored by a layer below): bounded as the merge bounds them.
  int64_t stored_directories =
      std::count_if(layer.entries.begin(), layer.entries.end(),
                    [](const LayerEntry& entry) { return entry.kind == EntryKind::kDirectory; });
  int64_t stored_and_implied = INT64_MAX;
  if (__builtin_add_overflow(stored_directories, max_implied, &stored_and_implied))
    stored_and_implied = INT64_MAX;
  bool implied_first = stored_and_implied < max_paths;
  int64_t max_parents = implied_first ? stored_and_implied : max_paths;

  // Every path that is some entry's path up to one of its slashes: the
  // entries with something beneath them. Sorting the paths instead cost
  // as much as merging the layer.
  PathSet parents(layer.entries.size() / 2);
  for (const LayerEntry& entry : layer.entries) {
    if (!visited(entry)) continue;
    std::string_view path = entry.path;
    // Longest first: once one is known, so are all shorter ones.
    for (size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
         slash = path.rfind('/', slash - 1))
      if (!parents.Insert(path.substr(0, slash))) break;
    // A few thousand entries nested thousands deep imply millions of
    // directories: stop where the merge would.
    if (static_cast<int64_t>(parents.size()) > max_parents) {
      if (!implied_first)
        Fail(
            "layer {}: its paths make more than {} files and directories; raise --max-entries "
            "to read it",
            index + 1, max_paths);
      Fail(
          "layer {}: its paths imply more than {} directories that it does not store; raise "
          "--max-implied-dirs to read it",
          index + 1, max_implied);
    }
  }

  std::vector<const LayerEntry*> leaves;
  for (const LayerEntry& entry : layer.entries)
    if (visited(entry) && !parents.Contains(entry.path)) leaves.push_back(&entry);
  return leaves;
}

}  // namespace

// Split by the hash's top bit, then each half sorted on a thread of its
// own: Finish comes after the merge, when a second core has nothing else
// to do, and the sort was a sixth of the merge's time. (A radix sort in
// place scattered its writes and took longer than std::sort alone.)
void DiveMetricsBuilder::SortByHash(std::vector<Leaf>* leaves) {
  auto middle = std::partition(leaves->begin(), leaves->end(),
                               [](const Leaf& leaf) { return leaf.high >> 63 == 0; });
  std::thread upper([&] { std::sort(middle, leaves->end(), HashBefore); });
  std::sort(leaves->begin(), middle, HashBefore);
  upper.join();
}

uint32_t DiveMetricsBuilder::PackSize(int64_t size) {
  if (size < kLargeSize) return static_cast<uint32_t>(size);
  large_sizes_.push_back(size);
  return kLargeSize | static_cast<uint32_t>(large_sizes_.size() - 1);
}

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

  for (const LayerEntry* leaf : Leaves(index, layer, max_paths_, max_implied_)) {
    XXH128_hash_t hash = XXH3_128bits(leaf->path.data(), leaf->path.size());
    Leaf packed{hash.high64, static_cast<uint32_t>(hash.low64), 0};
    if (leaf->kind == EntryKind::kWhiteout) {
      whiteout_leaves_.emplace_back(packed, leaf);  // Its size comes in Finish.
    } else {
      packed.size = PackSize(leaf->size);
      leaves_.push_back(packed);
    }
  }
}

void DiveMetricsBuilder::SortLeaves() {
  std::sort(leaves_.begin(), leaves_.end(), HashBefore);
  leaves_sorted_ = true;
}

DiveMetrics DiveMetricsBuilder::Finish() {
  // Leaves of one path are neighbours once sorted by hash. The whiteouts'
  // (a few) are sorted apart, now that their sizes are known, and merged in.
  std::vector<Leaf> whiteouts;
  whiteouts.reserve(whiteout_leaves_.size());
  for (auto [leaf, whiteout] : whiteout_leaves_) {
    leaf.size = PackSize(hidden_bytes_.at(whiteout));
    whiteouts.push_back(leaf);
  }
  if (!leaves_sorted_) SortByHash(&leaves_);
  std::sort(whiteouts.begin(), whiteouts.end(), HashBefore);
  size_t sorted = leaves_.size();
  leaves_.insert(leaves_.end(), whiteouts.begin(), whiteouts.end());
  std::inplace_merge(leaves_.begin(), leaves_.begin() + static_cast<ptrdiff_t>(sorted),
                     leaves_.end(), HashBefore);

  DiveMetrics metrics;
  int64_t minimum_total = 0;
  int64_t cumulative_total = 0;
  for (size_t begin = 0, end; begin < leaves_.size(); begin = end) {
    int64_t cumulative = 0;
    int64_t minimum = SizeOf(leaves_[begin]);
    for (end = begin; end < leaves_.size() && leaves_[end].high == leaves_[begin].high &&
                      leaves_[end].low == leaves_[begin].low;
         ++end) {
      cumulative += SizeOf(leaves_[end]);
      minimum = std::min(minimum, SizeOf(leaves_[end]));
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
