#include "layer/layer_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "blob/digest_reader.h"

namespace strata {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueName = ".wh..wh..opq";

// Counts the raw bytes for the progress display.
class CountingReader : public ByteReader {
 public:
  CountingReader(ByteReader* inner, std::atomic<int64_t>* counter)
      : inner_(inner), counter_(counter) {}

  size_t Read(void* buffer, size_t size) override {
    size_t got = inner_->Read(buffer, size);
    if (counter_ != nullptr) counter_->fetch_add(static_cast<int64_t>(got), std::memory_order_relaxed);
    return got;
  }

 private:
  ByteReader* inner_;
  std::atomic<int64_t>* counter_;
};

// The libarchive client: hands it the decompressed stream in chunks.
struct ArchiveClient {
  DigestReader* tar;
  std::unique_ptr<char[]> buffer;
  size_t capacity;
  std::string error;  // An Error thrown below libarchive, rethrown above it.
};

la_ssize_t ReadCallback(struct archive*, void* data, const void** block) {
  auto* client = static_cast<ArchiveClient*>(data);
  *block = client->buffer.get();
  try {
    return static_cast<la_ssize_t>(client->tar->Read(client->buffer.get(), client->capacity));
  } catch (const Error& error) {
    client->error = error.what();
    return -1;
  }
}

EntryKind KindOf(struct archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) return EntryKind::kHardlink;
  switch (archive_entry_filetype(entry)) {
    case AE_IFDIR: return EntryKind::kDirectory;
    case AE_IFLNK: return EntryKind::kSymlink;
    case AE_IFCHR: return EntryKind::kCharDevice;
    case AE_IFBLK: return EntryKind::kBlockDevice;
    case AE_IFIFO: return EntryKind::kFifo;
    case AE_IFSOCK: return EntryKind::kSocket;
    default: return EntryKind::kFile;
  }
}

const char* PathOf(struct archive_entry* entry) {
  const char* path = archive_entry_pathname(entry);
  return path != nullptr ? path : archive_entry_pathname_utf8(entry);
}

// Decodes whiteout names. Returns false for AUFS bookkeeping names
// (".wh..wh.plnk", ".wh..wh.aufs"), which carry no meaning for the image.
bool DecodeWhiteout(LayerEntry* entry) {
  std::string_view base = BaseName(entry->path);
  if (!base.starts_with(kWhiteoutPrefix)) return true;

  std::string dir(DirName(entry->path));
  if (base == kOpaqueName) {
    entry->kind = EntryKind::kOpaque;
    entry->path = dir;
    return true;
  }
  if (base.substr(kWhiteoutPrefix.size()).starts_with(kWhiteoutPrefix)) return false;

  std::string removed(base.substr(kWhiteoutPrefix.size()));
  entry->kind = EntryKind::kWhiteout;
  entry->path = dir.empty() ? removed : dir + "/" + removed;
  entry->size = 0;
  return true;
}

LayerEntry MakeEntry(struct archive_entry* raw) {
  LayerEntry entry;
  const char* path = PathOf(raw);
  if (path == nullptr) Fail("a tar entry has no readable name");
  entry.path = CleanLayerPath(path, &entry.path_escaped);
  entry.kind = KindOf(raw);
  entry.mode = archive_entry_perm(raw) & 07777;
  entry.uid = static_cast<uint32_t>(archive_entry_uid(raw));
  entry.gid = static_cast<uint32_t>(archive_entry_gid(raw));
  entry.mtime = archive_entry_mtime(raw);

  if (entry.kind == EntryKind::kFile) entry.size = archive_entry_size(raw);
  if (archive_entry_xattr_reset(raw) > 0) {
    const char* name;
    const void* value;
    size_t size;
    // libarchive reports an attribute once per record that carries it
    // (LIBARCHIVE.xattr and SCHILY.xattr); keep one of each name.
    while (archive_entry_xattr_next(raw, &name, &value, &size) == ARCHIVE_OK) {
      std::string text(static_cast<const char*>(value), size);
      auto same = std::find_if(entry.xattrs.begin(), entry.xattrs.end(),
                               [name](const auto& xattr) { return xattr.first == name; });
      if (same != entry.xattrs.end()) same->second = std::move(text);
      else entry.xattrs.emplace_back(name, std::move(text));
    }
  }
  if (entry.kind == EntryKind::kHardlink) {
    bool escaped = false;
    entry.link = CleanLayerPath(archive_entry_hardlink(raw), &escaped);
    entry.path_escaped |= escaped;
  } else if (entry.kind == EntryKind::kSymlink) {
    const char* target = archive_entry_symlink(raw);
    if (target == nullptr) target = archive_entry_symlink_utf8(raw);
    entry.link = target != nullptr ? target : "";
  } else if (entry.kind == EntryKind::kCharDevice || entry.kind == EntryKind::kBlockDevice) {
    entry.device_major = static_cast<uint32_t>(archive_entry_rdevmajor(raw));
    entry.device_minor = static_cast<uint32_t>(archive_entry_rdevminor(raw));
  }
  return entry;
}

// How much of a file's start tells binary from text.
constexpr size_t kBinarySniffBytes = 8000;

// Streams a regular file's content through XXH3; returns the hash. When
// |buffer| is not null, also collects the content in it, up to |limit|
// bytes (the caller only asks for files no larger than that), and stops
// collecting (leaving |*binary| set) if |skip_binary| and the start of the
// file has a NUL byte.
uint64_t HashContent(struct archive* archive, ArchiveClient& client, const std::string& name,
                     const std::string& path, std::string* buffer, size_t limit, bool skip_binary,
                     bool* binary) {
  XXH3_state_t* state = XXH3_createState();
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> owner(state, XXH3_freeState);
  XXH3_64bits_reset(state);

  const void* block;
  size_t size;
  la_int64_t offset;
  while (true) {
    int status = archive_read_data_block(archive, &block, &size, &offset);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) {
      if (!client.error.empty()) throw Error(client.error);
      Fail("{}: cannot read the content of {}: {}", name, path, archive_error_string(archive));
    }
    XXH3_64bits_update(state, block, size);
    if (buffer == nullptr || buffer->size() + size > limit) continue;
    buffer->append(static_cast<const char*>(block), size);
    if (skip_binary && buffer->size() - size < kBinarySniffBytes &&
        memchr(buffer->data(), 0, std::min(buffer->size(), kBinarySniffBytes)) != nullptr) {
      *binary = true;
      buffer = nullptr;
    }
  }
  return XXH3_64bits_digest(state);
}

// Hashes one file and lets the inspector see it when it asks to.
void ReadFileContent(struct archive* archive, ArchiveClient& client, const std::string& name,
                     const ContentInspector* inspector, LayerContents* layer) {
  LayerEntry& entry = layer->entries.back();
  size_t index = layer->entries.size() - 1;
  bool wanted = inspector != nullptr && entry.size >= 0 &&
                static_cast<size_t>(entry.size) <= inspector->max_bytes() &&
                (inspector->Wants(entry) || inspector->Keeps(entry));
  bool binary = false;
  if (!wanted) {
    entry.content_hash = HashContent(archive, client, name, entry.path, nullptr, 0, false, &binary);
    return;
  }

  std::string content;
  content.reserve(static_cast<size_t>(entry.size));
  bool skip_binary = !inspector->inspects_binaries() && !inspector->Keeps(entry);
  entry.content_hash = HashContent(archive, client, name, entry.path, &content,
                                   inspector->max_bytes(), skip_binary, &binary);
  if (binary) return;
  if (inspector->Wants(entry)) inspector->Inspect(entry, index, content, &layer->hits);
  if (inspector->Keeps(entry)) layer->kept.emplace_back(index, std::move(content));
}

}  // namespace

LayerContents ReadLayer(ByteReader& blob, const LayerReadOptions& options) {
  LayerContents layer;

  // source → count → blob digest → decompress → diff_id digest → libarchive
  CountingReader counted(&blob, options.bytes_read);
  DigestReader raw(&counted);
  std::unique_ptr<ByteReader> plain = OpenDecompressed(&raw, options.name, &layer.compression);
  DigestReader tar(plain.get());

  // 1 MiB: libarchive hands out pointers into this buffer, so most file
  // contents are hashed without a copy.
  ArchiveClient client{&tar, std::make_unique<char[]>(1 << 20), 1 << 20, {}};
  struct archive* archive = archive_read_new();
  std::unique_ptr<struct archive, int (*)(struct archive*)> closer(archive, archive_read_free);
  archive_read_support_format_tar(archive);
  archive_read_support_format_empty(archive);
  if (archive_read_open(archive, &client, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    if (!client.error.empty()) throw Error(client.error);
    Fail("{} is not a tar stream ({} compression): {}", options.name,
         CompressionName(layer.compression), archive_error_string(archive));
  }

  struct archive_entry* raw_entry;
  while (true) {
    int status = archive_read_next_header(archive, &raw_entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) {
      if (!client.error.empty()) throw Error(client.error);
      Fail("{} has a corrupt tar stream after {} entries: {}", options.name,
           layer.entries.size(), archive_error_string(archive));
    }

    LayerEntry entry = MakeEntry(raw_entry);
    if (!DecodeWhiteout(&entry)) continue;
    layer.entries.push_back(std::move(entry));
    if (layer.entries.back().kind == EntryKind::kFile)
      ReadFileContent(archive, client, options.name, options.inspector, &layer);
  }

  // Hash what follows the tar end marker too (eStargz keeps its table of
  // contents there), and whatever trails the compressed stream.
  tar.Drain();
  raw.Drain();
  layer.diff_id = tar.Finish();
  layer.tar_size = tar.bytes();
  layer.blob_digest = raw.Finish();
  layer.blob_size = raw.bytes();
  return layer;
}

}  // namespace strata
