#include "layer/layer_cursor.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/buffer_pool.h"
#include "base/error.h"
#include "blob/pipelined_reader.h"

namespace strata {

namespace {

constexpr std::string_view kOpaqueName = ".wh..wh..opq";

// 1 MiB: libarchive hands out pointers into this buffer, so most file
// contents reach their reader without a copy. Allocated unwritten: a small
// layer touches only the pages its bytes fill.
constexpr size_t kTarBuffer = 1 << 20;

EntryKind KindOf(struct archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) return EntryKind::kHardlink;
  switch (archive_entry_filetype(entry)) {
    case AE_IFDIR:
      return EntryKind::kDirectory;
    case AE_IFLNK:
      return EntryKind::kSymlink;
    case AE_IFCHR:
      return EntryKind::kCharDevice;
    case AE_IFBLK:
      return EntryKind::kBlockDevice;
    case AE_IFIFO:
      return EntryKind::kFifo;
    case AE_IFSOCK:
      return EntryKind::kSocket;
    default:
      return EntryKind::kFile;
  }
}

const char* PathOf(struct archive_entry* entry) {
  const char* path = archive_entry_pathname(entry);
  return path != nullptr ? path : archive_entry_pathname_utf8(entry);
}

// Decodes whiteout names, from the last component only as umoci and
// containerd read them; a new path goes to |*path|, which |entry|'s path
// views. Returns false for AUFS bookkeeping names (".wh..wh.plnk",
// ".wh..wh.aufs"), which carry no meaning for the image.
bool DecodeWhiteout(LayerEntry* entry, std::string* path) {
  std::string_view base = BaseName(entry->path);
  if (!base.starts_with(kWhiteoutPrefix)) return true;

  std::string_view dir = DirName(entry->path);
  if (base == kOpaqueName) {
    entry->kind = EntryKind::kOpaque;
    entry->path = dir;
    return true;
  }
  if (base.substr(kWhiteoutPrefix.size()).starts_with(kWhiteoutPrefix)) return false;

  // ".wh.", ".wh.." and ".wh..." name no file: unpackers join "", "." or
  // ".." to the directory, and so remove it or its parent (umoci 0.4.7
  // then fails).
  std::string_view removed = base.substr(kWhiteoutPrefix.size());
  std::optional<std::string_view> self = SelfWhiteoutTarget(base, dir);
  std::string decoded = self        ? std::string(*self)
                        : dir.empty() ? std::string(removed)
                                      : fmt::format("{}/{}", dir, removed);
  *path = std::move(decoded);
  entry->kind = EntryKind::kWhiteout;
  entry->path = *path;
  entry->size = 0;
  return true;
}

// The entry |raw| describes, its path cleaned into |*path|.
LayerEntry MakeEntry(struct archive_entry* raw, std::string* path) {
  LayerEntry entry;
  const char* name = PathOf(raw);
  if (name == nullptr) Fail("a tar entry has no readable name");
  *path = CleanLayerPath(name, &entry.path_escaped);
  entry.path = *path;
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
      Xattrs& xattrs = entry.mutable_xattrs();
      auto same = std::find_if(xattrs.begin(), xattrs.end(),
                               [name](const auto& xattr) { return xattr.first == name; });
      if (same != xattrs.end())
        same->second = std::move(text);
      else
        xattrs.emplace_back(name, std::move(text));
    }
  }
  if (entry.kind == EntryKind::kHardlink) {
    bool escaped = false;
    entry.set_link(CleanLayerPath(archive_entry_hardlink(raw), &escaped));
    entry.path_escaped |= escaped;
  } else if (entry.kind == EntryKind::kSymlink) {
    const char* target = archive_entry_symlink(raw);
    if (target == nullptr) target = archive_entry_symlink_utf8(raw);
    entry.set_link(target != nullptr ? target : "");
  } else if (entry.kind == EntryKind::kCharDevice || entry.kind == EntryKind::kBlockDevice) {
    entry.set_device(static_cast<uint32_t>(archive_entry_rdevmajor(raw)),
                     static_cast<uint32_t>(archive_entry_rdevminor(raw)));
  }
  return entry;
}

// The decompressed stream of |raw|: on a thread of its own when the layer
// is compressed (see LayerCursor's constructor); uncompressed tars have no
// inflate to move away.
std::unique_ptr<ByteReader> OpenPlain(ByteReader* raw, const std::string& name,
                                      const PipelineShape& shape, Compression* detected,
                                      std::function<BlobCheck()> check_blob,
                                      std::atomic<int64_t>* trailing_at) {
  std::unique_ptr<ByteReader> plain =
      OpenDecompressed(raw, name, detected, std::move(check_blob), trailing_at);
  if (*detected == Compression::kNone) return plain;
  return std::make_unique<PipelinedReader>(std::move(plain), shape);
}

// The ring of a layer's reading threads; with |pipelined| false the
// producer never starts, so the whole layer is read on the caller's thread.
PipelineShape ShapeOf(bool pipelined) {
  PipelineShape shape;
  if (!pipelined) shape.inline_bytes = std::numeric_limits<int64_t>::max();
  return shape;
}

// libarchive's message for the last failure, or a stand-in: it may have
// none, and fmt refuses a null pointer.
const char* ArchiveError(struct archive* archive) {
  const char* message = archive_error_string(archive);
  return message != nullptr ? message : "unrecognized data";
}

}  // namespace

// The libarchive client: hands it the decompressed stream in chunks.
struct LayerCursor::Client {
  DigestReader* tar;
  LayerCursor* cursor;
  PooledBuffer buffer{kTarBuffer};
  std::string error;  // An Error thrown below libarchive, rethrown above it.

  static la_ssize_t Read(struct archive*, void* data, const void** block) {
    auto* client = static_cast<Client*>(data);
    *block = client->buffer.get();
    if (client->cursor->failed_) return -1;
    try {
      la_ssize_t got = static_cast<la_ssize_t>(client->tar->Read(client->buffer.get(), kTarBuffer));
      client->cursor->CheckExpansion();
      return got;
    } catch (const Error& error) {
      client->error = error.what();
      return -1;
    }
  }
};

// Past 8 MiB a layer is read on three threads joined by PipelinedReaders:
// the blob read and its sha256 (hashed_); the inflate (plain_, compressed
// layers only); the diff_id's sha256, libarchive and the XXH3 of each file
// (the caller's). Most images hold one big layer, and on one thread it
// kept one core busy while the other had nothing to do.
//
// Where the hashes go was measured (perf, per thread, on the 340 MB gzip
// layer of the Debian build-tools reference image): the inflate is 40% of
// the work, the raw sha256 and read 20%, the diff_id sha256 with parsing
// 35%. With the raw hash beside the inflate (two threads) the inflate's
// thread carried 63% and bounded the time; its own thread balances the
// three on two cores. Wall time, `audit -q --no-cache`, median of 3, idle
// 2-core machine (load 1.9 and falling, no other jobs):
//   image                   one thread  two   three  (igzip -dc: 1.05 s)
//   build-tools.oci         1.85 s      1.43  1.33
//   build-tools.zstd.oci    1.31 s      1.17  1.08
//   the 340 MB layer alone  1.76 s      1.18  1.03
//   build-tools.docker.tar  1.15 s      -     0.82  (uncompressed)
//   many-layers.oci         0.46 s      0.48  0.46  (400 small layers)
// Five such runs gave build-tools.oci 1.20 to 1.39 s against igzip's
// 1.01 to 1.05 s (1.2 to 1.4 times; the machine is shared), where one
// thread took 1.85 s. Layers under 8 MiB stay on the caller's thread
// (PipelineShape).
//
// `--threads 1` turns these threads off (|pipelined|): a user who holds
// strata to one core gets one.
// TODO: each ring copies its bytes once more (about 5% of the work);
// handing libarchive the ring's buffer in place would save that.
LayerCursor::LayerCursor(ByteReader* blob, std::string name, std::string blob_digest,
                         ReadLimits limits, std::atomic<int64_t>* image_bytes, bool pipelined)
    : name_(std::move(name)),
      expected_blob_digest_(std::move(blob_digest)),
      limits_(limits),
      image_bytes_(image_bytes),
      raw_(blob),
      hashed_(std::make_unique<PipelinedReader>(&raw_, ShapeOf(pipelined))),
      plain_(OpenPlain(hashed_.get(), name_, ShapeOf(pipelined), &compression_,
                       [this] { return CheckBlob(); }, &trailing_at_)),
      // An uncompressed layer's tar is its blob, byte for byte: its
      // diff_id is the blob's digest, and hashing it twice cost a third
      // of a docker archive's audit.
      tar_(plain_.get(), compression_ != Compression::kNone),
      client_(std::make_unique<Client>()) {
  client_->tar = &tar_;
  client_->cursor = this;
  archive_ = archive_read_new();
  archive_read_support_format_tar(archive_);
  archive_read_support_format_empty(archive_);
  if (archive_read_open(archive_, client_.get(), nullptr, Client::Read, nullptr) != ARCHIVE_OK) {
    // The destructor does not run when a constructor throws, so the archive
    // is freed here (found by the layer_merge fuzzer as a leak).
    // "(after gzip decompression)" tells a corrupt tar inside a good gzip
    // stream from bytes that were never compressed.
    std::string after =
        compression_ == Compression::kNone
            ? ""
            : fmt::format(" (after {} decompression)", CompressionName(compression_));
    std::string message =
        !client_->error.empty()
            ? client_->error
            : fmt::format("{} is not a tar stream{}: {}", name_, after, ArchiveError(archive_));
    archive_read_free(archive_);
    archive_ = nullptr;
    FailNamingTheBlob(Error(message));
  }
}

LayerCursor::~LayerCursor() { archive_read_free(archive_); }

void LayerCursor::CheckExpansion() {
  int64_t expanded = tar_.bytes();
  if (expanded > limits_.max_layer_bytes)
    Fail("{} expands to more than {} bytes; raise --max-layer-bytes to read it", name_,
         limits_.max_layer_bytes);

  if (image_bytes_ != nullptr) {
    int64_t added = expanded - counted_;
    counted_ = expanded;
    if (image_bytes_->fetch_add(added, std::memory_order_relaxed) + added > limits_.max_image_bytes)
      Fail(
          "{}: the image's layers expand to more than {} bytes together; raise "
          "--max-image-bytes to read it",
          name_, limits_.max_image_bytes);
  }

  if (expanded > (int64_t{1} << 30) &&
      expanded / std::max<int64_t>(1, raw_.bytes()) > limits_.max_ratio)
    Fail(
        "{} expands to more than {} times its stored size (a decompression bomb?); raise "
        "--max-ratio to read it",
        name_, limits_.max_ratio);
}

// Called by the decompressor once hashed_ has returned its end: raw_ has
// seen the last byte, on whichever thread read it, and the ring's lock
// orders those reads before this one.
BlobCheck LayerCursor::CheckBlob() {
  if (expected_blob_digest_.empty()) return BlobCheck::kNoDigest;
  return raw_.Finish() == expected_blob_digest_ ? BlobCheck::kMatchesDigest
                                                : BlobCheck::kDiffersFromDigest;
}

const std::string& LayerCursor::ReadBlobToEnd() {
  PooledBuffer buffer(kTarBuffer);
  while (hashed_->Read(buffer.get(), kTarBuffer) > 0) {
  }
  return raw_.Finish();
}

void LayerCursor::FailNamingTheBlob(const Error& error) {
  if (expected_blob_digest_.empty() || failed_) throw error;
  failed_ = true;
  std::string actual;
  try {
    // The inflate's thread may be reading hashed_: it is joined here, and
    // nothing reads through plain_ again.
    plain_.reset();
    actual = ReadBlobToEnd();
  } catch (const Error&) {
    throw error;  // The blob itself cannot be read to its end: the first word stands.
  }
  if (actual == expected_blob_digest_) throw error;

  // "layer 1: corrupt tar stream: …" and "layer 1 is not a tar stream"
  // become "corrupt tar stream: …" and "it is not a tar stream".
  std::string detail = error.what();
  if (detail.starts_with(name_ + ": "))
    detail.erase(0, name_.size() + 2);
  else if (detail.starts_with(name_ + " "))
    detail.replace(0, name_.size(), "it");
  Fail(
      "{}: blob digest mismatch: the manifest says {}, the bytes hash to {} (read as they are, "
      "{})",
      name_, expected_blob_digest_, actual, detail);
}

void LayerCursor::FailArchive(const std::string& what) {
  if (!client_->error.empty()) throw Error(client_->error);
  // libarchive fails some headers (a truncated GNU long name) without a
  // message; formatting the null pointer threw fmt::format_error, an
  // "internal error" (found by the layer_merge fuzzer).
  const char* detail = archive_error_string(archive_);
  if (detail == nullptr) Fail("{}: {}", name_, what);
  Fail("{}: {}: {}", name_, what, detail);
}

bool LayerCursor::Next(LayerEntry* entry) {
  try {
    return NextEntry(entry);
  } catch (const Error& error) {
    FailNamingTheBlob(error);
  }
}

bool LayerCursor::NextEntry(LayerEntry* entry) {
  while (true) {
    struct archive_entry* raw_entry;
    int status = archive_read_next_header(archive_, &raw_entry);
    if (status == ARCHIVE_EOF) return false;
    // ARCHIVE_RETRY is a header libarchive could not use (a bad checksum
    // after the first entry) and would skip: an image layer with a damaged
    // header is corrupt, and the entry left behind has no name.
    if (status < ARCHIVE_WARN || status == ARCHIVE_RETRY) FailArchive("corrupt tar stream");

    const char* raw_path = PathOf(raw_entry);
    if (raw_path == nullptr) Fail("{}: a tar entry has no readable name", name_);
    if (raw_path != nullptr && static_cast<int64_t>(strlen(raw_path)) > limits_.max_path_bytes)
      Fail("{}: an entry's path is longer than {} bytes; raise --max-path-bytes to read it", name_,
           limits_.max_path_bytes);
    *entry = MakeEntry(raw_entry, &current_path_);
    // A link's target is a path too, kept with the entry and resolved
    // through the tree: as costly, and as much a sign of a crafted layer.
    bool is_link = entry->kind == EntryKind::kHardlink || entry->kind == EntryKind::kSymlink;
    if (is_link && static_cast<int64_t>(entry->link().size()) > limits_.max_path_bytes)
      Fail("{}: {} is longer than {} bytes; raise --max-path-bytes to read it", name_,
           entry->kind == EntryKind::kHardlink ? "a hard link's target"
                                               : "a symbolic link's target",
           limits_.max_path_bytes);
    // Escaped may mean a hard link's target only: the name is checked again.
    bool name_escaped = false;
    if (entry->path_escaped) CleanLayerPath(raw_path, &name_escaped);
    // A bare ".wh." (or ".wh..", ".wh...") decodes to a whiteout of its
    // directory or parent: only the name as stored tells them apart.
    bool bare_whiteout = SelfWhiteoutTarget(BaseName(entry->path), "").has_value();
    stored_name_.assign(name_escaped || bare_whiteout ? raw_path : "");
    if (DecodeWhiteout(entry, &current_path_)) return true;
  }
}

void LayerCursor::ReadContent(const std::function<void(const char* data, size_t size)>& sink) {
  const void* block;
  size_t size;
  la_int64_t offset;
  while (true) {
    // The sink's own errors (a full disk) need no look at the blob.
    try {
      int status = archive_read_data_block(archive_, &block, &size, &offset);
      if (status == ARCHIVE_EOF) return;
      if (status < ARCHIVE_WARN) FailArchive("cannot read the content of " + current_path_);
    } catch (const Error& error) {
      FailNamingTheBlob(error);
    }
    sink(static_cast<const char*>(block), size);
  }
}

void LayerCursor::Finish() {
  // What follows the end marker counts against the limits too.
  PooledBuffer buffer(kTarBuffer);
  try {
    while (tar_.Read(buffer.get(), kTarBuffer) > 0) CheckExpansion();
  } catch (const Error& error) {
    FailNamingTheBlob(error);
  }
  // And what trails the compressed stream, which raw_ hashes on its way.
  blob_digest_ = ReadBlobToEnd();
  diff_id_ = compression_ == Compression::kNone ? blob_digest_ : tar_.Finish();
}

}  // namespace strata
