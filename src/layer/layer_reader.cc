#include "layer/layer_reader.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "base/units.h"
#include "layer/layer_cursor.h"

namespace strata {

namespace {

// How much of a file's start tells binary from text.
constexpr size_t kBinarySniffBytes = 8000;

// Counts the raw bytes for the progress display.
class CountingReader : public ByteReader {
 public:
  CountingReader(ByteReader* inner, std::atomic<int64_t>* counter)
      : inner_(inner), counter_(counter) {}

  size_t Read(void* buffer, size_t size) override {
    size_t got = inner_->Read(buffer, size);
    if (counter_ != nullptr)
      counter_->fetch_add(static_cast<int64_t>(got), std::memory_order_relaxed);
    return got;
  }

 private:
  ByteReader* inner_;
  std::atomic<int64_t>* counter_;
};

// Hashes one file's content (XXH3) and, when the inspector asks, collects
// it (up to its limit) and lets the inspector see it. Binaries stop being
// collected at their first block unless the inspector wants them.
void ReadFile(LayerCursor& cursor, const ContentInspector* inspector, LayerContents* layer) {
  LayerEntry& entry = layer->entries.back();
  size_t index = layer->entries.size() - 1;
  bool wanted = inspector != nullptr && entry.size >= 0 &&
                static_cast<size_t>(entry.size) <= inspector->max_bytes() &&
                (inspector->Wants(entry) || inspector->Keeps(entry));
  bool skip_binary = wanted && !inspector->inspects_binaries() && !inspector->Keeps(entry);

  XXH3_state_t* state = XXH3_createState();
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> owner(state, XXH3_freeState);
  XXH3_64bits_reset(state);
  std::string content;
  bool collecting = wanted;
  if (wanted) content.reserve(static_cast<size_t>(entry.size));

  cursor.ReadContent([&](const char* data, size_t size) {
    XXH3_64bits_update(state, data, size);
    if (!collecting || content.size() + size > inspector->max_bytes()) return;
    content.append(data, size);
    if (skip_binary && content.size() - size < kBinarySniffBytes &&
        memchr(content.data(), 0, std::min(content.size(), kBinarySniffBytes)) != nullptr) {
      collecting = wanted = false;
      content.clear();
    }
  });
  entry.content_hash = XXH3_64bits_digest(state);

  if (!wanted) return;
  if (inspector->Wants(entry)) inspector->Inspect(entry, index, content, &layer->hits);
  if (inspector->Keeps(entry)) layer->kept.emplace_back(index, std::move(content));
}

// libarchive clamps a modification time past what 64 bits of seconds hold
// (a PAX mtime record, a GNU base-256 field) to INT64_MAX or -INT64_MAX,
// and says nothing. No real time comes near either bound, so an entry at
// one had a time out of range: the layer says so once, however many.
// TODO: a PAX mtime record that is no number ("nan", "1e30") is read as
// libarchive reads its leading digits (0, 1), with no warning: libarchive
// keeps no raw record of a key it knows, so telling needs a parser of the
// PAX header of our own.
class OutOfRangeTimes {
 public:
  void Note(const LayerEntry& entry) {
    if (entry.mtime != INT64_MAX && entry.mtime > -INT64_MAX) return;
    if (count_++ == 0) first_ = "/" + std::string(entry.path);
  }

  void Report(std::vector<std::string>* warnings) const {
    if (count_ == 0) return;
    std::string who = count_ == 1 ? first_ + " has a modification time"
                                  : fmt::format("{} and {} have modification times", first_,
                                                Count(count_ - 1, "more entry", "more entries"));
    warnings->push_back(fmt::format(
        "{} out of range (2^63 seconds or more from 1970, either way); strata shows the nearest "
        "time it can hold",
        who));
  }

 private:
  int64_t count_ = 0;
  std::string first_;  // The first such entry's path.
};

}  // namespace

LayerEntry& LayerContents::Add(LayerEntry entry) {
  entry.path = paths.Keep(entry.path);
  return entries.emplace_back(std::move(entry));
}

std::string_view LayerContents::StoredName(const LayerEntry& entry) const {
  size_t index = static_cast<size_t>(&entry - entries.data());
  auto at = std::lower_bound(stored_names.begin(), stored_names.end(), index,
                             [](const auto& named, size_t i) { return named.first < i; });
  return at != stored_names.end() && at->first == index ? std::string_view(at->second)
                                                        : std::string_view();
}

LayerContents ReadLayer(ByteReader& blob, const LayerReadOptions& options) {
  CountingReader counted(&blob, options.bytes_read);
  LayerCursor cursor(&counted, options.name, options.blob_digest, options.limits,
                     options.image_bytes, options.pipelined);

  LayerContents layer;
  LayerEntry entry;
  OutOfRangeTimes out_of_range;
  while (cursor.Next(&entry)) {
    if (static_cast<int64_t>(layer.entries.size()) >= options.limits.max_entries)
      Fail("{} has more than {} entries; raise --max-entries to read it", options.name,
           options.limits.max_entries);
    // The cursor's path lasts until its next entry; the layer's lasts.
    out_of_range.Note(layer.Add(std::move(entry)));
    if (!cursor.stored_name().empty())
      layer.stored_names.emplace_back(layer.entries.size() - 1, cursor.stored_name());
    if (layer.entries.back().kind == EntryKind::kFile) ReadFile(cursor, options.inspector, &layer);
  }

  // Hash what follows the tar end marker too (eStargz keeps its table of
  // contents there), and whatever trails the compressed stream.
  cursor.Finish();
  out_of_range.Report(&layer.warnings);
  if (int64_t trailing = cursor.trailing_bytes(); trailing > 0)
    layer.warnings.push_back(fmt::format(
        "its blob has {} after the end of its gzip data, which strata ignores as gzip does; "
        "Go's gzip reader (containerd, Docker) refuses them, so the image may fail to pull",
        Count(trailing, "byte")));
  layer.compression = cursor.compression();
  layer.diff_id = cursor.diff_id();
  layer.tar_size = cursor.tar_size();
  layer.blob_digest = cursor.blob_digest();
  layer.blob_size = cursor.blob_size();
  // The entries stay for the whole analysis: give back the growth slack.
  layer.entries.shrink_to_fit();
  return layer;
}

}  // namespace strata
