// HTTP over libcurl, for the sources that fetch images from a server: the
// Docker (or Podman) Engine API on a Unix socket, on TCP or through ssh,
// and registries.
//
// A transfer is a ByteReader over the response body, so a blob flows from
// the socket into the layer pipeline without landing on disk. Redirects are
// followed (registries send blob downloads to storage elsewhere); credentials
// set as headers are never sent to another host, which is curl's own rule.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "blob/byte_reader.h"

namespace strata {

// A failure below HTTP: no connection, TLS refused, a transfer cut short.
// The sources turn it into a line that says what to do.
class TransferError : public Error {
 public:
  // kProxy: the proxy the environment names could not be reached, or
  // would not reach the server. kTlsFiles: this side's TLS files (the CA
  // bundle, the client certificate or its key) could not be used; no
  // connection was at fault. kCommand: the command that carried the
  // connection (HttpOptions::command) could not start, or ended; the text
  // says how, in its own words when it left some (CommandChild::Account).
  // kNoReply: nothing of an answer came within HttpRequest::reply_seconds.
  // kStalled: no byte came for StallSeconds() (the text says how long).
  enum class Kind {
    kConnect,
    kTls,
    kTlsFiles,
    kInterrupted,
    kTimeout,
    kNoReply,
    kStalled,
    kProxy,
    kCommand,
    kOther
  };
  TransferError(Kind kind, const std::string& what, std::string redirected_to = "")
      : Error(what), kind_(kind), redirected_to_(std::move(redirected_to)) {}
  Kind kind() const { return kind_; }
  // When the server asked for the request elsewhere and that failed: the
  // host (and port) it sent it to, as "host:port", without the rest of
  // the URL (a signed URL's query is a credential).
  const std::string& redirected_to() const { return redirected_to_; }

 private:
  Kind kind_;
  std::string redirected_to_;
};

struct HttpOptions {
  std::string unix_socket;  // Connect through this socket instead of TCP.
  // Connect through this command instead (argv; see command_socket.h): one
  // runs for each connection, its standard input and output carrying it.
  std::vector<std::string> command;
  std::string ca_file;  // Trust this CA bundle instead of the system's.
  // A client certificate and its key (PEM files) to show the server: an
  // Engine behind TLS asks for one.
  std::string client_cert, client_key;
  // Accept any server certificate: what docker does with DOCKER_TLS set
  // and DOCKER_TLS_VERIFY not. Never set for registries.
  bool skip_server_verification = false;
  // Go through the proxy the environment names (ProxyFromEnvironment);
  // otherwise, and always over a Unix socket or a command, connect directly.
  bool proxy_from_environment = false;
};

// The proxy settings the environment gives for a request to |url|, read
// as docker reads them: HTTPS_PROXY (or https_proxy) for https URLs,
// HTTP_PROXY (or http_proxy) for http ones, and NO_PROXY (or no_proxy):
// hosts, domains and addresses reached directly. Loopback addresses and
// localhost are always reached directly.
struct ProxySettings {
  std::string proxy;     // "" for none.
  std::string variable;  // The variable it came from: "HTTPS_PROXY", ….
  std::string no_proxy;  // In curl's syntax (CURLOPT_NOPROXY).
};
ProxySettings ProxyFromEnvironment(const std::string& url);

// |proxy| as an error may show it: without a user name or password
// (everything before its last '@', which a password may hold too).
std::string ProxyForDisplay(const std::string& proxy);

// A proxy a request went through, as an error may name it.
struct ProxyInUse {
  std::string variable;    // "HTTPS_PROXY", …; "" for none.
  std::string shown;       // Its URL without the login (ProxyForDisplay).
  bool has_login = false;  // Its URL holds a user name, and maybe a password.
  bool empty() const { return variable.empty(); }
};

// The proxy answered in the server's stead, and said so: it refused the
// tunnel to an HTTPS server (CONNECT answered other than 2xx), or it
// answered 407 Proxy Authentication Required to a request it was to
// relay, which only a proxy sends. Its kind is kProxy.
class ProxyAnswerError : public TransferError {
 public:
  ProxyAnswerError(long status, ProxyInUse proxy);
  long status() const { return status_; }
  const ProxyInUse& proxy() const { return proxy_; }

 private:
  long status_;
  ProxyInUse proxy_;
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value".
  bool head = false;                 // HEAD instead of GET.
  // When set, POSTed instead of a GET, as the Content-Type in |headers|
  // says (curl's default is application/x-www-form-urlencoded).
  std::optional<std::string> post_body;
  // Above 0: the transfer fails (kNoReply) when nothing of the answer has
  // come this many seconds after it began, connecting included; a command
  // carrying the connection is then stopped without waiting for it.
  // Otherwise only a stall (StallSeconds) ends it.
  int reply_seconds = 0;
  // An answer without a status line is taken as the body of a response
  // whose status is 0, for the caller to say what the peer sent instead of
  // HTTP; otherwise the transfer fails (kOther, "Received HTTP/0.9 when
  // not allowed"). Its body goes on until the peer closes the connection.
  bool accept_other_than_http = false;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // Of the final response.
  std::string url;                                           // After redirects.
  // The proxy that relayed the final request (plain HTTP through
  // HTTP_PROXY), whose own answer (a 502 when it cannot reach the server)
  // cannot be told from the server's; empty when it went directly or
  // through a tunnel, where every answer is the server's.
  ProxyInUse relayed_by;

  // The value of the header |name| (any case), "" when absent.
  std::string Header(const std::string& name) const;
};

// One request in flight. The constructor sends it and waits for the status
// and headers; Read then returns the body as it arrives. Throws
// TransferError when the server cannot be reached or the body is cut short,
// ProxyAnswerError when the proxy answered in its stead.
// One transfer belongs to one thread; several may run at once.
class HttpTransfer : public ByteReader {
 public:
  HttpTransfer(const HttpOptions& options, const HttpRequest& request);
  ~HttpTransfer() override;
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;

  const HttpResponse& response() const;

  size_t Read(void* buffer, size_t size) override;

  // Like Read, but only what has arrived already: never waits, and 0 when
  // nothing has (the constructor returns once something of the body has).
  size_t ReadArrived(void* buffer, size_t size);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// How long a transfer waits for its next byte before it fails as stalled
// (kStalled): 60 s, or the whole number of seconds, 1 to 3600, that
// STRATA_STALL_SECONDS gives (for tests, and links slower than that);
// another value there is ignored. The time counts only while a reader
// waits for bytes, from the request on: headers count as bytes.
int StallSeconds();

// Sends |request| and reads the whole body, which must be at most |limit|
// bytes (|what| names it in that error).
HttpResponse Fetch(const HttpOptions& options, const HttpRequest& request, size_t limit,
                   const std::string& what, std::string* body);

// True when |port| is a TCP port as a URL spells it: digits only, 1 to
// 65535 (curl would say only "bad/illegal format" once a fetch began).
bool IsTcpPort(std::string_view port);

// |text| with every byte outside [A-Za-z0-9-._~] (and outside |keep|)
// percent-encoded, for paths and query strings.
std::string UrlEncode(const std::string& text, const std::string& keep = "");

// |text| with each "%XX" (two hexadecimal digits, either case) made the
// byte it encodes; std::nullopt when a '%' is not followed by two of them.
std::optional<std::string> UrlDecode(std::string_view text);

}  // namespace strata
