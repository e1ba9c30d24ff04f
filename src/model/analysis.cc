#include "model/analysis.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <numeric>
#include <optional>
#include <thread>
#include <unordered_set>

#include "base/buffer_pool.h"
#include "base/error.h"
#include "base/units.h"
#include "cache/layer_cache.h"
#include "model/tree_visit.h"

namespace strata {

namespace {

std::string ShortDigest(const std::string& digest) {
  return digest.size() > 19 ? digest.substr(0, 19) : digest;
}

std::string LayerName(int index, const LayerBlob& blob, const std::string& diff_id) {
  const std::string& id = blob.digest.empty() ? diff_id : blob.digest;
  return fmt::format("layer {} ({})", index + 1, ShortDigest(id));
}

// Reads one layer and checks its digests against the manifest and config.
LayerContents ReadAndVerify(int index, const LayerBlob& blob, const std::string& diff_id,
                            const AnalyzeOptions& analyze, std::atomic<int64_t>* image_bytes) {
  LayerReadOptions options;
  options.image_bytes = image_bytes;
  options.name = LayerName(index, blob, diff_id);
  options.blob_digest = blob.digest;
  options.bytes_read = analyze.bytes_read;
  options.inspector = analyze.inspector;
  options.limits = analyze.limits;
  options.pipelined = analyze.threads != 1;
  std::unique_ptr<ByteReader> reader = blob.open();
  LayerContents contents = ReadLayer(*reader, options);

  if (!blob.digest.empty() && contents.blob_digest != blob.digest)
    Fail("{}: blob digest mismatch: the manifest says {}, the bytes hash to {}", options.name,
         blob.digest, contents.blob_digest);
  if (contents.diff_id != diff_id)
    Fail("{}: diff_id mismatch: the config says {}, the uncompressed tar hashes to {}",
         options.name, diff_id, contents.diff_id);
  return contents;
}

// The layer's result from the cache when it has one for this blob, else
// read from the blob (and handed to the cache). |scope| is "" when this
// read must not be cached.
LayerContents ReadOrReuse(const Layer& layer, const std::string& scope,
                          const AnalyzeOptions& options, std::atomic<int64_t>* image_bytes) {
  LayerCache* cache = scope.empty() ? nullptr : options.cache;
  if (cache != nullptr) {
    std::optional<LayerContents> cached = cache->Find(layer.diff_id, scope, layer.blob);
    if (cached) {
      if (options.bytes_read != nullptr) *options.bytes_read += cached->blob_size;
      // A layer from the cache counts against the image's limit as if it
      // had been read.
      if (image_bytes->fetch_add(cached->tar_size) + cached->tar_size >
          options.limits.max_image_bytes)
        Fail(
            "{}: the image's layers expand to more than {} bytes together; raise "
            "--max-image-bytes to read it",
            LayerName(layer.index, layer.blob, layer.diff_id), options.limits.max_image_bytes);
      return std::move(*cached);
    }
  }
  // The file's identity is taken before the read: a file changed while it
  // is read must not be remembered as the bytes that were verified.
  std::string identity = cache != nullptr && layer.blob.identity ? layer.blob.identity() : "";
  LayerContents contents =
      ReadAndVerify(layer.index, layer.blob, layer.diff_id, options, image_bytes);
  if (cache != nullptr) {
    cache->NoteVerified(identity, contents.blob_digest);
    cache->Add(scope, contents);
  }
  return contents;
}

// Reads all layers, |threads| at a time, largest first so one big layer
// starts early instead of finishing last. Rethrows the first error in layer
// order once every worker has stopped.
void ReadLayers(Analysis* analysis, int threads, const AnalyzeOptions& options) {
  std::vector<Layer>& layers = analysis->layers;
  std::vector<size_t> order(layers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&layers](size_t a, size_t b) {
    return layers[a].blob.size > layers[b].blob.size;
  });

  std::string scope = options.cache ? LayerCacheScope(options.inspector, options.limits) : "";
  std::vector<std::exception_ptr> errors(layers.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<int64_t> image_bytes{0};
  std::atomic<int64_t> image_entries{0};
  auto work = [&] {
    for (size_t i; !failed && (i = next.fetch_add(1)) < order.size();) {
      Layer& layer = layers[order[i]];
      try {
        layer.contents = ReadOrReuse(layer, scope, options, &image_bytes);
        // Counted as layers come in, so that an image over the limit stops
        // the layers not yet read, not after all of them.
        int64_t entries = static_cast<int64_t>(layer.contents.entries.size());
        if (image_entries.fetch_add(entries) + entries > options.limits.max_entries)
          Fail("the image has more than {} entries; raise --max-entries to read it",
               options.limits.max_entries);
      } catch (...) {
        errors[order[i]] = std::current_exception();
        failed = true;
      }
    }
  };

  int count = std::max(1, std::min<int>(threads, static_cast<int>(layers.size())));
  std::vector<std::thread> workers;
  for (int t = 1; t < count; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  ReleasePooledBuffers();
  // Layers read before another failed are still worth keeping.
  if (!scope.empty()) options.cache->Commit();

  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

// Pairs layers with the history steps that made them: the steps not marked
// empty_layer, in order. Images edited by hand or by some tools do not line
// up; then the steps are matched from the first and the rest left blank.
void MatchHistory(Analysis* analysis) {
  std::vector<int> steps;
  const std::vector<HistoryStep>& history = analysis->config.history;
  for (size_t i = 0; i < history.size(); ++i)
    if (!history[i].empty_layer) steps.push_back(static_cast<int>(i));

  if (!history.empty() && steps.size() != analysis->layers.size())
    analysis->warnings.push_back(fmt::format(
        "the history has {} that made {} but the image has {}; build steps may be shown against "
        "the wrong layers",
        Count(static_cast<int64_t>(steps.size()), "step"), steps.size() == 1 ? "a layer" : "layers",
        Count(static_cast<int64_t>(analysis->layers.size()), "layer")));
  for (size_t i = 0; i < analysis->layers.size() && i < steps.size(); ++i)
    analysis->layers[i].history_index = steps[i];
}

void Summarize(Layer* layer) {
  LayerSummary& s = layer->summary;
  for (const Change& change : layer->changes) {
    switch (change.kind()) {
      case ChangeKind::kAdded:
        ++s.added_files;
        s.added_bytes += change.size();
        break;
      case ChangeKind::kModified:
        ++s.modified_files;
        s.modified_bytes += change.size();
        break;
      case ChangeKind::kMetadata:
        ++s.metadata_files;
        s.metadata_bytes += change.size();
        break;
      case ChangeKind::kRestored:
        ++s.restored_files;
        s.restored_bytes += change.size();
        break;
      case ChangeKind::kRemoved:
        ++s.removed_paths;
        s.removed_bytes += change.size();
        break;
    }
  }
  for (const LayerEntry& entry : layer->contents.entries) s.content_bytes += entry.size;
  std::stable_sort(layer->changes.begin(), layer->changes.end(),
                   [](const Change& a, const Change& b) { return a.size() > b.size(); });
  layer->changes.shrink_to_fit();
}

// dive's leaves need only the layers: they are found on a thread of their
// own while the merge runs (each took a quarter of the merge's time).
// Each layer's summary is made there too (see below).
void MergeLayers(Analysis* analysis, const ReadLimits& limits) {
  size_t entries = 0;
  for (const Layer& layer : analysis->layers) entries += layer.contents.entries.size();
  int64_t max_implied = limits.ImpliedDirsFor(static_cast<int64_t>(entries));
  analysis->merge.set_max_nodes(limits.max_entries);
  analysis->merge.set_max_implied(max_implied);
  DiveMetricsBuilder dive;
  dive.set_max_paths(limits.max_entries);
  dive.set_max_implied(max_implied);
  dive.Reserve(entries);
  // Layers that store the same paths again make fewer nodes than entries,
  // and whiteouts make none: counting them too doubled the table of the
  // scale image (1.48 million entries, 100,000 of them whiteouts) to 32
  // MiB, 11 bytes an entry more.
  size_t nodes = 0;
  for (const Layer& layer : analysis->layers)
    for (const LayerEntry& entry : layer.contents.entries) nodes += !entry.is_whiteout();
  analysis->merge.Reserve(std::min<size_t>(nodes, static_cast<size_t>(limits.max_entries)));

  // The leaves' thread is done with them long before the merge is done
  // with the layers, so it also sorts them, and then counts and sorts
  // each layer's changes once the merge has applied that layer (a tenth
  // of the merge's time each, taken off it).
  std::vector<Layer>& layers = analysis->layers;
  constexpr size_t kMergeFailed = SIZE_MAX;
  std::atomic<size_t> merged{0};  // Layers applied.
  std::exception_ptr leaves_error;
  std::thread leaves([&] {
    try {
      for (const Layer& layer : layers) dive.AddLeaves(layer.index, layer.contents);
      dive.SortLeaves();
      for (size_t i = 0; i < layers.size(); ++i) {
        size_t seen;
        while ((seen = merged.load()) <= i) merged.wait(seen);
        if (seen == kMergeFailed) return;
        Summarize(&layers[i]);
      }
    } catch (...) {
      leaves_error = std::current_exception();
    }
  });

  try {
    for (Layer& layer : layers) {
      dive.NoteWhiteouts(layer.contents, analysis->merge);
      analysis->merge.Apply(layer.index, layer.contents, &layer.changes, &analysis->warnings);
      merged.store(static_cast<size_t>(layer.index) + 1);
      merged.notify_one();
    }
  } catch (...) {
    merged.store(kMergeFailed);
    merged.notify_one();
    leaves.join();
    throw;
  }
  leaves.join();
  if (leaves_error) std::rethrow_exception(leaves_error);
  analysis->dive = dive.Finish();
}

// Turns the merge's dropped file versions into waste, leaving out any whose
// bytes still reach the final filesystem through a hard link.
void ComputeWaste(Analysis* analysis) {
  // A file at its own path counts once; the content of a hard link counts
  // unless its file is at its own path too (or where a link on its way
  // put it). Only hard links can keep a
  // dropped version reachable: a dropped entry is at no path. Collecting
  // and sorting every node's content instead took a tenth of a warm audit
  // of a million files.
  const FileTree& tree = analysis->merge.tree();
  std::vector<const LayerEntry*> linked;
  auto count = [&](const FileNode* node) {
    // A hard link to a symbolic link is a link: no file, no bytes.
    if (node->kind() != EntryKind::kFile || node->content == nullptr) return;
    if (node->content != node->entry) {
      linked.push_back(node->content);
      return;
    }
    ++analysis->final_files;
    analysis->final_bytes += node->content->size;
  };
  VisitSubtree(tree.root(), count, ChildOrder::kAsStored);
  std::sort(linked.begin(), linked.end());
  linked.erase(std::unique(linked.begin(), linked.end()), linked.end());
  for (const LayerEntry* content : linked) {
    const FileNode* own = tree.Find(analysis->merge.PlacedPath(content));
    if (own != nullptr && own->entry == content) continue;
    ++analysis->final_files;
    analysis->final_bytes += content->size;
  }

  // Each stored version counts once, where it was first dropped.
  const std::vector<DroppedFile>& dropped = analysis->merge.dropped();
  std::vector<size_t> order(dropped.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&dropped](size_t a, size_t b) { return dropped[a].entry < dropped[b].entry; });
  std::vector<bool> counted(dropped.size(), false);
  for (size_t i = 0; i < order.size(); ++i)
    counted[order[i]] = i == 0 || dropped[order[i]].entry != dropped[order[i - 1]].entry;

  for (size_t i = 0; i < dropped.size(); ++i) {
    const DroppedFile& file = dropped[i];
    if (!counted[i] || std::binary_search(linked.begin(), linked.end(), file.entry)) continue;
    WasteItem item{file.entry,    file.entry->path, file.layer,
                   file.by_layer, file.entry->size, file.removed};
    analysis->wasted_bytes += item.size;
    analysis->layers[item.layer].summary.wasted_bytes += item.size;
    if (item.removed) {
      analysis->recoverable_bytes += item.size;
      ++analysis->recoverable_files;
    }
    analysis->waste.push_back(std::move(item));
  }
  std::stable_sort(analysis->waste.begin(), analysis->waste.end(),
                   [](const WasteItem& a, const WasteItem& b) { return a.size > b.size; });
}

}  // namespace

LayerMerge MergeThrough(const Analysis& analysis, int last) {
  LayerMerge merge;
  std::vector<Change> changes;
  std::vector<std::string> warnings;
  for (int i = 0; i <= last && i < static_cast<int>(analysis.layers.size()); ++i) {
    changes.clear();
    merge.Apply(i, analysis.layers[i].contents, &changes, &warnings);
  }
  return merge;
}

std::string KeptContent(const Analysis& analysis, const std::string& path) {
  const FileNode* node = analysis.merge.tree().Find(path);
  if (node == nullptr || node->content == nullptr) return "";
  for (const Layer& layer : analysis.layers)
    for (const auto& [index, text] : layer.contents.kept)
      if (&layer.contents.entries[index] == node->content) return text;
  return "";
}

int64_t KnownBlobBytes(const ImageSource& source) {
  int64_t total = 0;
  for (const LayerBlob& blob : source.layers) {
    if (blob.size < 0) return -1;
    total += blob.size;
  }
  return total;
}

Analysis Analyze(ImageSource source, const AnalyzeOptions& options) {
  Analysis analysis;
  analysis.config = ParseImageConfig(source.config_json, "the image config");
  analysis.source = std::move(source);
  analysis.warnings = analysis.source.warnings;

  const std::vector<std::string>& diff_ids = analysis.config.diff_ids;
  if (diff_ids.size() != analysis.source.layers.size())
    Fail("the image config lists {} but the manifest lists {}",
         Count(static_cast<int64_t>(diff_ids.size()), "diff_id"),
         Count(static_cast<int64_t>(analysis.source.layers.size()), "layer"));
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    Layer layer;
    layer.index = static_cast<int>(i);
    layer.blob = analysis.source.layers[i];
    layer.diff_id = diff_ids[i];
    analysis.layers.push_back(std::move(layer));
  }

  if (options.config_only) {
    analysis.config_only = true;
    MatchHistory(&analysis);
    return analysis;
  }

  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ReadLayers(&analysis, threads, options);  // Holds the image to --max-entries too.
  for (const Layer& layer : analysis.layers)
    for (const std::string& warning : layer.contents.warnings)
      analysis.warnings.push_back(fmt::format("layer {}: {}", layer.index + 1, warning));

  MatchHistory(&analysis);
  MergeLayers(&analysis, options.limits);
  ComputeWaste(&analysis);

  // A blob that several layers share is stored once.
  std::unordered_set<std::string> stored;
  for (const Layer& layer : analysis.layers) {
    if (stored.insert(layer.contents.blob_digest).second)
      analysis.blob_bytes += layer.contents.blob_size;
    analysis.tar_bytes += layer.contents.tar_size;
    analysis.content_bytes += layer.summary.content_bytes;
  }
  return analysis;
}

}  // namespace strata
