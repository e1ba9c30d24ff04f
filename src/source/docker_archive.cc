#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "base/error.h"
#include "base/untrusted_json.h"
#include "blob/sha256.h"
#include "source/formats.h"

namespace strata {

namespace {

using json = nlohmann::json;

bool IsHex64(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// The digest a member's name promises, if any: "blobs/sha256/<hex>",
// "sha256:<hex>", "<hex>.tar.gz" (go-containerregistry names layers by
// their blob digest) and "<hex>.json" (a legacy config, named by image ID,
// which is the config's digest). "<id>/layer.tar" promises nothing: the
// legacy layer ID is not a content hash.
std::string DigestFromName(const std::string& name) {
  std::string_view base = name;
  if (size_t slash = base.rfind('/'); slash != std::string_view::npos) {
    if (base.substr(0, slash) == "blobs/sha256" && IsHex64(base.substr(slash + 1)))
      return "sha256:" + std::string(base.substr(slash + 1));
    return "";
  }
  if (base.starts_with("sha256:") && IsHex64(base.substr(7))) return std::string(base);
  for (std::string_view suffix : {".tar.gz", ".tar.zst", ".tar", ".json"}) {
    if (base.ends_with(suffix) && IsHex64(base.substr(0, base.size() - suffix.size())))
      return "sha256:" + std::string(base.substr(0, 64));
  }
  return "";
}

// "nginx" → "docker.io/library/nginx:latest" and similar, so that a user's
// short name matches a RepoTag written either way.
std::string NormalizeTag(std::string tag) {
  size_t slash = tag.find('/');
  std::string first = slash == std::string::npos ? "" : tag.substr(0, slash);
  bool has_registry = first.find('.') != std::string::npos ||
                      first.find(':') != std::string::npos || first == "localhost";
  if (slash == std::string::npos) tag = "library/" + tag;
  if (!has_registry) tag = "docker.io/" + tag;
  size_t last_slash = tag.rfind('/');
  if (tag.find(':', last_slash) == std::string::npos && tag.find('@') == std::string::npos)
    tag += ":latest";
  return tag;
}

std::vector<std::string> TagsOf(const json& image) {
  std::vector<std::string> tags;
  if (!image.is_object()) return tags;  // Refused as invalid if chosen.
  const json& repo_tags = image.value("RepoTags", json());
  if (repo_tags.is_array())
    for (const json& tag : repo_tags)
      if (tag.is_string()) tags.push_back(tag.get<std::string>());
  return tags;
}

bool MatchesTag(const json& image, const std::string& ref) {
  for (const std::string& tag : TagsOf(image))
    if (tag == ref || NormalizeTag(tag) == NormalizeTag(ref)) return true;
  return false;
}

bool Matches(const json& image, size_t index, const std::string& ref) {
  if (ref == "@" + std::to_string(index)) return true;
  // Refused as invalid once chosen; the others are only looked at.
  if (!image.is_object()) return false;
  if (MatchesTag(image, ref)) return true;

  std::string config = TextField(image, "Config");
  std::string digest = DigestFromName(config);
  std::string wanted = ref.starts_with("sha256:") ? ref : "sha256:" + ref;
  // Eight hex digits, as `docker images` users abbreviate IDs, at least.
  return !digest.empty() && wanted.size() >= 7 + 8 && digest.starts_with(wanted);
}

// What tells two entries apart: the config, whose digest is the image ID.
std::string IdentityOf(const json& image) {
  if (!image.is_object()) return image.dump();
  const json& config = image.value("Config", json());
  if (!config.is_string()) return image.dump();
  std::string digest = DigestFromName(config.get<std::string>());
  return digest.empty() ? config.get<std::string>() : digest;
}

// "@1 (ID 89b0074b7126)": the two spellings of a REF that name one entry
// whatever its tags are.
std::string DescribeByIndex(const json& image, size_t index) {
  std::string choice = "@" + std::to_string(index);
  std::string digest = image.is_object() ? DigestFromName(TextField(image, "Config")) : "";
  return digest.empty() ? choice : choice + " (ID " + digest.substr(7, 12) + ")";
}

// How the command line names the archive and its images: a suggestion
// must be something the user can type, so standard input is "-" there,
// not the "standard input" messages call it.
struct Naming {
  const Store& store;
  std::string typed;  // The path as typed: "-" for standard input.
};

// The entries of |manifest| that |ref| names. A tag moved from one image
// to another and both saved (or archives merged by hand) leaves one tag on
// two images: taking the first would audit an image the user may not have
// meant, so that is refused, naming the spellings that pick one.
std::vector<size_t> Matching(const json& manifest, const std::string& ref, const Naming& naming) {
  std::vector<size_t> matches;
  std::set<std::string> images;
  std::string choices;
  for (size_t i = 0; i < manifest.size(); ++i) {
    if (!Matches(manifest[i], i, ref)) continue;
    matches.push_back(i);
    // One image listed twice is still one image.
    if (images.insert(IdentityOf(manifest[i])).second)
      choices += (choices.empty() ? "" : ", ") + DescribeByIndex(manifest[i], i);
  }
  if (images.size() > 1)
    Fail(
        "{} names {} images in {}; name one as docker-archive:{}:@N or by its image ID "
        "(choices: {})",
        ref, images.size(), naming.store.path(), naming.typed, choices);
  return matches;
}

// One spelling per image that picks it: the first tag on it that no other
// image carries, else "@N (ID …)". A tag on two images is refused (see
// Matching), so offering it would send the user to that refusal.
std::vector<std::string> Choices(const json& manifest) {
  std::map<std::string, std::set<std::string>> images_by_tag;  // Normalized, as matched.
  for (const json& image : manifest)
    for (const std::string& tag : TagsOf(image))
      images_by_tag[NormalizeTag(tag)].insert(IdentityOf(image));

  // One image listed twice is one choice, picked by a tag of either entry.
  std::vector<std::string> order;
  std::map<std::string, std::string> spelling;  // Identity → the choice.
  std::map<std::string, bool> by_tag;           // Identity → spelled by a tag.
  for (size_t i = 0; i < manifest.size(); ++i) {
    std::string identity = IdentityOf(manifest[i]);
    if (!spelling.contains(identity)) {
      order.push_back(identity);
      spelling[identity] = DescribeByIndex(manifest[i], i);
    }
    for (const std::string& tag : TagsOf(manifest[i])) {
      if (by_tag[identity] || images_by_tag[NormalizeTag(tag)].size() != 1) continue;
      spelling[identity] = tag;
      by_tag[identity] = true;
    }
  }

  std::vector<std::string> choices;
  for (const std::string& identity : order) choices.push_back(spelling[identity]);
  return choices;
}

const json& ChooseImage(const json& manifest, const std::string& ref, const Naming& naming,
                        size_t* chosen) {
  std::vector<std::string> choices = Choices(manifest);
  if (choices.size() == 1 && ref.empty()) {
    *chosen = 0;
    return manifest[0];
  }
  if (!ref.empty()) {
    std::vector<size_t> matches = Matching(manifest, ref, naming);
    if (!matches.empty()) {
      *chosen = matches.front();
      return manifest[*chosen];
    }
  }

  // The first few: an archive of thousands of images makes a line no one
  // reads.
  constexpr size_t kMaxChoices = 20;
  std::string listed;
  for (size_t i = 0; i < choices.size() && i < kMaxChoices; ++i)
    listed += (listed.empty() ? "" : ", ") + choices[i];
  if (choices.size() > kMaxChoices)
    listed += fmt::format(" and {} more", choices.size() - kMaxChoices);
  if (ref.empty())
    Fail("{} holds {} images; name one as docker-archive:{}:REF (choices: {})", naming.store.path(),
         choices.size(), naming.typed, listed);
  Fail("{} has no image {} (choices: {})", naming.store.path(), ref, listed);
}

std::string StringField(const json& image, const char* key, const Store& store) {
  auto it = image.find(key);
  if (it == image.end() || !it->is_string() || it->get<std::string>().empty())
    Fail("{} is invalid: an image has no \"{}\"", store.Describe("manifest.json"), key);
  return it->get<std::string>();
}

LayerBlob MakeLayerBlob(std::shared_ptr<const Store> store, const std::string& name,
                        const json& sources) {
  LayerBlob blob;
  blob.location = store->Describe(name);
  blob.digest = DigestFromName(name);
  blob.size = store->Size(name);
  if (sources.is_object() && sources.contains(blob.digest)) {
    const json& source = sources[blob.digest];
    if (source.is_object()) blob.media_type = TextField(source, "mediaType");
  }
  blob.open = [store, name] { return store->Open(name); };
  blob.identity = [store, name] { return store->Identity(name); };
  return blob;
}

}  // namespace

void CheckDigest(const std::string& data, const std::string& digest, const std::string& what) {
  if (digest.empty()) return;
  if (!digest.starts_with("sha256:"))
    Fail("{} uses an unsupported digest algorithm: {}", what, digest);
  std::string actual = Sha256Of(data);
  if (actual != digest)
    Fail("{} does not match its digest: expected {}, got {}", what, digest, actual);
}

ImageSource ReadDockerArchive(std::shared_ptr<const Store> store, const std::string& ref,
                              const std::string& typed) {
  std::string text = ReadMetadata(*store, "manifest.json");
  json manifest = ParseUntrustedJson(text, store->Describe("manifest.json"));
  if (manifest.is_null())
    Fail("{} holds null instead of a list of images", store->Describe("manifest.json"));
  if (!manifest.is_array()) Fail("{} is not a list of images", store->Describe("manifest.json"));
  if (manifest.empty()) Fail("{} lists no images", store->Describe("manifest.json"));

  size_t index = 0;
  const json& image =
      ChooseImage(manifest, ref, Naming{*store, typed.empty() ? store->path() : typed}, &index);
  if (!image.is_object())
    Fail("{} is invalid: an entry is not an object", store->Describe("manifest.json"));

  ImageSource source;
  source.format = store->Has("oci-layout") ? "docker-archive (Engine 25+)" : "docker-archive";
  // The tag the image goes by: the one asked for, else its first. "@1" or
  // an ID prefix says where the image was found, not what it is called.
  std::vector<std::string> tags = TagsOf(image);
  source.reference =
      !ref.empty() && MatchesTag(image, ref) ? ref : (tags.empty() ? "" : tags.front());
  for (const std::string& tag : tags)
    if (tag != source.reference) source.other_references.push_back(tag);

  std::string config_name = StringField(image, "Config", *store);
  source.config_json = ReadMetadata(*store, config_name);
  source.config_digest = DigestFromName(config_name);
  CheckDigest(source.config_json, source.config_digest, "config " + store->Describe(config_name));
  if (source.config_digest.empty()) source.config_digest = Sha256Of(source.config_json);

  const json& layers = image.value("Layers", json());
  if (!layers.is_array())
    Fail("{} is invalid: \"Layers\" is not a list", store->Describe("manifest.json"));
  const json& sources = image.value("LayerSources", json());
  for (const json& layer : layers) {
    if (!layer.is_string())
      Fail("{} is invalid: a layer name is not a string", store->Describe("manifest.json"));
    if (!store->Has(layer.get<std::string>()))
      Fail("layer {} {}", store->Describe(layer.get<std::string>()),
           store->Absence(layer.get<std::string>()));
    source.layers.push_back(MakeLayerBlob(store, layer.get<std::string>(), sources));
  }
  source.keep_alive = store;
  return source;
}

}  // namespace strata
