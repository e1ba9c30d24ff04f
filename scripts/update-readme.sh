#!/usr/bin/env bash
# Puts the real output of `strata audit examples/app.docker.tar` into
# README.md, between the audit-output markers, so the README never shows
# output the tool does not produce.  Needs a built ./build/strata.
set -euo pipefail
cd "$(dirname "$0")/.."

readme=README.md
begin='<!-- audit-output:begin -->'
end='<!-- audit-output:end -->'
if [ ! -f "$readme" ]; then
  echo "update-readme.sh: no $readme here" >&2
  exit 1
fi
for marker in "$begin" "$end"; do
  if [ "$(grep -cF -- "$marker" "$readme")" -ne 1 ]; then
    echo "update-readme.sh: $readme needs exactly one line '$marker'" >&2
    exit 1
  fi
done
if [ ! -x build/strata ]; then
  echo "update-readme.sh: build/strata is missing (run make build)" >&2
  exit 1
fi

output=$(mktemp)
trap 'rm -f "$output" "$readme.new"' EXIT
# An audit that finds problems may well exit non-zero; the text is what
# matters here, so only an empty output is an error.
NO_COLOR=1 ./build/strata audit examples/app.docker.tar >"$output" 2>&1 || true
if [ ! -s "$output" ]; then
  echo "update-readme.sh: strata printed nothing" >&2
  exit 1
fi

awk -v begin="$begin" -v end="$end" -v output="$output" '
  index($0, begin) { print; print "```text"
                     while ((getline line < output) > 0) print line
                     print "```"; skipping = 1; next }
  index($0, end)   { skipping = 0 }
  !skipping        { print }
' "$readme" >"$readme.new"
mv "$readme.new" "$readme"
echo "update-readme.sh: README.md updated"

# And a screen of the explorer, captured from a real run in tmux.
scripts/explore-screen.sh
