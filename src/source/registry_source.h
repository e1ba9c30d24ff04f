// Images read straight from a registry: `docker://HOST[:PORT]/REPO[:TAG]`
// or `…@sha256:…`. Only the manifest (and, behind an index, the one for the
// platform) and the config are fetched when the source opens; each layer
// blob is streamed from the registry when the pipeline opens it, and its
// digest is checked there like any other.
#pragma once

#include <string>

#include "source/image_source.h"
#include "source/registry_client.h"

namespace strata {

struct RegistryReference {
  std::string host;        // "registry.example:5000"
  std::string repository;  // "team/app"
  std::string tag;         // "" when a digest is given.
  std::string digest;      // "sha256:…" or "".

  // "host/repo:tag" or "host/repo@digest", as the user would write it.
  std::string ToString() const;
};

// Parses what follows "docker://". The registry host is required: strata
// picks no default registry. A login in it ("user:password@host/repo") is
// refused: logins come from the docker config (registry_auth.h). Throws
// Error saying what is wrong, never with the login in it.
RegistryReference ParseRegistryReference(const std::string& text);

// Opens the image; see the file comment. |platform| picks from an index as
// for OCI layouts ("" means the host's).
ImageSource ReadRegistryImage(const RegistryReference& reference, const std::string& platform,
                              const RegistryOptions& options);

}  // namespace strata
