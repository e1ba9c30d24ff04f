#include "source/engine_source.h"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/error.h"
#include "source/command_socket.h"
#include "source/docker_context.h"
#include "source/formats.h"
#include "source/http_client.h"
#include "source/peer_text.h"
#include "source/spool.h"
#include "source/ssh_address.h"

namespace strata {

namespace {

using json = nlohmann::json;

// The Engine API answers with small JSON documents except for the export.
constexpr size_t kMaxReplyBytes = 4 << 20;

// The API version from which the export takes a platform (Engine 28).
// TODO: not exercised by a real Engine in the tests (theirs is 20.10), only
// by tests/servers/mock_engine.py.
constexpr int kPlatformMajor = 1, kPlatformMinor = 48;

// Enough of a /_ping body to tell an Engine's "OK" from a web page, and
// of what a peer that does not speak HTTP sent to quote its first line.
constexpr size_t kPingBytes = 16;
constexpr size_t kNotHttpBytes = 512;

// A header a peer sent, as a message may quote it: untrusted, so short.
constexpr size_t kMaxQuotedHeader = 80;

const char* EngineName(Engine engine) {
  return engine == Engine::kDocker ? "the Docker daemon" : "Podman";
}

std::string Env(const char* name) {
  const char* value = getenv(name);
  return value ? value : "";
}

bool Readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// docker's TLS settings for a tcp:// DOCKER_HOST: DOCKER_TLS_VERIFY
// (any value, "0" included, as docker reads it) checks the server against
// ca.pem; DOCKER_TLS alone talks TLS without checking it. The client
// certificate goes along when cert.pem and key.pem are both there.
EngineTls TlsFromEnvironment(const std::string& host) {
  EngineTls tls;
  tls.verify_server = !Env("DOCKER_TLS_VERIFY").empty();
  tls.enabled = tls.verify_server || !Env("DOCKER_TLS").empty();
  if (!tls.enabled) return tls;

  tls.cert_dir = Env("DOCKER_CERT_PATH");
  if (tls.cert_dir.empty()) {
    if (Env("HOME").empty())
      Fail("DOCKER_HOST={} asks for TLS, but neither DOCKER_CERT_PATH nor HOME is set", host);
    tls.cert_dir = Env("HOME") + "/.docker";
  }
  tls.cert_dir_shown =
      tls.cert_dir + (Env("DOCKER_CERT_PATH").empty() ? "" : " (DOCKER_CERT_PATH)");
  if (tls.verify_server) {
    tls.ca = tls.cert_dir + "/ca.pem";
    if (!Readable(tls.ca)) {
      int error = errno;
      Fail(
          "DOCKER_TLS_VERIFY is set but {} cannot be read: {}; set DOCKER_CERT_PATH to the "
          "directory holding the Engine's ca.pem, cert.pem and key.pem",
          tls.ca, strerror(error));
    }
  }

  std::string cert = tls.cert_dir + "/cert.pem", key = tls.cert_dir + "/key.pem";
  bool has_cert = Readable(cert), has_key = Readable(key);
  if (has_cert != has_key)
    Fail("{} holds {} but not {}: a client certificate needs both", tls.cert_dir_shown,
         has_cert ? "cert.pem" : "key.pem", has_cert ? "key.pem" : "cert.pem");
  if (has_cert) {
    tls.cert = cert;
    tls.key = key;
  }
  return tls;
}

// |address| ("HOST", "HOST:PORT", "[V6]" or "[V6]:PORT") with a port,
// checked: a host, and a port from 1 to 65535. |shown| names the setting.
std::string WithPort(const std::string& address, int default_port, const std::string& shown) {
  size_t colon = address.rfind(':');
  size_t bracket = address.rfind(']');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  std::string host = has_port ? address.substr(0, colon) : address;
  if (host.empty() || host == "[]") Fail("{}: no host before the port", shown);
  if (!has_port) return address + ":" + std::to_string(default_port);

  std::string port = address.substr(colon + 1);
  if (!IsTcpPort(port)) Fail("{}: the port \"{}\" is not a number from 1 to 65535", shown, port);
  return address;
}

EngineEndpoint OnSocket(const std::string& path, const std::string& display) {
  EngineEndpoint endpoint;
  endpoint.unix_socket = path;
  endpoint.base_url = "http://localhost";
  endpoint.display = display;
  return endpoint;
}

// A tcp:// endpoint; |tls| says whether and how to talk TLS.
EngineEndpoint FromTcp(const std::string& host, const std::string& display,
                       const std::string& variable, const EngineTls& tls) {
  std::string address = host.substr(6);
  while (address.ends_with("/")) address.pop_back();
  std::string scheme = tls.enabled ? "https://" : "http://";
  EngineEndpoint endpoint;
  std::string shown = variable.empty() ? display : variable + "=" + host;
  endpoint.base_url = scheme + WithPort(address, tls.enabled ? 2376 : 2375, shown);
  endpoint.display = display;
  endpoint.variable = variable;
  endpoint.tls = tls;
  return endpoint;
}

// How long an Engine gets to begin its first answer (to GET /_ping),
// counted from the start (through ssh, from ssh's start: reaching the
// host, logging in, starting docker there and the Engine's reply fit in
// it many times over). Without it, a peer that takes the connection and
// says nothing would be waited for as long as curl waits for a stalled
// transfer (a minute), and then named in curl's words (through ssh, only
// by ssh's exit status).
constexpr int kAnswerSeconds = 30;

// How long ssh may take to reach the host and agree on keys (TCP, the SSH
// banner, key exchange); its own default waits for TCP to give up
// (minutes), and for a banner for ever. This bounds the connections opened
// after the first answer, which kAnswerSeconds does not cover; longer
// than that, so that on the first connection strata's line comes first.
constexpr int kSshConnectSeconds = kAnswerSeconds + 10;

// An ssh:// endpoint, reached as docker reaches one: ssh logs in and runs
// `docker system dial-stdio`, which joins its standard input and output
// to the Engine's socket there. ssh must ask nothing (BatchMode): a
// prompt on the terminal, in the middle of strata's run, would hold it
// until answered.
EngineEndpoint FromSsh(const std::string& host, const std::string& display,
                       const std::string& variable, const std::string& where) {
  std::string shown = variable.empty() ? display : variable + "=" + host;
  SshAddress address = ParseSshAddress(host, shown, where);
  EngineEndpoint endpoint;
  endpoint.command = {
      "ssh", "-o", "BatchMode=yes", "-o", fmt::format("ConnectTimeout={}", kSshConnectSeconds),
      "-T"};
  if (!address.user.empty()) endpoint.command.insert(endpoint.command.end(), {"-l", address.user});
  if (!address.port.empty()) endpoint.command.insert(endpoint.command.end(), {"-p", address.port});
  endpoint.command.insert(endpoint.command.end(),
                          {"--", address.host, "docker", "system", "dial-stdio"});
  endpoint.command_check = fmt::format(
      "ssh {}{}{} docker version", address.port.empty() ? "" : "-p " + address.port + " ",
      address.user.empty() ? "" : address.user + "@", address.host);
  endpoint.remote_host = address.host;
  endpoint.base_url = "http://localhost";
  endpoint.display = display;
  endpoint.variable = variable;
  return endpoint;
}

EngineEndpoint FromHost(const std::string& host, const char* variable) {
  if (host.starts_with("unix://")) {
    std::string path = host.substr(7);
    EngineEndpoint endpoint = OnSocket(path, host);
    endpoint.variable = variable;
    return endpoint;
  }
  if (host.starts_with("tcp://")) {
    // docker reads the TLS variables for its own host only.
    bool docker = std::string(variable) == "DOCKER_HOST";
    return FromTcp(host, host, variable, docker ? TlsFromEnvironment(host) : EngineTls{});
  }
  bool podman = std::string(variable) == "CONTAINER_HOST";
  if (host.starts_with("ssh://") && !podman) return FromSsh(host, host, variable, variable);
  // TODO: Podman's ssh:// connections (podman system connection) are not
  // supported: they reach the service's socket on the host, not a command.
  if (host.starts_with("ssh://"))
    Fail(
        "CONTAINER_HOST names an ssh:// connection, which strata does not support for Podman: "
        "forward its socket (ssh -L /tmp/podman.sock:/run/podman/podman.sock HOST) and set "
        "CONTAINER_HOST=unix:///tmp/podman.sock, or export the image with podman save");
  Fail(
      "{}={} is not supported: strata reaches {} through unix://{} only (export the image with "
      "{} save instead)",
      variable, host, podman ? "Podman" : "the Engine",
      podman ? " or tcp://" : ", tcp:// or ssh://", podman ? "podman" : "docker");
}

// The endpoint of a Docker context: its host, and TLS when the context
// keeps TLS files or skips verification, as docker decides.
EngineEndpoint FromContext(const DockerContext& context) {
  std::string display = fmt::format("{} (Docker context \"{}\")", context.host, context.name);
  if (context.host.starts_with("unix://")) {
    EngineEndpoint endpoint = OnSocket(context.host.substr(7), display);
    endpoint.context = context.name;
    return endpoint;
  }
  if (context.host.starts_with("ssh://")) {
    EngineEndpoint endpoint =
        FromSsh(context.host, display, "", fmt::format("the Docker context \"{}\"", context.name));
    endpoint.context = context.name;
    return endpoint;
  }
  if (!context.host.starts_with("tcp://"))
    Fail(
        "the Docker context \"{}\" ({}) reaches the Engine at {}, which strata does not "
        "support: it reaches the Engine through unix://, tcp:// or ssh:// only (set DOCKER_HOST, "
        "or export the image with docker save)",
        context.name, context.chosen_by, context.host);
  if (context.cert.empty() != context.key.empty())
    Fail("{} holds {} but not {}: a client certificate needs both", context.tls_dir,
         context.cert.empty() ? "key.pem" : "cert.pem",
         context.cert.empty() ? "cert.pem" : "key.pem");

  EngineTls tls;
  tls.enabled = context.skip_tls_verify || !context.ca.empty() || !context.cert.empty();
  tls.verify_server = !context.skip_tls_verify;
  tls.cert_dir = tls.cert_dir_shown = context.tls_dir;
  tls.ca = context.ca;  // "" trusts the system's CAs, as docker does.
  tls.cert = context.cert;
  tls.key = context.key;
  EngineEndpoint endpoint = FromTcp(context.host, display, "", tls);
  endpoint.context = context.name;
  return endpoint;
}

// A connect() of our own, before curl's, says why a socket cannot be used:
// curl reports every such failure alike.
void CheckSocket(Engine engine, const EngineEndpoint& endpoint) {
  if (endpoint.unix_socket.empty()) return;
  const std::string& path = endpoint.unix_socket;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) Fail("the socket path {} is too long", path);
  memcpy(address.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail("cannot create a socket: {}", strerror(errno));
  int result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  int error = errno;
  close(fd);
  if (result == 0) return;

  std::string start = engine == Engine::kDocker
                          ? "start it (systemctl start docker, or dockerd) or set DOCKER_HOST"
                          : "start its API service (systemctl start podman.socket, or podman "
                            "system service --time=0) or set CONTAINER_HOST";
  if (error == ENOENT || error == ECONNREFUSED)
    Fail("{} is not running: nothing answers at {}; {}", EngineName(engine), endpoint.display,
         start);
  if (error == EACCES || error == EPERM)
    Fail("permission denied on {}: {}", path,
         engine == Engine::kDocker ? "add your user to the docker group or run strata as root"
                                   : "run strata as the user that owns the Podman socket");
  Fail("cannot connect to {} at {}: {}", EngineName(engine), endpoint.display, strerror(error));
}

// ssh must be there to be run: without it every connection would fail
// alike, and the fix is one package.
void CheckSsh(Engine engine, const EngineEndpoint& endpoint) {
  if (endpoint.command.empty() || CanRun(endpoint.command[0])) return;
  Fail("cannot reach {} at {}: there is no ssh command (in PATH); install openssh-client",
       EngineName(engine), endpoint.display);
}

class EngineClient {
 public:
  EngineClient(Engine engine, EngineEndpoint endpoint)
      : engine_(engine), endpoint_(std::move(endpoint)) {
    options_.unix_socket = endpoint_.unix_socket;
    options_.command = endpoint_.command;
    const EngineTls& tls = endpoint_.tls;
    options_.ca_file = tls.ca;
    options_.client_cert = tls.cert;
    options_.client_key = tls.key;
    options_.skip_server_verification = tls.enabled && !tls.verify_server;
  }

  // GETs |path|; the body must be small.
  HttpResponse Get(const std::string& path, std::string* body) {
    return Call([&] {
      return Fetch(options_, {endpoint_.base_url + path, {}, false, {}}, kMaxReplyBytes,
                   "the reply of " + std::string(EngineName(engine_)), body);
    });
  }

  std::unique_ptr<HttpTransfer> Stream(const std::string& path) {
    return Call([&] {
      return std::make_unique<HttpTransfer>(options_,
                                            HttpRequest{endpoint_.base_url + path, {}, false, {}});
    });
  }

  // Asks GET /_ping, which every Docker Engine and Podman service answer
  // with their API version in an Api-Version header (an Engine older than
  // API 1.25 with "OK" alone), and returns that version: "1.41" → {1, 41},
  // {0, 0} when not said. Fails naming the endpoint and what answered when
  // the peer is something else: a registry or a web server at the port
  // DOCKER_HOST names would otherwise read as an Engine without the image,
  // and a peer that does not speak HTTP would be named in curl's words.
  // Fails too when nothing has answered within kAnswerSeconds.
  std::pair<int, int> Ping() {
    HttpRequest request{endpoint_.base_url + "/_ping", {}, false, {}};
    // ssh itself would wait for ever on a login whose Engine says nothing,
    // and curl a minute on a socket whose peer accepts and says nothing.
    request.reply_seconds = kAnswerSeconds;
    request.accept_other_than_http = true;
    auto [response, body] = Call([&] {
      HttpTransfer transfer(options_, request);
      bool http = transfer.response().status != 0;
      std::string start =
          http ? ReadStart(transfer, kPingBytes) : ArrivedStart(transfer, kNotHttpBytes);
      return std::make_pair(transfer.response(), start);
    });
    if (response.status == 0) NotHttp(body);
    std::string api_version = response.Header("Api-Version");
    while (body.ends_with("\n") || body.ends_with("\r")) body.pop_back();
    // Go's TLS listener answers a plain request so.
    if (response.status == 400 && !endpoint_.tls.enabled && body.starts_with("Client sent an"))
      Fail("{} at {} speaks TLS only: {}", EngineName(engine_), endpoint_.display,
           engine_ == Engine::kPodman
               ? "strata reaches Podman over a socket or plain TCP only; set CONTAINER_HOST to "
                 "its unix:// socket"
           : !endpoint_.context.empty()
               ? fmt::format("give the context its files (docker context update {} --docker "
                             "host=...,ca=ca.pem,cert=cert.pem,key=key.pem)",
                             endpoint_.context)
               : "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory holding its "
                 "ca.pem, cert.pem and key.pem");
    if (api_version.empty() && !(response.status == 200 && body == "OK")) NotAnEngine(response);

    int major = 0, minor = 0;
    if (sscanf(api_version.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
    return {major, minor};
  }

  const EngineEndpoint& endpoint() const { return endpoint_; }

 private:
  template <typename Fn>
  auto Call(Fn fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (const TransferError& error) {
      if (error.kind() == TransferError::Kind::kCommand)
        Fail("cannot reach {} at {}: {}; check that ssh reaches docker there without a prompt: {}",
             EngineName(engine_), endpoint_.display, error.what(), endpoint_.command_check);
      // Only a Ping waits with a deadline.
      if (error.kind() == TransferError::Kind::kNoReply && endpoint_.command.empty())
        Fail(
            "cannot reach {} at {}: it took the connection but did not answer within {} s; "
            "check that {} is an Engine's socket and that the Engine is not stuck",
            EngineName(engine_), endpoint_.display, kAnswerSeconds, endpoint_.display);
      if (error.kind() == TransferError::Kind::kNoReply)
        Fail(
            "cannot reach {} at {}: {} did not answer within {} s; check that ssh reaches docker "
            "there without a prompt: {}",
            EngineName(engine_), endpoint_.display, endpoint_.remote_host, kAnswerSeconds,
            endpoint_.command_check);
      if (error.kind() == TransferError::Kind::kConnect)
        Fail("{} is not running: nothing answers at {}; start it or set {}", EngineName(engine_),
             endpoint_.display, engine_ == Engine::kDocker ? "DOCKER_HOST" : "CONTAINER_HOST");
      if (error.kind() == TransferError::Kind::kTlsFiles)
        Fail(
            "cannot use the TLS files in {} for {} at {}: {}; give the ca.pem, cert.pem and "
            "key.pem made for it",
            CertDirShown(), EngineName(engine_), endpoint_.display, error.what());
      if (error.kind() == TransferError::Kind::kTls) TlsFailed(error);
      // With TLS 1.3 the server checks the client's certificate after the
      // handshake, and its refusal arrives as an alert on the first read.
      if (endpoint_.tls.enabled &&
          std::string_view(error.what()).find(" alert ") != std::string_view::npos)
        ClientCertificateRefused(error);
      if (error.kind() == TransferError::Kind::kInterrupted)
        Fail(
            "the connection to {} at {} was cut off: {}; check that it is still running and "
            "run strata again",
            EngineName(engine_), endpoint_.display, error.what());
      Fail("cannot talk to {} at {}: {}", EngineName(engine_), endpoint_.display, error.what());
    }
  }

  // The line for a TLS handshake that failed: with TLS asked for, the
  // certificates (or the Engine speaks plain HTTP); without, an Engine that
  // speaks TLS only does not fail here but answers 400 (see Ping).
  [[noreturn]] void TlsFailed(const TransferError& error) {
    Fail(
        "TLS with {} at {} failed: {}; check that it listens with TLS and that {} holds the "
        "ca.pem, cert.pem and key.pem made for it",
        EngineName(engine_), endpoint_.display, error.what(), CertDirShown());
  }

  [[noreturn]] void ClientCertificateRefused(const TransferError& error) {
    if (endpoint_.tls.cert.empty())
      Fail("{} at {} wants a TLS client certificate ({}), and {} has no cert.pem and key.pem",
           EngineName(engine_), endpoint_.display, error.what(), CertDirShown());
    Fail("{} at {} refused the TLS client certificate {}: {}; use the one made for it",
         EngineName(engine_), endpoint_.display, endpoint_.tls.cert, error.what());
  }

  // The first |limit| bytes of |transfer|'s body, or fewer when it ends
  // first.
  static std::string ReadStart(HttpTransfer& transfer, size_t limit) {
    std::string start(limit, '\0');
    size_t got = 0, n = 0;
    while (got < limit && (n = transfer.Read(start.data() + got, limit - got)) > 0) got += n;
    start.resize(got);
    return start;
  }

  // What a peer that does not speak HTTP sent first, up to |limit| bytes:
  // what has arrived, without waiting for more, since such a peer may
  // print a prompt and wait for an answer that never comes.
  static std::string ArrivedStart(HttpTransfer& transfer, size_t limit) {
    std::string start(limit, '\0');
    start.resize(transfer.ReadArrived(start.data(), limit));
    return start;
  }

  // What to do when what answers is not the Engine: for ssh, the command
  // that shows what the far end does; else, set the variable.
  std::string Remedy() const {
    if (!endpoint_.command.empty())
      return "check that ssh reaches docker there without a prompt: " + endpoint_.command_check;
    return fmt::format("set {} to {} socket or address",
                       engine_ == Engine::kDocker ? "DOCKER_HOST" : "CONTAINER_HOST",
                       engine_ == Engine::kDocker ? "the Engine's" : "the Podman service's");
  }

  // The line for a peer that answered GET /_ping without a status line: a
  // command at the far end of ssh that prints instead (the "This account
  // is currently not available." of a nologin account, a greeting), or a
  // server of another protocol at the address (an SSH server's banner).
  // |reply| is the start of what it sent, whose first line is quoted when
  // it reads as text.
  [[noreturn]] void NotHttp(const std::string& reply) {
    std::string_view line = FirstLineWithText(reply);
    std::string sent = !line.empty() && LooksLikeText(line)
                           ? fmt::format("it sent \"{}\"", QuotableLine(line))
                           : "what it sent is not text";
    Fail("{} at {} did not answer in HTTP: {}; {}", EngineName(engine_), endpoint_.display, sent,
         Remedy());
  }

  // Where the TLS files were looked for, and by which variable.
  std::string CertDirShown() const { return endpoint_.tls.cert_dir_shown; }

  // The line for a peer whose /_ping |response| is not an Engine's: the
  // address, as the user gave it, and what answered, by the headers that
  // name it (a registry says so in every reply, a web server in Server).
  [[noreturn]] void NotAnEngine(const HttpResponse& response) {
    std::string registry = response.Header("Docker-Distribution-Api-Version");
    std::string server = response.Header("Server");
    std::string who = registry.empty() ? "an HTTP server" : "a registry";
    std::string seen = !registry.empty() ? ", Docker-Distribution-Api-Version: " + registry
                       : !server.empty() ? ", Server: " + server
                                         : "";
    if (seen.size() > kMaxQuotedHeader) seen = seen.substr(0, kMaxQuotedHeader) + "…";
    const char* variable = engine_ == Engine::kDocker ? "DOCKER_HOST" : "CONTAINER_HOST";
    std::string where = endpoint_.variable.empty() ? endpoint_.display
                                                   : endpoint_.variable + "=" + endpoint_.display;
    Fail(
        "{} is not {}: {} answered GET /_ping (HTTP {}{}) without the Api-Version header an "
        "Engine sends; set {} to {} socket or address",
        where, engine_ == Engine::kDocker ? "a Docker Engine" : "a Podman service", who,
        response.status, seen, variable,
        engine_ == Engine::kDocker ? "the Engine's" : "the Podman service's");
  }

  Engine engine_;
  EngineEndpoint endpoint_;
  HttpOptions options_;
};

// The daemon's own words ({"message": "..."}), or the status.
std::string Reason(const std::string& body, long status) {
  try {
    json reply = json::parse(body);
    if (reply.is_object() && reply.value("message", json()).is_string())
      return reply["message"].get<std::string>();
  } catch (const json::exception&) {
  }
  return fmt::format("HTTP status {}", status);
}

std::string PlatformQuery(const std::string& platform) {
  std::string os = platform.substr(0, platform.find('/'));
  std::string rest = platform.find('/') == std::string::npos ? "" : platform.substr(os.size() + 1);
  std::string architecture = rest.substr(0, rest.find('/'));
  json query{{"os", os}, {"architecture", architecture}};
  if (rest.find('/') != std::string::npos) query["variant"] = rest.substr(rest.find('/') + 1);
  return "?platform=" + UrlEncode(query.dump());
}

}  // namespace

EngineEndpoint FindEngine(Engine engine) {
  if (engine == Engine::kDocker) {
    std::string host = Env("DOCKER_HOST");
    if (!host.empty()) return FromHost(host, "DOCKER_HOST");
    if (std::optional<DockerContext> context = CurrentDockerContext()) return FromContext(*context);
    return OnSocket("/var/run/docker.sock", "unix:///var/run/docker.sock");
  }

  std::string host = Env("CONTAINER_HOST");
  if (!host.empty()) return FromHost(host, "CONTAINER_HOST");
  std::string path = "/run/podman/podman.sock";
  if (geteuid() != 0) {
    std::string runtime = Env("XDG_RUNTIME_DIR");
    if (runtime.empty()) runtime = "/run/user/" + std::to_string(geteuid());
    path = runtime + "/podman/podman.sock";
  }
  return OnSocket(path, "unix://" + path);
}

ImageSource ReadEngineImage(Engine engine, const std::string& name, const std::string& platform,
                            int64_t max_image_bytes) {
  EngineEndpoint endpoint = FindEngine(engine);
  CheckSocket(engine, endpoint);
  CheckSsh(engine, endpoint);
  EngineClient client(engine, endpoint);
  std::string escaped = UrlEncode(name, "/:@");
  auto [major, minor] = client.Ping();

  // Inspect first: a missing image is a clear 404 here, while the export
  // would fail only once its stream had begun.
  std::string body;
  HttpResponse inspect = client.Get("/images/" + escaped + "/json", &body);
  if (inspect.status == 404)
    Fail("{} has no image {}: pull or build it first ({} images lists what it has)",
         EngineName(engine), name, engine == Engine::kDocker ? "docker" : "podman");
  if (inspect.status != 200)
    Fail("{} cannot show the image {}: {}", EngineName(engine), name, Reason(body, inspect.status));

  std::string query;
  if (!platform.empty() &&
      (major > kPlatformMajor || (major == kPlatformMajor && minor >= kPlatformMinor)))
    query = PlatformQuery(platform);

  std::string display = (engine == Engine::kDocker ? "docker-daemon:" : "podman:") + name;
  std::unique_ptr<HttpTransfer> transfer = client.Stream("/images/" + escaped + "/get" + query);
  if (transfer->response().status != 200) {
    std::string reply = ReadAll(*transfer, kMaxReplyBytes, "the reply of " + display);
    Fail("{} cannot export the image {}: {}", EngineName(engine), name,
         Reason(reply, transfer->response().status));
  }
  std::shared_ptr<const SharedFile> file;
  try {
    file = SpoolReader(*transfer, display, StreamLimit(max_image_bytes));
  } catch (const TransferError& error) {
    Fail(
        "the export of {} from {} was cut off: {}; check that it is still running and run "
        "strata again",
        name, EngineName(engine), error.what());
  }
  if (file->size() == 0) Fail("{} sent an empty export of {}", EngineName(engine), name);

  // The export holds exactly the one image asked for.
  ImageSource source = ReadDockerArchive(OpenTarStore(file), "");
  source.format = engine == Engine::kDocker ? "docker-daemon" : "podman";
  source.reference = name;
  source.endpoint = endpoint.display;
  return source;
}

}  // namespace strata
