#include "source/http_client.h"

#include <curl/curl.h>
#include <fmt/core.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string_view>

#include "source/command_socket.h"

namespace strata {

namespace {

// "host:port" of |url| ("registry.example:443" of "https://…/v2/x"): no
// scheme, login, path or query.
std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = host.rfind('@');
  return at == std::string::npos ? host : host.substr(at + 1);
}

// No transfer waits longer than this for a connection; a server that
// accepts and then sends nothing for StallSeconds() is given up on too.
constexpr long kConnectSeconds = 30;

// A minute without a byte: far beyond a registry's or an Engine's pause
// between two packets, short enough that a stuck server does not hold a
// run for long (a registry client tries a stalled blob again, a few times).
constexpr int kStallSeconds = 60;
constexpr int kMaxStallSeconds = 3600;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

TransferError::Kind KindOf(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return TransferError::Kind::kConnect;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      return TransferError::Kind::kProxy;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return TransferError::Kind::kTlsFiles;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CLIENTCERT:
      return TransferError::Kind::kTls;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return TransferError::Kind::kInterrupted;
    case CURLE_OPERATION_TIMEDOUT:
      return TransferError::Kind::kTimeout;
    default:
      return TransferError::Kind::kOther;
  }
}

// The first of |names| set to something in the environment, or "", and
// in |*which| (when not null) its name.
std::string FirstSet(std::initializer_list<const char*> names, std::string* which = nullptr) {
  for (const char* name : names) {
    if (const char* value = getenv(name); value != nullptr && *value != '\0') {
      if (which != nullptr) *which = name;
      return value;
    }
  }
  return "";
}

// A NO_PROXY entry as curl reads one. docker's also allows "*.corp.example"
// (the subdomains, as ".corp.example") and a port ("host:5000"), which
// curl would take for part of the name: the port is dropped, so the host
// is reached directly on every port.
std::string ForCurl(std::string_view entry) {
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  if (entry.starts_with("*.")) entry.remove_prefix(1);
  size_t colon = entry.rfind(':');
  bool bracketed = entry.starts_with('[');
  // A port follows the last ':' of a name or of "[v6]", never of a bare
  // IPv6 address (which has several).
  if (colon != std::string_view::npos &&
      (bracketed ? colon > 0 && entry[colon - 1] == ']' : entry.find(':') == colon))
    entry = entry.substr(0, colon);
  if (bracketed && entry.ends_with(']')) entry = entry.substr(1, entry.size() - 2);
  return std::string(entry);
}

}  // namespace

int StallSeconds() {
  static const int seconds = [] {
    const char* text = getenv("STRATA_STALL_SECONDS");
    std::string_view value = text == nullptr ? "" : text;
    if (value.empty() || value.size() > 4 || value.find_first_not_of("0123456789") != value.npos)
      return kStallSeconds;
    int number = std::stoi(std::string(value));
    return number >= 1 && number <= kMaxStallSeconds ? number : kStallSeconds;
  }();
  return seconds;
}

ProxySettings ProxyFromEnvironment(const std::string& url) {
  // Upper case first, as docker has it; curl's own reading of the
  // environment skips HTTP_PROXY in upper case (a CGI program's request
  // header could set it), which a command-line tool need not fear.
  ProxySettings settings;
  settings.proxy = url.starts_with("https://")
                       ? FirstSet({"HTTPS_PROXY", "https_proxy"}, &settings.variable)
                       : FirstSet({"HTTP_PROXY", "http_proxy"}, &settings.variable);
  std::string no_proxy = FirstSet({"NO_PROXY", "no_proxy"});
  if (no_proxy == "*") {
    settings.no_proxy = "*";
    return settings;
  }
  settings.no_proxy = "localhost,127.0.0.0/8,::1";
  for (size_t start = 0; start <= no_proxy.size();) {
    size_t comma = std::min(no_proxy.find(',', start), no_proxy.size());
    std::string entry = ForCurl(std::string_view(no_proxy).substr(start, comma - start));
    if (!entry.empty()) settings.no_proxy += "," + entry;
    start = comma + 1;
  }
  return settings;
}

ProxyAnswerError::ProxyAnswerError(long status, ProxyInUse proxy)
    : TransferError(Kind::kProxy, "the proxy in " + proxy.variable + " (" + proxy.shown +
                                      ") answered HTTP " + std::to_string(status)),
      status_(status),
      proxy_(std::move(proxy)) {}

std::string ProxyForDisplay(const std::string& proxy) {
  size_t at = proxy.rfind('@');
  if (at == std::string::npos) return proxy;
  size_t scheme = proxy.find("://");
  size_t start = scheme == std::string::npos || scheme > at ? 0 : scheme + 3;
  return proxy.substr(0, start) + proxy.substr(at + 1);
}

namespace {

// curl keeps the connections a transfer leaves open in its multi handle.
// A multi handle whose transfer ended cleanly is kept for the next
// transfer on the same thread, so that a registry's blobs, fetched one
// after another, go over the connection (and TLS session) the first
// request opened rather than a new handshake each. Per thread, because
// curl's shared connection cache is not safe between threads.
class IdleMultiHandles {
 public:
  ~IdleMultiHandles() {
    for (CURLM* multi : idle_) curl_multi_cleanup(multi);
  }

  CURLM* Take() {
    if (idle_.empty()) return curl_multi_init();
    CURLM* multi = idle_.back();
    idle_.pop_back();
    return multi;
  }

  void Give(CURLM* multi) {
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(multi);
    } else {
      curl_multi_cleanup(multi);
    }
  }

 private:
  // A thread has at most a few transfers open at once (a blob and the
  // token request it needed).
  static constexpr size_t kMaxIdle = 4;
  std::vector<CURLM*> idle_;
};

IdleMultiHandles& IdleMultis() {
  thread_local IdleMultiHandles handles;
  return handles;
}

}  // namespace

struct HttpTransfer::State {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  std::string url;
  ProxySettings proxy;  // proxy.proxy "": none.

  HttpResponse response;
  bool new_header_block = true;
  std::string buffer;  // Body bytes received and not yet read.
  size_t offset = 0;
  bool body_started = false;
  bool done = false;
  bool relayed = false;  // The last request went to the proxy, to relay.
  CURLcode result = CURLE_OK;

  // HttpRequest::reply_seconds (0: none), and by when the answer must
  // have begun; whether it has, and whether the wait for it was given up.
  int reply_seconds = 0;
  std::chrono::steady_clock::time_point reply_deadline;
  bool replied = false;
  bool no_reply = false;

  // StallSeconds(), and when a byte last came (or a wait for one began:
  // time the reader spends elsewhere is no stall); whether the transfer
  // was given up for it.
  int stall_seconds = StallSeconds();
  std::chrono::steady_clock::time_point last_byte = std::chrono::steady_clock::now();
  bool stalled = false;

  std::unique_ptr<CommandDialer> dialer;  // For HttpOptions::command.
  std::shared_ptr<CommandChild> child;    // The command carrying the connection.

  // Here rather than in ~HttpTransfer, which a constructor that throws
  // never reaches.
  ~State() {
    if (multi && easy) curl_multi_remove_handle(multi, easy);
    if (easy) curl_easy_cleanup(easy);
    // A transfer cut short may leave its connection mid-response: that
    // one is not kept.
    if (multi && done && result == CURLE_OK) {
      IdleMultis().Give(multi);
    } else if (multi) {
      curl_multi_cleanup(multi);
    }
    curl_slist_free_all(headers);
  }

  // A new status line starts the headers of the next response (after a
  // redirect or a 100 Continue), so only the final response's are kept.
  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    State* self = static_cast<State*>(user);
    self->last_byte = std::chrono::steady_clock::now();
    self->replied = true;
    std::string line(data, size * count);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.starts_with("HTTP/")) {
      self->response.headers.clear();
    } else if (size_t colon = line.find(':'); colon != std::string::npos) {
      size_t value = line.find_first_not_of(" \t", colon + 1);
      self->response.headers.emplace_back(line.substr(0, colon),
                                          value == std::string::npos ? "" : line.substr(value));
    }
    return size * count;
  }

  // Memory stays bounded without pausing: Read pumps only when the buffer
  // is empty, and one pump delivers at most what the socket holds.
  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    State* self = static_cast<State*>(user);
    if (self->offset == self->buffer.size()) {
      self->buffer.clear();
      self->offset = 0;
    }
    self->buffer.append(data, size * count);
    self->body_started = true;
    self->replied = true;
    self->last_byte = std::chrono::steady_clock::now();
    return size * count;
  }

  // Tells from each request curl sends whether the proxy relays it: one
  // in absolute form ("GET http://host/path") is sent to a proxy, one in
  // origin form ("GET /path") to the server, directly or through a tunnel
  // (which its CONNECT request opened).
  static int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    if (type != CURLINFO_HEADER_OUT) return 0;
    std::string_view request(data, size);
    if (request.starts_with("CONNECT ")) return 0;
    std::string_view target = request.substr(std::min(request.find(' '), request.size()));
    static_cast<State*>(user)->relayed = target.starts_with(" http://");
    return 0;
  }

  // A connection through the command: a socket for curl to connect to
  // the dialer's listener (curl's address has room for any address: a
  // sockaddr_storage), and once it has, the command on the other end.
  static curl_socket_t OnOpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
    State* self = static_cast<State*>(user);
    int socket = self->dialer->OpenSocket(&address->addr, &address->addrlen);
    return socket < 0 ? CURL_SOCKET_BAD : socket;
  }

  static int OnConnected(void* user, char*, char*, int, int) {
    State* self = static_cast<State*>(user);
    if (!self->dialer->StartCommand()) return CURL_PREREQFUNC_ABORT;
    if (self->dialer->child()) self->child = self->dialer->child();
    return CURL_PREREQFUNC_OK;
  }

  // curl keeps this with the connection, which may outlive the transfer
  // (IdleMultiHandles): it needs no transfer's state.
  static int OnCloseSocket(void*, curl_socket_t socket) {
    CloseCommandSocket(socket);
    return 0;
  }

  // Connects through |argv| (CommandDialer). curl is told a Unix socket
  // path that names the command, which it never connects to (the dialer
  // gives it another address) but keys its connection cache by: a
  // connection through a command is reused only for requests through the
  // same one, and never for a server curl would connect to itself.
  void UseCommand(const std::vector<std::string>& argv) {
    dialer = std::make_unique<CommandDialer>(argv);
    std::string joined;
    for (const std::string& arg : argv) joined += arg + '\0';
    // sun_path holds 108 bytes: a hash names the command in fewer.
    std::string key = fmt::format("command:{:016x}", std::hash<std::string>()(joined));
    curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, key.c_str());
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &State::OnOpenSocket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &State::OnConnected);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, this);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &State::OnCloseSocket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, nullptr);
  }

  ProxyInUse Proxy() const {
    return {proxy.variable, ProxyForDisplay(proxy.proxy),
            proxy.proxy.find('@') != std::string::npos};
  }

  // Nothing of the answer came by the deadline, or no byte for the stall
  // limit: the transfer ends here, and the command carrying it, which a
  // closed input would not end (ssh waiting for a host that says
  // nothing), is stopped at once. Its connection is not kept (~State).
  void GiveUpWaiting(bool* why) {
    done = true;
    result = CURLE_OPERATION_TIMEDOUT;
    *why = true;
    std::shared_ptr<CommandChild> carrier = child;
    curl_socket_t socket = CURL_SOCKET_BAD;
    // A connection kept from an earlier transfer started no command now.
    if (!carrier && dialer && curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK)
      carrier = CommandOfSocket(socket);
    if (carrier) carrier->GiveUp();
  }

  std::chrono::steady_clock::time_point StallDeadline() const {
    return last_byte + std::chrono::seconds(stall_seconds);
  }

  // How long Pump may wait for the socket: a second, or until the
  // deadline for the answer or the stall limit when that comes first.
  int WaitMilliseconds() const {
    auto deadline = StallDeadline();
    if (reply_seconds > 0 && !replied) deadline = std::min(deadline, reply_deadline);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
  }

  // A reader is about to wait for bytes: the stall limit counts from now
  // unless a byte came since.
  void BeginWait() { last_byte = std::max(last_byte, std::chrono::steady_clock::now()); }

  // Moves the transfer on; waits up to a second for the socket.
  void Pump() {
    int running = 0;
    CURLMcode code = curl_multi_perform(multi, &running);
    if (code != CURLM_OK)
      throw TransferError(TransferError::Kind::kOther,
                          std::string("HTTP transfer failed: ") + curl_multi_strerror(code));
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE || message->easy_handle != easy) continue;
      done = true;
      result = message->data.result;
    }
    auto now = std::chrono::steady_clock::now();
    if (!done && !replied && reply_seconds > 0 && now >= reply_deadline) GiveUpWaiting(&no_reply);
    if (!done && now >= StallDeadline()) GiveUpWaiting(&stalled);
    if (!done && offset == buffer.size())
      curl_multi_poll(multi, nullptr, 0, WaitMilliseconds(), nullptr);
  }

  void ThrowIfFailed() {
    if (result == CURLE_OK) return;
    // A command that failed is why its connection did, and says so better
    // than curl ("Empty reply from server").
    if (dialer && !dialer->error().empty())
      throw TransferError(TransferError::Kind::kCommand, dialer->error());
    if (child && child->Failed())
      throw TransferError(TransferError::Kind::kCommand, child->Account());
    if (no_reply)
      throw TransferError(TransferError::Kind::kNoReply,
                          fmt::format("nothing came within {} s", reply_seconds));
    if (stalled)
      throw TransferError(TransferError::Kind::kStalled,
                          fmt::format("no byte for {} s", stall_seconds));
    // curl's own words may quote the proxy's URL whole, password and
    // all ("Unsupported proxy syntax in '…'"): with a login in it, only
    // the code's general text is shown.
    bool login = proxy.proxy.find('@') != std::string::npos;
    std::string detail = error[0] && !login ? error : curl_easy_strerror(result);
    TransferError::Kind kind = KindOf(result);
    if (!proxy.proxy.empty()) {
      // Through a proxy, curl connects to nothing else; a tunnel it
      // refused reads as a cut connection otherwise.
      long tunnel = 0;
      curl_easy_getinfo(easy, CURLINFO_HTTP_CONNECTCODE, &tunnel);
      if (tunnel >= 300) throw ProxyAnswerError(tunnel, Proxy());
      if (kind == TransferError::Kind::kConnect) kind = TransferError::Kind::kProxy;
      // Said of every failure, since curl's words do not always tell the
      // proxy from the server behind it (nor, with NO_PROXY, whether it
      // went through the proxy at all).
      detail += ", with " + proxy.variable + " set to " + ProxyForDisplay(proxy.proxy);
    }
    char* effective = nullptr;
    curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
    std::string redirected;
    if (effective != nullptr && HostOf(effective) != HostOf(url)) redirected = HostOf(effective);
    throw TransferError(kind, detail, redirected);
  }
};

HttpTransfer::HttpTransfer(const HttpOptions& options, const HttpRequest& request)
    : state_(std::make_unique<State>()) {
  InitCurlOnce();
  State& s = *state_;
  s.url = request.url;
  s.easy = curl_easy_init();
  s.multi = IdleMultis().Take();
  if (s.easy == nullptr || s.multi == nullptr)
    throw TransferError(TransferError::Kind::kOther, "cannot start an HTTP transfer");

  curl_easy_setopt(s.easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(s.easy, CURLOPT_ERRORBUFFER, s.error);
  curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(s.easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(s.easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(s.easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(s.easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(s.easy, CURLOPT_CONNECTTIMEOUT, kConnectSeconds);
  // Pump gives up a transfer that stalls; curl's own check, over twice
  // as long, ends one that trickles (a byte now and then, forever).
  curl_easy_setopt(s.easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(s.easy, CURLOPT_LOW_SPEED_TIME, 2L * s.stall_seconds);
  curl_easy_setopt(s.easy, CURLOPT_USERAGENT, "strata/" STRATA_VERSION);
  // Settings given to curl, never read by it from the environment: the
  // Engine's socket is reached directly whatever the environment says.
  if (options.proxy_from_environment && options.unix_socket.empty() && options.command.empty()) {
    s.proxy = ProxyFromEnvironment(request.url);
    curl_easy_setopt(s.easy, CURLOPT_PROXY, s.proxy.proxy.c_str());
    curl_easy_setopt(s.easy, CURLOPT_NOPROXY, s.proxy.no_proxy.c_str());
    // curl says nothing of whether NO_PROXY sent a request past the proxy:
    // its requests as sent do (OnDebug).
    if (!s.proxy.proxy.empty()) {
      curl_easy_setopt(s.easy, CURLOPT_DEBUGFUNCTION, &State::OnDebug);
      curl_easy_setopt(s.easy, CURLOPT_DEBUGDATA, &s);
      curl_easy_setopt(s.easy, CURLOPT_VERBOSE, 1L);
    }
  } else {
    curl_easy_setopt(s.easy, CURLOPT_PROXY, "");
  }
  if (!options.unix_socket.empty())
    curl_easy_setopt(s.easy, CURLOPT_UNIX_SOCKET_PATH, options.unix_socket.c_str());
  if (!options.command.empty()) s.UseCommand(options.command);
  if (!options.ca_file.empty()) curl_easy_setopt(s.easy, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.client_cert.empty()) {
    curl_easy_setopt(s.easy, CURLOPT_SSLCERT, options.client_cert.c_str());
    curl_easy_setopt(s.easy, CURLOPT_SSLKEY, options.client_key.c_str());
  }
  if (options.skip_server_verification) {
    curl_easy_setopt(s.easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(s.easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.head) curl_easy_setopt(s.easy, CURLOPT_NOBODY, 1L);
  if (request.accept_other_than_http) curl_easy_setopt(s.easy, CURLOPT_HTTP09_ALLOWED, 1L);
  if (request.reply_seconds > 0) {
    s.reply_seconds = request.reply_seconds;
    s.reply_deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(request.reply_seconds);
  }
  for (const std::string& header : request.headers)
    s.headers = curl_slist_append(s.headers, header.c_str());
  if (request.post_body) {
    // Copied, as the request may go before the transfer does. A body over
    // 1 KiB would make curl wait for a "100 Continue" that not every
    // server sends: the empty Expect header turns that off.
    curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.post_body->size()));
    curl_easy_setopt(s.easy, CURLOPT_COPYPOSTFIELDS, request.post_body->c_str());
    s.headers = curl_slist_append(s.headers, "Expect:");
  }
  curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, s.headers);
  curl_easy_setopt(s.easy, CURLOPT_HEADERFUNCTION, &State::OnHeader);
  curl_easy_setopt(s.easy, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, &State::OnBody);
  curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s);
  curl_multi_add_handle(s.multi, s.easy);

  // The status is final once the body starts or the transfer ends.
  // A failure after the body began is Read's to report, once the bytes
  // that did arrive are read (a cut blob resumes from there).
  s.BeginWait();
  while (!s.body_started && !s.done) s.Pump();
  if (s.done && !s.body_started) s.ThrowIfFailed();
  curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &s.response.status);
  // A connection kept from an earlier transfer: its command is the one
  // to ask if the body is cut short.
  curl_socket_t socket = CURL_SOCKET_BAD;
  if (s.dialer && !s.child && curl_easy_getinfo(s.easy, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK)
    s.child = CommandOfSocket(socket);
  char* effective = nullptr;
  curl_easy_getinfo(s.easy, CURLINFO_EFFECTIVE_URL, &effective);
  s.response.url = effective ? effective : request.url;
  if (s.relayed) {
    s.response.relayed_by = s.Proxy();
    // Only a proxy asks for a login of its own.
    if (s.response.status == 407) throw ProxyAnswerError(407, s.response.relayed_by);
  }
}

HttpTransfer::~HttpTransfer() = default;

const HttpResponse& HttpTransfer::response() const { return state_->response; }

size_t HttpTransfer::Read(void* buffer, size_t size) {
  State& s = *state_;
  if (s.offset == s.buffer.size()) s.BeginWait();
  while (s.offset == s.buffer.size() && !s.done) s.Pump();
  if (s.offset == s.buffer.size()) {
    s.ThrowIfFailed();
    return 0;
  }
  size_t count = std::min(size, s.buffer.size() - s.offset);
  memcpy(buffer, s.buffer.data() + s.offset, count);
  s.offset += count;
  return count;
}

size_t HttpTransfer::ReadArrived(void* buffer, size_t size) {
  State& s = *state_;
  size_t count = std::min(size, s.buffer.size() - s.offset);
  memcpy(buffer, s.buffer.data() + s.offset, count);
  s.offset += count;
  return count;
}

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  return "";
}

HttpResponse Fetch(const HttpOptions& options, const HttpRequest& request, size_t limit,
                   const std::string& what, std::string* body) {
  HttpTransfer transfer(options, request);
  *body = ReadAll(transfer, limit, what);
  return transfer.response();
}

bool IsTcpPort(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos)
    return false;
  int number = std::stoi(std::string(port));
  return number >= 1 && number <= 65535;
}

std::optional<std::string> UrlDecode(std::string_view text) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = hex(text[i + 1]), low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string UrlEncode(const std::string& text, const std::string& keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        keep.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace strata
