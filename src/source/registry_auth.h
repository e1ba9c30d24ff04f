// Registry credentials and challenges: what a registry's WWW-Authenticate
// header asks for, and where the user keeps a login for it (the
// `docker login` file, ~/.docker/config.json, or $DOCKER_CONFIG/config.json;
// Podman's auth.json).
#pragma once

#include <map>
#include <string>

namespace strata {

struct Credentials {
  std::string username;
  std::string password;
  // An OAuth2 refresh token: what `docker login` keeps as "identitytoken"
  // for registries whose token service hands them out (Azure Container
  // Registry), or what a credential helper answers as the Secret of the
  // user "<token>". When set, a Bearer challenge is met by exchanging it
  // for an access token, and the password is not sent.
  std::string identity_token;
  std::string from;  // Where they came from, for messages: "~/.docker/config.json".

  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// The login for |host| ("HOST[:PORT]"): a plain "auths" entry, or what the
// credential helper named by "credHelpers" (or "credsStore") answers
// through `docker-credential-NAME get`, in the file $REGISTRY_AUTH_FILE
// names, else in the docker config ($DOCKER_CONFIG/config.json or
// ~/.docker/config.json), else in Podman's ($XDG_RUNTIME_DIR/containers/
// auth.json, ~/.config/containers/auth.json). Empty when there is none;
// throws Error when a file read or a helper's answer is malformed.
Credentials FindCredentials(const std::string& host);

// One WWW-Authenticate challenge: `Bearer realm="…",service="…"`.
struct Challenge {
  std::string scheme;  // Lower case: "bearer", "basic".
  std::map<std::string, std::string> params;
};

// Parses |header|; the scheme is "" when there is none.
Challenge ParseChallenge(const std::string& header);

// "user:password" in base64, for a Basic Authorization header.
std::string BasicAuthorization(const Credentials& credentials);

}  // namespace strata
