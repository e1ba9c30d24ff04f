// Fuzzes the layer pipeline: the input's two halves are two layer blobs,
// each read by ReadLayer (compression by magic bytes, tar and PAX headers,
// whiteouts, path cleaning), then merged in order with dive's metrics
// beside, as Analyze does. The merged tree is walked at the end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "fuzz_support.h"
#include "layer/layer_reader.h"
#include "model/dive_metrics.h"
#include "model/layer_merge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view halves[2] = {input.substr(0, size / 2), input.substr(size / 2)};

  LayerReadOptions options;
  // Seeds are a few kB; mutated gzip and zstd headers that expand to tens
  // of MB spent whole seconds in hashing and held the run to 11 inputs a
  // second, so a layer stops at 4 MiB.
  options.limits.max_layer_bytes = 4 << 20;
  std::vector<std::unique_ptr<LayerContents>> layers;
  for (int i = 0; i < 2; ++i) {
    options.name = i == 0 ? "layer 1" : "layer 2";
    ViewReader reader(halves[i]);
    try {
      layers.push_back(std::make_unique<LayerContents>(ReadLayer(reader, options)));
    } catch (const Error&) {
      // A broken layer still leaves the other one to merge.
    }
  }

  LayerMerge merge;
  DiveMetricsBuilder dive;
  std::vector<Change> changes;
  std::vector<std::string> warnings;
  for (size_t i = 0; i < layers.size(); ++i) {
    dive.AddLayer(static_cast<int>(i), *layers[i], merge);
    merge.Apply(static_cast<int>(i), *layers[i], &changes, &warnings);
  }
  (void)dive.Finish();
  // Every file's size is a tar header's, checked non-negative by libarchive.
  FileTree::Walk(merge.tree().root(), "", [](const FileNode* node, const std::string&) {
    if (node->size() < 0) abort();
  });
  if (merge.StoredBytesBeneath("") < 0) abort();
  return 0;
}
