#include "cache/layer_cache.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <system_error>
#include <thread>

#include "base/error.h"
#include "blob/digest_reader.h"
#include "blob/sha256.h"
#include "cache/layer_codec.h"

namespace strata {

namespace fs = std::filesystem;

namespace {

// The schema's version is in the file name, so that strata versions with
// different schemas each keep their own file instead of fighting over one.
constexpr const char* kDatabaseName = "layers-v1.sqlite";

// How long a run waits, in all, for other runs' writes to finish. Writes
// are one short transaction per audit; a minute covers a slow disk with
// margin.
constexpr int64_t kBusyTimeoutMs = 60'000;

// The milliseconds this process has waited for locks: SQLite's own
// timeout counts a minute for each statement, and a run that met a lock
// held for long at each of its statements (opening, the schema, the
// write) waited minutes.
std::atomic<int64_t> lock_waited_ms{0};

bool LockWaitSpent() { return lock_waited_ms.load() >= kBusyTimeoutMs; }

// SQLite's busy handler: waits a little longer each time, while the run
// has waiting left; then SQLITE_BUSY, which the callers turn into a
// warning (and a run without the cache).
int WaitForLock(void*, int tries) {
  if (LockWaitSpent()) return 0;
  int64_t sleep_ms = std::min<int64_t>(100, int64_t{1} << std::min(tries, 7));
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  lock_waited_ms += sleep_ms;
  return 1;
}

// The journal mode cannot change inside a transaction; the tables are
// made in one that takes the write lock first (BEGIN IMMEDIATE). Without
// it, runs starting together on a new cache each began reading the schema
// and then needed to write it: SQLite refuses such an upgrade at once
// ("database is locked"), without waiting, to avoid a deadlock.
//
// auto_vacuum must be chosen before the first table is made: for a new
// database it is, and the file can give back the pages of dropped rows
// (ReleaseFreePages); for an older one it changes nothing until a VACUUM.
constexpr const char* kJournal = R"(
PRAGMA auto_vacuum=INCREMENTAL;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
)";

constexpr const char* kSchema = R"(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS layer_results(
  diff_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  version INTEGER NOT NULL,
  checksum INTEGER NOT NULL,
  result BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (diff_id, scope));
CREATE TABLE IF NOT EXISTS verified_blobs(
  digest TEXT PRIMARY KEY,
  diff_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  compression INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS verified_blobs_by_diff_id ON verified_blobs(diff_id, size);
CREATE TABLE IF NOT EXISTS image_results(
  key TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  checksum INTEGER NOT NULL,
  result BLOB NOT NULL,
  used_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS compiled_patterns(
  key TEXT PRIMARY KEY,
  checksum INTEGER NOT NULL,
  bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS layer_uses(
  diff_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  used_at INTEGER NOT NULL,
  PRIMARY KEY (diff_id, scope)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verified_files(
  identity TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  seen_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS layer_results_by_age ON layer_results(stored_at);
CREATE INDEX IF NOT EXISTS image_results_by_age ON image_results(used_at);
COMMIT;
)";

// Now, in milliseconds since 1970, as SQL: when a row was stored. (Rows
// stored by earlier versions hold seconds, so they look the oldest, which
// they are.)
constexpr const char* kNow = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

// Free pages a database may keep: the next rows reuse them, so giving
// back a few is not worth a write; more than this (or than a quarter of
// the file), and they go.
constexpr int64_t kMaxFreeBytes = 4 << 20;

// PRAGMA auto_vacuum's value for INCREMENTAL.
constexpr int64_t kIncrementalVacuum = 2;

// A whole result larger than this is not kept: replaying it would save
// little next to writing it, and it would crowd the database.
constexpr size_t kMaxImageResult = 64 << 20;

// Blob files remembered as verified (a row of some 150 bytes each): the
// newest this many; a file forgotten is hashed again when next used.
constexpr int kVerifiedFilesKept = 50000;

bool IsDamage(int code) {
  code &= 0xff;
  return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

int64_t Checksum(std::string_view bytes) {
  return static_cast<int64_t>(XXH3_64bits(bytes.data(), bytes.size()));
}

// Column |column| of |query|'s row as text; "" for NULL.
std::string ColumnText(sqlite3_stmt* query, int column) {
  const unsigned char* text = sqlite3_column_text(query, column);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

void RemoveDatabase(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix, ignored);
}

// The database is the user's alone, and SQLite gives its -wal and -shm
// files the database's mode when it makes them, which it does on opening:
// so the file is made (or set) 0600 before SQLite opens it, and so are
// -wal and -shm left by an earlier run.
void MakePrivate(const std::string& path) {
  // Not through a link: what it points at is not ours to change.
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    fchmod(fd, 0600);
    close(fd);
  }
  for (const char* suffix : {"-wal", "-shm"})
    fchmodat(AT_FDCWD, (path + suffix).c_str(), 0600, AT_SYMLINK_NOFOLLOW);
}

// Opens |path| and makes sure the schema is there. Returns the SQLite
// error code; *db is set (and must be closed) whatever it returns.
int OpenDatabase(const std::string& path, sqlite3** db, std::string* message) {
  MakePrivate(path);
  int code = sqlite3_open_v2(
      path.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code == SQLITE_OK) {
    sqlite3_busy_handler(*db, WaitForLock, nullptr);
    // Switching a new database to WAL can meet another run doing the same
    // and fail at once; try again for a while.
    for (int attempt = 0; attempt < 100 && !LockWaitSpent(); ++attempt) {
      code = sqlite3_exec(*db, kJournal, nullptr, nullptr, nullptr);
      if ((code & 0xff) != SQLITE_BUSY && (code & 0xff) != SQLITE_LOCKED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (code == SQLITE_OK) code = sqlite3_exec(*db, kSchema, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) {
    *message = *db != nullptr ? sqlite3_errmsg(*db) : sqlite3_errstr(code);
    if (*db != nullptr) sqlite3_exec(*db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return code;
}

}  // namespace

std::string LayerCacheScope(const ContentInspector* inspector, const ReadLimits& limits) {
  std::string inspector_key = inspector != nullptr ? inspector->CacheKey() : "none";
  if (inspector_key.empty()) return "";
  std::string text =
      fmt::format("inspector {}\nlimits {} {} {} {}\n", inspector_key, limits.max_entries,
                  limits.max_path_bytes, limits.max_layer_bytes, limits.max_ratio);
  return Sha256Of(text).substr(7, 32);
}

std::string DefaultCacheDir() {
  const char* xdg = getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/strata";
  const char* home = getenv("HOME");
  if (home != nullptr && home[0] != '\0') return std::string(home) + "/.cache/strata";
  return "";
}

std::unique_ptr<LayerCache> LayerCache::Open(const std::string& dir, int64_t max_bytes) {
  // Rows hold redacted findings and kept files (/etc/passwd and the
  // like): a directory made here is the user's alone, and so is the
  // database. A directory that was there keeps its mode: --cache-dir /tmp
  // must not lock everyone else out of it.
  std::error_code error;
  bool made = fs::create_directories(dir, error);
  if (error) Fail("cannot create the cache directory {}: {}", dir, error.message());
  if (made) chmod(dir.c_str(), 0700);

  std::string path = (fs::path(dir) / kDatabaseName).string();
  sqlite3* db = nullptr;
  std::string message;
  int code = OpenDatabase(path, &db, &message);
  if (IsDamage(code)) {
    // Not a database, or a damaged one: nothing in it can be trusted.
    sqlite3_close(db);
    RemoveDatabase(path);
    code = OpenDatabase(path, &db, &message);
  }
  if (code != SQLITE_OK) {
    sqlite3_close(db);
    Fail("cannot open the layer cache {}: {}", path, message);
  }
  std::unique_ptr<LayerCache> cache(new LayerCache(db, path, max_bytes));
  cache->Prepare();
  return cache;
}

LayerCache::LayerCache(sqlite3* db, std::string path, int64_t max_bytes)
    : db_(db), path_(std::move(path)), max_bytes_(max_bytes) {}

LayerCache::~LayerCache() {
  for (sqlite3_stmt* statement :
       {find_result_, find_blob_, find_blob_by_size_, insert_result_, insert_blob_,
        find_image_result_, insert_image_result_, find_file_, insert_file_})
    sqlite3_finalize(statement);
  sqlite3_close(db_);
}

void LayerCache::Prepare() {
  auto prepare = [this](const std::string& sql, sqlite3_stmt** statement) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, statement, nullptr) != SQLITE_OK)
      Fail("cannot use the layer cache {}: {}", path_, sqlite3_errmsg(db_));
  };
  prepare("SELECT version, checksum, result FROM layer_results WHERE diff_id = ? AND scope = ?",
          &find_result_);
  prepare("SELECT diff_id, size, compression FROM verified_blobs WHERE digest = ?", &find_blob_);
  prepare(
      "SELECT digest, compression FROM verified_blobs WHERE diff_id = ? AND size = ? "
      "ORDER BY digest = diff_id DESC LIMIT 1",
      &find_blob_by_size_);
  prepare(fmt::format("INSERT OR REPLACE INTO layer_results(diff_id, scope, version, checksum, "
                      "result, stored_at) VALUES (?, ?, ?, ?, ?, {})",
                      kNow),
          &insert_result_);
  prepare(
      "INSERT OR REPLACE INTO verified_blobs(digest, diff_id, size, compression) "
      "VALUES (?, ?, ?, ?)",
      &insert_blob_);
  prepare("SELECT version, checksum, result FROM image_results WHERE key = ?", &find_image_result_);
  prepare("SELECT digest FROM verified_files WHERE identity = ?", &find_file_);
  prepare(fmt::format("INSERT OR REPLACE INTO verified_files(identity, digest, seen_at) "
                      "VALUES (?, ?, {})",
                      kNow),
          &insert_file_);
  prepare(fmt::format("INSERT OR REPLACE INTO image_results(key, version, checksum, result, "
                      "used_at) VALUES (?, ?, ?, ?, {})",
                      kNow),
          &insert_image_result_);
}

void LayerCache::Problem(const std::string& what) {
  if (IsDamage(sqlite3_errcode(db_))) damaged_database_ = true;
  // Every layer asks the same damaged database: say it once.
  std::string problem = fmt::format("layer cache {}: {}", path_, what);
  if (std::find(stats_.problems.begin(), stats_.problems.end(), problem) == stats_.problems.end())
    stats_.problems.push_back(std::move(problem));
}

std::optional<LayerContents> LayerCache::Find(const std::string& diff_id, const std::string& scope,
                                              const LayerBlob& blob) {
  int version = 0;
  int64_t checksum = 0;
  std::string result;
  LayerContents stored_as;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!BlobKnown(diff_id, blob, &stored_as)) {
      ++stats_.misses;
      return std::nullopt;
    }
    sqlite3_reset(find_result_);
    sqlite3_bind_text(find_result_, 1, diff_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(find_result_, 2, scope.c_str(), -1, SQLITE_TRANSIENT);
    int code = sqlite3_step(find_result_);
    if (code == SQLITE_ROW) {
      version = sqlite3_column_int(find_result_, 0);
      checksum = sqlite3_column_int64(find_result_, 1);
      const void* data = sqlite3_column_blob(find_result_, 2);
      int size = sqlite3_column_bytes(find_result_, 2);
      if (data != nullptr) result.assign(static_cast<const char*>(data), size);
    } else if (code != SQLITE_DONE) {
      Problem(fmt::format("cannot read: {}", sqlite3_errmsg(db_)));
    }
    sqlite3_reset(find_result_);
    if (code != SQLITE_ROW) {
      ++stats_.misses;
      return std::nullopt;
    }
  }

  // A blob file that is new, or changed since a run verified it, is
  // hashed again before its row is trusted: the row speaks of the bytes
  // that were verified, not of whatever the file now holds.
  if (!StillHolds(blob, stored_as.blob_digest)) {
    ++stats_.misses;
    return std::nullopt;
  }

  // Decoding runs outside the lock, on the worker that asked.
  std::optional<LayerContents> layer;
  if (version == kAnalysisVersion && Checksum(result) == checksum)
    layer = DecodeLayerResult(result, diff_id);
  if (!layer) {
    ++stats_.damaged;
    ++stats_.misses;
    return std::nullopt;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    used_.push_back({diff_id, scope});
  }
  layer->blob_digest = std::move(stored_as.blob_digest);
  layer->blob_size = stored_as.blob_size;
  layer->compression = stored_as.compression;
  ++stats_.hits;
  return layer;
}

// True when |blob| is one this cache has seen hash to |diff_id|: its
// digest when the source names one, else a blob of its size. Fills the
// blob fields of |layer| from what was seen.
bool LayerCache::BlobKnown(const std::string& diff_id, const LayerBlob& blob,
                           LayerContents* layer) {
  bool known = false;
  sqlite3_stmt* query = blob.digest.empty() ? find_blob_by_size_ : find_blob_;
  if (blob.digest.empty() && blob.size < 0) return false;
  sqlite3_reset(query);
  if (blob.digest.empty()) {
    sqlite3_bind_text(query, 1, diff_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(query, 2, blob.size);
  } else {
    sqlite3_bind_text(query, 1, blob.digest.c_str(), -1, SQLITE_TRANSIENT);
  }

  int code = sqlite3_step(query);
  if (code == SQLITE_ROW && blob.digest.empty()) {
    known = true;
    layer->blob_digest = reinterpret_cast<const char*>(sqlite3_column_text(query, 0));
    layer->blob_size = blob.size;
    layer->compression = static_cast<Compression>(sqlite3_column_int(query, 1));
  } else if (code == SQLITE_ROW) {
    int64_t size = sqlite3_column_int64(query, 1);
    known = reinterpret_cast<const char*>(sqlite3_column_text(query, 0)) == diff_id &&
            (blob.size < 0 || blob.size == size);
    layer->blob_digest = blob.digest;
    layer->blob_size = size;
    layer->compression = static_cast<Compression>(sqlite3_column_int(query, 2));
  } else if (code != SQLITE_DONE) {
    Problem(fmt::format("cannot read: {}", sqlite3_errmsg(db_)));
  }
  sqlite3_reset(query);

  int compression = static_cast<int>(layer->compression);
  return known && compression >= static_cast<int>(Compression::kNone) &&
         compression <= static_cast<int>(Compression::kZstd);
}

std::string StoredDigest(const LayerBlob& blob) {
  try {
    std::unique_ptr<ByteReader> reader = blob.open();
    DigestReader hashed(reader.get());
    hashed.Drain();
    return hashed.Finish();
  } catch (const Error&) {
    return "";
  }
}

// True when |identity| is a blob file a run saw hash to |blob_digest|.
// Called with the lock held.
bool LayerCache::FileVerified(const std::string& identity, const std::string& blob_digest) {
  sqlite3_reset(find_file_);
  sqlite3_bind_text(find_file_, 1, identity.c_str(), -1, SQLITE_TRANSIENT);
  int code = sqlite3_step(find_file_);
  bool verified = code == SQLITE_ROW &&
                  reinterpret_cast<const char*>(sqlite3_column_text(find_file_, 0)) == blob_digest;
  if (code != SQLITE_ROW && code != SQLITE_DONE)
    Problem(fmt::format("cannot read: {}", sqlite3_errmsg(db_)));
  sqlite3_reset(find_file_);
  return verified;
}

// True when |blob| still holds the bytes that hashed to |blob_digest|: its
// file is one verified before, unchanged, or its bytes hash to it now (a
// copy, a file touched, a cache that has not seen the file, a stream
// spooled to a file with no name). A blob that is not in a local file is
// trusted by its digest, as a registry's is: the digest is what was
// asked for, and what the registry sends is checked against it.
bool LayerCache::StillHolds(const LayerBlob& blob, const std::string& blob_digest) {
  std::string identity = blob.identity ? blob.identity() : "";
  if (identity.empty()) return true;
  bool nameless = identity == kNamelessBytes;
  if (!nameless) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (FileVerified(identity, blob_digest)) return true;
  }

  // Hashing the stored bytes costs a fraction of reading the layer (no
  // decompression, no parsing), and runs on the worker that asked.
  // An unreadable blob is a miss: reading it says what is wrong.
  if (StoredDigest(blob) != blob_digest) return false;
  ++stats_.rehashed;
  NoteVerified(identity, blob_digest);
  return true;
}

void LayerCache::NoteVerified(const std::string& identity, const std::string& blob_digest) {
  if (identity.empty() || identity == kNamelessBytes) return;
  std::lock_guard<std::mutex> lock(mutex_);
  verified_files_.emplace_back(identity, blob_digest);
}

// Writes the blob files verified in this run and forgets the oldest past
// kVerifiedFilesKept; false (with sqlite3_errmsg set) when SQLite refuses.
bool LayerCache::WriteVerifiedFiles() {
  if (verified_files_.empty()) return true;
  for (const auto& [identity, digest] : verified_files_) {
    sqlite3_reset(insert_file_);
    sqlite3_bind_text(insert_file_, 1, identity.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(insert_file_, 2, digest.c_str(), -1, SQLITE_STATIC);
    bool ok = sqlite3_step(insert_file_) == SQLITE_DONE;
    sqlite3_reset(insert_file_);
    if (!ok) return false;
  }
  std::string prune = fmt::format(
      "DELETE FROM verified_files WHERE identity NOT IN "
      "(SELECT identity FROM verified_files ORDER BY seen_at DESC, rowid DESC LIMIT {})",
      kVerifiedFilesKept);
  return sqlite3_exec(db_, prune.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

void LayerCache::Add(const std::string& scope, const LayerContents& layer) {
  Pending row;
  row.diff_id = layer.diff_id;
  row.scope = scope;
  row.result = EncodeLayerResult(layer);
  row.checksum = Checksum(row.result);
  row.blob_digest = layer.blob_digest;
  row.blob_size = layer.blob_size;
  row.compression = static_cast<int>(layer.compression);
  if (row.result.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back(std::move(row));
}

// Writes |row|; false (with sqlite3_errmsg set) when SQLite refuses.
bool LayerCache::Write(const Pending& row) {
  sqlite3_reset(insert_result_);
  sqlite3_bind_text(insert_result_, 1, row.diff_id.c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_text(insert_result_, 2, row.scope.c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_int(insert_result_, 3, kAnalysisVersion);
  sqlite3_bind_int64(insert_result_, 4, row.checksum);
  sqlite3_bind_blob(insert_result_, 5, row.result.data(), static_cast<int>(row.result.size()),
                    SQLITE_STATIC);
  bool ok = sqlite3_step(insert_result_) == SQLITE_DONE;
  sqlite3_reset(insert_result_);
  if (!ok) return false;

  sqlite3_reset(insert_blob_);
  sqlite3_bind_text(insert_blob_, 1, row.blob_digest.c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_text(insert_blob_, 2, row.diff_id.c_str(), -1, SQLITE_STATIC);
  sqlite3_bind_int64(insert_blob_, 3, row.blob_size);
  sqlite3_bind_int(insert_blob_, 4, row.compression);
  ok = sqlite3_step(insert_blob_) == SQLITE_DONE;
  sqlite3_reset(insert_blob_);
  return ok;
}

// Replaces a database SQLite found damaged with an empty one.
bool LayerCache::Rebuild() {
  for (sqlite3_stmt** statement :
       {&find_result_, &find_blob_, &find_blob_by_size_, &insert_result_, &insert_blob_,
        &find_image_result_, &insert_image_result_, &find_file_, &insert_file_}) {
    sqlite3_finalize(*statement);
    *statement = nullptr;
  }
  sqlite3_close(db_);
  RemoveDatabase(path_);
  std::string message;
  int code = OpenDatabase(path_, &db_, &message);
  damaged_database_ = false;
  if (code != SQLITE_OK) {
    stats_.problems.push_back(fmt::format("layer cache {}: cannot rebuild: {}", path_, message));
    return false;
  }
  try {
    Prepare();
  } catch (const Error& error) {
    stats_.problems.push_back(error.what());
    return false;
  }
  return true;
}

// The value of PRAGMA |name|, or -1.
int64_t LayerCache::Pragma(const char* name) {
  sqlite3_stmt* statement = nullptr;
  std::string sql = fmt::format("PRAGMA {}", name);
  int64_t value = -1;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

// Drops the least recently used rows, layers' and whole results alike,
// until the results left take at most max_bytes_, then the blobs no
// layer's result needs any more. Inside the caller's transaction.
//
// A layer's last use is kept in a table of its own (layer_uses): marking
// the row itself rewrote its whole result, megabytes on every warm audit.
// A whole result is used only by the same command again, and its rows are
// few: its time is when it was stored.
bool LayerCache::Evict() {
  // The pages in use bound the results' bytes: under the cap, no scan.
  int64_t used = (Pragma("page_count") - Pragma("freelist_count")) * Pragma("page_size");
  if (used >= 0 && used <= max_bytes_) return true;

  // Newest first through the age indexes. A result's length comes from its
  // row's header; a column stored after the result would read every page
  // of it.
  // (The key columns come before the result, so they are read cheaply too.)
  std::map<std::pair<std::string, std::string>, int64_t> last_use;
  {
    sqlite3_stmt* query = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT diff_id, scope, used_at FROM layer_uses", -1, &query,
                           nullptr) != SQLITE_OK)
      return false;
    int code;
    while ((code = sqlite3_step(query)) == SQLITE_ROW)
      last_use[{ColumnText(query, 0), ColumnText(query, 1)}] = sqlite3_column_int64(query, 2);
    sqlite3_finalize(query);
    if (code != SQLITE_DONE) return false;
  }
  struct Row {
    int table;
    int64_t rowid, bytes, used_at;
  };
  std::vector<Row> rows;
  const char* by_age[2] = {
      "SELECT rowid, length(result), stored_at, diff_id, scope FROM layer_results "
      "ORDER BY stored_at DESC",
      "SELECT rowid, length(result), used_at FROM image_results ORDER BY used_at DESC"};
  for (int table = 0; table < 2; ++table) {
    sqlite3_stmt* query = nullptr;
    if (sqlite3_prepare_v2(db_, by_age[table], -1, &query, nullptr) != SQLITE_OK) return false;
    int code;
    while ((code = sqlite3_step(query)) == SQLITE_ROW) {
      Row row{table, sqlite3_column_int64(query, 0), sqlite3_column_int64(query, 1),
              sqlite3_column_int64(query, 2)};
      if (table == 0) {
        auto used = last_use.find({ColumnText(query, 3), ColumnText(query, 4)});
        if (used != last_use.end()) row.used_at = std::max(row.used_at, used->second);
      }
      rows.push_back(row);
    }
    sqlite3_finalize(query);
    if (code != SQLITE_DONE) return false;
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.used_at > b.used_at; });

  // Strictly by last use: once one row does not fit, every one used
  // before it goes too.
  int64_t kept = 0;
  size_t keep = 0;
  while (keep < rows.size() && kept + rows[keep].bytes <= max_bytes_) kept += rows[keep++].bytes;
  if (keep == rows.size()) return true;
  const char* table[2] = {"layer_results", "image_results"};
  for (size_t i = keep; i < rows.size(); ++i) {
    std::string sql =
        fmt::format("DELETE FROM {} WHERE rowid = {}", table[rows[i].table], rows[i].rowid);
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return false;
  }
  stats_.evicted += static_cast<int>(rows.size() - keep);
  return sqlite3_exec(db_,
                      "DELETE FROM verified_blobs WHERE diff_id NOT IN "
                      "(SELECT diff_id FROM layer_results);"
                      "DELETE FROM layer_uses WHERE NOT EXISTS (SELECT 1 FROM layer_results r "
                      "WHERE r.diff_id = layer_uses.diff_id AND r.scope = layer_uses.scope)",
                      nullptr, nullptr, nullptr) == SQLITE_OK;
}

// Records that this run used the layers it took from the cache, so that
// eviction keeps them. Inside the caller's transaction.
bool LayerCache::MarkUsed() {
  if (used_.empty()) return true;
  sqlite3_stmt* mark = nullptr;
  std::string sql = fmt::format(
      "INSERT OR REPLACE INTO layer_uses(diff_id, scope, used_at) VALUES (?, ?, {})", kNow);
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &mark, nullptr) != SQLITE_OK) return false;
  bool ok = true;
  for (size_t i = 0; ok && i < used_.size(); ++i) {
    sqlite3_bind_text(mark, 1, used_[i].first.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(mark, 2, used_[i].second.c_str(), -1, SQLITE_STATIC);
    ok = sqlite3_step(mark) == SQLITE_DONE;
    sqlite3_reset(mark);
  }
  sqlite3_finalize(mark);
  used_.clear();
  return ok;
}

void LayerCache::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_.empty() && used_.empty() && verified_files_.empty()) return;
  if (damaged_database_ && !Rebuild()) return;

  // A run that only used rows still records so (and which blob files it
  // verified), in a short transaction of its own; if that fails (a cache
  // it may read but not write), the marks are lost and nothing else: no
  // warning, and the files are hashed again next time.
  if (pending_.empty()) {
    bool ok = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK &&
              MarkUsed() && WriteVerifiedFiles() &&
              sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    if (!ok) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    used_.clear();
    verified_files_.clear();
    return;
  }

  // Results larger than SQLite's blob limit are left out, not truncated.
  int limit = sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, -1);
  bool ok = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  int written = 0;
  for (size_t i = 0; ok && i < pending_.size(); ++i) {
    if (pending_[i].result.size() >= static_cast<size_t>(limit)) continue;
    ok = Write(pending_[i]);
    written += ok;
  }
  if (ok) ok = MarkUsed();
  if (ok) ok = WriteVerifiedFiles();
  if (ok) ok = Evict();
  if (ok) ok = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (!ok) {
    Problem(fmt::format("cannot write: {}", sqlite3_errmsg(db_)));
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    stats_.stored += written;
    ReleaseFreePages();
  }
  pending_.clear();
  used_.clear();
  verified_files_.clear();
}

// Gives the file's free pages (those of dropped or replaced rows) back to
// the file system, once there are enough of them (kMaxFreeBytes): without
// it the file stayed at the largest size it ever had, whatever the cap.
// A database made before auto_vacuum was chosen is rewritten once with
// it (a VACUUM, as long as the file's size). Best effort, outside any
// transaction: a run that cannot (another one reading) leaves it to the
// next.
void LayerCache::ReleaseFreePages() {
  int64_t free_pages = Pragma("freelist_count");
  if (free_pages * Pragma("page_size") <= kMaxFreeBytes && free_pages * 4 <= Pragma("page_count"))
    return;
  const char* sql = Pragma("auto_vacuum") == kIncrementalVacuum
                        ? "PRAGMA incremental_vacuum"
                        : "PRAGMA auto_vacuum=INCREMENTAL; VACUUM";
  sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
}

std::optional<std::string> LayerCache::FindImageResult(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_reset(find_image_result_);
  sqlite3_bind_text(find_image_result_, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  int code = sqlite3_step(find_image_result_);
  std::optional<std::string> result;
  if (code == SQLITE_ROW) {
    int version = sqlite3_column_int(find_image_result_, 0);
    int64_t checksum = sqlite3_column_int64(find_image_result_, 1);
    const void* data = sqlite3_column_blob(find_image_result_, 2);
    int size = sqlite3_column_bytes(find_image_result_, 2);
    std::string bytes = data != nullptr ? std::string(static_cast<const char*>(data), size) : "";
    if (version == kAnalysisVersion && Checksum(key + '\n' + bytes) == checksum)
      result = std::move(bytes);
    else
      ++stats_.damaged;
  } else if (code != SQLITE_DONE) {
    Problem(fmt::format("cannot read: {}", sqlite3_errmsg(db_)));
  }
  sqlite3_reset(find_image_result_);
  return result;
}

void LayerCache::StoreImageResult(const std::string& key, const std::string& result) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (result.size() > kMaxImageResult) return;
  if (damaged_database_ && !Rebuild()) return;

  bool ok = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (ok) {
    sqlite3_reset(insert_image_result_);
    sqlite3_bind_text(insert_image_result_, 1, key.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int(insert_image_result_, 2, kAnalysisVersion);
    // The checksum covers the key too: a row moved under another key is
    // not that key's result.
    sqlite3_bind_int64(insert_image_result_, 3, Checksum(key + '\n' + result));
    sqlite3_bind_blob(insert_image_result_, 4, result.data(), static_cast<int>(result.size()),
                      SQLITE_STATIC);
    ok = sqlite3_step(insert_image_result_) == SQLITE_DONE;
    sqlite3_reset(insert_image_result_);
  }
  std::string prune = fmt::format(
      "DELETE FROM image_results WHERE key NOT IN "
      "(SELECT key FROM image_results ORDER BY used_at DESC, rowid DESC LIMIT {})",
      kImageResultsKept);
  if (ok) ok = sqlite3_exec(db_, prune.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  if (ok) ok = Evict();
  if (ok) ok = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (!ok) {
    Problem(fmt::format("cannot write: {}", sqlite3_errmsg(db_)));
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    ReleaseFreePages();
  }
}

std::optional<std::string> LayerCache::FindCompiled(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  sqlite3_stmt* query = nullptr;
  std::optional<std::string> bytes;
  if (sqlite3_prepare_v2(db_, "SELECT checksum, bytes FROM compiled_patterns WHERE key = ?", -1,
                         &query, nullptr) != SQLITE_OK)
    return bytes;
  sqlite3_bind_text(query, 1, key.c_str(), -1, SQLITE_STATIC);
  if (sqlite3_step(query) == SQLITE_ROW) {
    const void* data = sqlite3_column_blob(query, 1);
    std::string found(data != nullptr ? static_cast<const char*>(data) : "",
                      sqlite3_column_bytes(query, 1));
    if (Checksum(key + '\n' + found) == sqlite3_column_int64(query, 0)) bytes = std::move(found);
  }
  sqlite3_finalize(query);
  return bytes;
}

void LayerCache::StoreCompiled(const std::string& key, const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (damaged_database_) return;
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return;
  bool ok = sqlite3_prepare_v2(db_,
                               "INSERT OR REPLACE INTO compiled_patterns(key, checksum, bytes) "
                               "VALUES (?, ?, ?)",
                               -1, &insert, nullptr) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(insert, 1, key.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, Checksum(key + '\n' + bytes));
    sqlite3_bind_blob(insert, 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    ok = sqlite3_step(insert) == SQLITE_DONE;
  }
  sqlite3_finalize(insert);
  // Four: the built-in patterns and a few rule configurations of one's own.
  if (ok)
    ok = sqlite3_exec(db_,
                      "DELETE FROM compiled_patterns WHERE rowid NOT IN "
                      "(SELECT rowid FROM compiled_patterns ORDER BY rowid DESC LIMIT 4)",
                      nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_exec(db_, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace strata
