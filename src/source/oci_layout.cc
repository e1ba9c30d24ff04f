#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/error.h"
#include "base/units.h"
#include "base/untrusted_json.h"
#include "blob/sha256.h"
#include "source/formats.h"

namespace strata {

namespace {

using json = nlohmann::json;

constexpr int kMaxIndexDepth = 4;  // Nested indexes deeper than this are a loop or an attack.

const char* const kRefName = "org.opencontainers.image.ref.name";
const char* const kContainerdName = "io.containerd.image.name";

bool IsIndex(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool IsManifest(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.manifest.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.v2+json";
}

// The blob |digest| names. |from| is the document that holds the
// descriptor, for the message when the digest is not one strata reads (a
// hostile one may spell a path: "sha256:../../etc/passwd").
std::string BlobName(const std::string& digest, const std::string& from) {
  if (!IsSha256Digest(digest))
    Fail("{} names an unsupported or invalid digest \"{}\"", from, digest);
  return "blobs/sha256/" + digest.substr(7);
}

std::string Annotation(const json& descriptor, const char* key) {
  const json& annotations = descriptor.value("annotations", json());
  if (!annotations.is_object()) return "";
  auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : "";
}

// Attestations (buildkit's provenance and SBOM manifests) sit in the index
// beside the images with platform unknown/unknown; they are not images.
bool IsAttestation(const json& descriptor) {
  if (Annotation(descriptor, "vnd.docker.reference.type") == "attestation-manifest") return true;
  const json& platform = descriptor.value("platform", json());
  return platform.is_object() && TextField(platform, "os") == "unknown" &&
         TextField(platform, "architecture") == "unknown";
}

std::string PlatformOf(const json& descriptor) {
  const json& platform = descriptor.value("platform", json());
  if (!platform.is_object()) return "";
  std::string text = TextField(platform, "os") + "/" + TextField(platform, "architecture");
  std::string variant = TextField(platform, "variant");
  return variant.empty() ? text : text + "/" + variant;
}

// "linux/arm64" matches "linux/arm64/v8" and the other way round, since
// arm64 images are written with and without their one variant.
bool PlatformMatches(const std::string& have, const std::string& want) {
  if (have == want) return true;
  // "linux/arm" asks for any variant of linux/arm.
  if (std::count(want.begin(), want.end(), '/') == 1 && have.starts_with(want + "/")) return true;
  auto strip = [](const std::string& p) {
    return p.ends_with("/arm64/v8") ? p.substr(0, p.size() - 3) : p;
  };
  return strip(have) == strip(want);
}

class OciReader {
 public:
  // |typed|: the store as the user names it ("-" for standard input).
  OciReader(std::shared_ptr<const Store> store, std::string ref, std::string platform,
            std::string typed)
      : store_(std::move(store)),
        ref_(std::move(ref)),
        platform_(std::move(platform)),
        typed_(std::move(typed)) {}

  ImageSource Read() {
    std::string what = store_->Describe("index.json");
    json index = ParseJson(ReadMetadata(*store_, "index.json"), what);
    json descriptor = ChooseByRef(index);
    return ReadDescriptor(descriptor, 0, what);
  }

 private:
  json ParseJson(const std::string& text, const std::string& what) {
    json value = ParseUntrustedJson(text, what);
    if (!value.is_object()) Fail("{} is not a JSON object", what);
    return value;
  }

  std::vector<json> Descriptors(const json& index, const std::string& what) {
    const json& manifests = index.value("manifests", json());
    if (manifests.is_null()) return {};
    if (!manifests.is_array()) Fail("{} is invalid: \"manifests\" is not a list", what);
    std::vector<json> list;
    for (const json& descriptor : manifests) {
      if (!descriptor.is_object() || !descriptor.value("digest", json()).is_string())
        Fail("{} is invalid: a descriptor has no digest", what);
      list.push_back(descriptor);
    }
    return list;
  }

  // Picks the entry of the top index.json that |ref_| names.
  json ChooseByRef(const json& index) {
    std::vector<json> images;
    for (const json& d : Descriptors(index, store_->Describe("index.json")))
      if (!IsAttestation(d)) images.push_back(d);
    if (images.empty()) Fail("{} lists no images", store_->Describe("index.json"));

    if (ref_.empty()) {
      std::vector<json> distinct = DistinctImages(images);
      if (distinct.size() == 1) return distinct.front();
      // Several entries that are the platforms of one image: let the
      // platform choice below pick, as if they were one index.
      bool all_platforms = true;
      for (const json& d : distinct) all_platforms &= !PlatformOf(d).empty();
      if (all_platforms)
        return json{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                    {"inline", json{{"manifests", distinct}}}};
      Fail("{} holds {} images; name one as {}:{}:REF (choices: {})", store_->path(),
           distinct.size(), Transport(), typed_, Choices(images));
    }

    std::vector<json> named = NamedBy(images, ref_);
    if (named.empty())
      Fail("{} has no image {} (choices: {})", store_->path(), ref_, Choices(images));
    std::optional<json> image = OneImage(named);
    if (!image)
      Fail(
          "{} names {} images in {}; name one by its manifest digest as {}:{}:DIGEST "
          "(choices: {})",
          ref_, Digests(named).size(), store_->path(), Transport(), typed_, Choices(named, true));
    return *image;
  }

  // Each entry of |images| once: one listed twice is one image, not a
  // choice to make. The same manifest under two platforms stays two, for
  // the platform choice to see both.
  static std::vector<json> DistinctImages(const std::vector<json>& images) {
    std::vector<json> distinct;
    std::set<std::string> listed;
    for (const json& d : images)
      if (listed.insert(TextField(d, "digest") + " " + PlatformOf(d)).second) distinct.push_back(d);
    return distinct;
  }

  // The prefix that reads this store again: a tar file is an archive.
  std::string Transport() const { return store_->is_archive() ? "oci-archive" : "oci"; }

  static std::vector<json> NamedBy(const std::vector<json>& images, const std::string& ref) {
    std::vector<json> named;
    for (const json& d : images)
      if (NamedByRef(d, ref)) named.push_back(d);
    return named;
  }

  static bool NamedByRef(const json& descriptor, const std::string& ref) {
    std::string name = Annotation(descriptor, kRefName);
    std::string full = Annotation(descriptor, kContainerdName);
    std::string digest = TextField(descriptor, "digest");
    std::string wanted = ref.starts_with("sha256:") ? ref : "sha256:" + ref;
    return ref == name || ref == full || digest == ref || full.ends_with("/" + ref) ||
           (wanted.size() >= 7 + 8 && digest.starts_with(wanted));
  }

  static std::set<std::string> Digests(const std::vector<json>& descriptors) {
    std::set<std::string> digests;
    for (const json& d : descriptors) digests.insert(TextField(d, "digest"));
    return digests;
  }

  // The image the entries |named| (all that one name names) make up: one
  // manifest; or the platforms of one image, each named alike, for the
  // platform choice to pick from. Any other set is several images under
  // one name (a tag moved and both kept): taking the first would audit an
  // image the user may not have meant, so there is none.
  static std::optional<json> OneImage(const std::vector<json>& named) {
    if (Digests(named).size() == 1) return named.front();
    std::set<std::string> platforms;
    bool all_platforms = true;
    for (const json& d : named) {
      std::string platform = PlatformOf(d);
      all_platforms &= !platform.empty() && platforms.insert(platform).second;
    }
    if (!all_platforms) return std::nullopt;
    return json{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"inline", json{{"manifests", named}}}};
  }

  // Each image once, by its first name that picks it (see OneImage), else
  // by its digest; |by_digest|: by its digest always. The first
  // kMaxChoices only: whether a name picks one image is asked of every
  // entry, and a hostile index.json of 20,000 names made that minutes
  // of work (and a line no one reads).
  std::string Choices(const std::vector<json>& images, bool by_digest = false) {
    constexpr size_t kMaxChoices = 20;
    std::vector<std::string> order;               // Digests, as first listed.
    std::map<std::string, std::string> spelling;  // Digest → a name that picks it.
    std::map<std::string, std::string> platform;  // Digest → its platform.
    for (const json& d : images) {
      std::string digest = TextField(d, "digest");
      if (!spelling.contains(digest)) {
        order.push_back(digest);
        spelling[digest] = "";
        platform[digest] = PlatformOf(d);
      }
      if (order.size() > kMaxChoices) continue;
      std::string name = Annotation(d, kRefName);
      if (by_digest || !spelling[digest].empty() || name.empty()) continue;
      if (OneImage(NamedBy(images, name))) spelling[digest] = name;
    }

    std::string text;
    for (size_t i = 0; i < order.size() && i < kMaxChoices; ++i) {
      const std::string& digest = order[i];
      std::string choice = spelling[digest].empty() ? digest.substr(0, 19) : spelling[digest];
      if (!platform[digest].empty()) choice += " (" + platform[digest] + ")";
      text += (text.empty() ? "" : ", ") + choice;
    }
    if (order.size() > kMaxChoices)
      text += fmt::format(" and {} more", order.size() - kMaxChoices);
    return text;
  }

  // |from|: the document that holds |descriptor|, for messages.
  json ReadBlobJson(const json& descriptor, const std::string& from, std::string* digest_out) {
    std::string digest = TextField(descriptor, "digest");
    std::string name = BlobName(digest, from);
    std::string what = store_->Describe(name);
    if (!store_->Has(name)) Fail("blob {} {}", what, store_->Absence(name));
    CheckSize(descriptor, name, what);
    std::string text = ReadMetadata(*store_, name);
    CheckDigest(text, digest, what);
    *digest_out = digest;
    last_document_ = text;
    return ParseJson(text, what);
  }

  ImageSource ReadDescriptor(const json& descriptor, int depth, const std::string& from) {
    if (depth > kMaxIndexDepth)
      Fail("{}: image indexes nest more than {} deep (a loop?)", store_->path(), kMaxIndexDepth);

    std::string digest;
    json document = descriptor.contains("inline") ? descriptor["inline"]
                                                  : ReadBlobJson(descriptor, from, &digest);
    // The document just read, for the descriptors it holds.
    std::string what = digest.empty() ? from : store_->Describe(BlobName(digest, from));
    // Both are read, so that either of the wrong type is refused.
    std::string listed_type = TextField(descriptor, "mediaType");
    std::string media_type = TextField(document, "mediaType");
    if (media_type.empty()) media_type = listed_type;
    if (IsIndex(media_type) || (media_type.empty() && document.contains("manifests")))
      return ReadDescriptor(ChoosePlatform(document, what), depth + 1, what);
    if (!IsManifest(media_type) && !(media_type.empty() && document.contains("layers")))
      Fail("{} has unsupported media type \"{}\"", digest.empty() ? store_->path() : digest,
           media_type);
    return ReadManifest(document, digest, descriptor, what);
  }

  // |what|: the index, for messages.
  json ChoosePlatform(const json& index, const std::string& what) {
    std::string want = platform_.empty() ? HostPlatform() : platform_;
    std::string offered;
    for (const json& d : Descriptors(index, what)) {
      if (IsAttestation(d)) continue;
      std::string platform = PlatformOf(d);
      if (platform.empty() || PlatformMatches(platform, want)) return d;
      offered += (offered.empty() ? "" : ", ") + platform;
    }
    Fail("{} has no image for platform {} (it has: {}); choose one with --platform", store_->path(),
         want, offered.empty() ? "none" : offered);
  }

  // |what|: the manifest, for messages.
  ImageSource ReadManifest(const json& manifest, const std::string& digest, const json& descriptor,
                           const std::string& what) {
    ImageSource source;
    source.manifest_digest = digest;
    if (!digest.empty()) source.manifest_json = last_document_;
    source.reference = Annotation(descriptor, kRefName);
    if (source.reference.empty()) source.reference = ref_;

    const json& config = manifest.value("config", json());
    if (!config.is_object()) Fail("manifest {} has no config", digest);
    source.config_json = ReadBlobText(config, "config", what);
    source.config_digest = TextField(config, "digest");

    const json& layers = manifest.value("layers", json());
    if (!layers.is_array()) Fail("manifest {} has no list of layers", digest);
    for (const json& layer : layers) source.layers.push_back(MakeLayer(layer, what));
    source.keep_alive = store_;
    return source;
  }

  // A descriptor's size, when it has one, must be the blob's.
  void CheckSize(const json& descriptor, const std::string& name, const std::string& what) {
    if (!descriptor.contains("size")) return;
    const json& size = descriptor["size"];
    if (!size.is_number_integer() || size.get<int64_t>() < 0)
      Fail("the descriptor of {} has an invalid size {}", what, size.dump());
    int64_t actual = store_->Size(name);
    if (size.get<int64_t>() != actual)
      Fail("{} is {} but its descriptor says {}", what, Count(actual, "byte"), size.get<int64_t>());
  }

  std::string ReadBlobText(const json& descriptor, const char* what, const std::string& from) {
    std::string digest = TextField(descriptor, "digest");
    std::string name = BlobName(digest, from);
    if (!store_->Has(name))
      Fail("{} blob {} {}", what, store_->Describe(name), store_->Absence(name));
    CheckSize(descriptor, name, std::string(what) + " blob " + store_->Describe(name));
    std::string text = ReadMetadata(*store_, name);
    CheckDigest(text, digest, std::string(what) + " " + store_->Describe(name));
    return text;
  }

  LayerBlob MakeLayer(const json& descriptor, const std::string& from) {
    if (!descriptor.is_object() || !descriptor.value("digest", json()).is_string())
      Fail("a layer descriptor in {} has no digest", store_->path());
    LayerBlob blob;
    blob.digest = descriptor["digest"].get<std::string>();
    blob.media_type = TextField(descriptor, "mediaType");
    std::string name = BlobName(blob.digest, from);
    blob.location = store_->Describe(name);
    if (!store_->Has(name)) Fail("layer blob {} {}", blob.location, store_->Absence(name));
    CheckSize(descriptor, name, "layer blob " + blob.location);
    blob.size = store_->Size(name);
    auto store = store_;
    blob.open = [store, name] { return store->Open(name); };
    blob.identity = [store, name] { return store->Identity(name); };
    return blob;
  }

  std::shared_ptr<const Store> store_;
  std::string ref_;
  std::string platform_;
  std::string typed_;
  std::string last_document_;  // The bytes ReadBlobJson read last.
};

}  // namespace

ImageSource ReadOciLayout(std::shared_ptr<const Store> store, const std::string& ref,
                          const std::string& platform, const std::string& typed) {
  ImageSource source =
      OciReader(store, ref, platform, typed.empty() ? store->path() : typed).Read();
  source.format = store->is_archive() ? "oci-archive" : "oci-layout";
  return source;
}

}  // namespace strata
