// A store is the set of named files an image is kept in: a directory (an OCI
// image layout, an unpacked `docker save`) or an uncompressed tar archive of
// the same. The format readers (docker_archive, oci_layout) read manifests
// and blobs through this one interface and never care which it is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "blob/byte_reader.h"

namespace strata {

class Store {
 public:
  virtual ~Store() = default;

  // What the store is, for messages: the archive or directory path.
  virtual const std::string& path() const = 0;

  // True when the archive is a tar file (false for a directory).
  virtual bool is_archive() const = 0;

  // True when a regular file named |name| exists (links are followed,
  // but only within the store: never to a file outside it).
  virtual bool Has(const std::string& name) const = 0;

  // What is wrong with |name| when Has(name) is false, for messages:
  // "is missing", or "is a directory, not a file" (or "is not a regular
  // file") when something else has its name, or what a link there does
  // ("is a symbolic link to /etc/passwd, outside the archive, not a file").
  virtual std::string Absence(const std::string& name) const;

  // Size in bytes of |name|; throws Error when it is missing, or, in an
  // archive, stored twice (unless named by its digest).
  virtual int64_t Size(const std::string& name) const = 0;

  // Opens |name| for reading; throws Error naming it when it is missing
  // or, in an archive, stored twice (unless named by its digest).
  // The reader may be used on any one thread; readers are independent.
  virtual std::unique_ptr<ByteReader> Open(const std::string& name) const = 0;

  // Where the bytes of |name| are, as the file system knows them: device,
  // inode, size and modification time of the file holding them, and in an
  // archive the member's place in it. The layer cache trusts a blob it
  // verified only while this stays the same (see doc/cache.md "Trust").
  // "" when |name| is missing or not in a local file (a registry's blobs);
  // kNamelessBytes (image_source.h) when the file has no name.
  virtual std::string Identity(const std::string& name) const;

  // Names of the regular files, in archive order; used in error messages.
  virtual std::vector<std::string> List() const = 0;

  // Reads all of |name|, which must be at most |limit| bytes (manifests and
  // configs; never layers).
  std::string Read(const std::string& name, size_t limit) const;

  // "NAME in PATH", for messages.
  std::string Describe(const std::string& name) const;
};

// Opens the directory |path|.
std::unique_ptr<Store> OpenDirectoryStore(const std::string& path);

// Indexes the tar archive |path| (one pass over its headers, seeking past
// the contents). Throws Error when it is not a readable tar archive.
// |display| replaces the path in messages when not empty.
std::unique_ptr<Store> OpenTarStore(const std::string& path, const std::string& display = "");

// The same, for a file already open (an unlinked copy of standard input).
std::unique_ptr<Store> OpenTarStore(std::shared_ptr<const SharedFile> file);

// Reads the manifest, index or config |name| from |store|, held to
// CurrentJsonLimits().max_bytes.
std::string ReadMetadata(const Store& store, const std::string& name);

}  // namespace strata
