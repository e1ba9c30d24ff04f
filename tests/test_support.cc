#include "test_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <isa-l/igzip_lib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "blob/byte_reader.h"
#include "blob/sha256.h"

namespace strata::testing {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* value = getenv(name);
  return value != nullptr ? value : "";
}

std::string Quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string FixturesDir() { return Env("STRATA_FIXTURES"); }

std::string CorpusDir() {
  std::string dir = Env("STRATA_CORPUS");
  return dir.empty() ? std::string(STRATA_SOURCE_DIR) + "/../shared/images" : dir;
}

int RunShell(const std::string& command, std::string* output) {
  std::string dir = TempDir();
  int status = system(("( " + command + " ) >" + Quote(dir + "/out") + " 2>&1").c_str());
  *output = ReadFileText(dir + "/out");
  fs::remove_all(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string StrataBinary() {
  std::string binary = Env("STRATA_BINARY");
  return binary.empty() ? STRATA_BINARY : binary;
}

std::string StrataCommand() { return Quote(StrataBinary()); }

RunResult RunStrata(const std::vector<std::string>& args, const std::string& stdin_file,
                    const std::string& cwd, const std::vector<std::string>& env) {
  std::string dir = TempDir();
  std::string settings = "NO_COLOR=1 XDG_CACHE_HOME=" + Quote(dir + "/cache");
  for (const std::string& setting : env) settings += " " + Quote(setting);
  std::string command =
      (cwd.empty() ? "" : "cd " + Quote(cwd) + " && ") + "env " + settings + " " + StrataCommand();
  for (const std::string& arg : args) command += " " + Quote(arg);
  command += " <" + Quote(stdin_file.empty() ? "/dev/null" : stdin_file);
  command += " >" + Quote(dir + "/out") + " 2>" + Quote(dir + "/err");

  RunResult result;
  int status = system(command.c_str());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFileText(dir + "/out");
  result.err = ReadFileText(dir + "/err");
  fs::remove_all(dir);
  return result;
}

std::string Gzip(const std::string& data) {
  std::string out(data.size() + data.size() / 2 + 1024, '\0');
  isal_zstream stream;
  isal_deflate_init(&stream);
  stream.gzip_flag = IGZIP_GZIP;
  stream.end_of_stream = 1;
  stream.flush = NO_FLUSH;
  stream.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uint32_t>(data.size());
  stream.next_out = reinterpret_cast<uint8_t*>(out.data());
  stream.avail_out = static_cast<uint32_t>(out.size());
  EXPECT_EQ(isal_deflate_stateless(&stream), COMP_OK);
  out.resize(stream.total_out);
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

std::string MakeTar(const std::vector<TarMember>& members, bool gnu) {
  struct archive* archive = archive_write_new();
  if (gnu)
    archive_write_set_format_gnutar(archive);
  else
    archive_write_set_format_pax_restricted(archive);
  std::string out;
  size_t used = 0;
  std::vector<char> buffer(64 << 20);
  archive_write_set_bytes_in_last_block(archive, 1);
  archive_write_open_memory(archive, buffer.data(), buffer.size(), &used);

  for (const TarMember& member : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.path.c_str());
    archive_entry_set_perm(entry, member.mode);
    archive_entry_set_uid(entry, member.uid);
    archive_entry_set_gid(entry, member.gid);
    archive_entry_set_mtime(entry, member.mtime, 0);
    switch (member.type) {
      case '5':
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case '2':
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, member.link.c_str());
        break;
      case '1':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, member.link.c_str());
        break;
      case '6':
        archive_entry_set_filetype(entry, AE_IFIFO);
        break;
      default:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(member.content.size()));
    }
    if (!member.xattr_name.empty())
      archive_entry_xattr_add_entry(entry, member.xattr_name.c_str(), member.xattr_value.data(),
                                    member.xattr_value.size());
    archive_write_header(archive, entry);
    if (member.type == '0' && !member.content.empty())
      archive_write_data(archive, member.content.data(), member.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(archive);
  archive_write_free(archive);
  return std::string(buffer.data(), used);
}

LayerContents ReadTar(const std::string& tar) {
  ViewReader reader(tar);
  LayerReadOptions options;
  options.name = "test layer";
  return ReadLayer(reader, options);
}

std::string WriteImage(const std::string& dir, const std::vector<std::vector<TarMember>>& layers,
                       const std::string& config_json) {
  std::vector<std::string> tars;
  for (const std::vector<TarMember>& members : layers) tars.push_back(MakeTar(members));
  return WriteImageOfTars(dir, tars, config_json);
}

std::string WriteImageOfTars(const std::string& dir, const std::vector<std::string>& tars,
                             const std::string& config_json) {
  using json = nlohmann::json;
  auto write_blob = [&dir](const std::string& data) {
    std::string digest = Sha256Of(data);
    WriteFile(dir + "/blobs/sha256/" + digest.substr(7), data);
    return json{{"digest", digest}, {"size", data.size()}};
  };

  json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  json history = json::array();
  json manifest_layers = json::array();
  for (const std::string& tar : tars) {
    json descriptor = write_blob(tar);
    descriptor["mediaType"] = "application/vnd.oci.image.layer.v1.tar";
    manifest_layers.push_back(descriptor);
    config["rootfs"]["diff_ids"].push_back(descriptor["digest"]);
    history.push_back(
        {{"created", "2026-01-01T00:00:00Z"}, {"created_by", "/bin/sh -c build step"}});
  }
  config["history"] = history;
  config.merge_patch(json::parse(config_json));

  json config_descriptor = write_blob(config.dump());
  config_descriptor["mediaType"] = "application/vnd.oci.image.config.v1+json";
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", config_descriptor},
                   {"layers", manifest_layers}};
  json manifest_descriptor = write_blob(manifest.dump());
  manifest_descriptor["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
  json index = {{"schemaVersion", 2}, {"manifests", {manifest_descriptor}}};
  WriteFile(dir + "/index.json", index.dump());
  WriteFile(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return dir;
}

bool HaveUmoci() { return !FixturesDir().empty() || system("command -v umoci >/dev/null") == 0; }

std::string GnuTarOf(const std::string& root) {
  std::string tar = TempDir() + "/layer.tar";
  std::string output;
  int status = RunShell(fmt::format("tar --sort=name --owner=0 --group=0 --numeric-owner "
                                    "--format=gnu -cf {} -C {} .",
                                    Quote(tar), Quote(root)),
                        &output);
  EXPECT_EQ(status, 0) << output;
  return ReadFileText(tar);
}

int UmociUnpack(const std::string& work, const std::vector<std::vector<TarMember>>& layers,
                std::string* output) {
  std::vector<std::string> tars;
  for (const std::vector<TarMember>& members : layers) tars.push_back(MakeTar(members));
  return UmociUnpackTars(work, tars, output);
}

int UmociUnpackTars(const std::string& work, const std::vector<std::string>& tars,
                    std::string* output) {
  std::string layout = WriteImageOfTars(work + "/layout", tars);
  nlohmann::json index = nlohmann::json::parse(ReadFileText(layout + "/index.json"));
  index["manifests"][0]["annotations"] = {{"org.opencontainers.image.ref.name", "test"}};
  WriteFile(layout + "/index.json", index.dump());
  return RunShell(
      fmt::format("umoci unpack --rootless --image '{}:test' '{}/bundle' 2>&1", layout, work),
      output);
}

Analysis AnalyzePath(const std::string& path) {
  AnalyzeOptions options;
  options.threads = 2;
  return Analyze(OpenImage(path, OpenOptions()), options);
}

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Describe(const Seen& s) {
  return fmt::format("{} {:o} {}:{} size={} link={} hash={:x}", s.type, s.mode, s.uid, s.gid,
                     s.size, s.link, s.hash);
}

static uint64_t HashFile(const std::string& path) {
  std::string data = ReadFileText(path);
  return XXH3_64bits(data.data(), data.size());
}

static char TypeOf(mode_t mode) {
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  return '-';
}

// Walks with lstat only: the corpus has symlink loops that would trip
// std::filesystem's iterator.
static void WalkDirectory(const std::string& root, const std::string& relative,
                          std::map<std::string, Seen>* seen) {
  std::string dir_path = relative.empty() ? root : root + "/" + relative;
  DIR* dir = opendir(dir_path.c_str());
  if (dir == nullptr) return;
  while (struct dirent* item = readdir(dir)) {
    std::string name = item->d_name;
    if (name == "." || name == "..") continue;
    std::string rel = relative.empty() ? name : relative + "/" + name;
    std::string path = root + "/" + rel;
    struct stat info;
    if (lstat(path.c_str(), &info) != 0) continue;
    Seen s{TypeOf(info.st_mode),
           static_cast<uint32_t>(info.st_mode & 07777),
           info.st_uid,
           info.st_gid,
           S_ISREG(info.st_mode) ? static_cast<int64_t>(info.st_size) : 0,
           "",
           0};
    if (S_ISLNK(info.st_mode)) {
      std::string target(4096, '\0');
      ssize_t length = readlink(path.c_str(), target.data(), target.size());
      s.link = target.substr(0, length < 0 ? 0 : length);
    }
    if (S_ISREG(info.st_mode)) s.hash = HashFile(path);
    (*seen)[rel] = s;
    if (S_ISDIR(info.st_mode)) WalkDirectory(root, rel, seen);
  }
  closedir(dir);
}

std::map<std::string, Seen> WalkDisk(const std::string& root) {
  std::map<std::string, Seen> seen;
  WalkDirectory(root, "", &seen);
  return seen;
}

// Every directory TempDir made, removed when the test program exits.
std::vector<std::string>& MadeDirectories() {
  static std::vector<std::string>* made = [] {
    auto* list = new std::vector<std::string>();
    atexit([] {
      std::error_code error;
      for (const std::string& dir : MadeDirectories()) fs::remove_all(dir, error);
    });
    return list;
  }();
  return *made;
}

std::string TempDir() {
  std::string pattern = (fs::temp_directory_path() / "strata-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) abort();
  MadeDirectories().push_back(pattern);
  return pattern;
}

}  // namespace strata::testing
