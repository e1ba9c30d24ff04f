// What a source yields: one image, resolved from whatever holds it.
//
// Every reader (docker archive of any vintage, OCI layout or archive, the
// go-containerregistry tarball, later the Engine API and registries) ends
// in an ImageSource: the config bytes and, per layer, a way to open its
// blob. Everything after this point is the same for all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "blob/byte_reader.h"
#include "layer/limits.h"

namespace strata {

struct LayerBlob {
  std::string digest;      // Of the stored bytes, when the source names it; else "".
  int64_t size = -1;       // Stored size, -1 when unknown.
  std::string media_type;  // As the manifest says; "" for legacy archives.
  std::string location;    // Where it is, for messages.

  // Opens the stored bytes. Callable from any thread, several at once.
  std::function<std::unique_ptr<ByteReader>()> open;

  // Where the stored bytes are on this machine (Store::Identity); null, or
  // "", when they are not in a local file; kNamelessBytes when the file
  // has no name. Callable from any thread.
  std::function<std::string()> identity;
};

// The identity of bytes kept in a local file with no name (a stream
// spooled: standard input, an Engine's export). No later run can find
// them again, and nothing but hashing them says they are the bytes a
// digest names: a legacy archive's layers have no digest but the config's
// diff_id, which the archive itself claims.
inline constexpr char kNamelessBytes[] = "nameless";

struct ImageSource {
  std::string input;            // What the user named.
  std::string format;           // "docker-archive", "oci-layout", ...
  std::string reference;        // The tag or name chosen, if any.
  // The image's other names in its file (a docker archive's RepoTags
  // beside |reference|): no report shows them, but whoever has the file
  // reads them, so the rules look for secrets in them too.
  std::vector<std::string> other_references;
  // Where an Engine source was reached ("unix:///var/run/docker.sock",
  // "ssh://build@host"), as DOCKER_HOST, CONTAINER_HOST or the context
  // names it; "" for files and registries.
  std::string endpoint;
  std::string manifest_digest;  // "" when the format has no manifest blob.
  std::string manifest_json;    // That manifest's bytes, when read; else "".
  std::string config_digest;    // "" when unknown.
  std::string config_json;
  std::vector<LayerBlob> layers;
  std::vector<std::string> warnings;
  std::shared_ptr<const void> keep_alive;  // Keeps the store open.
};

struct OpenOptions {
  // "os/arch[/variant]" for multi-platform indexes; "" means the host's.
  std::string platform;

  // Registries (docker://): a CA bundle to trust instead of the system's,
  // and plain HTTP instead of HTTPS.
  std::string ca_file;
  bool insecure = false;

  // When not empty, an OCI archive of the image is written here as it is
  // opened, and the layers are then read from it (see oci_archive_writer.h).
  std::string save;

  // --max-image-bytes: an image arriving as a stream (standard input, a
  // pipe, the Engine's export) is buffered only up to what an image within
  // it can take (StreamLimit in spool.h); the layers are checked against
  // it again as they are read.
  int64_t max_image_bytes = ReadLimits().max_image_bytes;
};

// Opens the image named by |spec|: a path (auto-detected), "-" for standard
// input, "docker-archive:PATH[:REF]", "oci:DIR[:REF]",
// "oci-archive:PATH[:REF]", an image held by a running engine
// ("docker-daemon:NAME[:TAG]", "podman:NAME[:TAG]", or a bare NAME[:TAG] or
// NAME@DIGEST that is not a path), or a registry's
// ("docker://HOST/REPO[:TAG|@DIGEST]"). Throws Error with one line that says
// what is wrong (missing file, not an image, several images and no REF,
// daemon not running, unauthorized, ...).
ImageSource OpenImage(const std::string& spec, const OpenOptions& options);

// How the reports name an image: |input|, what the user named, then
// |reference|, the tag or name chosen, in parentheses, unless the input
// already spells it out ("alpine", an image ID, "oci:DIR:latest").
std::string ImageTitle(const std::string& input, const std::string& reference);

// Whether the image named by |spec| is read from standard input ("-",
// "docker-archive:-:REF", ...), which holds one image and can be read once:
// by "-" or by a path to the pipe, FIFO or device descriptor 0 reads
// ("/dev/stdin", "/dev/fd/0", ...), however spelled.
bool ReadsStandardInput(const std::string& spec);

// Refuses two images that both read standard input: throws UsageError saying
// so, |both| naming them ("IMAGE_A and IMAGE_B"). Call before reading
// either, so that no image is read for nothing.
void CheckOneReadOfStandardInput(const std::string& spec_a, const std::string& spec_b,
                                 const std::string& both);

// The host's platform as "os/arch[/variant]", in OCI spelling.
std::string HostPlatform();

// True when |path| (existing or not) lies inside |image| and |image| is a
// directory (an OCI layout): writing there would change the image read.
bool InsideImageDirectory(const std::string& path, const std::string& image);

// The directory (an OCI layout) that the image named by |spec| is read
// from ("DIR" or "oci:DIR[:REF]"), or "" when the image is no directory.
std::string ImageDirectory(const std::string& spec);

// The file or directory on this machine that the image named by |spec| is
// read from, its transport and reference taken off ("x.tar" for
// "docker-archive:x.tar:app:1"); "" for standard input, an Engine's image
// or a registry's.
std::string ImageFile(const std::string& spec);

}  // namespace strata
