// Servers the source tests start for themselves, all on 127.0.0.1 or on a
// Unix socket in a temporary directory: a real Docker Engine and a mock
// one, a real registry (Debian's docker-registry) with each kind of
// login, the token service its token mode needs, a mock registry that
// misbehaves (used by the explore tests too), and a mock OAuth2 token
// service that exchanges only one refresh token.
// Header-only, so the test list in CMakeLists.txt needs no new entry.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

extern char** environ;

namespace strata::testing {

// A port nobody listens on now (the kernel's pick for port 0).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

inline bool CanConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

inline bool CanConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

// Polls |ready| every 100 ms, up to |tries| times; true once it holds.
template <typename Ready>
bool WaitUntil(Ready ready, int tries = 600) {
  for (int i = 0; i < tries; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// A child process, stopped (SIGTERM, then waited for) when this goes away.
class Process {
 public:
  Process() = default;
  Process(const std::vector<std::string>& argv, const std::string& log) { Start(argv, log); }
  ~Process() { Stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void Start(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    // A daemon gets a while to shut down cleanly, then is killed.
    if (!WaitUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, 300)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  bool running() const { return pid_ > 0 && kill(pid_, 0) == 0; }

 private:
  pid_t pid_ = -1;
};

// A script of tests/servers.
inline std::string Server(const std::string& name) {
  return std::string(STRATA_SOURCE_DIR) + "/tests/servers/" + name;
}

// tests/servers/mock_registry.py serving the fixture multi.oci, and
// misbehaving as |mode| says (with the arguments |extra| that mode takes).
class MockRegistry {
 public:
  explicit MockRegistry(const std::string& mode, const std::vector<std::string>& extra = {})
      : dir_(TempDir()), port_(FreePort()) {
    std::vector<std::string> argv{"python3", Server("mock_registry.py"), std::to_string(port_)};
    argv.insert(argv.end(), {FixturesDir() + "/multi.oci", log(), mode});
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_.Start(argv, dir_ + "/server.log");
    EXPECT_TRUE(WaitUntil([&] { return CanConnectTcp(port_); }));
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "docker://" + host() + "/fx/m:1"; }
  std::string log() const { return dir_ + "/requests.log"; }

 private:
  std::string dir_;
  int port_;
  Process server_;
};

// tests/servers/mock_oauth_token.py: exchanges |refresh| (and no other
// refresh token) for |access|, for the service "mock-registry" and
// |scope|, answering it under |reply_key|.
class MockOAuthTokenService {
 public:
  MockOAuthTokenService(const std::string& refresh, const std::string& access,
                        const std::string& scope, const std::string& reply_key = "access_token")
      : dir_(TempDir()), port_(FreePort()) {
    server_.Start({"python3", Server("mock_oauth_token.py"), std::to_string(port_), refresh, access,
                   "mock-registry", scope, log(), reply_key},
                  dir_ + "/server.log");
    EXPECT_TRUE(WaitUntil([&] { return CanConnectTcp(port_); }));
  }

  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  // A line per request: "POST /token 200 access token".
  std::string log() const { return dir_ + "/requests.log"; }

 private:
  std::string dir_;
  int port_;
  Process server_;
};

// One line on stderr, "strata: error: …" holding |needle|, exit 2, no output;
// before it, |notices| lines that said why strata waited (asked a registry
// again), each "strata: …" and none an error.
inline void ExpectOneLineError(const RunResult& result, const std::string& needle,
                               int notices = 0) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), notices + 1) << result.err;
  size_t error = result.err.find("strata: error: ");
  EXPECT_NE(error, std::string::npos) << result.err;
  if (error == std::string::npos) return;
  std::string before = result.err.substr(0, error);
  EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), notices) << result.err;
  for (size_t line = 0; line < before.size(); line = before.find('\n', line) + 1)
    EXPECT_EQ(before.compare(line, 8, "strata: "), 0) << result.err;
  EXPECT_NE(result.err.find(needle, error), std::string::npos) << "wanted \"" << needle
                                                               << "\" in\n"
                                                               << result.err;
}

// Runs |command| and fails the test when it does not exit 0.
inline std::string MustRun(const std::string& command) {
  std::string output;
  int code = RunShell(command, &output);
  EXPECT_EQ(code, 0) << command << "\n" << output;
  return output;
}

// The JSON a command printed, without the fields that name where the
// image came from; the rest must not depend on the source.
inline std::string WithoutSource(const std::string& text) {
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) return "not JSON: " + text;
  for (nlohmann::json* node : {&document, &document["image"]})
    if (node->is_object())
      for (const char* key : {"input", "format", "reference", "endpoint"}) node->erase(key);
  return document.dump(1);
}

// An X.509 CA and a certificate for 127.0.0.1 it signed, made with openssl
// in |dir|: ca.crt, server.crt, server.key.
inline void MakeCertificates(const std::string& dir) {
  MustRun("cd " + dir +
          " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=strata-test-ca"
          " -keyout ca.key -out ca.crt"
          " && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1"
          " -keyout server.key -out server.csr"
          " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
          " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
          " -days 2 -extfile san.ext -out server.crt");
}

// MakeCertificates' files, and a client certificate the CA signed, under
// the names an Engine behind TLS and its docker client use (dockerd
// --tlscacert ca.pem --tlscert server-cert.pem --tlskey server-key.pem;
// DOCKER_CERT_PATH holds ca.pem, cert.pem and key.pem), in |dir|.
inline void MakeEngineTlsFiles(const std::string& dir) {
  MakeCertificates(dir);
  MustRun("cd " + dir +
          " && cp ca.crt ca.pem && cp server.crt server-cert.pem && cp server.key server-key.pem"
          " && openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout key.pem -out client.csr"
          " && printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
          " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
          " -days 2 -extfile client.ext -out cert.pem");
}

// A dockerd of the test's own: its socket, data and state live in a
// temporary directory, so it never meets a daemon someone else runs.
// |listen|, when given, is more of dockerd's arguments: another address.
class DockerEngine {
 public:
  explicit DockerEngine(const std::vector<std::string>& listen = {}) : dir_(TempDir()) {
    chmod(dir_.c_str(), 0755);  // Others may reach the socket (see SocketPermission).
    socket_ = dir_ + "/docker.sock";
    std::vector<std::string> args = {"dockerd",
                                     "--storage-driver",
                                     "vfs",
                                     "--iptables=false",
                                     "--bridge=none",
                                     "--ip-forward=false",
                                     "--ip-masq=false",
                                     "-H",
                                     "unix://" + socket_,
                                     "--data-root",
                                     dir_ + "/root",
                                     "--exec-root",
                                     dir_ + "/exec",
                                     "--pidfile",
                                     dir_ + "/dockerd.pid"};
    args.insert(args.end(), listen.begin(), listen.end());
    daemon_.Start(args, dir_ + "/dockerd.log");
    bool up = WaitUntil([&] { return RunShell(Docker("info"), &output_) == 0; });
    EXPECT_TRUE(up) << ReadFileText(dir_ + "/dockerd.log");
  }

  ~DockerEngine() {
    daemon_.Stop();
    std::error_code error;  // vfs keeps a full copy per layer: do not leave it.
    std::filesystem::remove_all(dir_, error);
  }

  // A docker command line against this daemon.
  std::string Docker(const std::string& args) const {
    return "DOCKER_HOST=unix://" + socket_ + " docker " + args;
  }
  std::string host() const { return "unix://" + socket_; }
  const std::string& socket() const { return socket_; }

 private:
  std::string dir_;
  std::string socket_;
  std::string output_;
  Process daemon_;
};

// An Engine API served by the mock, holding |archive| as |name|.
class MockEngine {
 public:
  MockEngine(const std::string& address, const std::string& name, const std::string& archive,
             const std::string& mode)
      : dir_(TempDir()) {
    std::string where = address;
    if (address == "unix") where = "unix:" + socket();
    if (address == "tcp") port_ = FreePort(), where = "tcp:" + std::to_string(port_);
    server_.Start({"python3", Server("mock_engine.py"), where, name, archive, mode},
                  dir_ + "/server.log");
    EXPECT_TRUE(WaitUntil([&] { return port_ ? CanConnectTcp(port_) : CanConnectUnix(socket()); }))
        << ReadFileText(dir_ + "/server.log");
  }

  std::string socket() const { return dir_ + "/engine.sock"; }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  Process server_;
};

}  // namespace strata::testing
