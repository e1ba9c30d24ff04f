// dive's figures against a plain restatement of dive's rule, on layers
// large enough that the builder's hashing and bucketing see real work.
#include "model/dive_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"

namespace strata {
namespace {

LayerEntry Entry(const std::string& path, EntryKind kind, int64_t size) {
  LayerEntry entry;
  entry.path = path;
  entry.kind = kind;
  entry.size = size;
  return entry;
}

// dive's rule as written: a leaf is an entry (not an opaque marker, not
// the root) under which its layer stores nothing; leaves group by path.
DiveMetrics Reference(const std::vector<LayerContents>& layers) {
  struct Group {
    int64_t cumulative = 0, minimum = INT64_MAX;
    int count = 0;
  };
  std::map<std::string, Group> groups;
  DiveMetrics metrics;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::vector<LayerEntry>& entries = layers[i].entries;
    for (const LayerEntry& entry : entries) {
      metrics.image_size += entry.size;
      if (i > 0) metrics.user_size += entry.size;
      if (entry.kind == EntryKind::kOpaque || entry.path.empty()) continue;
      std::string below = std::string(entry.path) + "/";
      bool leaf = std::none_of(entries.begin(), entries.end(), [&](const LayerEntry& other) {
        return other.kind != EntryKind::kOpaque && other.path.starts_with(below);
      });
      if (!leaf) continue;
      Group& group = groups[std::string(entry.path)];
      group.cumulative += entry.size;
      group.minimum = std::min(group.minimum, entry.size);
      ++group.count;
    }
  }
  int64_t minimum_total = 0, cumulative_total = 0;
  for (const auto& [path, group] : groups) {
    minimum_total += group.minimum;
    cumulative_total += group.cumulative;
    if (group.count > 1) metrics.wasted_bytes += group.cumulative;
  }
  metrics.efficiency = cumulative_total == 0 ? 1.0 : 1.0 * minimum_total / cumulative_total;
  return metrics;
}

DiveMetrics Built(const std::vector<LayerContents>& layers) {
  DiveMetricsBuilder builder;
  for (size_t i = 0; i < layers.size(); ++i) builder.AddLeaves(static_cast<int>(i), layers[i]);
  return builder.Finish();
}

// dive's count of a layer's directories stops where the merge would: past
// the directories the layer stores and |max_implied| more.
TEST(DiveMetricsTest, ALayerImplyingTooManyDirectoriesIsRefused) {
  LayerContents layer;
  layer.Add(Entry("a", EntryKind::kDirectory, 0));
  layer.Add(Entry("a/b/c/d/f", EntryKind::kFile, 1));
  DiveMetricsBuilder fits;
  fits.set_max_implied(3);  // a/b, a/b/c and a/b/c/d; a is stored.
  fits.AddLeaves(0, layer);

  DiveMetricsBuilder builder;
  builder.set_max_implied(2);
  try {
    builder.AddLeaves(0, layer);
    ADD_FAILURE() << "three implied directories passed a limit of two";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "layer 1: its paths imply more than 2 directories that it does not store; raise "
              "--max-implied-dirs to read it");
  }
}

TEST(DiveMetricsTest, NamesBetweenAPathAndItsChildrenDoNotHideThem) {
  // "a-x" and "a.b" sort between "a" and "a/c": "a" still has a child.
  std::vector<LayerContents> layers(2);
  for (LayerContents& layer : layers) {
    layer.Add(Entry("a", EntryKind::kDirectory, 0));
    layer.Add(Entry("a-x", EntryKind::kFile, 5));
    layer.Add(Entry("a.b", EntryKind::kFile, 7));
    layer.Add(Entry("a/c", EntryKind::kFile, 11));
    layer.Add(Entry("d/e/f", EntryKind::kFile, 13));  // "d" and "d/e" stored by no entry.
    layer.Add(Entry("d", EntryKind::kOpaque, 0));     // Not a leaf, and no parent.
  }
  layers[1].Add(Entry("a", EntryKind::kDirectory, 0));  // A directory stored twice.
  DiveMetrics built = Built(layers);
  DiveMetrics want = Reference(layers);
  EXPECT_EQ(built.wasted_bytes, want.wasted_bytes);
  EXPECT_EQ(built.wasted_bytes, 2 * (5 + 7 + 11 + 13));
  EXPECT_DOUBLE_EQ(built.efficiency, want.efficiency);
}

TEST(DiveMetricsTest, ManyLayersOfRandomPathsMatchDivesRule) {
  std::mt19937 random(11);
  std::vector<LayerContents> layers(6);
  for (LayerContents& layer : layers) {
    for (int i = 0; i < 3000; ++i) {
      std::string path = "d" + std::to_string(random() % 7);
      int depth = static_cast<int>(random() % 3);
      for (int level = 0; level < depth; ++level) path += "/s" + std::to_string(random() % 5);
      bool file = random() % 3 != 0;
      layer.Add(Entry(path + (file ? "/f" + std::to_string(random() % 400) : ""),
                      file ? EntryKind::kFile : EntryKind::kDirectory,
                      file ? static_cast<int64_t>(random() % 1000) : 0));
    }
  }
  DiveMetrics built = Built(layers);
  DiveMetrics want = Reference(layers);
  EXPECT_GT(want.wasted_bytes, 0);
  EXPECT_EQ(built.wasted_bytes, want.wasted_bytes);
  EXPECT_DOUBLE_EQ(built.efficiency, want.efficiency);
  EXPECT_EQ(built.image_size, want.image_size);
  EXPECT_EQ(built.user_size, want.user_size);
}

// A leaf keeps sizes under 2 GiB in 32 bits and larger ones aside: both
// come back whole, mixed in one path's group.
TEST(DiveMetricsTest, SizesOfTwoGibibytesAndMoreCountWhole) {
  const int64_t big = (int64_t{5} << 30) + 3;
  const int64_t edge = (int64_t{1} << 31) - 1;
  std::vector<LayerContents> layers(3);
  layers[0].Add(Entry("model.bin", EntryKind::kFile, big));
  layers[0].Add(Entry("edge.bin", EntryKind::kFile, edge));
  layers[1].Add(Entry("model.bin", EntryKind::kFile, 10));
  layers[1].Add(Entry("edge.bin", EntryKind::kFile, edge + 1));
  layers[2].Add(Entry("model.bin", EntryKind::kFile, big + 1));
  DiveMetrics built = Built(layers);
  DiveMetrics want = Reference(layers);
  EXPECT_EQ(built.wasted_bytes, big + 10 + big + 1 + edge + edge + 1);
  EXPECT_EQ(built.wasted_bytes, want.wasted_bytes);
  EXPECT_DOUBLE_EQ(built.efficiency, want.efficiency);
}

}  // namespace
}  // namespace strata
