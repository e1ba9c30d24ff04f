#include "model/image_config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/untrusted_json.h"

namespace strata {

namespace {

using json = nlohmann::json;

std::string Text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<std::string> TextList(const json& object, const char* key) {
  std::vector<std::string> list;
  auto it = object.find(key);
  if (it == object.end()) return list;
  if (it->is_string()) list.push_back(it->get<std::string>());
  if (it->is_array())
    for (const json& item : *it)
      if (item.is_string()) list.push_back(item.get<std::string>());
  return list;
}

void ParseRuntime(const json& runtime, ImageConfig* config) {
  if (!runtime.is_object()) return;
  config->user = Text(runtime, "User");
  config->working_dir = Text(runtime, "WorkingDir");
  config->env = TextList(runtime, "Env");
  config->entrypoint = TextList(runtime, "Entrypoint");
  config->cmd = TextList(runtime, "Cmd");

  const json& ports = runtime.value("ExposedPorts", json());
  if (ports.is_object())
    for (const auto& [port, value] : ports.items()) config->exposed_ports.push_back(port);

  const json& health = runtime.value("Healthcheck", json());
  if (health.is_object()) {
    std::vector<std::string> test = TextList(health, "Test");
    config->has_healthcheck = !test.empty() && test.front() != "NONE";
  }

  const json& labels = runtime.value("Labels", json());
  if (labels.is_object())
    for (const auto& [key, value] : labels.items())
      if (value.is_string()) config->labels[key] = value.get<std::string>();
}

}  // namespace

namespace {

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

  ImageConfig config;
  config.architecture = Text(root, "architecture");
  config.os = Text(root, "os");
  config.variant = Text(root, "variant");
  config.created = Text(root, "created");
  config.author = Text(root, "author");
  ParseRuntime(root.value("config", json()), &config);

  const json& rootfs = root.value("rootfs", json());
  if (!rootfs.is_object() || !rootfs.value("diff_ids", json()).is_array())
    Fail("{} has no rootfs.diff_ids list", what);
  for (const json& diff_id : rootfs["diff_ids"]) {
    if (!diff_id.is_string()) Fail("{} has a diff_id that is not a string", what);
    config.diff_ids.push_back(diff_id.get<std::string>());
  }

  const json& history = root.value("history", json());
  if (history.is_array()) {
    for (const json& item : history) {
      if (!item.is_object()) continue;
      HistoryStep step;
      step.created_by = Text(item, "created_by");
      step.created = Text(item, "created");
      step.comment = Text(item, "comment");
      step.author = Text(item, "author");
      auto empty = item.find("empty_layer");
      step.empty_layer = empty != item.end() && empty->is_boolean() && empty->get<bool>();
      config.history.push_back(step);
    }
  }
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
