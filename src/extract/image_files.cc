#include "extract/image_files.h"

#include <fmt/core.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "base/error.h"
#include "base/units.h"
#include "layer/layer_cursor.h"
#include "model/image_path.h"
#include "report/style.h"

namespace strata {

namespace {

std::string LayerName(const ImageSource& source, int layer) {
  const std::string& digest = source.layers[layer].digest;
  return fmt::format("layer {}{}", layer + 1,
                     digest.empty() ? "" : " (" + digest.substr(0, 19) + ")");
}

bool IsAncestor(std::string_view ancestor, std::string_view path) {
  return ancestor.empty() || (path.size() > ancestor.size() && path.starts_with(ancestor) &&
                              path[ancestor.size()] == '/');
}

// |resolved| (an image path, "" for the root) joined with |rest| ("/…").
std::string JoinRest(const std::string& resolved, std::string_view rest) {
  return resolved.empty() ? std::string(rest.substr(1)) : resolved + std::string(rest);
}

// What one layer says about a path.
struct Sighting {
  enum Kind { kNothing, kEntry, kRemoved, kRedirected, kBlocked } kind = kNothing;
  // kEntry: the entry at the path. Its path is left empty: it was the
  // cursor's, gone with it, and is the path asked for anyway.
  LayerEntry entry;
  // kRedirected: the path through a symlinked parent. kBlocked: the
  // parent that is not a directory, or a link that leads nowhere.
  std::string redirected;
  bool empty_link = false;  // kBlocked: that parent is a link with an empty target.
  // kRemoved: what the whiteout named, the path or a parent of it, and
  // whether it emptied that directory (an opaque marker) or removed it.
  std::string removed;
  bool emptied = false;
  bool streamed = false;    // The file's bytes went to the sink already.
  int64_t bytes = 0;
  size_t index = 0;  // kEntry: the entry's place in its layer (0 for the first).
};

// Every entry of a layer, for ScanLayer's |end|.
constexpr size_t kWholeLayer = SIZE_MAX;

// Reads |blob|, layer |layer|, up to its entry |index| and hands |use|
// the cursor standing there.
void ReadUpTo(const LayerBlob& blob, int layer, size_t index, const ReadLimits& limits,
              const std::function<void(LayerCursor&)>& use) {
  std::unique_ptr<ByteReader> reader = blob.open();
  LayerCursor cursor(reader.get(), fmt::format("layer {}", layer + 1), blob.digest, limits);
  LayerEntry entry;
  for (size_t at = 0; cursor.Next(&entry); ++at) {
    if (at != index) continue;
    use(cursor);
    return;
  }
  Fail("layer {} changed while it was read: entry {} is gone", layer + 1, index);
}

// Streams the content of the cursor's entry to |sink|; returns its bytes.
int64_t StreamContent(LayerCursor& cursor, const std::function<void(const char*, size_t)>& sink) {
  int64_t bytes = 0;
  cursor.ReadContent([&](const char* data, size_t size) {
    sink(data, size);
    bytes += static_cast<int64_t>(size);
  });
  return bytes;
}

// Scans the first |end| entries of |layer| for |path|. Of entries that
// name it, the last is the layer's (tar, umoci and the merge all keep
// it); a regular file is then streamed to |sink| (when given), read again
// up to it. An entry beneath |path| makes it a directory of this layer
// even when no entry names it, and after the last that names it.
Sighting ScanLayer(const ImageSource& source, int layer, const std::string& path, size_t end,
                   const std::function<void(const char*, size_t)>* sink, const ReadLimits& limits,
                   const LayerContents* known) {
  // Which entry is the layer's, when its entries are known: the file is
  // then streamed as the read passes it, and the read stops there.
  size_t last = kWholeLayer;
  bool beneath_last = false;
  if (known != nullptr) {
    for (size_t i = 0; i < known->entries.size() && i < end; ++i) {
      const LayerEntry& at = known->entries[i];
      if (!at.is_whiteout() && at.path == path) {
        last = i;
        beneath_last = false;
      } else if (last != kWholeLayer && IsAncestor(path, at.path)) {
        beneath_last = true;
      }
    }
  }

  std::unique_ptr<ByteReader> blob = source.layers[layer].open();
  LayerCursor cursor(blob.get(), LayerName(source, layer), source.layers[layer].digest, limits);
  Sighting sighting;
  bool implied_directory = false;
  bool named = false;            // An entry names |path|: the sighting is its.
  bool beneath_after = false;    // And another lies beneath it after the last such.
  LayerEntry entry;
  for (size_t index = 0; index < end && cursor.Next(&entry); ++index) {
    implied_directory |= IsAncestor(path, entry.path);
    beneath_after |= named && IsAncestor(path, entry.path);
    if (entry.is_whiteout()) {
      // Whiteouts speak of lower layers; an entry of this same layer wins.
      bool hits = entry.kind == EntryKind::kWhiteout
                      ? (entry.path == path || IsAncestor(entry.path, path))
                      : IsAncestor(entry.path, path);
      if (hits && sighting.kind == Sighting::kNothing) {
        sighting.kind = Sighting::kRemoved;
        sighting.removed = entry.path;
        sighting.emptied = entry.kind != EntryKind::kWhiteout;
      }
      continue;
    }
    if (entry.path == path) {
      named = true;
      beneath_after = false;
      sighting.kind = Sighting::kEntry;
      sighting.entry = entry;
      sighting.entry.path = {};
      sighting.index = index;
      if (index == last && !beneath_last) {
        if (entry.kind == EntryKind::kFile && sink != nullptr) {
          sighting.bytes = StreamContent(cursor, *sink);
          sighting.streamed = true;
        }
        return sighting;
      }
      continue;
    }
    if (named) continue;
    // A link of this layer on the way outweighs its whiteouts too, before
    // or after it in the tar: they removed what was there below.
    if (IsAncestor(entry.path, path) && entry.kind == EntryKind::kSymlink) {
      std::optional<std::string> target = ResolveLink(entry.path, entry.link());
      sighting.kind = target ? Sighting::kRedirected : Sighting::kBlocked;
      sighting.redirected =
          target ? JoinRest(*target, std::string_view(path).substr(entry.path.size()))
                 : std::string(entry.path);
      sighting.empty_link = !target;
    } else if (IsAncestor(entry.path, path) && entry.kind != EntryKind::kDirectory &&
               sighting.kind == Sighting::kNothing) {
      // A file where a parent directory was: nothing beneath it exists any
      // more from here up.
      sighting.kind = Sighting::kBlocked;
      sighting.redirected = entry.path;
    }
  }
  // Entries of this layer beneath it outweigh its whiteout (which speaks of
  // lower layers), as a stored directory entry would; and, after the
  // entry that names it, that entry, as the merge takes it.
  if ((implied_directory &&
       (sighting.kind == Sighting::kNothing || sighting.kind == Sighting::kRemoved)) ||
      (named && beneath_after)) {
    sighting.kind = Sighting::kEntry;
    sighting.entry.kind = EntryKind::kDirectory;
  }
  if (sighting.kind == Sighting::kEntry && sighting.entry.kind == EntryKind::kFile &&
      sink != nullptr && !sighting.streamed) {
    ReadUpTo(source.layers[layer], layer, sighting.index, limits,
             [&](LayerCursor& again) { sighting.bytes = StreamContent(again, *sink); });
    sighting.streamed = true;
  }
  return sighting;
}

}  // namespace

void FailRemoved(const std::string& path, int removed_in, int stored_in) {
  Fail("/{} was removed in layer {}; layer {} still stores it: read it with --layer {}",
       Printable(path), removed_in + 1, stored_in + 1, stored_in + 1);
}

namespace {

// cat by reading layers from the top down: the bytes go to |*sink|, unless
// it is null (then only where the file is, or why it is not, is found).
CatResult ScanFor(const ImageSource& source, const std::string& raw_path, int only_layer,
                  const std::function<void(const char*, size_t)>* sink, const ReadLimits& limits,
                  const Analysis* analysis) {
  int count = static_cast<int>(source.layers.size());
  if (only_layer >= count)
    Fail("--layer {} is out of range: the image has {} (1 to {})", only_layer + 1,
         Count(count, "layer"), count);
  bool escaped = false;
  std::string path = CleanLayerPath(raw_path, &escaped);
  if (path.empty()) Fail("/: is a directory");
  // "file/" names a directory, as the shell's cat says: no bytes are
  // written for it.
  bool wants_directory = raw_path.ends_with("/");

  int top = only_layer >= 0 ? only_layer : count - 1;
  int bottom = only_layer >= 0 ? only_layer : 0;
  // How much of layer |top| a hard link's target is sought in: only what
  // its layer stored before it. The link is made as its entry is unpacked
  // (link(2) in tar order, by umoci and tar alike), so a whiteout of the
  // target later in that layer, or a new file at its path, leaves it be.
  size_t top_end = kWholeLayer;
  int removed_in = -1;
  std::string removed;  // What the first removal seen named (see Sighting).
  bool emptied = false;
  const std::string asked = path;
  // The hard link's path while its target is sought: a symbolic link
  // found there is read as that name, as the kernel reads a second name
  // of a link (a relative target starts from the hard link's directory).
  std::optional<std::string> linked_from;
  int hop = 0;
  for (; hop < kMaxLinkHops; ++hop) {
    bool restarted = false;
    for (int layer = top; layer >= bottom && !restarted; --layer) {
      Sighting sighting = ScanLayer(
          source, layer, path, layer == top ? top_end : kWholeLayer,
          removed_in < 0 && !wants_directory ? sink : nullptr, limits,
          analysis != nullptr ? &analysis->layers[layer].contents : nullptr);
      if (sighting.kind == Sighting::kNothing) continue;
      if (sighting.kind == Sighting::kBlocked && removed_in < 0 && only_layer < 0)
        Fail("/{}: no such file in the image (/{} is {} since layer {})", path, sighting.redirected,
             sighting.empty_link ? "a symbolic link with an empty target" : "not a directory",
             layer + 1);
      if (sighting.kind == Sighting::kBlocked) continue;

      if (sighting.kind == Sighting::kRemoved) {
        if (removed_in < 0) {
          removed_in = layer;
          removed = sighting.removed;
          emptied = sighting.emptied;
        }
        // Look lower only to say where it is still stored: below --layer N
        // too, which alone is read for the file itself.
        bottom = 0;
        continue;
      }
      if (sighting.kind == Sighting::kRedirected) {
        if (removed_in >= 0) continue;
        path = sighting.redirected;
        restarted = true;
        continue;
      }

      const LayerEntry& entry = sighting.entry;
      // A hard link made after its own layer removed the target holds
      // nothing (umoci refuses to unpack it): it, not the target, is what
      // the user asked for.
      if (removed_in >= 0 && linked_from)
        Fail(
            "/{}: no such file in the image (a hard link to /{}, which layer {} removed before the "
            "link was made; layer {} still stores /{}: read it with --layer {})",
            Printable(*linked_from), Printable(path), removed_in + 1, layer + 1, Printable(path),
            layer + 1);
      if (removed_in >= 0) FailRemoved(path, removed_in, layer);
      switch (entry.kind) {
        case EntryKind::kFile:
          if (wants_directory)
            Fail("{}: not a directory", raw_path.starts_with("/") ? raw_path : "/" + raw_path);
          return {layer, path, sighting.bytes};
        case EntryKind::kDirectory:
          // Named as asked: the user typed the link, not where it leads.
          if (path != asked)
            Fail("/{}: is a directory: its links lead to /{}, a directory in {}", Printable(asked),
                 Printable(path), LayerName(source, layer));
          Fail("/{}: is a directory in {}", path, LayerName(source, layer));
        case EntryKind::kSymlink: {
          const std::string named = linked_from.value_or(path);
          std::optional<std::string> target = ResolveLink(named, entry.link());
          if (!target)
            Fail("/{}: is a symbolic link with an empty target in layer {}, which leads nowhere",
                 named, layer + 1);
          if (only_layer >= 0)
            Fail("/{}: is a symbolic link to {} in layer {}", named, entry.link(), layer + 1);
          if (target->empty()) Fail("/{}: is a directory (a symbolic link to /)", named);
          path = *target;
          linked_from.reset();
          // A symbolic link is followed as it is read, not as it was made.
          top_end = kWholeLayer;
          restarted = true;
          break;
        }
        case EntryKind::kHardlink:
          // The target is earlier in this layer or in a lower one.
          if (!linked_from) linked_from = path;
          path = entry.link();
          top = layer;
          top_end = sighting.index;
          bottom = 0;
          restarted = true;
          break;
        default:
          // A hard link to it is a second name of it: named as asked.
          Fail("/{}: is {}, not a regular file", linked_from.value_or(path),
               EntryKindNoun(entry.kind));
      }
    }
    if (!restarted) break;
    if (only_layer < 0 && top != count - 1 && path.empty()) break;
  }
  // Still following links when the hops ran out: a loop (a -> b -> a, or
  // d -> d/x). Say so, as ELOOP does, rather than "no such file" for a
  // path grown by the loop.
  if (hop == kMaxLinkHops) Fail("/{}: too many levels of symbolic or hard links", asked);

  // A path beneath what a layer removed need never have been there (a
  // file under what was a file): the removal is named as it was.
  if (removed_in >= 0 && removed != path)
    Fail("/{}: no such file in the image (layer {} {} /{}, and no lower layer stores /{})", path,
         removed_in + 1, emptied ? "emptied" : "removed", removed, path);
  if (removed_in >= 0)
    Fail("/{} was removed in layer {} and no lower layer stores it", path, removed_in + 1);
  // Hard links within one layer that name each other (b -> a, then a ->
  // b): each links to what the layer held when it was stored, and at b
  // that was no a yet.
  if (linked_from && path == asked)
    Fail("/{}: no such file in the image (its hard links lead back to /{} before its layer "
         "stored it)",
         Printable(asked), Printable(asked));
  if (only_layer >= 0) Fail("/{}: layer {} does not store it", path, only_layer + 1);
  // A link that leads nowhere is named: the path asked for is what the
  // user knows; the missing one alone does not say where it came from.
  if (path != asked)
    Fail("/{}: no such file in the image (its links lead to /{}, which is missing)",
         Printable(asked), Printable(path));
  Fail("/{}: no such file in the image", path);
}

// Reads |layer| up to |wanted|, one of its entries, and hands |use| the
// cursor standing there.
void ReadUpTo(const Analysis& analysis, int layer, const LayerEntry* wanted,
              const ReadLimits& limits, const std::function<void(LayerCursor&)>& use) {
  const std::vector<LayerEntry>& entries = analysis.layers[layer].contents.entries;
  ReadUpTo(analysis.layers[layer].blob, layer, static_cast<size_t>(wanted - entries.data()),
           limits, use);
}

// The layer that stores |entry|.
int LayerOf(const Analysis& analysis, const LayerEntry* entry) {
  for (const Layer& layer : analysis.layers) {
    const std::vector<LayerEntry>& entries = layer.contents.entries;
    if (!entries.empty() && entry >= entries.data() && entry < entries.data() + entries.size())
      return layer.index;
  }
  return -1;
}

}  // namespace

CatResult CatFile(const ImageSource& source, const std::string& path, int layer,
                  const std::function<void(const char*, size_t)>& sink, const ReadLimits& limits,
                  const Analysis* analysis) {
  return ScanFor(source, path, layer, &sink, limits, analysis);
}

CatResult CatMerged(const Analysis& analysis, const std::string& raw_path,
                    const std::function<void(const char*, size_t)>& sink,
                    const ReadLimits& limits) {
  bool escaped = false;
  std::string path = CleanLayerPath(raw_path, &escaped);
  const FileNode* node = nullptr;
  std::string loop;
  if (!path.empty()) {
    try {
      node = ResolvePath(analysis.merge.tree(), "/" + path + (raw_path.ends_with("/") ? "/" : ""),
                         true);
    } catch (const Error& error) {
      loop = error.what();
    }
  }
  if (node != nullptr && node->kind() == EntryKind::kFile && node->content != nullptr) {
    int layer = LayerOf(analysis, node->content);
    if (layer < 0) Fail("/{}: the image does not store its content", path);
    int64_t bytes = 0;
    ReadUpTo(analysis, layer, node->content, limits,
             [&](LayerCursor& cursor) { bytes = StreamContent(cursor, sink); });
    return {layer, FileTree::PathOf(node), bytes};
  }

  // No file there: reading the layers from the top down says why, in the
  // words cat has always used (removed, and where it is still stored; a
  // directory; a link to nowhere). That reading takes no link on an
  // entry's way into account: should it find a file, a link led the file
  // elsewhere or a marker through a link removed it, and the tree says so.
  ScanFor(analysis.source, raw_path, -1, nullptr, limits, &analysis);
  if (!loop.empty()) throw Error(loop);
  if (node == nullptr) {
    Landing landing = LandingOf(analysis.merge.tree(), path, true);
    if (landing.outcome == Landing::kEmptyLink)
      Fail("/{}: no such file in the image (/{} is a symbolic link with an empty target)", path,
           landing.path);
    Fail("/{}: no such file in the image", path);
  }
  if (node->is_directory()) Fail("/{}: is a directory", path);
  Fail("/{}: is {}, not a regular file", path, EntryKindNoun(node->kind()));
}

namespace {

FileMeta MetaOf(const FileNode* node) {
  FileMeta meta;
  meta.mode = node->mode();
  meta.uid = node->uid();
  meta.gid = node->gid();
  meta.mtime = node->entry != nullptr ? node->entry->mtime : 0;
  meta.implied = node->entry == nullptr;
  return meta;
}

FileMeta MetaOf(const LayerEntry& entry) { return {entry.mode, entry.uid, entry.gid, entry.mtime}; }

ContentFiller FromCursor(LayerCursor& cursor) {
  return [&cursor](const std::function<void(const char*, size_t)>& write) {
    cursor.ReadContent(write);
  };
}

// A link with an empty target is left out, with a note: symlink(2)
// refuses to make one, so no directory can hold it, and a tar stream
// holding one cannot be unpacked either.
void WriteSymlink(const std::string& path, const std::string& target, const FileMeta& meta,
                  ExportSink* sink) {
  if (target.empty())
    sink->Note("/" + path + " (a symbolic link with an empty target; not written)");
  else
    sink->Symlink(path, target, meta);
}

// Reads the rest of |layer| through |cursor| and checks both its digests,
// as the analysis did. The export reads each blob again, and a blob that
// changed since (a file replaced, a registry answering otherwise) must
// fail the export, which then leaves nothing, rather than have its bytes
// written unchecked.
void CheckReadAgain(LayerCursor& cursor, const Layer& layer) {
  cursor.Finish();
  const std::string& digest = layer.blob.digest;
  if (!digest.empty() && cursor.blob_digest() != digest)
    Fail("layer {}: blob digest mismatch: the manifest says {}, the bytes read again hash to {}",
         layer.index + 1, digest, cursor.blob_digest());
  if (cursor.diff_id() != layer.diff_id)
    Fail(
        "layer {}: diff_id mismatch: the config says {}, the uncompressed tar read again hashes "
        "to {}",
        layer.index + 1, layer.diff_id, cursor.diff_id());
}

// Whether WriteSymlink writes anything for |entry|.
bool Writable(const LayerEntry& entry) {
  return entry.kind != EntryKind::kSymlink || !entry.link().empty();
}

// The paths |layer| stores as something other than a directory, with
// what it stores there. An entry the layer stores beneath one of them (a
// hostile or hand-made layer: no tar of a directory holds one) cannot be
// written where it says: a directory would follow the link or fail on the
// file, and a tar stream would hand the same trap to whoever unpacks it.
std::map<std::string_view, EntryKind> NonDirectories(const Analysis& analysis, int layer) {
  std::map<std::string_view, EntryKind> found;
  for (const LayerEntry& entry : analysis.layers[layer].contents.entries)
    if (!entry.path.empty() && !entry.is_whiteout() && entry.kind != EntryKind::kDirectory)
      found.emplace(entry.path, entry.kind);
  return found;
}

// The nearest parent of |path| in |non_directories|, or an end iterator.
std::map<std::string_view, EntryKind>::const_iterator BlockingParent(
    std::string_view path, const std::map<std::string_view, EntryKind>& non_directories) {
  if (non_directories.empty()) return non_directories.end();
  for (size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    auto it = non_directories.find(path.substr(0, slash));
    if (it != non_directories.end()) return it;
  }
  return non_directories.end();
}

// How many times |layer| stores each path as something other than a
// directory, for the paths it stores so more than once: a tar that holds a
// path twice means its last copy, as tar and every unpacker read it.
std::map<std::string_view, int> StoredAgain(const Analysis& analysis, int layer) {
  std::map<std::string_view, int> count;
  for (const LayerEntry& entry : analysis.layers[layer].contents.entries)
    if (!entry.path.empty() && entry.kind != EntryKind::kDirectory) ++count[entry.path];
  std::erase_if(count, [](const auto& item) { return item.second < 2; });
  return count;
}

void WriteLayer(const Analysis& analysis, int layer,
                const std::map<std::string_view, EntryKind>& non_directories,
                const ReadLimits& limits, ExportSink* sink) {
  const LayerBlob& blob = analysis.layers[layer].blob;
  std::unique_ptr<ByteReader> reader = blob.open();
  LayerCursor cursor(reader.get(), fmt::format("layer {}", layer + 1), blob.digest, limits);
  std::set<std::string> written;
  // Device nodes the sink only noted, and sockets (no sink makes one):
  // what their hard links cannot name either.
  std::set<std::string> not_created, sockets;
  std::map<std::string_view, int> stored_again = StoredAgain(analysis, layer);
  LayerEntry entry;
  while (cursor.Next(&entry)) {
    // An opaque marker at the root empties the whole filesystem below.
    if (entry.path.empty() && entry.kind == EntryKind::kOpaque) sink->Whiteout("", true);
    if (entry.path.empty()) continue;
    const std::string path(entry.path);
    // Only the last copy of a path stored more than once is written.
    if (auto again = stored_again.find(path);
        again != stored_again.end() && entry.kind != EntryKind::kDirectory && --again->second > 0)
      continue;
    auto parent = BlockingParent(path, non_directories);
    if (parent != non_directories.end()) {
      sink->Note(fmt::format("/{} (stored beneath /{}, which this layer stores as {}; not written)",
                             path, parent->first, EntryKindNoun(parent->second)));
      continue;
    }
    switch (entry.kind) {
      case EntryKind::kWhiteout:
        sink->Whiteout(path, false);
        break;
      case EntryKind::kOpaque:
        sink->Whiteout(path, true);
        break;
      case EntryKind::kDirectory:
        sink->Directory(path, MetaOf(entry));
        break;
      case EntryKind::kFile:
        sink->File(path, MetaOf(entry), entry.size, FromCursor(cursor));
        break;
      case EntryKind::kSymlink:
        WriteSymlink(path, entry.link(), MetaOf(entry), sink);
        break;
      case EntryKind::kFifo:
        sink->Fifo(path, MetaOf(entry));
        break;
      case EntryKind::kCharDevice:
      case EntryKind::kBlockDevice:
        if (!sink->Device(path, entry.kind == EntryKind::kBlockDevice, entry.device_major(),
                          entry.device_minor(), MetaOf(entry)))
          not_created.insert(path);
        break;
      case EntryKind::kHardlink:
        if (written.count(entry.link()))
          sink->Hardlink(path, entry.link(), MetaOf(entry));
        else if (not_created.count(entry.link()))
          sink->Note("/" + path + " (hard link to the device node /" + entry.link() +
                     ", not created)");
        else if (!sockets.count(entry.link()))
          sink->Note("/" + path + " (hard link to /" + entry.link() +
                     " in a lower layer; not written)");
        break;
      case EntryKind::kSocket:
        sockets.insert(path);
        break;
    }
    // What a hard link later in the layer may link to (link(2) links a
    // symbolic link, a FIFO or a device node itself, as tar does).
    bool device = entry.kind == EntryKind::kCharDevice || entry.kind == EntryKind::kBlockDevice;
    if (entry.kind == EntryKind::kFile || (entry.kind == EntryKind::kSymlink && Writable(entry)) ||
        entry.kind == EntryKind::kFifo || (device && !not_created.count(path)))
      written.insert(path);
  }
  CheckReadAgain(cursor, analysis.layers[layer]);
}

// The final filesystem: directories first (from the tree, so implied ones
// exist with sane modes), then each layer's surviving entries in layer
// order, then hard links once their targets exist.
// Writes the content of |entry| (the |index|-th of |layer|) at |path|.
void WriteStoredContent(const Analysis& analysis, int layer, const LayerEntry* wanted,
                        const std::string& path, const FileMeta& meta, const ReadLimits& limits,
                        ExportSink* sink) {
  // Read to the end and checked, as WriteLayer's reading is.
  ReadUpTo(analysis, layer, wanted, limits, [&](LayerCursor& cursor) {
    sink->File(path, meta, wanted->size, FromCursor(cursor));
    CheckReadAgain(cursor, analysis.layers[layer]);
  });
}

void WriteSquashed(const Analysis& analysis, const ReadLimits& limits, ExportSink* sink) {
  const FileTree& tree = analysis.merge.tree();
  std::vector<std::vector<const FileNode*>> by_layer(analysis.layers.size());
  std::vector<std::pair<std::string, const FileNode*>> links;
  FileTree::Walk(tree.root(), "", [&](const FileNode* node, const std::string& path) {
    if (path.empty()) return;
    if (node->is_directory())
      sink->Directory(path, MetaOf(node));
    else if (node->entry != nullptr && node->entry->kind == EntryKind::kHardlink)
      links.emplace_back(path, node);
    else if (node->entry != nullptr)
      by_layer[node->layer].push_back(node);
  });

  // Paths written for each regular file, symbolic link, FIFO and device
  // node, to link hard links to.
  std::unordered_map<const LayerEntry*, std::string> written;
  for (size_t layer = 0; layer < analysis.layers.size(); ++layer) {
    if (by_layer[layer].empty()) continue;
    // By the entry's place in its layer: the same path may be stored twice
    // in one layer (only the entry the tree kept is written), and a link
    // on an entry's way may have put it elsewhere than its own path.
    const LayerEntry* first = analysis.layers[layer].contents.entries.data();
    std::unordered_map<size_t, const FileNode*> wanted;
    for (const FileNode* node : by_layer[layer])
      wanted[static_cast<size_t>(node->entry - first)] = node;

    const LayerBlob& blob = analysis.layers[layer].blob;
    std::unique_ptr<ByteReader> reader = blob.open();
    LayerCursor cursor(reader.get(), fmt::format("layer {}", layer + 1), blob.digest, limits);
    LayerEntry entry;
    for (size_t index = 0; cursor.Next(&entry) && !wanted.empty(); ++index) {
      auto it = wanted.find(index);
      if (it == wanted.end()) continue;
      const FileNode* node = it->second;
      wanted.erase(it);
      const std::string path(analysis.merge.PlacedPath(node->entry));
      switch (entry.kind) {
        case EntryKind::kFile:
          sink->File(path, MetaOf(node), entry.size, FromCursor(cursor));
          written[node->entry] = path;
          break;
        case EntryKind::kSymlink:
          WriteSymlink(path, entry.link(), MetaOf(node), sink);
          if (!entry.link().empty()) written[node->entry] = path;
          break;
        case EntryKind::kFifo:
          sink->Fifo(path, MetaOf(node));
          written[node->entry] = path;
          break;
        case EntryKind::kCharDevice:
        case EntryKind::kBlockDevice:
          if (sink->Device(path, entry.kind == EntryKind::kBlockDevice, entry.device_major(),
                           entry.device_minor(), MetaOf(node)))
            written[node->entry] = path;
          break;
        default:
          break;
      }
    }
    CheckReadAgain(cursor, analysis.layers[layer]);
  }

  for (const auto& [path, node] : links) {
    auto target = written.find(node->content);
    if (node->content != nullptr && target != written.end()) {
      sink->Hardlink(path, target->second, MetaOf(node));
      continue;
    }
    // The link it was linked to is gone: its target is all there is to it.
    if (node->kind() == EntryKind::kSymlink) {
      WriteSymlink(path, node->symlink_target(), MetaOf(node), sink);
      if (!node->symlink_target().empty()) written[node->content] = path;
      continue;
    }
    // A FIFO or device node not written under its other name (gone, or a
    // device a directory does not get): made, or noted, under this one.
    if (node->kind() == EntryKind::kFifo) {
      sink->Fifo(path, MetaOf(node));
      written[node->content] = path;
      continue;
    }
    if (node->kind() == EntryKind::kCharDevice || node->kind() == EntryKind::kBlockDevice) {
      const LayerEntry& device = *node->content;
      if (sink->Device(path, node->kind() == EntryKind::kBlockDevice, device.device_major(),
                       device.device_minor(), MetaOf(node)))
        written[node->content] = path;
      continue;
    }
    if (node->kind() == EntryKind::kSocket) continue;  // As a socket is: no sink makes one.
    // The path it was linked to is gone (a later layer removed it): write
    // the content here, read again from the layer that stores it, and let
    // the other links to it link to this copy.
    int layer = node->content != nullptr ? LayerOf(analysis, node->content) : -1;
    if (layer < 0) {
      sink->Note("/" + path + " (hard link to content the image does not store; not written)");
      continue;
    }
    WriteStoredContent(analysis, layer, node->content, path, MetaOf(node), limits, sink);
    written[node->content] = path;
  }
}

// The paths WriteLayer creates, in its order.
void PlanLayer(const Analysis& analysis, int layer,
               const std::map<std::string_view, EntryKind>& non_directories,
               const std::function<void(const std::string&, bool)>& visit) {
  // What WriteLayer writes that its hard links may link to.
  std::set<std::string_view> linkable, planned;
  for (const LayerEntry& entry : analysis.layers[layer].contents.entries) {
    if (entry.path.empty()) continue;
    // A path stored twice is written once (WriteLayer), so planned once.
    if (entry.kind != EntryKind::kDirectory && !planned.insert(entry.path).second) continue;
    if (BlockingParent(entry.path, non_directories) != non_directories.end()) continue;
    switch (entry.kind) {
      case EntryKind::kDirectory:
        visit(std::string(entry.path), true);
        break;
      case EntryKind::kFile:
      case EntryKind::kSymlink:
      case EntryKind::kFifo:
        if (!Writable(entry)) break;
        linkable.insert(entry.path);
        visit(std::string(entry.path), false);
        break;
      case EntryKind::kHardlink:
        if (linkable.count(entry.link())) visit(std::string(entry.path), false);
        break;
      default:
        break;  // Whiteouts, devices and sockets are not created.
    }
  }
}

// The paths WriteSquashed creates: directories first, as it writes them,
// then the rest (walking the tree twice rather than keeping every path).
void PlanSquashed(const Analysis& analysis,
                  const std::function<void(const std::string&, bool)>& visit) {
  const FileNode* root = analysis.merge.tree().root();
  FileTree::Walk(root, "", [&](const FileNode* node, const std::string& path) {
    if (!path.empty() && node->is_directory()) visit(path, true);
  });
  FileTree::Walk(root, "", [&](const FileNode* node, const std::string& path) {
    if (node->is_directory() || node->entry == nullptr) return;
    // A hard link is planned as what it links to.
    const LayerEntry* entry =
        node->entry->kind == EntryKind::kHardlink ? node->content : node->entry;
    if (entry == nullptr) return;
    EntryKind kind = entry->kind;
    if (kind == EntryKind::kFile || (kind == EntryKind::kSymlink && Writable(*entry)) ||
        kind == EntryKind::kFifo)
      visit(path, false);
  });
}

}  // namespace

void ExportImage(const Analysis& analysis, const ExportOptions& options, ExportSink* sink) {
  int count = static_cast<int>(analysis.layers.size());
  if (options.layer >= count)
    Fail("--layer {} is out of range: the image has {} (1 to {})", options.layer + 1,
         Count(count, "layer"), count);
  // One layer's own links and files, for the plan and the writing alike.
  std::map<std::string_view, EntryKind> non_directories;
  if (options.layer >= 0) non_directories = NonDirectories(analysis, options.layer);
  sink->Prepare([&](const std::function<void(const std::string&, bool)>& visit) {
    if (options.layer >= 0)
      PlanLayer(analysis, options.layer, non_directories, visit);
    else
      PlanSquashed(analysis, visit);
  });
  if (options.layer >= 0)
    WriteLayer(analysis, options.layer, non_directories, options.limits, sink);
  else
    WriteSquashed(analysis, options.limits, sink);
  sink->Finish();
}

}  // namespace strata
