#!/bin/sh
# The one entry point on a fresh Debian 12 machine: installs what is missing
# (apt-get, as root), then runs the Makefile target named, e.g.
#   ./make.sh demo     build strata and audit the bundled example image
#   ./make.sh test     build strata and its fixtures, and run every test
set -eu
cd "$(dirname "$0")"
if ! command -v bash >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q bash
fi
bash scripts/setup.sh
exec make "$@"
