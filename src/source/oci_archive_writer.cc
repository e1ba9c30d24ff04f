#include "source/oci_archive_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/output_file.h"
#include "base/units.h"
#include "blob/sha256.h"
#include "source/store.h"

namespace strata {

namespace {

using json = nlohmann::json;

const char* const kOciManifest = "application/vnd.oci.image.manifest.v1+json";
const char* const kOciConfig = "application/vnd.oci.image.config.v1+json";
const char* const kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";

// What the first bytes of a layer say it is, for a manifest we write.
std::string SniffLayerType(const unsigned char* data, size_t size) {
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) return std::string(kOciLayerTar) + "+gzip";
  if (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd)
    return std::string(kOciLayerTar) + "+zstd";
  return kOciLayerTar;
}

// Docker's names for layer types, in OCI spelling.
std::string OciLayerType(const std::string& media_type) {
  if (media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip")
    return std::string(kOciLayerTar) + "+gzip";
  if (media_type == "application/vnd.docker.image.rootfs.diff.tar") return kOciLayerTar;
  return media_type;
}

class ArchiveWriter {
 public:
  ArchiveWriter(int fd, std::string path) : archive_(archive_write_new()), path_(std::move(path)) {
    archive_write_set_format_pax_restricted(archive_);
    if (archive_write_open_fd(archive_, fd) != ARCHIVE_OK) Check(ARCHIVE_FATAL);
  }
  ~ArchiveWriter() { archive_write_free(archive_); }

  void Begin(const std::string& name, int64_t size) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_size(entry, size);
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    int status = archive_write_header(archive_, entry);
    archive_entry_free(entry);
    Check(status);
  }

  void Data(const void* data, size_t size) {
    if (size > 0 && archive_write_data(archive_, data, size) < 0) Check(ARCHIVE_FATAL);
  }

  void File(const std::string& name, const std::string& data) {
    Begin(name, static_cast<int64_t>(data.size()));
    Data(data.data(), data.size());
  }

  void Close() { Check(archive_write_close(archive_)); }

 private:
  void Check(int status) {
    if (status < ARCHIVE_WARN)
      Fail("cannot write {}: {}", path_,
           archive_error_string(archive_) ? archive_error_string(archive_) : "write failed");
  }

  archive* archive_;
  std::string path_;
};

std::string BlobName(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

// The digest, size and first bytes of a blob whose source did not name
// them (a legacy docker archive): one extra local read.
void Measure(const LayerBlob& blob, std::string* digest, int64_t* size, std::string* media_type) {
  std::unique_ptr<ByteReader> reader = blob.open();
  Sha256 hasher;
  *size = 0;
  unsigned char buffer[1 << 16];
  while (size_t got = reader->Read(buffer, sizeof buffer)) {
    if (*size == 0 && media_type->empty()) *media_type = SniffLayerType(buffer, got);
    hasher.Update(buffer, got);
    *size += static_cast<int64_t>(got);
  }
  *digest = hasher.Finish();
}

// Copies one layer blob into the archive, checking its size and digest.
json CopyLayer(const LayerBlob& blob, ArchiveWriter& writer) {
  std::string digest = blob.digest;
  int64_t size = blob.size;
  std::string media_type = OciLayerType(blob.media_type);
  if (!IsSha256Digest(digest) || size < 0 || media_type.empty())
    Measure(blob, &digest, &size, &media_type);

  std::unique_ptr<ByteReader> reader = blob.open();
  writer.Begin(BlobName(digest), size);
  Sha256 hasher;
  int64_t copied = 0;
  char buffer[1 << 16];
  while (size_t got = reader->Read(buffer, sizeof buffer)) {
    if (copied + static_cast<int64_t>(got) > size)
      Fail("layer {} is larger than the {} bytes its manifest says", blob.location, size);
    hasher.Update(buffer, got);
    writer.Data(buffer, got);
    copied += static_cast<int64_t>(got);
  }
  std::string actual = hasher.Finish();
  if (copied != size)
    Fail("layer {} ended after {} of {}", blob.location, copied, Count(size, "byte"));
  if (actual != digest)
    Fail("layer {} does not match its digest: expected {}, got {}", blob.location, digest, actual);
  return json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

void WriteImage(const ImageSource& source, ArchiveWriter& writer) {
  writer.File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");

  std::string config_digest = Sha256Of(source.config_json);
  if (!source.config_digest.empty() && source.config_digest != config_digest)
    Fail("the config of {} does not match its digest {}", source.input, source.config_digest);
  writer.File(BlobName(config_digest), source.config_json);

  json layers = json::array();
  for (const LayerBlob& blob : source.layers) layers.push_back(CopyLayer(blob, writer));

  // The source's own manifest when there is one, so digests stay as read.
  std::string manifest = source.manifest_json;
  std::string media_type = kOciManifest;
  if (!manifest.empty() && Sha256Of(manifest) == source.manifest_digest) {
    json parsed = json::parse(manifest, nullptr, false);
    if (parsed.is_object() && parsed.value("mediaType", json()).is_string())
      media_type = parsed["mediaType"].get<std::string>();
  } else {
    manifest = json{
        {"schemaVersion", 2},
        {"mediaType", kOciManifest},
        {"config",
         {{"mediaType", kOciConfig},
          {"digest", config_digest},
          {"size", source.config_json.size()}}},
        {"layers",
         layers}}.dump();
  }
  std::string manifest_digest = Sha256Of(manifest);
  writer.File(BlobName(manifest_digest), manifest);

  json descriptor{
      {"mediaType", media_type}, {"digest", manifest_digest}, {"size", manifest.size()}};
  if (!source.reference.empty())
    descriptor["annotations"] = {{"org.opencontainers.image.ref.name", source.reference}};
  writer.File("index.json", json{{"schemaVersion", 2},
                                 {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                 {"manifests", json::array({descriptor})}}
                                .dump());
}

}  // namespace

ImageSource SaveOciArchive(ImageSource source, const std::string& path) {
  // A symbolic link at |path| is kept: the archive replaces what it points at.
  std::string target = FollowLinks(path);
  std::string temp;
  int fd = CreateTempBeside(target, &temp);
  if (fd < 0) Fail("cannot create {}.strata-XXXXXX for --save: {}", target, strerror(errno));
  // Writing it takes as long as reading every blob: a stop meanwhile
  // removes it too.
  RemovedOnStop removed_on_stop(temp);
  try {
    ArchiveWriter writer(fd, path);
    WriteImage(source, writer);
    writer.Close();
    if (fsync(fd) != 0) Fail("cannot write {}: {}", path, strerror(errno));
    close(fd);
    fd = -1;
    if (rename(temp.c_str(), target.c_str()) != 0)
      Fail("cannot write {}: {}", path, strerror(errno));
  } catch (...) {
    if (fd >= 0) close(fd);
    unlink(temp.c_str());
    throw;
  }

  // Read the layers back from the archive: the same bytes, now local.
  std::shared_ptr<const Store> store = OpenTarStore(path);
  for (LayerBlob& blob : source.layers) {
    if (!IsSha256Digest(blob.digest)) continue;  // Measured on the way: read from the source.
    std::string name = BlobName(blob.digest);
    if (!store->Has(name)) continue;
    blob.location = store->Describe(name);
    blob.open = [store, name] { return store->Open(name); };
    blob.identity = [store, name] { return store->Identity(name); };
  }
  source.keep_alive =
      std::make_shared<std::pair<std::shared_ptr<const void>, std::shared_ptr<const Store>>>(
          source.keep_alive, store);
  return source;
}

}  // namespace strata
