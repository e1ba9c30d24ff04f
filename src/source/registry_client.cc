#include "source/registry_client.h"

#include <curl/curl.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>

#include "base/error.h"
#include "base/notice.h"
#include "base/units.h"
#include "base/untrusted_json.h"

namespace strata {

namespace {

using json = nlohmann::json;

// Attempts per request when the registry answers 429 or 5xx, or a
// connection drops before the answer; between them 1, 2, 4, 8 s unless the
// registry's Retry-After says otherwise (capped, so a run cannot stall).
constexpr int kMaxAttempts = 5;
constexpr int kMaxRetryAfterSeconds = 60;

// A blob transfer cut short is resumed from where it stopped this often.
constexpr int kMaxResumes = 3;

// A blob or manifest whose transfer stalls (no byte for StallSeconds()) is
// asked for again, a blob from where it stopped, until this many of its
// attempts have stalled: a new connection often gets past a stall on a
// flaky network, and each costs a minute of waiting, so a registry that
// stops sending ends the run about three minutes after it stopped.
// Each attempt after the first is announced (base/notice.h): those minutes
// are not silent.
constexpr int kMaxStalls = 3;

// A blob that goes on past its descriptor's size is read this much
// further, to say in the error how long it is.
constexpr int64_t kMaxCountedExcess = int64_t{1} << 20;

constexpr size_t kMaxTokenReply = 1 << 20;

// How strata names itself to an OAuth2 token service, which requires a
// client_id but knows no list of clients (docker sends "docker").
const char* const kOAuthClientId = "strata";

bool IsRetryable(long status) { return status == 429 || (status >= 500 && status <= 599); }

// The "error" of an OAuth2 error reply (" (invalid_grant)"), or "". Only a
// short code of letters and underscores is shown: the reply is the
// server's, and its free text could echo what was sent.
std::string OAuthError(const std::string& body) {
  json reply;
  try {
    reply = ParseUntrustedJson(body, "the token service's error");
  } catch (const Error&) {
    return "";
  }
  if (!reply.is_object() || !reply.value("error", json()).is_string()) return "";
  std::string code = reply["error"].get<std::string>();
  if (code.empty() || code.size() > 40 ||
      code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
    return "";
  return " (" + code + ")";
}

std::chrono::seconds RetryDelay(const HttpResponse& response, int attempt) {
  std::string after = response.Header("Retry-After");
  if (!after.empty() && after.find_first_not_of("0123456789") == std::string::npos &&
      after.size() < 6)
    return std::chrono::seconds(std::min(std::stoi(after), kMaxRetryAfterSeconds));
  // Or an HTTP date (RFC 9110 allows either): the wait until then, none
  // for one past.
  if (time_t when = curl_getdate(after.c_str(), nullptr); !after.empty() && when != -1)
    return std::chrono::seconds(std::clamp<int64_t>(
        static_cast<int64_t>(when) - static_cast<int64_t>(time(nullptr)), 0,
        kMaxRetryAfterSeconds));
  return std::chrono::seconds(1 << attempt);
}

std::string Short(const std::string& digest) {
  return digest.size() > 19 ? digest.substr(0, 19) + "…" : digest;
}

// "3 attempts", or "3 of 4 attempts" when some of the |attempts| did not
// end as the |failed| did; "" for a single attempt.
std::string Attempts(int failed, int attempts) {
  if (attempts <= 1) return "";
  if (failed == attempts) return fmt::format(", {} attempts", attempts);
  return fmt::format(", {} of {} attempts", failed, attempts);
}

// N of |text| when it is a whole number of bytes as a header writes one.
std::optional<int64_t> ByteCount(std::string_view text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != text.npos)
    return std::nullopt;
  return std::stoll(std::string(text));
}

// Reads a blob, and where its transfer broke off or stalled asks for the
// rest of it (HTTP Range), within kMaxResumes and kMaxStalls. Its length
// is checked against the descriptor's before the bytes pass on: a blob
// longer or shorter than the manifest says fails in one line, not as a cut
// (a rerun would not mend it). The digest is the layer reader's to check.
class BlobReader : public ByteReader {
 public:
  BlobReader(const RegistryClient* client, std::string digest, int64_t size)
      : client_(client), digest_(std::move(digest)), size_(size) {
    Retrying([&] { Open(); });
  }

  size_t Read(void* buffer, size_t size) override {
    if (!failure_.empty()) throw Error(failure_);
    return Retrying([&] { return ReadOnce(buffer, size); });
  }

 private:
  std::string What() const { return "blob " + Short(digest_) + " of " + client_->repository(); }

  // Runs |step| until it succeeds. A transfer that broke off or stalled is
  // dropped, and the next step asks for the blob again from offset_; past
  // the limits, or on any other failure, the error stands.
  template <typename Step>
  auto Retrying(Step step) -> decltype(step()) {
    while (true) {
      try {
        return step();
      } catch (const TransferError& error) {
        bool stalled = error.kind() == TransferError::Kind::kStalled;
        bool cut = error.kind() == TransferError::Kind::kInterrupted ||
                   error.kind() == TransferError::Kind::kTimeout;
        if (!stalled && !cut) throw;
        transfer_.reset();
        if (stalled && ++stalls_ >= kMaxStalls)
          GiveUp(
              fmt::format("the transfer of {} from {} stalled after {}: {}{}; check the "
                          "network and run strata again",
                          What(), client_->host(), Count(offset_, "byte"), error.what(),
                          Attempts(stalls_, attempts_)));
        if (cut && ++cuts_ > kMaxResumes) GiveUp(CutShort(error.what(), cuts_));
        if (stalled)
          Notice(fmt::format(
              "the transfer of {} from {} stalled after {} ({}, stall {} of {}): "
              "asking for the rest",
              What(), client_->host(), Count(offset_, "byte"), error.what(), stalls_, kMaxStalls));
        else
          Notice(fmt::format(
              "the transfer of {} from {} broke off after {} ({}): asking for the "
              "rest (resume {} of {})",
              What(), client_->host(), Count(offset_, "byte"), error.what(), cuts_, kMaxResumes));
      }
    }
  }

  // One read of the transfer, begun first when there is none.
  size_t ReadOnce(void* buffer, size_t size) {
    if (!transfer_) Open();
    size_t got = transfer_->Read(buffer, size);
    offset_ += static_cast<int64_t>(got);
    if (size_ >= 0 && offset_ > size_) FailTooLong();
    if (got == 0 && size_ >= 0 && offset_ < size_)
      GiveUp(NotAsLong("shorter", fmt::format("the registry sent {}", offset_)));
    return got;
  }

  // Asks for the blob from offset_ on. A registry (or the storage it
  // redirects to) that ignores Range sends it from the start: the bytes
  // already read are skipped.
  void Open() {
    ++attempts_;
    std::vector<std::string> headers;
    if (offset_ > 0) headers.push_back(fmt::format("Range: bytes={}-", offset_));
    transfer_ = client_->Get("blobs/" + digest_, headers, What());
    const HttpResponse& response = transfer_->response();
    if (response.status == 206) {
      CheckRange(response.Header("Content-Range"));
      return;
    }
    std::optional<int64_t> length = ByteCount(response.Header("Content-Length"));
    if (length && size_ >= 0 && *length != size_)
      GiveUp(NotAsLong(*length > size_ ? "longer" : "shorter",
                       fmt::format("the registry sends {} (its Content-Length)", *length)));
    char skip[65536];
    for (int64_t left = offset_; left > 0;) {
      size_t got = transfer_->Read(skip, std::min<int64_t>(left, sizeof skip));
      if (got == 0) GiveUp(CutShort("the resumed stream ended early", attempts_));
      left -= static_cast<int64_t>(got);
    }
  }

  // A part must start where the bytes read so far end ("bytes 10-195/196"),
  // of a blob as long as the descriptor says.
  void CheckRange(const std::string& range) {
    size_t dash = range.find('-'), slash = range.find('/');
    std::optional<int64_t> first, total;
    if (range.starts_with("bytes ") && dash != std::string::npos && slash != std::string::npos &&
        slash > dash) {
      first = ByteCount(std::string_view(range).substr(6, dash - 6));
      total = ByteCount(std::string_view(range).substr(slash + 1));
    }
    if (first != offset_)
      GiveUp(fmt::format(
          "registry {} answered the request for {} from byte {} on with another part (HTTP 206, "
          "Content-Range \"{}\")",
          client_->host(), What(), offset_, range));
    if (total && size_ >= 0 && *total != size_)
      GiveUp(NotAsLong(*total > size_ ? "longer" : "shorter",
                       fmt::format("the registry has {} (its Content-Range)", *total)));
  }

  // The blob went on past the descriptor's size (offset_ counts the bytes
  // that did): read on a little, to say how far.
  [[noreturn]] void FailTooLong() {
    char skip[65536];
    int64_t sent = offset_;
    bool whole = false;
    try {
      while (!whole && sent <= size_ + kMaxCountedExcess) {
        size_t got = transfer_->Read(skip, sizeof skip);
        sent += static_cast<int64_t>(got);
        whole = got == 0;
      }
    } catch (const TransferError&) {
      // Cut or stalled: as much came, at least.
    }
    GiveUp(
        NotAsLong("longer", fmt::format("the registry sent {}{}", whole ? "" : "at least ", sent)));
  }

  std::string NotAsLong(const char* comparison, const std::string& sent) const {
    return fmt::format("{} from {} is {} than the manifest says ({}): {}", What(), client_->host(),
                       comparison, Count(size_, "byte"), sent);
  }

  // |failed|: the attempts that ended so.
  std::string CutShort(const std::string& detail, int failed) const {
    return fmt::format(
        "the transfer of {} from {} was interrupted after {} ({}){}; check the network and run "
        "strata again",
        What(), client_->host(), Count(offset_, "byte"), detail, Attempts(failed, attempts_));
  }

  // Fails this read and every later one with |message|.
  [[noreturn]] void GiveUp(std::string message) {
    failure_ = std::move(message);
    transfer_.reset();
    throw Error(failure_);
  }

  const RegistryClient* client_;
  std::string digest_;
  int64_t size_;
  int64_t offset_ = 0;   // The bytes passed on.
  int attempts_ = 0;     // Requests for the blob, the first included.
  int cuts_ = 0;         // Attempts that broke off,
  int stalls_ = 0;       // and that stalled.
  std::string failure_;  // Once given up, why.
  std::unique_ptr<HttpTransfer> transfer_;
};

}  // namespace

RegistryClient::RegistryClient(std::string host, std::string repository,
                               const RegistryOptions& options)
    : host_(std::move(host)), repository_(std::move(repository)), options_(options) {
  // Docker Hub's API lives on its own host.
  std::string api_host = host_ == "docker.io" ? "registry-1.docker.io" : host_;
  base_url_ = (options_.insecure ? "http://" : "https://") + api_host;
  http_.ca_file = options_.ca_file;
  http_.proxy_from_environment = true;
  credentials_ = FindCredentials(host_);

  // The version check: it says whether and how to log in.
  std::unique_ptr<HttpTransfer> ping;
  try {
    ping = std::make_unique<HttpTransfer>(http_, HttpRequest{base_url_ + "/v2/", {}, false, {}});
  } catch (const TransferError& error) {
    FailTransfer(error, "the API version check");
  }
  long status = ping->response().status;
  if (status == 401)
    Authenticate(ping->response(), "the registry");
  else if (status == 404)
    Fail("{} does not serve the registry API v2 (GET /v2/ answered 404): check the address", host_);
}

std::unique_ptr<HttpTransfer> RegistryClient::Get(const std::string& path,
                                                  const std::vector<std::string>& headers,
                                                  const std::string& what) const {
  return Send(base_url_ + "/v2/" + repository_ + "/" + path, headers, what);
}

HttpResponse RegistryClient::Read(const std::string& path, const std::vector<std::string>& headers,
                                  size_t limit, const std::string& what, const std::string& object,
                                  std::string* body) const {
  int stalls = 0;
  int cuts = 0;
  for (int attempt = 1;; ++attempt) {
    try {
      std::unique_ptr<HttpTransfer> transfer = Get(path, headers, what);
      *body = ReadAll(*transfer, limit, object + " from registry " + host_);
      return transfer->response();
    } catch (const TransferError& error) {
      // Send asks again for an answer that never came; a cut here broke
      // the body off after the answer. A small object is asked for whole
      // again, as often as a blob cut short is resumed.
      bool stalled = error.kind() == TransferError::Kind::kStalled;
      bool cut = error.kind() == TransferError::Kind::kInterrupted ||
                 error.kind() == TransferError::Kind::kTimeout;
      if (!stalled && !cut) FailTransfer(error, what);
      if (stalled && ++stalls >= kMaxStalls) FailTransfer(error, what, stalls, attempt);
      if (cut && ++cuts > kMaxResumes) FailTransfer(error, what, cuts, attempt);
      if (stalled)
        Notice(fmt::format("the transfer of {} from {} stalled ({}, stall {} of {}): asking again",
                           what, host_, error.what(), stalls, kMaxStalls));
      else
        Notice(fmt::format("the transfer of {} from {} broke off ({}): asking again (try {} of {})",
                           what, host_, error.what(), cuts + 1, kMaxResumes + 1));
    }
  }
}

std::unique_ptr<ByteReader> RegistryClient::OpenBlob(const std::string& digest,
                                                     int64_t size) const {
  return std::make_unique<BlobReader>(this, digest, size);
}

std::unique_ptr<HttpTransfer> RegistryClient::Send(const std::string& url,
                                                   const std::vector<std::string>& headers,
                                                   const std::string& what) const {
  bool logged_in_again = false;
  for (int attempt = 0;; ++attempt) {
    HttpRequest request{url, headers, false, {}};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!authorization_.empty()) request.headers.push_back("Authorization: " + authorization_);
    }

    std::unique_ptr<HttpTransfer> transfer;
    try {
      transfer = std::make_unique<HttpTransfer>(http_, request);
    } catch (const TransferError& error) {
      // A stall has cost a minute already: whether to try again is the
      // caller's to say, who knows how many stalled before.
      if (error.kind() == TransferError::Kind::kStalled) throw;
      bool dropped = error.kind() == TransferError::Kind::kInterrupted ||
                     error.kind() == TransferError::Kind::kTimeout;
      if (!dropped || attempt + 1 >= kMaxAttempts) FailTransfer(error, what);
      Notice(
          fmt::format("asking registry {} for {} failed ({}): asking again in {} s (try {} of {})",
                      host_, what, error.what(), 1 << attempt, attempt + 2, kMaxAttempts));
      std::this_thread::sleep_for(std::chrono::seconds(1 << attempt));
      continue;
    }

    const HttpResponse& response = transfer->response();
    if (response.status >= 200 && response.status <= 299) return transfer;
    // A token runs out, or was made for another scope: log in once more.
    if (response.status == 401 && !logged_in_again) {
      logged_in_again = true;
      Authenticate(response, what);
      continue;
    }

    // A proxy that relays plain HTTP may answer in the registry's stead
    // (403 for a host it blocks, 502 or 503 when it cannot reach it), and
    // nothing tells its answers from the registry's: both are named.
    std::string registry = host_;
    if (!response.relayed_by.empty())
      registry += fmt::format(" (through the proxy in {}, {})", response.relayed_by.variable,
                              response.relayed_by.shown);
    if (IsRetryable(response.status) && attempt + 1 < kMaxAttempts) {
      std::chrono::seconds delay = RetryDelay(response, attempt);
      Notice(fmt::format("registry {} answered HTTP {} for {}: asking again{} (try {} of {})",
                         registry, response.status, what,
                         delay.count() > 0 ? fmt::format(" in {} s", delay.count()) : "",
                         attempt + 2, kMaxAttempts));
      std::this_thread::sleep_for(delay);
      continue;
    }
    switch (response.status) {
      case 401:
        if (credentials_.empty())
          Fail("registry {} wants a login for {}: log in with docker login {}", host_, what, host_);
        Fail("registry {} refused {} with the credentials from {}: log in again (docker login {})",
             host_, what, credentials_.from, host_);
      case 403:
        Fail("registry {} denies access to {} of {}: ask for pull access to {}", registry, what,
             repository_, repository_);
      case 404:
        Fail("registry {} has no {}: check the repository and tag", registry, what);
      case 429:
        Fail(
            "registry {} is rate-limiting requests (HTTP 429) after {} tries: wait and run "
            "again, or log in (docker login {}) for a higher limit",
            registry, kMaxAttempts, host_);
      default:
        break;
    }
    if (IsRetryable(response.status))
      Fail("registry {} keeps failing (HTTP {}) after {} tries for {}: try again later", registry,
           response.status, kMaxAttempts, what);
    Fail("registry {} answered HTTP {} for {}{}", registry, response.status, what,
         options_.insecure && response.status == 400 ? " (does it speak HTTPS? drop --insecure)"
                                                     : "");
  }
}

void RegistryClient::Authenticate(const HttpResponse& response, const std::string& what) const {
  Challenge challenge = ParseChallenge(response.Header("WWW-Authenticate"));
  std::string authorization;
  if (challenge.scheme == "bearer") {
    authorization = "Bearer " + FetchToken(challenge, what);
  } else if (challenge.scheme == "basic") {
    if (credentials_.empty())
      Fail(
          "registry {} wants a login for {}: log in with docker login {} (strata reads "
          "~/.docker/config.json)",
          host_, repository_, host_);
    // An identity token is only for a token service to exchange.
    if (credentials_.password.empty() && !credentials_.identity_token.empty())
      Fail(
          "registry {} wants a user name and password for {}, and the login from {} is an "
          "identity token, which only a token service takes: log in with a password (docker "
          "login {})",
          host_, repository_, credentials_.from, host_);
    authorization = BasicAuthorization(credentials_);
  } else {
    Fail("registry {} answered 401 Unauthorized with no login scheme strata knows (\"{}\")", host_,
         challenge.scheme);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  authorization_ = authorization;
}

std::string RegistryClient::FetchToken(const Challenge& challenge, const std::string& what) const {
  auto param = [&](const char* key) {
    auto it = challenge.params.find(key);
    return it == challenge.params.end() ? std::string() : it->second;
  };
  TokenService service{param("realm"), param("service"), param("scope")};
  if (!service.realm.starts_with("https://") && !service.realm.starts_with("http://"))
    Fail("registry {} names no usable token service (realm \"{}\")", host_, service.realm);
  if (service.scope.empty()) service.scope = "repository:" + repository_ + ":pull";

  if (!credentials_.identity_token.empty()) return ExchangeIdentityToken(service, what);
  return FetchTokenWithLogin(service, what);
}

std::string RegistryClient::FetchTokenWithLogin(const TokenService& service,
                                                const std::string& what) const {
  std::string url = service.realm + (service.realm.find('?') == std::string::npos ? "?" : "&") +
                    "service=" + UrlEncode(service.service) + "&scope=" + UrlEncode(service.scope);
  HttpRequest request{url, {}, false, {}};
  if (!credentials_.empty())
    request.headers.push_back("Authorization: " + BasicAuthorization(credentials_));
  std::string body;
  HttpResponse response = AskTokenService(service, request, what, &body);

  if (response.status == 401 || response.status == 403) {
    if (credentials_.empty())
      Fail("registry {} gives no anonymous access to {}: log in with docker login {}", host_,
           repository_, host_);
    Fail(
        "the token service of registry {} rejected the login from {}: log in again (docker "
        "login {})",
        host_, credentials_.from, host_);
  }
  if (response.status != 200)
    Fail("the token service of registry {} answered HTTP {}", host_, response.status);
  return TokenOf(body, {"token", "access_token"});
}

// The OAuth2 form of the distribution token spec: the refresh token is
// POSTed, never put in a URL (which logs and proxies keep).
std::string RegistryClient::ExchangeIdentityToken(const TokenService& service,
                                                  const std::string& what) const {
  std::string form =
      "grant_type=refresh_token&refresh_token=" + UrlEncode(credentials_.identity_token) +
      "&service=" + UrlEncode(service.service) + "&scope=" + UrlEncode(service.scope) +
      "&client_id=" + kOAuthClientId;
  HttpRequest request{
      service.realm, {"Content-Type: application/x-www-form-urlencoded"}, false, form};
  std::string body;
  HttpResponse response = AskTokenService(service, request, what, &body);

  // OAuth2 answers a refresh token it does not take with 400
  // invalid_grant; registries also answer 401 or 403.
  if (response.status == 400 || response.status == 401 || response.status == 403)
    Fail(
        "the token service of registry {} refused the identity token (an OAuth2 refresh token) "
        "from {}: HTTP {}{}; log in again (docker login {})",
        host_, credentials_.from, response.status, OAuthError(body), host_);
  if (response.status != 200)
    Fail("the token service of registry {} answered HTTP {} to the exchange of the identity token",
         host_, response.status);

  // TODO: a new refresh token in the reply ("refresh_token") is not kept
  // for the next exchange; a token service that takes each refresh token
  // only once would refuse a second exchange in the same run.
  return TokenOf(body, {"access_token", "token"});
}

HttpResponse RegistryClient::AskTokenService(const TokenService& service,
                                             const HttpRequest& request, const std::string& what,
                                             std::string* body) const {
  try {
    return Fetch(http_, request, kMaxTokenReply, "the token from " + service.realm, body);
  } catch (const TransferError& error) {
    FailTransfer(error, "a token for " + what);
  }
}

std::string RegistryClient::TokenOf(const std::string& body,
                                    std::initializer_list<const char*> keys) const {
  json reply = ParseUntrustedJson(body, "the token reply of registry " + host_);
  for (const char* key : keys)
    if (reply.is_object() && reply.value(key, json()).is_string() &&
        !reply[key].get<std::string>().empty())
      return reply[key].get<std::string>();
  Fail("the token reply of registry {} holds no token", host_);
}

void RegistryClient::FailTransfer(const TransferError& error, const std::string& what,
                                  int failed, int attempts) const {
  if (const auto* answer = dynamic_cast<const ProxyAnswerError*>(&error)) FailProxyAnswer(*answer);
  switch (error.kind()) {
    case TransferError::Kind::kTls:
    case TransferError::Kind::kTlsFiles:
      Fail(
          "TLS failed with registry {} ({}): give its CA with --ca-file FILE, or use "
          "--insecure if it speaks plain HTTP",
          host_, error.what());
    case TransferError::Kind::kConnect:
      // The registry answered, and sent the request on (to a storage
      // service, often): that is what could not be reached.
      if (!error.redirected_to().empty())
        Fail(
            "cannot connect to {}, where registry {} sent the request for {} ({}): check that "
            "this machine can reach it",
            error.redirected_to(), host_, what, error.what());
      Fail("cannot connect to registry {} ({}): check the address and that it is running", host_,
           error.what());
    case TransferError::Kind::kProxy:
      Fail("cannot reach registry {} ({}): check HTTPS_PROXY, HTTP_PROXY and NO_PROXY", host_,
           error.what());
    case TransferError::Kind::kInterrupted:
    case TransferError::Kind::kTimeout:
      Fail(
          "the transfer of {} from registry {} was interrupted ({}){}; check the network and "
          "run strata again",
          what, host_, error.what(), Attempts(failed, attempts));
    case TransferError::Kind::kStalled:
      Fail(
          "the transfer of {} from registry {} stalled: {}{}; check the network and run strata "
          "again",
          what, host_, error.what(), Attempts(failed, attempts));
    case TransferError::Kind::kCommand:  // Registries are not reached through one,
    case TransferError::Kind::kNoReply:  // nor asked with a deadline for the answer.
    case TransferError::Kind::kOther:
      break;
  }
  Fail("cannot fetch {} from registry {}: {}", what, host_, error.what());
}

void RegistryClient::FailProxyAnswer(const ProxyAnswerError& answer) const {
  const ProxyInUse& proxy = answer.proxy();
  std::string which = fmt::format("the proxy in {} ({})", proxy.variable, proxy.shown);
  if (answer.status() == 407 && !proxy.has_login)
    Fail(
        "{} wants a login (HTTP 407) to reach registry {}: give it in {} "
        "(http://USER:PASSWORD@HOST:PORT)",
        which, host_, proxy.variable);
  if (answer.status() == 407)
    Fail(
        "{} refused the login {} gives it (HTTP 407) to reach registry {}: check the user name "
        "and password there",
        which, proxy.variable, host_);
  Fail(
      "{} answered HTTP {} instead of reaching registry {}: check HTTPS_PROXY, HTTP_PROXY and "
      "NO_PROXY",
      which, answer.status(), host_);
}

}  // namespace strata
