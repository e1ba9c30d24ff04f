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
#include "base/untrusted_json.h"
#include "source/formats.h"
#include "source/image_source.h"

namespace strata {

namespace {

namespace fs = std::filesystem;

enum class Transport { kAuto, kDockerArchive, kOciLayout, kOciArchive };

struct Spec {
  Transport transport = Transport::kAuto;
  std::string path;
  std::string ref;
};

bool Exists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// Splits "PATH[:REF]". The path may itself hold colons, so the longest
// prefix that exists on disk is the path and the rest is the reference.
Spec SplitPathAndRef(Transport transport, const std::string& rest) {
  if (rest.starts_with("-:")) return {transport, "-", rest.substr(2)};
  if (Exists(rest) || rest.find(':') == std::string::npos) return {transport, rest, ""};
  for (size_t colon = rest.rfind(':'); colon != std::string::npos && colon > 0;
       colon = rest.rfind(':', colon - 1)) {
    if (Exists(rest.substr(0, colon)))
      return {transport, rest.substr(0, colon), rest.substr(colon + 1)};
  }
  return {transport, rest, ""};
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
  return {Transport::kAuto, text, ""};
}

// Copies a stream (standard input, a pipe or FIFO named as a path) to an
// unlinked temporary file, so the archive can be indexed and its layers
// read in parallel: `docker save` writes manifest.json last, so no layer
// could be placed before the end anyway. The file is unlinked at once, so
// nothing is left behind if strata is interrupted.
// TODO: analyse layers while they stream in, to skip this copy.
std::shared_ptr<const SharedFile> SpoolStream(int input, const std::string& name) {
  const char* dir = getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/strata-stream-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) Fail("cannot create a temporary file for {} in {}: {}", name, path, strerror(errno));
  unlink(path.c_str());
  auto file = std::make_shared<SharedFile>(fd, name);

  char buffer[1 << 16];
  while (true) {
    ssize_t got = read(input, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) Fail("cannot read {}: {}", name, strerror(errno));
    for (ssize_t done = 0; done < got;) {
      ssize_t put = write(fd, buffer + done, got - done);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0)
        Fail("cannot buffer {} in {}: {}", name, dir && *dir ? dir : "/tmp", strerror(errno));
      done += put;
    }
  }
  return std::make_shared<SharedFile>(dup(fd), name);
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

std::shared_ptr<const Store> OpenStore(const std::string& path) {
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
    file = SpoolStream(fd, path);
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

ImageSource Detect(std::shared_ptr<const Store> store, const Spec& spec,
                   const OpenOptions& options) {
  switch (spec.transport) {
    case Transport::kDockerArchive:
      if (!store->Has("manifest.json"))
        Fail("{} is not a docker archive: it has no manifest.json", store->path());
      return ReadDockerArchive(store, spec.ref);
    case Transport::kOciLayout:
    case Transport::kOciArchive:
      if (!store->Has("index.json"))
        Fail("{} is not an OCI image layout: it has no index.json", store->path());
      return ReadOciLayout(store, spec.ref, options.platform);
    case Transport::kAuto:
      break;
  }

  // manifest.json first: Engine 25+ archives have both, and manifest.json
  // names the image `docker save` was asked for.
  if (store->Has("manifest.json")) return ReadDockerArchive(store, spec.ref);
  if (store->Has("index.json")) return ReadOciLayout(store, spec.ref, options.platform);
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

}  // namespace

std::string HostPlatform() {
  struct utsname name;
  std::string machine = uname(&name) == 0 ? name.machine : "x86_64";
  if (machine == "x86_64") return "linux/amd64";
  if (machine == "aarch64") return "linux/arm64";
  if (machine.starts_with("armv7")) return "linux/arm/v7";
  if (machine == "i686" || machine == "i386") return "linux/386";
  return "linux/" + machine;
}

ImageSource OpenImage(const std::string& spec_text, const OpenOptions& options) {
  Spec spec = ParseSpec(spec_text);
  if (spec.path.empty()) Fail("no image named: give a path, '-' or a transport:path");

  std::shared_ptr<const Store> store;
  if (spec.path == "-") {
    if (isatty(STDIN_FILENO))
      Fail(
          "standard input is a terminal; pipe an image into it (docker save IMAGE | strata audit "
          "-)");
    std::shared_ptr<const SharedFile> file = SpoolStream(STDIN_FILENO, "standard input");
    CheckArchiveMagic(*file);
    store = OpenTarStore(file);
  } else {
    store = OpenStore(spec.path);
  }

  ImageSource source;
  try {
    source = Detect(store, spec, options);
  } catch (const nlohmann::json::exception& error) {
    // A field of the wrong type (a number where a string belongs, ...).
    Fail("{}: invalid manifest or index: {}", store->path(), error.what());
  }
  source.input = spec_text;
  CheckPlatform(source, options.platform);
  return source;
}

}  // namespace strata
