#include "source/registry_auth.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/untrusted_json.h"

extern char** environ;

namespace strata {

namespace {

using json = nlohmann::json;

// A helper's answer is a small JSON object; more is not an answer.
constexpr size_t kMaxHelperOutput = 1 << 20;

// Docker Hub's logins are kept under its old index address.
const char* const kDockerHubKey = "https://index.docker.io/v1/";

// The user name by which a credential helper says that its Secret is an
// identity token, not a password (docker's convention).
const char* const kIdentityTokenUser = "<token>";

std::string ConfigPath(std::string* display) {
  const char* dir = getenv("DOCKER_CONFIG");
  if (dir && *dir) {
    *display = std::string(dir) + "/config.json";
    return *display;
  }
  const char* home = getenv("HOME");
  *display = "~/.docker/config.json";
  return std::string(home && *home ? home : "/") + "/.docker/config.json";
}

// "https://host:5000/v1/" → "host:5000": auths keys are written either way.
std::string HostOfKey(std::string key) {
  if (size_t scheme = key.find("://"); scheme != std::string::npos) key = key.substr(scheme + 3);
  return key.substr(0, key.find('/'));
}

std::string Base64Decode(const std::string& text, const std::string& what) {
  std::string out(text.size(), '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (length < 0) Fail("{} is not valid base64", what);
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(length - std::min<size_t>(padding, length));
  return out;
}

// Runs `docker-credential-NAME get` with |host| on its standard input.
std::string RunHelper(const std::string& helper, const std::string& host, bool* found) {
  std::string program = "docker-credential-" + helper;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
    Fail("cannot run {}: {}", program, strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  char* argv[] = {program.data(), const_cast<char*>("get"), nullptr};
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (spawned != 0) {
    close(in[1]);
    close(out[0]);
    Fail(
        "the credential helper {} named in the docker config cannot be run: {}; install it or "
        "remove it from the config",
        program, strerror(spawned));
  }

  std::string request = host + "\n";
  (void)!write(in[1], request.data(), request.size());
  close(in[1]);
  std::string reply;
  char buffer[4096];
  ssize_t got;
  while ((got = read(out[0], buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR))
    if (got > 0 && reply.size() < kMaxHelperOutput) reply.append(buffer, got);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Helpers exit non-zero with "credentials not found" for unknown hosts.
  *found = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return reply;
}

Credentials FromHelper(const std::string& helper, const std::string& host) {
  bool found = false;
  std::string reply = RunHelper(helper, host, &found);
  if (!found) return {};
  std::string what = "the answer of docker-credential-" + helper;
  json answer = ParseUntrustedJson(reply, what);
  if (!answer.is_object() || !answer.value("Secret", json()).is_string())
    Fail("{} has no \"Secret\"", what);
  Credentials login;
  login.from = "docker-credential-" + helper;
  std::string user = answer.value("Username", "");
  if (user == kIdentityTokenUser) {
    login.identity_token = answer["Secret"].get<std::string>();
    return login;
  }
  login.username = user;
  login.password = answer["Secret"].get<std::string>();
  return login;
}

Credentials FromAuthEntry(const json& entry, const std::string& display) {
  if (!entry.is_object()) return {};
  Credentials found;
  found.from = display;
  found.username = entry.value("username", "");
  found.password = entry.value("password", "");
  std::string auth = entry.value("auth", "");
  if (!auth.empty()) {
    std::string pair = Base64Decode(auth, "an \"auth\" entry of " + display);
    size_t colon = pair.find(':');
    if (colon == std::string::npos) Fail("an \"auth\" entry of {} is not user:password", display);
    found.username = pair.substr(0, colon);
    found.password = pair.substr(colon + 1);
  }

  // Beside it, an "auth" whose password is empty (Azure's user is a
  // string of zeros): the token is what logs in.
  found.identity_token = entry.value("identitytoken", "");
  return found;
}

// The login for |host| in one file of the docker config's format (Podman's
// auth.json is one too); empty when the file is not there.
Credentials FindInFile(const std::string& path, const std::string& display,
                       const std::string& host) {
  std::ifstream file(path);
  if (!file) return {};
  std::stringstream text;
  text << file.rdbuf();
  json config = ParseUntrustedJson(text.str(), display);
  if (!config.is_object()) Fail("{} is not a JSON object", display);
  std::string key = host == "docker.io" ? kDockerHubKey : host;

  const json& helpers = config.value("credHelpers", json());
  if (helpers.is_object() && helpers.value(key, json()).is_string())
    return FromHelper(helpers[key].get<std::string>(), key);

  const json& auths = config.value("auths", json());
  if (auths.is_object()) {
    for (const auto& [name, entry] : auths.items())
      if (name == key || HostOfKey(name) == host) {
        Credentials found = FromAuthEntry(entry, display);
        if (!found.empty()) return found;
      }
  }

  const json& store = config.value("credsStore", json());
  if (store.is_string() && !store.get<std::string>().empty())
    return FromHelper(store.get<std::string>(), key);
  return {};
}

// Podman's, skopeo's and buildah's logins, where they keep them when
// $REGISTRY_AUTH_FILE does not say: the session's file, then the user's.
std::vector<std::pair<std::string, std::string>> PodmanAuthFiles() {
  std::vector<std::pair<std::string, std::string>> files;
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime) {
    std::string path = std::string(runtime) + "/containers/auth.json";
    files.push_back({path, path});
  }
  const char* home = getenv("HOME");
  if (home && *home)
    files.push_back(
        {std::string(home) + "/.config/containers/auth.json", "~/.config/containers/auth.json"});
  return files;
}

}  // namespace

Credentials FindCredentials(const std::string& host) {
  // A file named by $REGISTRY_AUTH_FILE is the only one asked: the user
  // chose it over the others.
  const char* chosen = getenv("REGISTRY_AUTH_FILE");
  if (chosen && *chosen) return FindInFile(chosen, chosen, host);

  std::string display;
  std::string path = ConfigPath(&display);
  Credentials found = FindInFile(path, display, host);
  for (const auto& [podman, shown] : PodmanAuthFiles()) {
    if (!found.empty()) break;
    found = FindInFile(podman, shown, host);
  }
  return found;
}

Challenge ParseChallenge(const std::string& header) {
  Challenge challenge;
  size_t i = 0;
  while (i < header.size() && isspace(static_cast<unsigned char>(header[i]))) ++i;
  while (i < header.size() && !isspace(static_cast<unsigned char>(header[i])))
    challenge.scheme += static_cast<char>(tolower(static_cast<unsigned char>(header[i++])));

  // key=value or key="quoted, value", separated by commas.
  while (i < header.size()) {
    while (i < header.size() &&
           (header[i] == ',' || isspace(static_cast<unsigned char>(header[i]))))
      ++i;
    size_t equals = header.find('=', i);
    if (equals == std::string::npos) break;
    std::string key = header.substr(i, equals - i);
    for (char& c : key) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    std::string value;
    i = equals + 1;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i];
      }
      ++i;
    } else {
      while (i < header.size() && header[i] != ',') value += header[i++];
    }
    challenge.params[key] = value;
  }
  return challenge;
}

std::string BasicAuthorization(const Credentials& credentials) {
  std::string pair = credentials.username + ":" + credentials.password;
  std::string out(4 * ((pair.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(pair.data()), pair.size());
  out.resize(length);
  return "Basic " + out;
}

}  // namespace strata
