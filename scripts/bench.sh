#!/bin/sh
# scripts/bench.sh - regenerates every number of docs/benchmarks.md against a running server.
#
#   scripts/bench.sh URL KEY [RUNS]
#
#   URL   the server, e.g. http://127.0.0.1:3000
#   KEY   an API key of that server
#   RUNS  how many times to repeat the whole set (default 3; the docs report the median of the runs)
#
# SET=executor runs only the rows of the executor targets (docs/benchmarks.md, "The agent executor"):
# python session and warm-path ephemeral latency, sessions and ephemeral at 10 in flight, and the
# session latency of every other runtime, each against the floors of the same run.
#
# The server must run on this machine: --floor measures the Docker engine directly (Engine API,
# docker.host of the configuration file, else DOCKER_HOST, else /var/run/docker.sock) with containers
# hardened like a sandbox. Start the server
# first, e.g. `target/isol8/bin/isol8 serve --port 3000 --key KEY`, and run this on a quiet machine
# (load average < 0.6, no other containers running).
#
# The bench command is `target/isol8/bin/isol8 bench` when the jlink image exists, otherwise the
# application jar; set ISOL8="path/to/isol8" to use another launcher.
set -u

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: scripts/bench.sh URL KEY [RUNS]" >&2
  exit 1
fi
URL=$1
KEY=$2
RUNS=${3:-3}
case $RUNS in
  ''|*[!0-9]*|0) echo "bench.sh: RUNS must be a whole number >= 1, got \"$RUNS\"" >&2; exit 1 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

if [ -n "${ISOL8:-}" ]; then
  isol8() { $ISOL8 "$@"; }
elif [ -x "$ROOT/target/isol8/bin/isol8" ]; then
  isol8() { "$ROOT/target/isol8/bin/isol8" "$@"; }
elif [ -f "$ROOT/target/isol8.jar" ]; then
  isol8() { java -cp "$ROOT/target/isol8.jar:$ROOT/target/libs/*" io.isol8.cli.Main "$@"; }
else
  echo "bench.sh: build first (mvn -B -DskipTests package) or set ISOL8" >&2
  exit 1
fi

if ! curl -fsS "$URL/health" >/dev/null 2>&1; then
  echo "bench.sh: no isol8 server answers at $URL/health" >&2
  exit 1
fi

echo "== machine"
echo "date:       $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpus:       $(nproc)  ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//'))"
echo "memory:     $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
echo "kernel:     $(uname -r)"
echo "docker:     $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)"
echo "cgroup:     v$(docker info --format '{{.CgroupVersion}}' 2>/dev/null || echo '?')"
echo "server:     $(curl -fsS "$URL/health" 2>/dev/null)"
echo "load:       $(cut -d' ' -f1-3 /proc/loadavg)"
others=$(docker ps -q --filter label=io.isol8.managed=true | wc -l)
all=$(docker ps -q | wc -l)
echo "containers: $all running ($others of them isol8's)"
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk "BEGIN { exit !($load1 >= 0.6) }"; then
  echo "bench.sh: warning: load average $load1 >= 0.6; the machine is not quiet" >&2
fi

# The key reaches the bench through the environment, not the command line (ps shows arguments).
export ISOL8_API_KEY="$KEY"
failed=0
measure() {
  echo
  echo "== isol8 bench --url $URL $*"
  isol8 bench --url "$URL" "$@" || failed=$((failed + 1))
}

executor_rows() {
  measure --runtime python --requests 200 --concurrency 1 --warmup 5 --floor --cpu --session
  measure --runtime python --requests 100 --concurrency 1 --warmup 5 --pause 400 --floor
  # 100 requests over 10 sessions (one per worker), 10 in flight
  measure --runtime python --requests 100 --concurrency 10 --warmup 10 --floor --cpu --session
  measure --runtime python --requests 200 --concurrency 10 --warmup 10 --floor
  for r in node bun deno bash; do
    measure --runtime "$r" --requests 100 --concurrency 1 --warmup 5 --floor --floor-execs 100 --session
  done
}

run=1
while [ "$run" -le "$RUNS" ]; do
  echo
  echo "######## run $run of $RUNS"
  if [ "${SET:-all}" = executor ]; then
    executor_rows
    run=$((run + 1))
    continue
  fi
  # Latency: sequential, >= 200 samples, with the exec floor and create rate of the same run.
  measure --runtime python --requests 200 --concurrency 1 --warmup 5 --floor --cpu
  measure --runtime python --requests 200 --concurrency 1 --warmup 5 --floor --cpu --session
  # The warm path: a pause after each request lets the pool refill before the next one, as between the
  # calls of an agent loop; without it every request shares the engine with the previous one's refill.
  measure --runtime python --requests 200 --concurrency 1 --warmup 5 --pause 400 --floor --cpu
  # A burst of pool.size (2) requests after an idle period, ten times over (after one warm-up each).
  measure --runtime python --requests 20 --concurrency 2 --warmup 2 --pause 1500
  # Throughput: closed loop, 10 in flight.
  measure --runtime python --requests 200 --concurrency 10 --warmup 10 --floor --cpu
  measure --runtime python --requests 500 --concurrency 10 --warmup 10 --floor --cpu --session
  # Streaming: time to first byte and to the end of the stream.
  measure --runtime python --requests 200 --concurrency 1 --warmup 5 --stream
  # The other runtimes, ephemeral, each against its own exec floor.
  for r in node bun deno bash; do
    measure --runtime "$r" --requests 200 --concurrency 1 --warmup 5 --floor --floor-execs 100 --cpu
  done
  run=$((run + 1))
done

left=$(docker ps -aq --filter label=io.isol8.bench=floor)
if [ -n "$left" ]; then
  echo "bench.sh: removing leftover floor containers" >&2
  # shellcheck disable=SC2086 # one id per word
  docker rm -f $left >/dev/null
fi
if [ "$failed" -gt 0 ]; then
  echo "bench.sh: $failed invocation(s) reported failures (see above)" >&2
  exit 1
fi
