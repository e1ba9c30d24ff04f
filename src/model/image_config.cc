#include "model/image_config.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/error.h"
#include "base/untrusted_json.h"
#include "blob/sha256.h"

namespace strata {

namespace {

using json = nlohmann::json;

// Whether |text| is an RFC 3339 date-time: 2024-05-01T12:00:00, an
// optional fraction, then Z or an offset (+02:00). A space or a lower-case
// t may stand for the T and a z for the Z, as the RFC allows.
bool IsRfc3339(std::string_view text) {
  auto number = [&text](size_t at, size_t digits, int low, int high) {
    if (text.size() < at + digits) return false;
    int value = 0;
    for (size_t i = at; i < at + digits; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    return value >= low && value <= high;
  };
  if (!number(0, 4, 0, 9999) || text.size() < 19 || text[4] != '-' || !number(5, 2, 1, 12) ||
      text[7] != '-' || !number(8, 2, 1, 31) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !number(11, 2, 0, 23) ||
      text[13] != ':' || !number(14, 2, 0, 59) || text[16] != ':' || !number(17, 2, 0, 60))
    return false;
  size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    size_t digits = text.find_first_not_of("0123456789", at + 1);
    if (digits == std::string_view::npos || digits == at + 1) return false;
    at = digits;
  }
  std::string_view zone = text.substr(at);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && number(at + 1, 2, 0, 23) &&
         zone[3] == ':' && number(at + 4, 2, 0, 59);
}

// Reads the fields strata uses, each of the type the image spec gives it.
// A field of another type is refused, naming the field ("config.User"),
// rather than dropped: a config that says User 7 did not say "root".
// null is absent, as real configs write it ("Cmd": null).
class ConfigReader {
 public:
  explicit ConfigReader(const std::string& what) : what_(what) {}

  // The string at |key| of |object|; "" when absent or null.
  std::string Text(const json& object, const char* key, const std::string& field) const {
    const json* value = Find(object, key);
    if (value == nullptr) return "";
    if (!value->is_string()) Refuse(field, *value, "a string");
    return value->get<std::string>();
  }

  // The list of strings at |key|. |one_string|: a lone string is a list
  // of one, as Docker takes it for Cmd and Entrypoint.
  std::vector<std::string> TextList(const json& object, const char* key, const std::string& field,
                                    bool one_string = false) const {
    std::vector<std::string> list;
    const json* value = Find(object, key);
    if (value == nullptr) return list;
    if (one_string && value->is_string()) return {value->get<std::string>()};
    if (!value->is_array()) Refuse(field, *value, "a list of strings");
    for (size_t i = 0; i < value->size(); ++i) {
      const json& item = (*value)[i];
      if (!item.is_string()) Refuse(fmt::format("{}[{}]", field, i), item, "a string");
      list.push_back(item.get<std::string>());
    }
    return list;
  }

  // The object at |key|, or nullptr when absent or null.
  const json* Object(const json& object, const char* key, const std::string& field) const {
    const json* value = Find(object, key);
    if (value != nullptr && !value->is_object()) Refuse(field, *value, "an object");
    return value;
  }

  // The list at |key|, or nullptr when absent or null.
  const json* List(const json& object, const char* key, const std::string& field) const {
    const json* value = Find(object, key);
    if (value != nullptr && !value->is_array()) Refuse(field, *value, "a list");
    return value;
  }

  bool Flag(const json& object, const char* key, const std::string& field) const {
    const json* value = Find(object, key);
    if (value == nullptr) return false;
    if (!value->is_boolean()) Refuse(field, *value, "true or false");
    return value->get<bool>();
  }

  // The time at |key|: RFC 3339 text, kept as given.
  std::string Time(const json& object, const char* key, const std::string& field) const {
    std::string text = Text(object, key, field);
    if (!text.empty() && !IsRfc3339(text))
      Fail("{} is invalid: {} \"{}\" is not an RFC 3339 time (like 2024-05-01T12:00:00Z)", what_,
           field, Cut(text));
    return text;
  }

  [[noreturn]] void Refuse(const std::string& field, const json& value, const char* wanted) const {
    Fail("{} is invalid: {} is {}, not {}", what_, field, TypeName(value), wanted);
  }

 private:
  static const json* Find(const json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }

  static const char* TypeName(const json& value) {
    if (value.is_string()) return "a string";
    if (value.is_number()) return "a number";
    if (value.is_boolean()) return "true or false";
    if (value.is_array()) return "a list";
    if (value.is_object()) return "an object";
    return "null";
  }

  // The first 40 bytes of |text| (not splitting a UTF-8 character), to
  // quote a value that may be huge.
  static std::string Cut(const std::string& text) {
    if (text.size() <= 40) return text;
    size_t end = 40;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end) + "…";
  }

  std::string what_;
};

void ParseRuntime(const ConfigReader& read, const json& runtime, ImageConfig* config) {
  config->user = read.Text(runtime, "User", "config.User");
  config->working_dir = read.Text(runtime, "WorkingDir", "config.WorkingDir");
  config->env = read.TextList(runtime, "Env", "config.Env");
  config->entrypoint = read.TextList(runtime, "Entrypoint", "config.Entrypoint", true);
  config->cmd = read.TextList(runtime, "Cmd", "config.Cmd", true);

  config->stop_signal = read.Text(runtime, "StopSignal", "config.StopSignal");
  config->shell = read.TextList(runtime, "Shell", "config.Shell");
  config->on_build = read.TextList(runtime, "OnBuild", "config.OnBuild");

  // The ports and volumes are the keys; their values are empty objects
  // nobody reads.
  if (const json* ports = read.Object(runtime, "ExposedPorts", "config.ExposedPorts"))
    for (const auto& [port, value] : ports->items()) config->exposed_ports.push_back(port);
  if (const json* volumes = read.Object(runtime, "Volumes", "config.Volumes"))
    for (const auto& [volume, value] : volumes->items()) config->volumes.push_back(volume);

  if (const json* health = read.Object(runtime, "Healthcheck", "config.Healthcheck")) {
    config->healthcheck = read.TextList(*health, "Test", "config.Healthcheck.Test");
    config->has_healthcheck = !config->healthcheck.empty() && config->healthcheck.front() != "NONE";
  }

  if (const json* labels = read.Object(runtime, "Labels", "config.Labels")) {
    for (const auto& [key, value] : labels->items()) {
      if (!value.is_string())
        read.Refuse(fmt::format("config.Labels[\"{}\"]", key), value, "a string");
      config->labels[key] = value.get<std::string>();
    }
  }
}

void ParseHistory(const ConfigReader& read, const json& history, ImageConfig* config) {
  for (size_t i = 0; i < history.size(); ++i) {
    const json& item = history[i];
    std::string field = fmt::format("history[{}]", i);
    if (!item.is_object()) read.Refuse(field, item, "an object");
    HistoryStep step;
    step.created_by = read.Text(item, "created_by", field + ".created_by");
    step.created = read.Time(item, "created", field + ".created");
    step.comment = read.Text(item, "comment", field + ".comment");
    step.author = read.Text(item, "author", field + ".author");
    step.empty_layer = read.Flag(item, "empty_layer", field + ".empty_layer");
    config->history.push_back(step);
  }
}

ImageConfig ParseConfigJson(const json& root, const std::string& what);

}  // namespace

ImageConfig ParseImageConfig(const std::string& json_text, const std::string& what) {
  json root = ParseUntrustedJson(json_text, what);
  try {
    return ParseConfigJson(root, what);
  } catch (const json::exception& error) {
    Fail("{} is invalid: {}", what, error.what());
  }
}

namespace {

ImageConfig ParseConfigJson(const json& root, const std::string& what) {
  if (!root.is_object()) Fail("{} is not a JSON object", what);

  ConfigReader read(what);
  ImageConfig config;
  config.architecture = read.Text(root, "architecture", "architecture");
  config.os = read.Text(root, "os", "os");
  config.variant = read.Text(root, "variant", "variant");
  config.created = read.Time(root, "created", "created");
  config.author = read.Text(root, "author", "author");
  if (const json* runtime = read.Object(root, "config", "config"))
    ParseRuntime(read, *runtime, &config);

  const json& rootfs = root.value("rootfs", json());
  if (!rootfs.is_object() || !rootfs.value("diff_ids", json()).is_array())
    Fail("{} has no rootfs.diff_ids list", what);
  for (const json& diff_id : rootfs["diff_ids"]) {
    if (!diff_id.is_string()) Fail("{} has a diff_id that is not a string", what);
    // Every diff_id is compared with the layer's sha256; another form
    // is the config's fault, not the layer's.
    const std::string& text = diff_id.get_ref<const std::string&>();
    if (!IsSha256Digest(text))
      Fail("{} has a diff_id that is not a sha256 digest: \"{}{}\"", what, text.substr(0, 80),
           text.size() > 80 ? "…" : "");
    config.diff_ids.push_back(diff_id.get<std::string>());
  }

  if (const json* history = read.List(root, "history", "history"))
    ParseHistory(read, *history, &config);
  return config;
}

}  // namespace

std::string DescribeStep(const std::string& created_by) {
  std::string text = created_by;
  auto strip = [&text](std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.erase(0, prefix.size());
    return true;
  };

  // buildkit writes "|2 A=1 B=2 /bin/sh -c …" for steps that see build args.
  if (text.starts_with("|")) {
    size_t shell = text.find("/bin/sh -c ");
    if (shell != std::string::npos) text.erase(0, shell);
  }
  if (strip("/bin/sh -c #(nop) ")) {
    size_t start = text.find_first_not_of(' ');
    text = start == std::string::npos ? "" : text.substr(start);
  } else if (strip("/bin/sh -c ") || strip("cmd /S /C ")) {
    text = "RUN " + text;
  }

  size_t end = text.find_last_not_of(" \t\n");
  text = end == std::string::npos ? "" : text.substr(0, end + 1);
  if (text.ends_with("# buildkit")) {
    text.resize(text.size() - 10);
    end = text.find_last_not_of(' ');
    text = end == std::string::npos ? "" : text.substr(0, end + 1);
  }
  return text;
}

}  // namespace strata
