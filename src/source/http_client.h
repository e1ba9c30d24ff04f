// HTTP over libcurl, for the sources that fetch images from a server: the
// Docker (or Podman) Engine API on a Unix socket or TCP, and registries.
//
// A transfer is a ByteReader over the response body, so a blob flows from
// the socket into the layer pipeline without landing on disk. Redirects are
// followed (registries send blob downloads to storage elsewhere); credentials
// set as headers are never sent to another host, which is curl's own rule.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "blob/byte_reader.h"

namespace strata {

// A failure below HTTP: no connection, TLS refused, a transfer cut short.
// The sources turn it into a line that says what to do.
class TransferError : public Error {
 public:
  enum class Kind { kConnect, kTls, kInterrupted, kTimeout, kOther };
  TransferError(Kind kind, const std::string& what) : Error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct HttpOptions {
  std::string unix_socket;  // Connect through this socket instead of TCP.
  std::string ca_file;      // Trust this CA bundle instead of the system's.
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value".
  bool head = false;                 // HEAD instead of GET.
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // Of the final response.
  std::string url;                                           // After redirects.

  // The value of the header |name| (any case), "" when absent.
  std::string Header(const std::string& name) const;
};

// One request in flight. The constructor sends it and waits for the status
// and headers; Read then returns the body as it arrives. Throws
// TransferError when the server cannot be reached or the body is cut short.
// One transfer belongs to one thread; several may run at once.
class HttpTransfer : public ByteReader {
 public:
  HttpTransfer(const HttpOptions& options, const HttpRequest& request);
  ~HttpTransfer() override;
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;

  const HttpResponse& response() const;

  size_t Read(void* buffer, size_t size) override;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Sends |request| and reads the whole body, which must be at most |limit|
// bytes (|what| names it in that error).
HttpResponse Fetch(const HttpOptions& options, const HttpRequest& request, size_t limit,
                   const std::string& what, std::string* body);

// |text| with every byte outside [A-Za-z0-9-._~] (and outside |keep|)
// percent-encoded, for paths and query strings.
std::string UrlEncode(const std::string& text, const std::string& keep = "");

}  // namespace strata
