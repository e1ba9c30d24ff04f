#!/usr/bin/env bash
# Starts or stops a Docker daemon for building the example and the test
# fixtures.
#
#   scripts/dockerd.sh start   start one unless a daemon already answers
#   scripts/dockerd.sh stop    stop the daemon that `start` started, if any
#
# The daemon uses vfs storage and no networking of its own: vfs works on any
# filesystem without kernel overlay support, and image builds here need no
# bridge, NAT or iptables rules (they run with --network host).  Its pid goes
# to a pidfile so that `stop` never touches a daemon someone else runs.
set -euo pipefail

state=${STRATA_DOCKERD_DIR:-/tmp/strata-dockerd}
pidfile=$state/dockerd.pid
logfile=$state/dockerd.log

# True when the pidfile names a live process that is still a dockerd (a pid
# left over from an earlier boot may belong to something else by now).
ours_running() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]
}

case ${1:-} in
start)
  if docker info >/dev/null 2>&1; then exit 0; fi
  mkdir -p "$state"
  if ! ours_running; then
    dockerd --storage-driver vfs --iptables=false --bridge=none \
      --ip-forward=false --ip-masq=false >"$logfile" 2>&1 &
    echo $! >"$pidfile"
  fi
  for _ in $(seq 60); do
    if docker info >/dev/null 2>&1; then exit 0; fi
    ours_running || break
    sleep 1
  done
  echo "dockerd.sh: dockerd did not come up; last lines of $logfile:" >&2
  tail -n 20 "$logfile" >&2 || true
  exit 1
  ;;
stop)
  if ours_running; then
    pid=$(cat "$pidfile")
    kill "$pid"
    # Wait so that a following start does not race the old daemon's socket.
    for _ in $(seq 30); do
      [ -d "/proc/$pid" ] || break
      sleep 1
    done
  fi
  rm -f "$pidfile"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
