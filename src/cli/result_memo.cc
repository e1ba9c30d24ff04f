#include "cli/result_memo.h"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "blob/sha256.h"
#include "cache/layer_cache.h"
#include "report/style.h"

namespace strata {

namespace {

// Bump when what is stored changes shape.
constexpr int kMemoFormat = 1;

// The running binary, by inode, size and modification time: any rebuild
// of strata is a new binary, whose reports may differ from the old one's
// even at the same version number.
std::string BinaryIdentity() {
  struct stat binary;
  if (stat("/proc/self/exe", &binary) != 0) return "";
  return fmt::format("{}:{}:{}:{}.{}", binary.st_dev, binary.st_ino, binary.st_size,
                     binary.st_mtim.tv_sec, binary.st_mtim.tv_nsec);
}

// A file's bytes for the key, "absent" when there is none; "" when the
// file is not a regular one (a pipe, /dev/stdin): its bytes cannot be read
// again, so no result can be kept for it.
std::string FileForKey(const std::string& path) {
  struct stat file;
  if (stat(path.c_str(), &file) != 0) return "absent";
  if (!S_ISREG(file.st_mode)) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return Sha256Of(bytes.str());
}

}  // namespace

std::string ResultKey(const MemoInputs& inputs) {
  std::string binary = BinaryIdentity();
  if (binary.empty()) return "";

  // Every part is written with its length, so no two inputs spell one key.
  std::string text;
  auto add = [&text](std::string_view label, std::string_view value) {
    text += fmt::format("{} {} {}\n", label, value.size(), value);
  };
  add("memo", std::to_string(kMemoFormat));
  add("analysis", std::to_string(kAnalysisVersion));
  add("binary", binary);
  for (const std::string& arg : inputs.args) add("arg", arg);

  const ImageSource& source = *inputs.source;
  add("input", source.input);
  add("format", source.format);
  add("reference", source.reference);
  for (const std::string& other : source.other_references) add("other reference", other);
  add("endpoint", source.endpoint);
  add("manifest", source.manifest_digest);
  add("manifest bytes", Sha256Of(source.manifest_json));
  add("config", Sha256Of(source.config_json));
  // A blob file's identity too: one changed in place since the result was
  // kept is a miss, and the layer cache then hashes it again. Bytes with
  // no file name (a stream) are known only by hashing them: a legacy
  // archive names its layers by nothing else it does not claim itself.
  for (const LayerBlob& blob : source.layers) {
    std::string identity = blob.identity ? blob.identity() : "";
    if (identity == kNamelessBytes && (identity = StoredDigest(blob)).empty()) return "";
    add("layer", fmt::format("{} {} {} {}", blob.digest, blob.size, blob.media_type, identity));
  }
  for (const std::string& warning : source.warnings) add("source warning", warning);

  for (const std::string& file : inputs.files) {
    std::string bytes = FileForKey(file);
    if (bytes.empty()) return "";
    add(file, bytes);
  }
  for (const std::string& diff_id : inputs.base_diff_ids) add("base", diff_id);
  add("today", inputs.today);
  Style style = StyleFor(STDOUT_FILENO);
  add("stdout", fmt::format("{} {}", style.color, style.width));
  return Sha256Of(text);
}

// "<exit code> <reports> <warnings>\n", then each string as "<length>\n"
// and its bytes: reports are kept byte for byte, whatever they hold.
std::string EncodeMemo(const MemoResult& result) {
  std::string bytes =
      fmt::format("{} {} {}\n", result.exit_code, result.reports.size(), result.warnings.size());
  for (const auto* list : {&result.reports, &result.warnings})
    for (const std::string& text : *list) bytes += fmt::format("{}\n", text.size()) + text;
  return bytes;
}

std::optional<MemoResult> DecodeMemo(const std::string& bytes, size_t outputs) {
  std::istringstream in(bytes);
  MemoResult result;
  size_t reports = 0, warnings = 0;
  if (!(in >> result.exit_code >> reports >> warnings) || in.get() != '\n') return std::nullopt;
  if (reports != outputs || warnings > bytes.size()) return std::nullopt;

  auto read = [&in, &bytes](std::string* text) {
    size_t size = 0;
    if (!(in >> size) || in.get() != '\n' || size > bytes.size()) return false;
    text->resize(size);
    return static_cast<bool>(in.read(text->data(), static_cast<std::streamsize>(size)));
  };
  result.reports.resize(reports);
  result.warnings.resize(warnings);
  for (std::string& report : result.reports)
    if (!read(&report)) return std::nullopt;
  for (std::string& warning : result.warnings)
    if (!read(&warning)) return std::nullopt;
  if (in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return result;
}

}  // namespace strata
