#!/bin/sh
# scripts/dev.sh - the two commands of the README's quick start.
#   scripts/dev.sh serve [isol8 serve flags...]  prepare the host, build, start the server
#   scripts/dev.sh test                          prepare the host, build, run every test
# Preparing the host (scripts/host-setup.sh) installs and starts the Docker engine when needed and
# builds the runtime images offline, skipping what is up to date. Needs root (apt, dockerd).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# Helidon 4 needs Java 21+; these machines default to 17, so prefer the JDK 25 when it is there.
if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
cd "$ROOT"

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  serve)
    scripts/host-setup.sh
    mvn -B -q -DskipTests package
    exec target/isol8/bin/isol8 serve "$@"
    ;;
  test)
    scripts/host-setup.sh
    # Unit, in-process server and Docker tests (mandatory here), then the jlink image and its
    # end-to-end smoke test. The short load-and-fault soak in the suite stops and starts dockerd once
    # (about a minute); the full soak: mvn test -Dtest=LoadFaultSoakTest -Disol8.soak=full.
    mvn -B verify -Disol8.it.requireDocker=true
    left=$(docker ps -aq --filter label=io.isol8.managed=true)
    if [ -n "$left" ]; then
      echo "dev.sh: containers labelled io.isol8.managed=true were left behind:" >&2
      docker ps -a --filter label=io.isol8.managed=true >&2
      exit 1
    fi
    echo "dev.sh: no containers left behind"
    ;;
  *)
    echo "usage: scripts/dev.sh serve [--port N] [--key KEY] [--config PATH] | scripts/dev.sh test" >&2
    exit 1
    ;;
esac
