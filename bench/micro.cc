// Google Benchmark micro-benchmarks of the hot parts of an audit: tar
// header parsing, path insertion into the tree, whiteout application, the
// merge of a layer that rewrites part of the one below, and content
// scanning. Built with -DSTRATA_BENCHMARKS=ON; bench/run runs them.
// The inputs are made here, in memory, shaped like the scale image
// (many small files in nested directories).
#include <archive.h>
#include <archive_entry.h>
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "blob/byte_reader.h"
#include "layer/layer_cursor.h"
#include "layer/layer_reader.h"
#include "model/file_tree.h"
#include "model/layer_merge.h"
#include "rules/content_scanner.h"

namespace strata {
namespace {

std::string FileName(int i) {
  return fmt::format("data/d{:02d}/s{:02d}/f{:05d}.txt", i % 97, i % 13, i);
}

// A PAX tar of the given (path, content) files.
std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& files) {
  struct archive* archive = archive_write_new();
  archive_write_set_format_pax_restricted(archive);
  std::vector<char> buffer(files.size() * 2048 + (1 << 20));
  size_t used = 0;
  archive_write_open_memory(archive, buffer.data(), buffer.size(), &used);
  for (const auto& [name, data] : files) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_mtime(entry, 1700000000, 0);
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    archive_write_header(archive, entry);
    archive_write_data(archive, data.data(), data.size());
    archive_entry_free(entry);
  }
  archive_write_close(archive);
  archive_write_free(archive);
  return std::string(buffer.data(), used);
}

// A PAX tar of |files| small files from number |first| on, then whiteouts
// of the first |whiteouts| files.
std::string MakeLayerTar(int files, int whiteouts, int first = 0) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = first; i < first + files; ++i)
    entries.emplace_back(FileName(i), std::string(200, 'x'));
  for (int i = 0; i < whiteouts; ++i) {
    std::string name = FileName(i);
    size_t slash = name.rfind('/');
    entries.emplace_back(name.substr(0, slash + 1) + ".wh." + name.substr(slash + 1), "");
  }
  return MakeTar(entries);
}

LayerContents ReadString(const std::string& tar) {
  ViewReader reader(tar);
  LayerReadOptions options;
  options.name = "bench layer";
  return ReadLayer(reader, options);
}

// Tar headers: the entry walk alone, contents skipped (still hashed by
// the digest readers, as in a real read).
void BM_TarHeaders(benchmark::State& state) {
  std::string tar = MakeLayerTar(static_cast<int>(state.range(0)), 0);
  for (auto _ : state) {
    ViewReader reader(tar);
    LayerCursor cursor(&reader, "bench layer");
    LayerEntry entry;
    int64_t count = 0;
    while (cursor.Next(&entry)) ++count;
    benchmark::DoNotOptimize(count);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TarHeaders)->Arg(10000);

// Paths into the tree: every directory component looked up or created.
void BM_TreeInsert(benchmark::State& state) {
  std::vector<std::string> paths;
  for (int i = 0; i < state.range(0); ++i) paths.push_back(FileName(i));
  for (auto _ : state) {
    FileTree tree;
    for (const std::string& path : paths) tree.Ensure(path, [](FileNode*) {});
    benchmark::DoNotOptimize(tree.root());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TreeInsert)->Arg(10000);

// Times the merge of |upper| over |lower|, |items| entries each time.
void TimeMergeOver(benchmark::State& state, const LayerContents& lower, const LayerContents& upper,
                   int items) {
  for (auto _ : state) {
    state.PauseTiming();
    LayerMerge merge;
    std::vector<Change> changes;
    std::vector<std::string> warnings;
    merge.Apply(0, lower, &changes, &warnings);
    changes.clear();
    state.ResumeTiming();
    merge.Apply(1, upper, &changes, &warnings);
    benchmark::DoNotOptimize(changes.data());
  }
  state.SetItemsProcessed(state.iterations() * items);
}

// A layer of whiteouts over a layer of files: the merge of the second.
void BM_Whiteouts(benchmark::State& state) {
  int files = static_cast<int>(state.range(0));
  LayerContents lower = ReadString(MakeLayerTar(files, 0));
  LayerContents upper = ReadString(MakeLayerTar(0, files / 2));
  TimeMergeOver(state, lower, upper, files / 2);
}
BENCHMARK(BM_Whiteouts)->Arg(10000);

// A layer that stores again half the files of the layer below and as many
// new ones, as a build step that rewrites part of a tree does: the merge
// of the second, each entry looked up, placed and classified.
void BM_MergeRewrite(benchmark::State& state) {
  int files = static_cast<int>(state.range(0));
  LayerContents lower = ReadString(MakeLayerTar(files, 0));
  LayerContents upper = ReadString(MakeLayerTar(files, 0, files / 2));
  TimeMergeOver(state, lower, upper, files);
}
BENCHMARK(BM_MergeRewrite)->Arg(10000);

// The merge of a stack of layers shaped like the scale image: each stores
// 8,400 new files spread over 1,261 directories in turn (one file in each,
// then again), rewrites a tenth of the layer below's files and removes
// another tenth. The tree grows to |layers| * 8,400 paths, past what the
// processor's caches hold, so this times the lookups' cache misses too.
void BM_MergeStack(benchmark::State& state) {
  constexpr int kFiles = 8400;
  int count = static_cast<int>(state.range(0));
  auto name = [](int layer, int i) {
    return fmt::format("data/l{:03d}/d{:02d}/s{:02d}/f{:05d}.txt", layer, i % 97, i % 13, i);
  };
  std::vector<LayerContents> layers;
  int64_t entries = 0;
  for (int layer = 0; layer < count; ++layer) {
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 0; i < kFiles; ++i) files.emplace_back(name(layer, i), std::string(200, 'x'));
    for (int i = 0; layer > 0 && i < kFiles / 10; ++i)
      files.emplace_back(name(layer - 1, i), std::string(100, 'y'));
    for (int i = kFiles / 10; layer > 0 && i < kFiles / 5; ++i) {
      std::string lower = name(layer - 1, i);
      size_t slash = lower.rfind('/');
      files.emplace_back(lower.substr(0, slash + 1) + ".wh." + lower.substr(slash + 1), "");
    }
    layers.push_back(ReadString(MakeTar(files)));
    entries += static_cast<int64_t>(layers.back().entries.size());
  }

  for (auto _ : state) {
    LayerMerge merge;
    std::vector<Change> changes;
    std::vector<std::string> warnings;
    merge.Reserve(static_cast<size_t>(entries));
    for (int layer = 0; layer < count; ++layer)
      merge.Apply(layer, layers[layer], &changes, &warnings);
    benchmark::DoNotOptimize(changes.data());
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(BM_MergeStack)->Arg(60)->Unit(benchmark::kMillisecond);

// Every built-in secret pattern over a 64 KiB text file with one secret.
void BM_ContentScan(benchmark::State& state) {
  ContentScanner scanner(ContentScanner::BuiltinPatterns(), ScanLimits());
  std::string text;
  while (text.size() < 64 * 1024) text += "export PATH=/usr/local/bin:$PATH # a config line\n";
  text += "token = ghp_0123456789abcdefghijABCDEFGHIJ012345\n";
  LayerEntry entry;
  entry.path = "srv/app/config.sh";
  entry.size = static_cast<int64_t>(text.size());
  for (auto _ : state) {
    std::vector<ContentHit> hits;
    scanner.Inspect(entry, 0, text, &hits);
    benchmark::DoNotOptimize(hits.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ContentScan);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
