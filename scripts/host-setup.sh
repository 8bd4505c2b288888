#!/bin/sh
# scripts/host-setup.sh - prepares this host for isol8, idempotently (environment.md §8 steps 1-2):
#   1. Docker engine: reuses a daemon that answers `docker info`; installs docker.io only if
#      dockerd is absent; starts dockerd in the background only if it is not running
#      (log: /var/log/isol8-dockerd.log); waits up to 60 s for it.
#   2. Tools: installs stunnel (the TLS front of the remote-engine test), openssl, make, gcc +
#      libc6-dev (the static agent) and python3 (the agent's container tests) if missing.
#   3. Runtime images: installs debootstrap (and npm) if missing, then runs
#      docker/build-offline.sh, which skips everything that is already up to date.
# Needs root. Arguments are passed on to docker/build-offline.sh (e.g. --runtimes python,bash).
# Callers set JAVA_HOME themselves; this script only exports it for what it runs.
set -eu

export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOG=/var/log/isol8-dockerd.log
APT_UPDATED=0

apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -q; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# 1. Docker engine
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "host-setup: starting dockerd (log: $LOG)" >&2
    nohup dockerd >"$LOG" 2>&1 </dev/null &
  fi
  n=0
  until docker info >/dev/null 2>&1; do
    n=$((n + 1))
    if [ "$n" -gt 60 ]; then
      echo "host-setup: dockerd did not answer within 60 s; last lines of $LOG:" >&2
      tail -n 50 "$LOG" >&2 || true
      exit 1
    fi
    sleep 1
  done
fi

# 2. Test tools: RemoteEngineDockerTest puts a stunnel TLS front before the engine's socket
command -v stunnel >/dev/null 2>&1 || apt_install stunnel4
command -v openssl >/dev/null 2>&1 || apt_install openssl
# The agent (agent/Makefile: a static binary, so glibc's libc.a from libc6-dev) and its container
# tests (python3)
command -v make >/dev/null 2>&1 || apt_install make
{ command -v gcc >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/libc.a ]; } || apt_install gcc libc6-dev
command -v python3 >/dev/null 2>&1 || apt_install python3

# 3. Runtime images, offline
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
command -v npm >/dev/null 2>&1 || apt_install npm
exec "$ROOT/docker/build-offline.sh" "$@"
