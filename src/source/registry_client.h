// A client of one repository on a registry, through the registry HTTP API
// v2 (the OCI distribution spec): it logs in as the registry asks (nothing,
// Basic, or a Bearer token from the realm its challenge names, fetched with
// the Basic login or in exchange for an identity token), retries what is
// worth retrying, and turns every failure into one line that says what to
// do.
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blob/byte_reader.h"
#include "source/http_client.h"
#include "source/registry_auth.h"

namespace strata {

struct RegistryOptions {
  std::string ca_file;    // Trust this CA bundle instead of the system's.
  bool insecure = false;  // Plain HTTP instead of HTTPS.
};

class RegistryClient {
 public:
  // |host| is "HOST[:PORT]" as the user wrote it; |repository| "a/b".
  // Reaches the registry at once (GET /v2/) and logs in if it asks to.
  // Throws Error when it cannot be reached or refuses the login.
  RegistryClient(std::string host, std::string repository, const RegistryOptions& options);

  // GETs /v2/REPOSITORY/|path| (|headers| added) and returns the transfer
  // once its status is 2xx, with the Authorization the registry wants.
  // 429 and 5xx are retried with backoff, and so is a connection dropped
  // before the answer; a stall is not, and throws TransferError (kStalled).
  // |what| names the object in errors ("manifest 1.0", "blob sha256:…").
  // Callable from any thread.
  std::unique_ptr<HttpTransfer> Get(const std::string& path,
                                    const std::vector<std::string>& headers,
                                    const std::string& what) const;

  // GETs a whole small object into |body|; returns the response. A
  // transfer that stalls or is cut short is begun again, a few times. |what| names the
  // request, as for Get; |object| names the body when it is larger than
  // |limit| ("the manifest of image HOST/REPO:1"): what was too large,
  // where the request may name only what it was for.
  HttpResponse Read(const std::string& path, const std::vector<std::string>& headers, size_t limit,
                    const std::string& what, const std::string& object, std::string* body) const;

  // A reader of the blob |digest|, |size| bytes (-1 when unknown). A
  // transfer cut short or stalled resumes where it stopped (HTTP Range), a
  // few times. A blob whose length is not |size| fails in one line.
  std::unique_ptr<ByteReader> OpenBlob(const std::string& digest, int64_t size) const;

  const std::string& host() const { return host_; }
  const std::string& repository() const { return repository_; }

 private:
  std::unique_ptr<HttpTransfer> Send(const std::string& url,
                                     const std::vector<std::string>& headers,
                                     const std::string& what) const;
  void Authenticate(const HttpResponse& response, const std::string& what) const;
  // Where a Bearer challenge sends for a token, and for what.
  struct TokenService {
    std::string realm;    // The URL of the token service.
    std::string service;  // The registry's name there.
    std::string scope;    // "repository:REPO:pull".
  };

  std::string FetchToken(const Challenge& challenge, const std::string& what) const;
  // GET with the Basic login, if any (the token spec's first form).
  std::string FetchTokenWithLogin(const TokenService& service, const std::string& what) const;
  // POST of the identity token as an OAuth2 refresh token (its second).
  std::string ExchangeIdentityToken(const TokenService& service, const std::string& what) const;
  HttpResponse AskTokenService(const TokenService& service, const HttpRequest& request,
                               const std::string& what, std::string* body) const;
  // The first of |keys| the JSON |body| holds as a non-empty string;
  // throws Error when it holds none.
  std::string TokenOf(const std::string& body, std::initializer_list<const char*> keys) const;
  // |failed|: how many of the |attempts| requests for |what| ended as
  // |error| did.
  [[noreturn]] void FailTransfer(const TransferError& error, const std::string& what,
                                 int failed = 1, int attempts = 1) const;
  [[noreturn]] void FailProxyAnswer(const ProxyAnswerError& answer) const;

  std::string host_;
  std::string repository_;
  std::string base_url_;  // "https://host:port"
  HttpOptions http_;
  RegistryOptions options_;
  Credentials credentials_;

  mutable std::mutex mutex_;
  mutable std::string authorization_;  // Guarded by mutex_; "" when anonymous.
};

}  // namespace strata
