#!/usr/bin/env bash
# Installs the Debian packages needed to build strata and to build its test
# fixtures.  Only calls apt-get when something is missing, so on a machine
# that already has everything it finishes in well under a second.
set -euo pipefail

build_deps=(cmake g++ make pkg-config libarchive-dev libisal-dev libzstd-dev
  libssl-dev nlohmann-json3-dev libcli11-dev libfmt-dev libxxhash-dev
  libvectorscan-dev libyaml-cpp-dev libgtest-dev libgmock-dev libcurl4-openssl-dev
  libncurses-dev libsqlite3-dev)
# docker.io builds the fixture images; skopeo and umoci convert and unpack
# them (the unpacked rootfs is the oracle the tests compare against);
# busybox-static is the whole userland of the local base image, since no
# registry can be pulled from; isal, zstd and tmux serve the tests directly.
# python3-jsonschema and libxml2-utils validate the SARIF and JUnit reports.
# clang and its runtime libraries build the libFuzzer targets (make fuzz);
# xz-utils and bzip2 make the malformed layers tests/malformed_test.cc feeds
# to strata. docker-registry, apache2-utils (htpasswd) and openssl (a CA and
# the token service's key) serve the registry source tests; podman the
# Podman source test; openssh-server and openssh-client the ssh:// Engine
# tests (an sshd of their own on 127.0.0.1).
test_deps=(docker.io skopeo umoci busybox-static isal zstd tmux python3 python3-jsonschema libxml2-utils
  clang libclang-rt-14-dev xz-utils bzip2 docker-registry apache2-utils openssl
  podman openssh-server openssh-client)
# npm fetches Microsoft's SARIF validator (and the SARIF schema it ships);
# a machine that already has a node toolchain keeps it.
command -v npm >/dev/null 2>&1 || test_deps+=(npm)

missing=()
for pkg in "${build_deps[@]}" "${test_deps[@]}"; do
  # `dpkg -s` also answers for removed packages whose config is left, so
  # look for the installed state rather than trusting the exit code.  (Not
  # through `| grep -q`: grep quits early, dpkg dies of SIGPIPE, and
  # pipefail would call the package missing.)
  status=$(dpkg -s "$pkg" 2>/dev/null || true)
  [[ $status == *'Status: install ok installed'* ]] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
