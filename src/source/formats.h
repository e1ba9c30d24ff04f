// The two families of image stores. Internal to source/.
#pragma once

#include <memory>
#include <string>

#include "source/image_source.h"
#include "source/store.h"

namespace strata {

// Reads a store that has a docker-style manifest.json: `docker save` of any
// Engine version (legacy `<id>/layer.tar`, or Engine 25+ `blobs/sha256/…`)
// and the go-containerregistry tarball (`sha256:<hex>` config, `<hex>.tar.gz`
// layers). |ref| picks one image: a RepoTag, a config digest or ID prefix,
// or "@N" for the N-th entry; "" is fine when the store holds one image.
// |typed| is the store as the user names it ("-" for standard input), for
// the spellings messages suggest; "" stands for the store's path.
ImageSource ReadDockerArchive(std::shared_ptr<const Store> store, const std::string& ref,
                              const std::string& typed = "");

// Reads an OCI image layout (index.json, blobs/). |ref| matches the
// org.opencontainers.image.ref.name annotation (or io.containerd.image.name,
// or a manifest digest). Image indexes are followed to the manifest for
// |platform| ("os/arch[/variant]"); attestation manifests are never chosen.
// |typed| as for ReadDockerArchive.
ImageSource ReadOciLayout(std::shared_ptr<const Store> store, const std::string& ref,
                          const std::string& platform, const std::string& typed = "");

// Verifies that |data| hashes to |digest| ("sha256:…"); throws Error naming
// |what| when it does not.
void CheckDigest(const std::string& data, const std::string& digest, const std::string& what);

}  // namespace strata
