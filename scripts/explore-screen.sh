#!/usr/bin/env bash
# Puts a real screen of `strata explore examples/app.docker.tar` into
# README.md, between the explore-screen markers: strata runs in a tmux
# window of its own, gets a few keys, and the window's text is captured.
# Needs a built ./build/strata and tmux (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

readme=README.md
begin='<!-- explore-screen:begin -->'
end='<!-- explore-screen:end -->'
for marker in "$begin" "$end"; do
  if [ "$(grep -cF -- "$marker" "$readme")" -ne 1 ]; then
    echo "explore-screen.sh: $readme needs exactly one line '$marker'" >&2
    exit 1
  fi
done
if [ ! -x build/strata ]; then
  echo "explore-screen.sh: build/strata is missing (run make build)" >&2
  exit 1
fi

socket="strata-readme-$$"
screen=$(mktemp)
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -f "$screen" "$readme.new"' EXIT

tmux -L "$socket" -f /dev/null new-session -d -s main -x 100 -y 20 \
  "env LANG=C.UTF-8 LC_ALL=C.UTF-8 ./build/strata explore examples/app.docker.tar; sleep 600"

# Waits (up to a minute) until the window shows $1, an extended regex.
wait_for() {
  for _ in $(seq 600); do
    if tmux -L "$socket" capture-pane -p -t main | grep -qE -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "explore-screen.sh: the screen never showed '$1':" >&2
  tmux -L "$socket" capture-pane -p -t main >&2
  exit 1
}

# Layer 3 (the COPY of the app), its changes only, every directory open,
# the cursor on the .env file a later layer deletes. Keys queue up in the
# terminal in order, so only the screens that matter are waited for.
wait_for 'Files as of layer 1'
tmux -L "$socket" send-keys -t main ']' ']' c Tab e
wait_for "this layer's changes"
tmux -L "$socket" send-keys -t main j j
wait_for '^/srv/app/\.env '  # The details pane, at the left edge.
# Trailing blanks of each row are the window's, not strata's.
tmux -L "$socket" capture-pane -p -t main | sed -e 's/[[:space:]]*$//' >"$screen"

awk -v begin="$begin" -v end="$end" -v screen="$screen" '
  index($0, begin) { print; print "```text"
                     while ((getline line < screen) > 0) print line
                     print "```"; skipping = 1; next }
  index($0, end)   { skipping = 0 }
  !skipping        { print }
' "$readme" >"$readme.new"
mv "$readme.new" "$readme"
echo "explore-screen.sh: README.md updated"
