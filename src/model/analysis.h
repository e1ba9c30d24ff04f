// The image model: everything strata knows about one image after one pass
// over its layers. Built by Analyze(); read by the reports and rules.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "layer/layer_reader.h"
#include "model/dive_metrics.h"
#include "model/file_tree.h"
#include "model/image_config.h"
#include "model/layer_merge.h"
#include "source/image_source.h"

namespace strata {

class LayerCache;

struct LayerSummary {
  int added_files = 0, modified_files = 0, metadata_files = 0, restored_files = 0;
  int removed_paths = 0;
  int64_t added_bytes = 0, modified_bytes = 0, metadata_bytes = 0, restored_bytes = 0;
  int64_t removed_bytes = 0;  // Bytes of lower layers this layer hid.
  int64_t wasted_bytes = 0;   // Bytes this layer stores that the final filesystem lacks.
  int64_t content_bytes = 0;  // Sum of this layer's file sizes.
};

struct Layer {
  int index = 0;                // 0-based; reports print index + 1.
  LayerBlob blob;               // Where it came from, as the manifest named it.
  std::string diff_id;          // Verified against the config.
  LayerContents contents;       // Entries, digests and sizes as read.
  int history_index = -1;       // Into config.history; -1 when unmatched.
  std::vector<Change> changes;  // Largest first.
  LayerSummary summary;
};

// A stored file version that never reaches the final filesystem.
struct WasteItem {
  const LayerEntry* entry;
  // The entry's own path; once RedactWastePaths ran, as the reports show
  // it (redacted where it names a secret). entry->path is the path itself.
  std::string_view path;
  int layer;              // Layer that stored it.
  int by_layer;           // Layer that removed or overwrote it.
  int64_t size;
  bool removed;  // True: the path was deleted (recoverable from the layer).
};

// Not copyable: the tree points into the layers' entries.
struct Analysis {
  bool config_only = false;  // Made with AnalyzeOptions::config_only.

  Analysis() = default;
  Analysis(Analysis&&) = default;
  Analysis& operator=(Analysis&&) = default;
  Analysis(const Analysis&) = delete;
  Analysis& operator=(const Analysis&) = delete;

  ImageSource source;
  ImageConfig config;
  std::vector<Layer> layers;
  LayerMerge merge;  // Holds the final filesystem: merge.tree().

  std::vector<WasteItem> waste;  // Largest first.
  // Paths as the reports show them where that differs from the entries'
  // own (a file named after a token, redacted); WasteItem::path may point
  // here.
  std::deque<std::string> shown_paths;
  int64_t wasted_bytes = 0;
  int64_t recoverable_bytes = 0;  // The part of waste whose paths were removed.
  int recoverable_files = 0;

  int64_t blob_bytes = 0;     // Stored (compressed) size of the distinct layer blobs.
  int64_t tar_bytes = 0;      // Uncompressed size of all layers.
  int64_t content_bytes = 0;  // File content in all layers.
  int64_t final_bytes = 0;    // File content of the final filesystem (hard links once).
  int64_t final_files = 0;    // Distinct regular files (hard links once).

  DiveMetrics dive;
  std::vector<std::string> warnings;

  const HistoryStep* StepOf(const Layer& layer) const {
    return layer.history_index < 0 ? nullptr : &config.history[layer.history_index];
  }
};

struct AnalyzeOptions {
  // Layers read at once; 0: one per core. 1 also keeps each layer on one
  // thread (a big layer otherwise uses three).
  int threads = 0;
  // Raw bytes read so far, summed over layers; for a progress display.
  std::atomic<int64_t>* bytes_read = nullptr;
  // Sees file contents as layers are read (the content rules); may be null.
  const ContentInspector* inspector = nullptr;
  ReadLimits limits;
  // Per-layer results from earlier runs, and where this run's go; may be
  // null. Layers found there are not read (see cache/layer_cache.h).
  LayerCache* cache = nullptr;
  // Read only the manifest and config: no layer is opened, nothing merged
  // (history needs no more). Layer summaries stay empty.
  bool config_only = false;
};

// Reads every layer of |source| (in parallel), verifies every digest and
// diff_id, merges the layers and computes waste. Throws Error on anything
// unreadable or inconsistent, naming the layer.
Analysis Analyze(ImageSource source, const AnalyzeOptions& options);

// The filesystem as layers 0..|last| (0-based) leave it: for views "as of
// layer N". Warnings of the merge are dropped (Analyze reported them).
LayerMerge MergeThrough(const Analysis& analysis, int last);

// The content of |path| as the final filesystem has it, when a content
// inspector kept it during Analyze; "" otherwise.
std::string KeptContent(const Analysis& analysis, const std::string& path);

// Total stored bytes of |source|'s layers when the source knows them, else
// -1; lets a progress display show a fraction.
int64_t KnownBlobBytes(const ImageSource& source);

}  // namespace strata
