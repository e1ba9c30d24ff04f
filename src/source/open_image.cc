// Turns what the user typed into an ImageSource: explicit transports in
// skopeo's spelling, standard input, or a path whose contents say what it is.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/output_file.h"
#include "base/untrusted_json.h"
#include "blob/sha256.h"
#include "source/engine_source.h"
#include "source/formats.h"
#include "source/image_source.h"
#include "source/oci_archive_writer.h"
#include "source/registry_source.h"
#include "source/spool.h"

namespace strata {

namespace {

namespace fs = std::filesystem;

enum class Transport {
  kAuto,
  kDockerArchive,
  kOciLayout,
  kOciArchive,
  kDockerDaemon,
  kPodman,
  kRegistry
};

struct Spec {
  Transport transport = Transport::kAuto;
  std::string path;
  std::string ref;
};

// Engines and registries: their images are named, not stored in a file.
bool IsNamedTransport(Transport transport) {
  return transport == Transport::kDockerDaemon || transport == Transport::kPodman ||
         transport == Transport::kRegistry;
}

bool Exists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// Splits "PATH[:REF]". The path may itself hold colons, so the longest
// prefix that exists on disk is the path and the rest is the reference.
// When none exists, the path ends at the first colon, as skopeo reads it,
// so that the error names the missing path and not "PATH:REF".
Spec SplitPathAndRef(Transport transport, const std::string& rest) {
  if (rest.starts_with("-:")) return {transport, "-", rest.substr(2)};
  if (Exists(rest) || rest.find(':') == std::string::npos) return {transport, rest, ""};
  for (size_t colon = rest.rfind(':'); colon != std::string::npos && colon > 0;
       colon = rest.rfind(':', colon - 1)) {
    if (Exists(rest.substr(0, colon)))
      return {transport, rest.substr(0, colon), rest.substr(colon + 1)};
  }
  size_t first = rest.find(':');
  if (first == 0) return {transport, rest, ""};
  return {transport, rest.substr(0, first), rest.substr(first + 1)};
}

Spec ParseSpec(const std::string& text) {
  static const struct {
    const char* prefix;
    Transport transport;
  } kPrefixes[] = {
      {"docker-archive:", Transport::kDockerArchive},
      {"oci-archive:", Transport::kOciArchive},
      {"oci:", Transport::kOciLayout},
  };
  for (const auto& p : kPrefixes) {
    std::string_view prefix = p.prefix;
    if (text.starts_with(prefix)) return SplitPathAndRef(p.transport, text.substr(prefix.size()));
  }
  // Engines and registries: the rest is an image name, never a path.
  static const struct {
    const char* prefix;
    Transport transport;
  } kNamePrefixes[] = {
      {"docker-daemon:", Transport::kDockerDaemon},
      {"podman:", Transport::kPodman},
      {"docker://", Transport::kRegistry},
  };
  for (const auto& p : kNamePrefixes) {
    std::string_view prefix = p.prefix;
    if (text.starts_with(prefix)) return {p.transport, text.substr(prefix.size()), ""};
  }
  return {Transport::kAuto, text, ""};
}

// True when |text| reads as NAME[:TAG] or NAME@DIGEST rather than a file
// name: lower-case name components, an optional registry host:port first,
// and no archive suffix (so a mistyped "app.tar" is still a missing file).
bool LooksLikeImageName(const std::string& text) {
  if (text.empty() || text.front() == '/' || text.front() == '.' || text.front() == '~')
    return false;
  for (const char* suffix : {".tar", ".tgz", ".gz", ".zst", ".json", ".oci"})
    if (text.ends_with(suffix)) return false;

  std::string name = text.substr(0, text.find('@'));
  if (name.size() != text.size() && !IsSha256Digest(text.substr(name.size() + 1))) return false;
  size_t last_slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
    std::string tag = name.substr(colon + 1);
    if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return false;
    for (char c : tag)
      if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
    name = name.substr(0, colon);
  }
  size_t first_slash = name.find('/');
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool in_host = first_slash != std::string::npos && i < first_slash;
    if (!(islower(static_cast<unsigned char>(c)) || isdigit(static_cast<unsigned char>(c)) ||
          c == '.' || c == '_' || c == '-' || c == '/' || (in_host && c == ':')))
      return false;
  }
  return !name.empty() && name.back() != '/' && name.find("//") == std::string::npos;
}

// Refuses files that are clearly not image archives with a line that says
// what they are instead.
void CheckArchiveMagic(const SharedFile& file) {
  unsigned char magic[4] = {};
  const std::string& path = file.path();
  if (file.ReadAt(0, magic, sizeof magic) == 0) Fail("{} is empty", path);
  if (magic[0] == 0x1f && magic[1] == 0x8b)
    Fail("{} is gzip-compressed; strata reads uncompressed archives: gunzip it first", path);
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    Fail("{} is zstd-compressed; strata reads uncompressed archives: unzstd it first", path);
}

std::shared_ptr<const Store> OpenStore(const std::string& path, int64_t max_stream_bytes) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    Fail("{}: {}", path, errno == ENOENT ? "no such file or directory" : strerror(errno));
  if (S_ISDIR(info.st_mode)) {
    if (access(path.c_str(), R_OK | X_OK) != 0)
      Fail("{}: cannot read the directory: {}", path, strerror(errno));
    return OpenDirectoryStore(path);
  }

  std::shared_ptr<const SharedFile> file;
  if (S_ISREG(info.st_mode)) {
    file = std::make_shared<SharedFile>(path);
  } else if (S_ISFIFO(info.st_mode) || S_ISCHR(info.st_mode) || S_ISSOCK(info.st_mode)) {
    // A pipe or FIFO (<(docker save app), /dev/stdin) cannot be read twice.
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Fail("cannot open {}: {}", path, strerror(errno));
    file = SpoolStream(fd, path, max_stream_bytes);
    close(fd);
  } else {
    Fail("{} is neither a file nor a directory", path);
  }
  CheckArchiveMagic(*file);
  return OpenTarStore(file);
}

std::string Listing(const Store& store) {
  std::vector<std::string> names = store.List();
  std::string text;
  for (size_t i = 0; i < names.size() && i < 3; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > 3) text += ", …";
  return names.empty() ? "nothing" : text;
}

// An OCI layout in a directory or archive. The spec requires its
// oci-layout file, but a layout made by hand or copied without it is
// otherwise whole: it is read, with a warning saying what is missing.
ImageSource ReadStoredLayout(std::shared_ptr<const Store> store, const Spec& spec,
                             const OpenOptions& options) {
  ImageSource source = ReadOciLayout(store, spec.ref, options.platform, spec.path);
  if (!store->Has("oci-layout"))
    source.warnings.push_back(fmt::format(
        "{} has no oci-layout file, which an OCI image layout must have; read as one anyway",
        store->path()));
  return source;
}

ImageSource Detect(std::shared_ptr<const Store> store, const Spec& spec,
                   const OpenOptions& options) {
  switch (spec.transport) {
    case Transport::kDockerArchive:
      if (!store->Has("manifest.json"))
        Fail("{} is not a docker archive: it has no manifest.json", store->path());
      return ReadDockerArchive(store, spec.ref, spec.path);
    case Transport::kOciLayout:
    case Transport::kOciArchive:
      if (!store->Has("index.json"))
        Fail("{} is not an OCI image layout: it has no index.json", store->path());
      return ReadStoredLayout(store, spec, options);
    default:
      break;
  }

  // manifest.json first: Engine 25+ archives have both, and manifest.json
  // names the image `docker save` was asked for.
  if (store->Has("manifest.json")) return ReadDockerArchive(store, spec.ref, spec.path);
  if (store->Has("index.json")) return ReadStoredLayout(store, spec, options);
  if (store->Has("repositories"))
    Fail(
        "{} is a docker archive from before Engine 1.10 (no manifest.json); re-save it with a "
        "newer docker",
        store->path());
  Fail("{} is not a container image: no manifest.json or index.json (it holds {})", store->path(),
       Listing(*store));
}

// An image that is not behind an index has one platform: when the user
// asked for another, say so rather than audit the wrong one.
void CheckPlatform(const ImageSource& source, const std::string& wanted) {
  if (wanted.empty()) return;
  nlohmann::json config = ParseUntrustedJson(source.config_json, "the image config");
  if (!config.is_object()) return;
  auto text = [&config](const char* key) {
    auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string have = text("os") + "/" + text("architecture");
  std::string variant = text("variant");
  std::string full = variant.empty() ? have : have + "/" + variant;
  if (wanted != have && wanted != full && !(wanted == "linux/arm64/v8" && have == "linux/arm64"))
    Fail("{} is {}, not {} (it is not a multi-platform image)", source.input, full, wanted);
}

ImageSource ReadNamed(const Spec& spec, const OpenOptions& options);

// The sources whose images are named, not stored in a file.
ImageSource OpenNamed(const Spec& spec, const OpenOptions& options) {
  try {
    return ReadNamed(spec, options);
  } catch (const JsonFieldError& error) {
    Fail("{}: invalid manifest or index: {}", spec.path, error.what());
  } catch (const nlohmann::json::exception& error) {
    Fail("{}: invalid manifest or index: {}", spec.path, error.what());
  }
}

ImageSource ReadNamed(const Spec& spec, const OpenOptions& options) {
  switch (spec.transport) {
    case Transport::kDockerDaemon:
      return ReadEngineImage(Engine::kDocker, spec.path, options.platform, options.max_image_bytes);
    case Transport::kPodman:
      return ReadEngineImage(Engine::kPodman, spec.path, options.platform, options.max_image_bytes);
    case Transport::kRegistry: {
      RegistryOptions registry;
      registry.ca_file = options.ca_file;
      registry.insecure = options.insecure;
      return ReadRegistryImage(ParseRegistryReference(spec.path), options.platform, registry);
    }
    default:
      Fail("internal error: {} is not a named image", spec.path);
  }
}

ImageSource OpenStored(const Spec& spec, const OpenOptions& options) {
  std::shared_ptr<const Store> store;
  if (spec.path == "-") {
    if (isatty(STDIN_FILENO))
      Fail(
          "standard input is a terminal; pipe an image into it (docker save IMAGE | strata audit "
          "-)");
    std::shared_ptr<const SharedFile> file =
        SpoolStream(STDIN_FILENO, "standard input", StreamLimit(options.max_image_bytes));
    CheckArchiveMagic(*file);
    store = OpenTarStore(file);
  } else {
    store = OpenStore(spec.path, StreamLimit(options.max_image_bytes));
  }

  try {
    return Detect(store, spec, options);
  } catch (const JsonFieldError& error) {
    Fail("{}: invalid manifest or index: {}", store->path(), error.what());
  } catch (const nlohmann::json::exception& error) {
    // A field of the wrong type (a number where a string belongs, ...).
    Fail("{}: invalid manifest or index: {}", store->path(), error.what());
  }
}

// Refuses a --save target that cannot take the archive or would destroy
// what it should keep. The archive is renamed over FILE, or over what a
// symbolic link there points at (the link is kept, as for -o), and read
// back: a directory, a device or a FIFO cannot take it. Nor may it replace
// the image being read (renamed over, it is gone) or a file inside an OCI
// layout being read. An existing regular file is replaced, as `docker
// save -o` does. |image| is "" for standard input.
void CheckSaveTarget(const std::string& save, const std::string& image) {
  OutputTarget target = LookAtOutput(save);
  switch (target.kind) {
    case OutputTarget::kNew:
    case OutputTarget::kRegular:
      break;
    case OutputTarget::kDirectory:
      Fail("--save {}: it is a directory; give a file name", save);
    case OutputTarget::kSpecial:
      Fail("--save {}: it is a device or FIFO, which cannot hold the archive; give a file name",
           save);
    case OutputTarget::kUnusable:
      Fail("--save {}: {}", save, target.why);
  }
  if (image.empty()) return;  // Standard input: nothing on disk to keep.

  struct stat read, existing;
  if (target.kind == OutputTarget::kRegular && stat(image.c_str(), &read) == 0 &&
      stat(save.c_str(), &existing) == 0 && read.st_dev == existing.st_dev &&
      read.st_ino == existing.st_ino)
    Fail("refusing to --save over the image being read ({})", save);
  if (InsideImageDirectory(save, image))
    Fail("refusing to --save inside the image being read ({})", save);
}

}  // namespace

bool InsideImageDirectory(const std::string& path, const std::string& image) {
  std::error_code error;
  if (!fs::is_directory(image, error)) return false;
  std::string inside = fs::weakly_canonical(image, error).string() + "/";
  std::string target = fs::weakly_canonical(path, error).string();
  return !error && target.starts_with(inside);
}

std::string ImageFile(const std::string& spec_text) {
  Spec spec = ParseSpec(spec_text);
  if (IsNamedTransport(spec.transport) || spec.path == "-") return "";
  return spec.path;
}

std::string ImageDirectory(const std::string& spec_text) {
  Spec spec = ParseSpec(spec_text);
  if (spec.transport != Transport::kAuto && spec.transport != Transport::kOciLayout) return "";
  std::error_code error;
  return fs::is_directory(spec.path, error) ? spec.path : "";
}

bool ReadsStandardInput(const std::string& spec_text) {
  Spec spec = ParseSpec(spec_text);
  // Engines and registries name images; "-" there is a name, not a file.
  if (IsNamedTransport(spec.transport)) return false;
  if (spec.path == "-") return true;

  // Another name for it (/dev/stdin, /dev/fd/0, /proc/self/fd/0, the
  // FIFO it was opened from): the same file as descriptor 0. Only a
  // stream is read once; a regular file (`< image.tar`) opened again by
  // name is read from its start.
  struct stat input, named;
  if (fstat(STDIN_FILENO, &input) != 0 || S_ISREG(input.st_mode) || S_ISDIR(input.st_mode))
    return false;
  return stat(spec.path.c_str(), &named) == 0 && named.st_dev == input.st_dev &&
         named.st_ino == input.st_ino;
}

void CheckOneReadOfStandardInput(const std::string& spec_a, const std::string& spec_b,
                                 const std::string& both) {
  if (ReadsStandardInput(spec_a) && ReadsStandardInput(spec_b))
    FailUsage(
        "{} both read standard input, which holds one image and can be read only once; save one "
        "of them to a file first",
        both);
}

std::string HostPlatform() {
  struct utsname name;
  std::string machine = uname(&name) == 0 ? name.machine : "x86_64";
  if (machine == "x86_64") return "linux/amd64";
  if (machine == "aarch64") return "linux/arm64";
  if (machine.starts_with("armv7")) return "linux/arm/v7";
  if (machine == "i686" || machine == "i386") return "linux/386";
  return "linux/" + machine;
}

std::string ImageTitle(const std::string& input, const std::string& reference) {
  bool spelled =
      input == reference || (input.ends_with(reference) && input.size() > reference.size() &&
                             input[input.size() - reference.size() - 1] == ':');
  if (reference.empty() || spelled) return input;
  return input + " (" + reference + ")";
}

ImageSource OpenImage(const std::string& spec_text, const OpenOptions& options) {
  Spec spec = ParseSpec(spec_text);
  if (spec.path.empty() && spec.transport != Transport::kAuto)
    Fail("\"{}\" names no image after its transport", spec_text);
  if (spec.path.empty()) Fail("no image named: give a path, '-' or a transport:path");
  if (!options.save.empty()) CheckSaveTarget(options.save, spec.path == "-" ? "" : spec.path);
  // A bare name that is no file is an image in the local Docker daemon,
  // never a registry's: nothing is fetched from a host the user did not name.
  bool bare_name = spec.transport == Transport::kAuto && spec.path != "-" && !Exists(spec.path) &&
                   LooksLikeImageName(spec.path);
  if (bare_name) spec.transport = Transport::kDockerDaemon;

  bool named = IsNamedTransport(spec.transport);
  ImageSource source;
  if (bare_name && spec.path.find_first_of(":@") == std::string::npos) {
    // "app" may be a mistyped file as well as an image: say both.
    try {
      source = OpenNamed(spec, options);
    } catch (const Error& error) {
      Fail("{}: no such file or directory; as an image: {}", spec.path, error.what());
    }
  } else if (!named && !spec.ref.empty() && spec.path != "-" && !Exists(spec.path)) {
    // Say how the spelling was split: the path may have held the colon.
    Fail("{}: no such file or directory (reading {} as {} and the image \"{}\" in it)", spec.path,
         spec_text, spec.path, spec.ref);
  } else {
    source = named ? OpenNamed(spec, options) : OpenStored(spec, options);
  }
  source.input = spec_text;
  CheckPlatform(source, options.platform);
  if (!options.save.empty()) source = SaveOciArchive(std::move(source), options.save);
  return source;
}

}  // namespace strata
