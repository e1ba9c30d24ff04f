// The Docker context the docker client would use (`docker context use`,
// DOCKER_CONTEXT): its Engine address and TLS files, read from the client's
// configuration directory as docker writes it. DOCKER_HOST, when set, wins
// over any context, as it does for docker.
#pragma once

#include <optional>
#include <string>

namespace strata {

struct DockerContext {
  std::string name;
  std::string chosen_by;  // "DOCKER_CONTEXT", or the config.json that names it.
  std::string host;       // The docker endpoint's Host: "unix://…", "tcp://…", ….
  bool skip_tls_verify = false;
  // The context's TLS files, when it keeps them ("" for each it lacks).
  std::string ca, cert, key;
  std::string tls_dir;  // Where they are, for messages.
};

// The docker client's configuration directory: $DOCKER_CONFIG, else
// ~/.docker. |display| gets it as messages should show it.
std::string DockerConfigDir(std::string* display);

// The context chosen by DOCKER_CONTEXT, else by config.json's
// currentContext; nullopt for none or "default" (the client's default
// socket). Throws Error, naming the context and who chose it, when it
// does not exist or its files are unreadable.
std::optional<DockerContext> CurrentDockerContext();

}  // namespace strata
