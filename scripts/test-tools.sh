#!/usr/bin/env bash
# Installs the report validators the tests run that Debian does not
# package: Microsoft's SARIF multitool (GitHub's ingestion rules) and the
# official SARIF 2.1.0 JSON schema that ships inside it. From the npm
# registry, into DIR (default build/tools); skipped when already there.
#
#   scripts/test-tools.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/tools}
package=@microsoft/sarif-multitool-linux
version=5.7.0
if [ -f "$dir/node_modules/$package/sarif-2.1.0.json" ]; then exit 0; fi
mkdir -p "$dir"
echo "test-tools: installing $package@$version into $dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$package@$version" >/dev/null
# npm may leave the executable without its x bit when install scripts are off.
chmod +x "$dir/node_modules/$package/Sarif.Multitool"
