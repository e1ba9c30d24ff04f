#include "source/docker_context.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/untrusted_json.h"
#include "blob/sha256.h"

namespace strata {

namespace {

using json = nlohmann::json;

std::string Env(const char* name) {
  const char* value = getenv(name);
  return value ? value : "";
}

// The file's text, or nullopt when it does not exist; other failures
// throw, naming |display|.
std::optional<std::string> ReadIfThere(const std::string& path, const std::string& display) {
  std::ifstream file(path);
  if (!file) {
    if (errno == ENOENT) return std::nullopt;
    Fail("cannot read {}: {}", display, strerror(errno));
  }
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool Readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// The context's name, and who chose it; "" for none.
std::string ChosenContext(const std::string& config_dir, const std::string& shown,
                          std::string* chosen_by) {
  std::string name = Env("DOCKER_CONTEXT");
  if (!name.empty()) {
    *chosen_by = "DOCKER_CONTEXT";
    return name;
  }
  std::string display = shown + "/config.json";
  std::optional<std::string> text = ReadIfThere(config_dir + "/config.json", display);
  if (!text) return "";
  json config = ParseUntrustedJson(*text, display);
  if (!config.is_object()) Fail("{} is not a JSON object", display);
  const json& current = config.value("currentContext", json());
  if (current.is_null()) return "";
  if (!current.is_string()) Fail("{}: \"currentContext\" is not a string", display);
  *chosen_by = display;
  return current.get<std::string>();
}

}  // namespace

std::string DockerConfigDir(std::string* display) {
  std::string dir = Env("DOCKER_CONFIG");
  if (!dir.empty()) {
    *display = dir;
    return dir;
  }
  *display = "~/.docker";
  std::string home = Env("HOME");
  return (home.empty() ? "" : home) + "/.docker";
}

std::optional<DockerContext> CurrentDockerContext() {
  std::string shown;
  std::string config_dir = DockerConfigDir(&shown);
  DockerContext context;
  context.name = ChosenContext(config_dir, shown, &context.chosen_by);
  if (context.name.empty() || context.name == "default") return std::nullopt;

  // docker keeps each context under the hex sha256 of its name.
  std::string id = Sha256Of(context.name).substr(7);
  std::string meta_shown = shown + "/contexts/meta/" + id + "/meta.json";
  std::optional<std::string> text =
      ReadIfThere(config_dir + "/contexts/meta/" + id + "/meta.json", meta_shown);
  if (!text)
    Fail("the Docker context \"{}\" ({}) does not exist: no {}; docker context ls lists them",
         context.name, context.chosen_by, meta_shown);
  json meta = ParseUntrustedJson(*text, meta_shown);
  json endpoint;
  if (meta.is_object() && meta.value("Endpoints", json()).is_object())
    endpoint = meta["Endpoints"].value("docker", json());
  if (!endpoint.is_object() || !endpoint.value("Host", json()).is_string())
    Fail("{} names no Docker endpoint (Endpoints.docker.Host)", meta_shown);
  context.host = endpoint["Host"].get<std::string>();
  const json& skip = endpoint.value("SkipTLSVerify", json());
  context.skip_tls_verify = skip.is_boolean() && skip.get<bool>();

  context.tls_dir = config_dir + "/contexts/tls/" + id + "/docker";
  for (auto [file, path] : {std::pair{"ca.pem", &context.ca}, std::pair{"cert.pem", &context.cert},
                            std::pair{"key.pem", &context.key}})
    if (Readable(context.tls_dir + "/" + file)) *path = context.tls_dir + "/" + file;
  return context;
}

}  // namespace strata
