// Images held by a running Docker Engine or Podman, read through their
// HTTP API: the image export endpoint (`GET /images/{name}/get`) returns the
// same tar `docker save` writes, legacy or Engine 25+ layout, and that goes
// through the docker archive reader like any archive.
#pragma once

#include <string>
#include <vector>

#include "source/image_source.h"

namespace strata {

enum class Engine { kDocker, kPodman };

// How to talk TLS to an Engine on TCP, as docker's own client does.
struct EngineTls {
  bool enabled = false;        // DOCKER_TLS_VERIFY or DOCKER_TLS set.
  bool verify_server = true;   // DOCKER_TLS_VERIFY set: the server's cert must chain to ca.
  std::string cert_dir;        // DOCKER_CERT_PATH, else ~/.docker; a context's own.
  std::string cert_dir_shown;  // cert_dir as messages show it.
  std::string ca;              // cert_dir/ca.pem, when verifying.
  std::string cert, key;       // cert_dir/cert.pem and key.pem, when both are there.
};

// Where the API answers: a Unix socket path, a TCP base URL, or a command
// whose standard input and output reach it (ssh://).
struct EngineEndpoint {
  std::string unix_socket;  // "" for TCP and ssh.
  // ssh://: `ssh [-l USER] [-p PORT] -- HOST docker system dial-stdio`,
  // with options that keep it from asking anything; else empty.
  std::vector<std::string> command;
  // ssh://: the command a user can run to see what ssh says
  // ("ssh -p 2222 build@engine.example docker version").
  std::string command_check;
  // ssh://: the host ssh logs in to, as messages name it ("engine.example").
  std::string remote_host;
  // "http://localhost" on a socket or through ssh, else "http://HOST:PORT"
  // ("https://" with TLS).
  std::string base_url;
  std::string display;   // "unix:///var/run/docker.sock", for messages.
  std::string variable;  // "DOCKER_HOST" or "CONTAINER_HOST" when it named this, else "".
  EngineTls tls;
  std::string context;  // The Docker context that named this, else "".
};

// The endpoint for |engine|: DOCKER_HOST (unix://, tcp:// or ssh://) for
// Docker, else the Docker context chosen, else /var/run/docker.sock;
// CONTAINER_HOST (unix:// or tcp://) for Podman, else the rootful
// /run/podman/podman.sock as root and $XDG_RUNTIME_DIR/podman/podman.sock
// otherwise. A tcp:// DOCKER_HOST is reached over TLS when DOCKER_TLS_VERIFY
// (or DOCKER_TLS, without checking the server) is set, with ca.pem,
// cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker); a
// tcp:// address without a port gets docker's: 2376 with TLS, else 2375.
// An ssh://[USER@]HOST[:PORT] address is reached as docker reaches it:
// through ssh, which runs `docker system dial-stdio` on HOST. Throws Error
// for a scheme strata cannot use, an address no Engine can be at, or TLS
// files that are missing.
EngineEndpoint FindEngine(Engine engine);

// Exports |name| (NAME[:TAG], NAME@DIGEST or an image ID) from the engine
// and reads it. The export arrives as a stream and is spooled to an
// unlinked temporary file (see spool.h), up to StreamLimit(|max_image_bytes|).
// |platform| is asked for when the engine's API (1.48 and later) supports
// it. Throws Error with one line that says what to do when the engine is
// not running, refuses access, has no such image, or when what answers is
// not an Engine API at all (a registry or web server at that address).
ImageSource ReadEngineImage(Engine engine, const std::string& name, const std::string& platform,
                            int64_t max_image_bytes);

}  // namespace strata
