// dive's efficiency metrics, computed the way dive 0.12–0.13 computes them,
// so that teams moving from dive keep their CI thresholds. strata's own,
// more complete waste figure lives in model/analysis (see doc/metrics.md for
// both formulas side by side).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "layer/layer_reader.h"
#include "model/layer_merge.h"

namespace strata {

struct DiveMetrics {
  double efficiency = 1.0;
  int64_t wasted_bytes = 0;
  int64_t image_size = 0;             // Sum of every layer's entry sizes.
  int64_t user_size = 0;              // The same for every layer but the first.
  double user_wasted_fraction = 0.0;  // wasted_bytes / user_size; NaN when user_size is 0.
};

class DiveMetricsBuilder {
 public:
  // Adds layer |index|: NoteWhiteouts then AddLeaves.
  void AddLayer(int index, const LayerContents& layer, const LayerMerge& merge);

  // Notes what each whiteout of |layer| hides. Must be called before
  // |merge| applies that layer: a whiteout of a directory counts what the
  // layers below held there.
  void NoteWhiteouts(const LayerContents& layer, const LayerMerge& merge);

  // Adds layer |index|'s leaves, layers in order. Needs no merge, so it may
  // run on another thread than NoteWhiteouts (sorting a layer's paths
  // costs as much as merging it); never on two threads at once.
  void AddLeaves(int index, const LayerContents& layer);

  // Makes room for |entries| leaves at once (the layers' entries, an
  // upper bound): grown by doubling, the list held up to twice that at
  // the merge's peak memory.
  void Reserve(size_t entries) { leaves_.reserve(entries); }

  // AddLeaves fails once a layer's paths imply more than |max| directories
  // (the merge's limit on its tree, --max-entries).
  void set_max_paths(int64_t max) { max_paths_ = max; }

  // AddLeaves also fails once a layer's paths imply more than |max|
  // directories that the layer does not store (the merge's limit,
  // LayerMerge::set_max_implied, for one layer).
  void set_max_implied(int64_t max) { max_implied_ = max; }

  // Sorts the leaves AddLeaves gave so far, on this thread; call it once
  // every layer is added, before Finish, on the thread that added them.
  // AddLeaves finishes long before the merge does, and the leaves' sort
  // then runs beside the merge instead of after it.
  void SortLeaves();

  // The metrics, once every layer went through both calls above. Sorts on
  // two threads, this one and one it starts, unless SortLeaves did.
  DiveMetrics Finish();

 private:
  // One leaf of one layer, its path by 96 bits of a 128-bit hash (ten
  // million paths collide with a chance under 1 in 10^15): dive's measure only
  // groups leaves by path, and 16 bytes a leaf cost less than a map keyed
  // by path (about 70 bytes a path, at the merge's peak memory).
  struct Leaf {
    uint64_t high;  // XXH3-128 of the path: its high half,
    uint32_t low;   // and a quarter more.
    uint32_t size;  // The size when under kLargeSize, else kLargeSize | its index in large_sizes_.
  };
  static_assert(sizeof(Leaf) == 16, "a leaf per file: keep it small");
  static constexpr uint32_t kLargeSize = 1u << 31;

  // A leaf's size as Leaf holds it, keeping a large one in large_sizes_.
  uint32_t PackSize(int64_t size);
  int64_t SizeOf(const Leaf& leaf) const {
    return (leaf.size & kLargeSize) != 0 ? large_sizes_[leaf.size & ~kLargeSize] : leaf.size;
  }

  static bool HashBefore(const Leaf& a, const Leaf& b) {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  }
  // Sorts |leaves| by hash, on two threads.
  static void SortByHash(std::vector<Leaf>* leaves);

  // Written by AddLeaves (and sorted by SortLeaves): every leaf but the
  // whiteouts', which get their sizes in Finish.
  std::vector<Leaf> leaves_;
  bool leaves_sorted_ = false;
  std::vector<int64_t> large_sizes_;  // Sizes of 2 GiB and more.
  std::vector<std::pair<Leaf, const LayerEntry*>> whiteout_leaves_;
  int64_t max_paths_ = INT64_MAX;
  int64_t max_implied_ = INT64_MAX;
  int64_t image_size_ = 0;
  int64_t user_size_ = 0;

  // Written by NoteWhiteouts: the stored bytes beneath each whiteout.
  std::unordered_map<const LayerEntry*, int64_t> hidden_bytes_;
};

}  // namespace strata
