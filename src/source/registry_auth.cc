#include "source/registry_auth.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/untrusted_json.h"
#include "source/docker_context.h"

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
  std::string shown;
  std::string dir = DockerConfigDir(&shown);
  *display = shown + "/config.json";
  return dir + "/config.json";
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

// How long a credential helper may take to answer: it may ask for a
// passphrase (pass asks gpg, which asks the user), so not seconds; but a
// helper that never answers must not hold strata forever.
constexpr int kHelperSeconds = 120;

// Writes |data| to |fd| with SIGPIPE held back on this thread: a helper
// that exits without reading its input (it needs none) closes the pipe,
// and the signal would end strata without a word. A SIGPIPE this write
// raised is taken back before the mask is restored.
void WriteIgnoringClosedPipe(int fd, std::string_view data) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);

  ssize_t wrote = 0;
  while (!data.empty() && ((wrote = write(fd, data.data(), data.size())) > 0 || errno == EINTR))
    if (wrote > 0) data.remove_prefix(static_cast<size_t>(wrote));

  if (wrote < 0 && errno == EPIPE && !was_pending) {
    timespec now{0, 0};
    sigtimedwait(&pipe_only, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// The helper's output and errors until both close, or until |deadline|
// passes (false). Each is kept up to kMaxHelperOutput bytes.
bool ReadHelper(int out, int err, std::string* reply, std::string* errors, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  std::string* into[2] = {reply, errors};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int ready = poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return false;  // The deadline passed.
    if (ready < 0) return true;    // Cannot wait: take what came.
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        --open;
      } else if (into[i]->size() < kMaxHelperOutput) {
        into[i]->append(buffer, static_cast<size_t>(got));
      }
    }
  }
  return true;
}

// Runs `docker-credential-NAME get` with |host| on its standard input and
// returns its answer; *found is false when it says it holds no login for
// |host| ("credentials not found", as every helper says it, with a non-zero
// exit). Any other failure, and no answer in kHelperSeconds, is an Error
// naming the helper; its own words are not repeated (they may quote the
// secret it holds).
std::string RunHelper(const std::string& helper, const std::string& host, bool* found) {
  std::string program = "docker-credential-" + helper;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    Fail("cannot run {}: {}", program, strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  char* argv[] = {program.data(), const_cast<char*>("get"), nullptr};
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : {in[0], out[1], err[1]}) close(fd);
  if (spawned != 0) {
    for (int fd : {in[1], out[0], err[0]}) close(fd);
    Fail(
        "the credential helper {} named in the docker config cannot be run: {}; install it or "
        "remove it from the config",
        program, strerror(spawned));
  }

  WriteIgnoringClosedPipe(in[1], host + "\n");
  close(in[1]);
  std::string reply, errors;
  bool answered = ReadHelper(out[0], err[0], &reply, &errors, kHelperSeconds);
  close(out[0]);
  close(err[0]);
  if (!answered) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!answered)
    Fail(
        "the credential helper {} gave no answer for {} within {} s; check it (echo {} | {} get) "
        "or remove it from the docker config",
        program, host, kHelperSeconds, host, program);

  *found = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (*found) return reply;
  if ((reply + errors).find("credentials not found") != std::string::npos) return "";
  std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                      : fmt::format("signal {}", WTERMSIG(status));
  Fail(
      "the credential helper {} failed ({}) when asked for the login of {}; check it (echo {} | "
      "{} get) or remove it from the docker config",
      program, how, host, host, program);
}

// The string |key| of |object|, "" when absent; anything but a string is
// an Error naming it and |display|, not a JSON library's words.
std::string StringField(const json& object, const char* key, const std::string& display) {
  const json& value = object.value(key, json());
  if (value.is_null()) return "";
  if (!value.is_string()) Fail("{}: \"{}\" of a login is not a string", display, key);
  return value.get<std::string>();
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
  std::string user = StringField(answer, "Username", what);
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
  found.username = StringField(entry, "username", display);
  found.password = StringField(entry, "password", display);
  std::string auth = StringField(entry, "auth", display);
  if (!auth.empty()) {
    std::string pair = Base64Decode(auth, "an \"auth\" entry of " + display);
    size_t colon = pair.find(':');
    if (colon == std::string::npos) Fail("an \"auth\" entry of {} is not user:password", display);
    found.username = pair.substr(0, colon);
    found.password = pair.substr(colon + 1);
  }

  // Beside it, an "auth" whose password is empty (Azure's user is a
  // string of zeros): the token is what logs in.
  found.identity_token = StringField(entry, "identitytoken", display);
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
