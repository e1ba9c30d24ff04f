#!/usr/bin/env bash
# Builds the example image from examples/app and saves it as
# examples/app.docker.tar, the archive the README's audit output comes from.
# The archive is committed, so `make demo` works without Docker; rerun this
# only when examples/app changes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tag=strata-example/app:1
out=$here/app.docker.tar

if ! docker info >/dev/null 2>&1; then
  # Trap first: a daemon that starts but never answers is stopped too.
  trap '"$repo/scripts/dockerd.sh" stop' EXIT
  "$repo/scripts/dockerd.sh" start
fi
"$repo/scripts/busybox-base.sh"

# The legacy builder, as BuildKit is not part of docker.io here; its output
# (and a newer client's deprecation notice) only matters on failure.
log=$(mktemp)
if ! DOCKER_BUILDKIT=0 docker build --network host -t "$tag" "$here/app" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"

docker save -o "$out" "$tag"
chmod 0644 "$out"   # docker save writes 0600; the archive is committed

# It goes into git, so keep an eye on its size.
size=$(stat -c %s "$out")
if [ "$size" -gt $((4 * 1024 * 1024)) ]; then
  echo "build.sh: $out is $size bytes, over the 4 MiB budget" >&2
  exit 1
fi
echo "wrote $out ($size bytes)"
