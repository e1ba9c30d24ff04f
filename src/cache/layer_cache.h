// The layer cache: each layer's result (the LayerContents a read of it
// produced) kept in an SQLite database under the user's cache directory,
// keyed by the layer's diff_id and by what the read looked for, so that a
// second audit of an image, or of another image sharing its base layers,
// reads only the layers it has not seen. See doc/cache.md.
//
// Nothing read back is trusted blindly: a row from another analysis
// version, with a wrong checksum or that does not decode is a miss, and
// the fresh result replaces it. A row is reused only for a blob this cache
// has seen hash to that diff_id (same digest, or for sources that name no
// digest, same size). Several processes may share one cache: SQLite's WAL
// mode, a busy timeout and one transaction per audit keep it whole.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layer/content_inspector.h"
#include "layer/layer_reader.h"
#include "layer/limits.h"
#include "source/image_source.h"

struct sqlite3;
struct sqlite3_stmt;

namespace strata {

// Bump whenever a layer's result changes meaning for the same tar bytes:
// what the layer reader records per entry, what the content scanner finds
// or redacts, the built-in secret patterns' code, the codec. Rows of any
// other version are ignored and replaced.
// 2: names stored outside the root kept. 3: a bare ".wh." is a whiteout of
// its own directory, its stored name kept. 4: so are ".wh.." and, of its
// parent, ".wh...". 5: modification times out of range are warned of.
// 6: bytes after a blob's gzip data are warned of; token patterns ask
// nothing of what follows a token (ghp_…dir).
inline constexpr int kAnalysisVersion = 6;

// Whole results kept (FindImageResult): enough for the images one works
// with in a week, few enough that the database stays small.
inline constexpr int kImageResultsKept = 64;

// The bytes of stored results (layers' and whole ones together) a cache
// keeps by default; the least recently used go first past it. A layer's
// result takes about a dozen bytes an entry, so this holds some 150
// million entries: thousands of images.
inline constexpr int64_t kDefaultCacheBytes = int64_t{2} << 30;

// What one audit did with the cache, for -v and the tests.
struct LayerCacheStats {
  std::atomic<int> hits{0};           // Layers taken from the cache.
  std::atomic<int> misses{0};         // Layers read from their blobs.
  std::atomic<int> damaged{0};        // Rows found unusable (checksum, decoding, version).
  std::atomic<int> stored{0};         // Results written.
  // Cached layers whose blob file was new or had changed since a run
  // verified it, hashed again and found to hold the same bytes. (One
  // that does not is read, and fails its digest.)
  std::atomic<int> rehashed{0};
  int evicted = 0;                    // Rows dropped to stay under the size cap.
  bool image_result_reused = false;   // A whole earlier result was used (FindImageResult).
  std::vector<std::string> problems;  // Why the cache could not be used, if so.
};

// The part of a cache key that names how a layer was read: the content
// inspector's CacheKey() and the read limits (a result read under looser
// limits must not pass stricter ones unchecked). "" when results of this
// inspector must not be cached.
std::string LayerCacheScope(const ContentInspector* inspector, const ReadLimits& limits);

// The default cache directory: $XDG_CACHE_HOME/strata when that is an
// absolute path, else $HOME/.cache/strata; "" when neither is known.
std::string DefaultCacheDir();

// The sha256 ("sha256:…") of |blob|'s stored bytes, as they are now: no
// decompression, no parsing. "" when they cannot be read (reading the
// layer then says why).
std::string StoredDigest(const LayerBlob& blob);

class LayerCache {
 public:
  // Opens the cache in |dir|, creating the directory (mode 0700) and the
  // database as needed. A database file SQLite cannot read is deleted and
  // made anew. Each write then keeps the stored results under |max_bytes|
  // (the least recently used are dropped). Throws Error naming the path
  // when that fails.
  static std::unique_ptr<LayerCache> Open(const std::string& dir,
                                          int64_t max_bytes = kDefaultCacheBytes);
  ~LayerCache();
  LayerCache(const LayerCache&) = delete;
  LayerCache& operator=(const LayerCache&) = delete;

  // The result of the layer |diff_id| read with |scope|, for the stored
  // bytes |blob| names, with |blob|'s digest, size and compression filled
  // in; nullopt when there is no usable row. Thread-safe.
  std::optional<LayerContents> Find(const std::string& diff_id, const std::string& scope,
                                    const LayerBlob& blob);

  // Notes that the blob file |identity| (LayerBlob::identity, taken before
  // the read) held bytes that hash to |blob_digest|: Find trusts it again
  // without hashing while the identity stays the same. Written by Commit.
  void NoteVerified(const std::string& identity, const std::string& blob_digest);

  // Encodes |layer| (read with |scope|, its digests verified) to be
  // written by Commit. Thread-safe; the encoding runs outside the lock.
  void Add(const std::string& scope, const LayerContents& layer);

  // Writes everything Add collected, records which rows Find returned, and
  // drops the least recently used rows past the size cap, in one
  // transaction. Failures (a disk full, a lock held past the timeout) are
  // recorded in stats().problems; the cache is an optimisation, never a
  // reason to fail an audit.
  void Commit();

  // Whole results of earlier commands, by a key that names everything a
  // result depends on (see cli/result_memo.h): a second identical audit of
  // an image reads and merges no layer at all. nullopt when there is no
  // usable row; a damaged one is a miss, as for layers.
  std::optional<std::string> FindImageResult(const std::string& key);

  // Stores |result| under |key| at once, in its own transaction, and drops
  // the oldest rows beyond the newest kImageResultsKept and any past the
  // size cap.
  // Failures are recorded in stats().problems.
  void StoreImageResult(const std::string& key, const std::string& result);

  // Compiled content patterns (see rules/content_scanner.h): nullopt when
  // none are kept under |key| or the row is damaged. Store keeps the
  // newest few, at once, in their own transaction; failures only mean
  // compiling again next time.
  std::optional<std::string> FindCompiled(const std::string& key);
  void StoreCompiled(const std::string& key, const std::string& bytes);

  const LayerCacheStats& stats() const { return stats_; }
  const std::string& path() const { return path_; }

 private:
  struct Pending {
    std::string diff_id, scope, result, blob_digest;
    int64_t checksum = 0, blob_size = 0;
    int compression = 0;
  };

  LayerCache(sqlite3* db, std::string path, int64_t max_bytes);
  void Prepare();
  bool Evict();
  void ReleaseFreePages();
  bool MarkUsed();
  int64_t Pragma(const char* name);
  bool BlobKnown(const std::string& diff_id, const LayerBlob& blob, LayerContents* layer);
  bool FileVerified(const std::string& identity, const std::string& blob_digest);
  bool StillHolds(const LayerBlob& blob, const std::string& blob_digest);
  bool WriteVerifiedFiles();
  bool Write(const Pending& row);
  bool Rebuild();
  void Problem(const std::string& what);

  sqlite3* db_;
  std::string path_;
  std::mutex mutex_;  // Guards db_, the statements, pending_, verified_files_ and used_.
  sqlite3_stmt* find_result_ = nullptr;
  sqlite3_stmt* find_blob_ = nullptr;
  sqlite3_stmt* find_blob_by_size_ = nullptr;
  sqlite3_stmt* insert_result_ = nullptr;
  sqlite3_stmt* insert_blob_ = nullptr;
  sqlite3_stmt* find_image_result_ = nullptr;
  sqlite3_stmt* insert_image_result_ = nullptr;
  sqlite3_stmt* find_file_ = nullptr;
  sqlite3_stmt* insert_file_ = nullptr;
  std::vector<Pending> pending_;
  // (identity, blob digest) of the blob files verified in this run.
  std::vector<std::pair<std::string, std::string>> verified_files_;
  // (diff_id, scope) of the rows Find returned, for MarkUsed.
  std::vector<std::pair<std::string, std::string>> used_;
  int64_t max_bytes_;
  bool damaged_database_ = false;  // SQLite said so; Commit starts afresh.
  LayerCacheStats stats_;
};

}  // namespace strata
