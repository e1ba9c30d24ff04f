// The registry is presented to the OCI layout reader as a Store: the
// manifest the tag points to becomes a one-entry index.json, and each
// blobs/sha256/… name becomes a request. So choosing a platform from an
// index, skipping attestations, and checking every digest work exactly as
// they do for a layout on disk.
#include "source/registry_source.h"

#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string_view>

#include "base/error.h"
#include "base/untrusted_json.h"
#include "blob/sha256.h"
#include "source/formats.h"
#include "source/http_client.h"
#include "source/store.h"

namespace strata {

namespace {

using json = nlohmann::json;

const char* const kAcceptManifests =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

// The distribution spec's grammar: components of lower-case letters and
// digits, joined inside by '.', '_', "__" or dashes, separated by '/'.
// Anything looser would let "..", "." or an empty component into the
// request path, where it leaves /v2/NAME/ (curl folds "a/../.." away)
// and takes a login to another path of the registry's host.
// Names are under 256 bytes in the spec, which also keeps std::regex (one
// stack frame a character) from a reference a megabyte long.
bool IsRepositoryName(const std::string& name) {
  if (name.size() > 255) return false;
  static const std::regex kName(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  return std::regex_match(name, kName);
}

// A tag as the spec has it: a word character, then up to 127 of those,
// '.' and '-'; so never "." or "..".
bool IsTag(const std::string& tag) {
  if (tag.size() > 128) return false;
  static const std::regex kTag("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(tag, kTag);
}

// "sha256:…" and other "ALGORITHM:HEX" digests (OCI's grammar, hex of at
// least 32 digits): told apart from "user@host:5000".
bool LooksLikeDigest(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || text.size() - colon - 1 < 32) return false;
  for (char c : text.substr(0, colon))
    if (!islower(static_cast<unsigned char>(c)) && !isdigit(static_cast<unsigned char>(c)) &&
        !std::strchr("+._-", c))
      return false;
  return text.find_first_not_of("0123456789abcdefABCDEF", colon + 1) == std::string_view::npos;
}

// Where a login ("USER[:PASSWORD]@") ends in |text|, what follows
// "docker://": just past its last '@', or 0 when there is none. Else '@'
// only separates a digest, which never holds a '/' and follows the
// repository; a password may hold '@' and '/' too.
size_t LoginEnd(const std::string& text) {
  size_t end = 0;
  for (size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) {
    bool slash_after = text.find('/', at) != std::string::npos;
    bool slash_before = text.substr(0, at).find('/') != std::string::npos;
    if (slash_after || (!slash_before && !LooksLikeDigest(std::string_view(text).substr(at + 1))))
      end = at + 1;
  }
  return end;
}

class RegistryStore : public Store {
 public:
  RegistryStore(std::shared_ptr<const RegistryClient> client, const RegistryReference& reference)
      : client_(std::move(client)),
        path_("docker://" + reference.ToString()),
        image_("image " + reference.ToString()) {
    FetchTopManifest(reference);
  }

  const std::string& path() const override { return path_; }
  bool is_archive() const override { return false; }

  bool Has(const std::string& name) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return name == "index.json" || known_.count(name) > 0;
  }

  int64_t Size(const std::string& name) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (name == "index.json") return static_cast<int64_t>(index_json_.size());
    auto it = known_.find(name);
    if (it == known_.end()) Fail("{} is missing", Describe(name));
    return it->second.size;
  }

  std::unique_ptr<ByteReader> Open(const std::string& name) const override {
    Known blob;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (name == "index.json") return OpenString(index_json_);
      auto it = known_.find(name);
      if (it == known_.end()) Fail("{} is missing", Describe(name));
      blob = it->second;
    }
    if (!blob.is_manifest) return client_->OpenBlob(blob.digest, blob.size);
    if (blob.content.empty())
      blob.content = FetchManifest(blob.digest, blob.digest, "manifest " + blob.digest,
                                   "manifest " + blob.digest + " of " + image_);
    return OpenString(std::move(blob.content));
  }

  std::vector<std::string> List() const override { return {"index.json"}; }

 private:
  struct Known {
    std::string digest;
    int64_t size = -1;
    bool is_manifest = false;
    std::string content;  // A manifest's bytes, once fetched.
  };

  static std::string NameOf(const std::string& digest) {
    return "blobs/sha256/" + digest.substr(7);
  }

  void FetchTopManifest(const RegistryReference& reference) {
    std::string ref = reference.digest.empty() ? reference.tag : reference.digest;
    std::string body = FetchManifest(ref, reference.digest, image_, "the manifest of " + image_);
    std::string digest = Sha256Of(body);
    json document = json::parse(body, nullptr, false);
    std::string media_type = document.is_object() ? TextField(document, "mediaType") : "";
    if (media_type.empty()) media_type = content_type_;
    // TODO: schema 1 manifests (long gone from registries) are refused.
    if (media_type.find("distribution.manifest.v1") != std::string::npos ||
        document.contains("fsLayers"))
      Fail(
          "{} has a schema 1 manifest, which strata does not read: push the image again with a "
          "current tool",
          path_);
    index_json_ =
        json{{"schemaVersion", 2},
             {"manifests",
              json::array(
                  {json{{"mediaType", media_type}, {"digest", digest}, {"size", body.size()}}})}}
            .dump();
    std::lock_guard<std::mutex> lock(mutex_);
    known_[NameOf(digest)] = Known{digest, static_cast<int64_t>(body.size()), true, body};
  }

  // Fetches the manifest |ref| (a tag or digest), checks it against
  // |digest| when one is expected, and learns the blobs it names. |what|
  // names the request in errors, |document| the manifest itself (see
  // RegistryClient::Read).
  std::string FetchManifest(const std::string& ref, const std::string& digest,
                            const std::string& what, const std::string& document) const {
    std::string body;
    HttpResponse response = client_->Read("manifests/" + ref, {kAcceptManifests},
                                          CurrentJsonLimits().max_bytes, what, document, &body);
    std::string sent = response.Header("Docker-Content-Digest");
    std::string actual = Sha256Of(body);
    if (!digest.empty() && digest != actual)
      Fail("{} from {} does not match its digest: expected {}, got {}", what, client_->host(),
           digest, actual);
    if (sent.starts_with("sha256:") && sent != actual)
      Fail("{} from {} does not match the digest the registry sent: {}, got {}", what,
           client_->host(), sent, actual);
    content_type_ = response.Header("Content-Type");
    content_type_ = content_type_.substr(0, content_type_.find(';'));
    Learn(body);
    return body;
  }

  // Records the descriptors in a manifest or index, so that their blobs
  // can be named and sized before they are fetched.
  void Learn(const std::string& body) const {
    json document = json::parse(body, nullptr, false);
    if (!document.is_object()) return;  // The reader reports it.
    auto learn = [&](const json& descriptor, bool is_manifest) {
      if (!descriptor.is_object() || !descriptor.value("digest", json()).is_string()) return;
      std::string digest = descriptor["digest"].get<std::string>();
      if (!IsSha256Digest(digest)) return;
      const json& size = descriptor.value("size", json());
      std::lock_guard<std::mutex> lock(mutex_);
      Known& known = known_[NameOf(digest)];
      known.digest = digest;
      known.size = size.is_number_integer() ? size.get<int64_t>() : -1;
      known.is_manifest = is_manifest;
    };
    for (const char* key : {"manifests", "layers"}) {
      const json& list = document.value(key, json());
      if (list.is_array())
        for (const json& descriptor : list) learn(descriptor, std::strcmp(key, "manifests") == 0);
    }
    learn(document.value("config", json()), false);
  }

  std::shared_ptr<const RegistryClient> client_;
  std::string path_;
  std::string image_;  // "image HOST/REPO:TAG", for messages.
  std::string index_json_;
  mutable std::string content_type_;  // Of the last manifest fetched.
  mutable std::mutex mutex_;
  mutable std::map<std::string, Known> known_;  // By blob name; guarded by mutex_.
};

}  // namespace

std::string RegistryReference::ToString() const {
  return host + "/" + repository + (digest.empty() ? ":" + tag : "@" + digest);
}

namespace {

// Refuses a port in |host| ("127.0.0.1:5000", "[::1]:5000") that is not a
// number from 1 to 65535, naming the reference |text|: curl would say
// only "bad/illegal format" once the fetch began.
void CheckPort(const std::string& host, const std::string& text) {
  size_t bracket = host.starts_with("[") ? host.find(']') : 0;
  if (bracket == std::string::npos) return;  // Not an address; the connection will say so.
  size_t colon = host.find(':', bracket);
  if (colon == std::string::npos) return;
  std::string port = host.substr(colon + 1);
  if (!IsTcpPort(port))
    Fail("docker://{}: the port \"{}\" is not a number from 1 to 65535", text, port);
}

}  // namespace

RegistryReference ParseRegistryReference(const std::string& text) {
  if (size_t login = LoginEnd(text); login > 0) {
    // Shown without the login: never a password on the terminal or in logs.
    std::string rest = text.substr(login);
    std::string host = rest.substr(0, rest.find('/'));
    Fail(
        "docker://{}: a login in the reference (USER:PASSWORD@) is refused, as it would show in "
        "reports and process lists; log in with docker login {} (strata reads "
        "~/.docker/config.json)",
        rest, host.empty() ? "HOST" : host);
  }
  RegistryReference reference;
  size_t slash = text.find('/');
  std::string host = text.substr(0, slash);
  bool is_host = host.find('.') != std::string::npos || host.find(':') != std::string::npos ||
                 host == "localhost";
  if (slash == std::string::npos && is_host)
    Fail("docker://{} names no repository: write docker://{}/REPO[:TAG]", text, host);
  if (slash == std::string::npos || !is_host)
    Fail(
        "docker://{} names no registry host: write docker://HOST[:PORT]/REPO[:TAG] (Docker "
        "Hub is docker://docker.io/library/NAME:TAG)",
        text);
  CheckPort(host, text);
  reference.host = host;
  std::string rest = text.substr(slash + 1);

  if (size_t at = rest.find('@'); at != std::string::npos) {
    reference.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!IsSha256Digest(reference.digest))
      Fail("docker://{}: \"{}\" is not a sha256 digest", text, reference.digest);
  }
  // A tag beside a digest is checked, then left: the digest names the
  // image, as docker pull takes NAME:TAG@DIGEST.
  bool tagged = false;
  if (size_t colon = rest.rfind(':');
      colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    tagged = true;
    reference.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (tagged && reference.tag.empty())
    Fail("docker://{}: the tag after ':' is empty (leave out the ':' for latest)", text);
  if (reference.digest.empty() && reference.tag.empty()) reference.tag = "latest";
  if (!IsRepositoryName(rest))
    Fail(
        "docker://{}: \"{}\" is not a repository name (parts of lower-case letters and digits, "
        "joined by . _ __ or -, separated by /)",
        text, rest);
  if (!reference.tag.empty() && !IsTag(reference.tag))
    Fail(
        "docker://{}: \"{}\" is not a tag (up to 128 letters, digits, _ . and -, not starting "
        "with . or -)",
        text, reference.tag);
  if (!reference.digest.empty()) reference.tag.clear();
  reference.repository =
      host == "docker.io" && rest.find('/') == std::string::npos ? "library/" + rest : rest;
  return reference;
}

ImageSource ReadRegistryImage(const RegistryReference& reference, const std::string& platform,
                              const RegistryOptions& options) {
  auto client =
      std::make_shared<const RegistryClient>(reference.host, reference.repository, options);
  auto store = std::make_shared<const RegistryStore>(client, reference);
  ImageSource source = ReadOciLayout(store, "", platform);
  source.format = "registry";
  source.reference = reference.ToString();
  return source;
}

}  // namespace strata
