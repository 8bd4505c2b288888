#!/bin/sh
# scripts/host-setup.sh - prepares this host for isol8, idempotently (environment.md §8 steps 1-2):
#   1. Docker engine: reuses a daemon that answers `docker info`; installs docker.io only if
#      dockerd is absent; starts dockerd in the background only if it is not running
#      (log: /var/log/isol8-dockerd.log); waits up to 60 s for it.
#   2. Tools: installs stunnel (the TLS front of the remote-engine test), openssl, make, gcc +
#      libc6-dev (the static agent), python3 (the agent's container tests) and postgresql (the key
#      store tests start their own server as the postgres user; no cluster is started here) if missing.
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
# The key store suite runs against a real PostgreSQL (PostgresServer in the tests: initdb + pg_ctl in a
# temporary folder on a loopback port). Debian's package also creates a default cluster; stop only that
# one when this script just installed it, so it does not sit on port 5432 for nothing.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt_install postgresql
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in /usr/lib/postgresql/*; do
      pg_ctlcluster "$(basename "$v")" main stop 2>/dev/null || true
    done
  fi
fi

# 3. Runtime images, offline
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
command -v npm >/dev/null 2>&1 || apt_install npm
exec "$ROOT/docker/build-offline.sh" "$@"
