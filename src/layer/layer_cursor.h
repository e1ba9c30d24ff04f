// Walks the entries of one layer blob in tar order: decompression by magic
// bytes, both digests as the bytes pass, libarchive for the tar format, and
// the entries decoded (paths cleaned, whiteouts recognised). ReadLayer, the
// file commands (cat, export) and anything else that reads a layer go
// through here, so every reader sees the same entries in the same order.
// A big layer is read ahead and decompressed on threads the cursor starts
// and joins itself (blob/pipelined_reader.h); its caller sees one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "blob/byte_reader.h"
#include "blob/decompress.h"
#include "blob/digest_reader.h"
#include "layer/layer_entry.h"
#include "layer/limits.h"

struct archive;

namespace strata {

class LayerCursor {
 public:
  // Starts reading |blob| (not owned; it must outlive the cursor). |name|
  // names the layer in messages. |blob_digest| is the digest the image
  // names for the blob, "" when it names none: compressed data that ends
  // early is called truncated when the bytes still hash to it, corrupt
  // when not (see BlobCheck). |image_bytes|, when not null, is shared by
  // the cursors over one image's layers: the uncompressed bytes they have
  // read together, held to limits.max_image_bytes. |pipelined| false keeps
  // all the reading on the caller's thread, however big the layer. Throws
  // Error when the decompressed bytes are not a tar stream.
  LayerCursor(ByteReader* blob, std::string name, std::string blob_digest = "",
              ReadLimits limits = ReadLimits(), std::atomic<int64_t>* image_bytes = nullptr,
              bool pipelined = true);
  ~LayerCursor();
  LayerCursor(const LayerCursor&) = delete;
  LayerCursor& operator=(const LayerCursor&) = delete;

  // Moves to the next entry and fills |*entry| (a file's content_hash is
  // left 0).
  // Returns false after the last. Throws Error on corrupt data. The
  // entry's path is the cursor's: it lasts until the next call or the
  // cursor's end (LayerContents::Add keeps one for longer).
  bool Next(LayerEntry* entry);

  // The current entry's name as the layer stores it, when that name leaves
  // the root (an absolute path, ".." above the root) or is a bare ".wh."
  // (read as a whiteout of its own directory): what the decoded path no
  // longer shows. "" for every other entry.
  const std::string& stored_name() const { return stored_name_; }

  // Hands the current entry's content to |sink| block by block; call at
  // most once per entry, before Next. Entries whose content is not read are
  // skipped (still hashed) by Next.
  void ReadContent(const std::function<void(const char* data, size_t size)>& sink);

  // Reads whatever follows the tar end marker and the compressed stream,
  // so the digests cover every byte; then the digest accessors are valid.
  void Finish();

  Compression compression() const { return compression_; }
  const std::string& diff_id() const { return diff_id_; }
  const std::string& blob_digest() const { return blob_digest_; }
  int64_t tar_size() const { return tar_.bytes(); }
  int64_t blob_size() const { return raw_.bytes(); }
  // Bytes after the last gzip member that begin no other (after Finish).
  int64_t trailing_bytes() const {
    int64_t at = trailing_at_.load();
    return at < 0 ? 0 : raw_.bytes() - at;
  }

 private:
  [[noreturn]] void FailArchive(const std::string& what);
  // Rethrows |error|; but when the image names a digest for the blob and
  // its bytes, read to the end, hash to something else, says that instead,
  // with what reading found as the detail. A byte changed on disk or on
  // the way shows first as corrupt compressed data, a damaged tar or no
  // tar at all, depending on where it fell; only the digest tells a
  // corrupt blob from an image built wrong.
  [[noreturn]] void FailNamingTheBlob(const Error& error);
  bool NextEntry(LayerEntry* entry);  // Next, errors as they come.
  // Reads what is left of the blob (raw_ hashes it on its way) and
  // returns its digest.
  const std::string& ReadBlobToEnd();
  void CheckExpansion();
  BlobCheck CheckBlob();

  std::string name_;
  std::string expected_blob_digest_;
  bool failed_ = false;  // Set by FailNamingTheBlob: nothing reads on.
  ReadLimits limits_;
  std::atomic<int64_t>* image_bytes_;
  int64_t counted_ = 0;  // Of tar_.bytes(), already added to *image_bytes_.
  // Set by the decompressor, perhaps on its own thread, before any read:
  // declared before the readers so that it is made first.
  std::atomic<int64_t> trailing_at_{-1};
  DigestReader raw_;
  std::unique_ptr<ByteReader> hashed_;  // raw_, read ahead on a thread.
  Compression compression_ = Compression::kNone;
  std::unique_ptr<ByteReader> plain_;
  DigestReader tar_;
  struct Client;
  std::unique_ptr<Client> client_;
  struct archive* archive_ = nullptr;
  std::string current_path_;  // The bytes of the current entry's path.
  std::string stored_name_;
  std::string diff_id_;
  std::string blob_digest_;
};

}  // namespace strata
