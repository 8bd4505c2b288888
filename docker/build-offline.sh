#!/bin/sh
# docker/build-offline.sh - builds the isol8 runtime images without a container registry
# (sandbox.md §13.4), using only sh, debootstrap, npm, make, gcc and the docker CLI:
#   1. debootstrap a minimal Debian bookworm rootfs into DIR (reused once complete),
#   2. import it as isol8-rootfs:bookworm (skipped while DIR is unchanged),
#   3. fetch the bun/deno binaries from npm (cached in /var/tmp/isol8-npm), and build the agent
#      (make -C agent: agent/build/isol8-agent, static; needs make and gcc),
#   4. build isol8:base (which carries the agent at /usr/local/bin/isol8-agent) and the runtime
#      images with the classic builder, labelled per §13.1; an image whose io.isol8.build.hash
#      label equals the freshly computed hash is skipped,
#   5. smoke-test every image with a hello-world under the §10 hardening flags.
# Prints one line per image ("isol8:NAME built|up to date|failed"); exits 1 on any failure.
#
# Build hash (same rule as `isol8 setup`): SHA-256 hex of the lines "<name> <value>", sorted by
# name (C locale), each line ending in "\n". Lines: "<image>.Dockerfile <sha256>",
# "versions.env <sha256>"; bun/deno also "bun|deno <sha256 of the binary>"; runtime images also
# "base <io.isol8.build.hash of isol8:base>"; isol8:base also "from <image id of the rootfs image>"
# and "agent <sha256 of the agent binary>".
#
# Usage: docker/build-offline.sh [--runtimes python,node,bun,deno,bash] [--force]
#                                [--rootfs-dir DIR] [--mirror URL]
set -eu

RUNTIMES=python,node,bun,deno,bash
FORCE=0
ROOTFS=/var/tmp/isol8-rootfs
MIRROR=
NPM_CACHE=/var/tmp/isol8-npm
ROOT_IMAGE=isol8-rootfs:bookworm
INCLUDE=tini,bash,coreutils,tar,grep,procps,ca-certificates,python3,python3-pip,nodejs

log() { echo "build-offline: $*" >&2; }
die() { log "$*"; exit 1; }
usage() {
  echo "usage: $0 [--runtimes python,node,bun,deno,bash] [--force] [--rootfs-dir DIR] [--mirror URL]"
}

while [ $# -gt 0 ]; do
  case $1 in
    --runtimes) [ $# -ge 2 ] || die "--runtimes needs a list"; RUNTIMES=$2; shift 2 ;;
    --runtimes=*) RUNTIMES=${1#*=}; shift ;;
    --force) FORCE=1; shift ;;
    --rootfs-dir) [ $# -ge 2 ] || die "--rootfs-dir needs a folder"; ROOTFS=${2%/}; shift 2 ;;
    --rootfs-dir=*) ROOTFS=${1#*=}; ROOTFS=${ROOTFS%/}; shift ;;
    --mirror) [ $# -ge 2 ] || die "--mirror needs a URL"; MIRROR=$2; shift 2 ;;
    --mirror=*) MIRROR=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

RUNTIMES=$(echo "$RUNTIMES" | tr ',' ' ')
[ -n "$RUNTIMES" ] || die "--runtimes is empty"
for r in $RUNTIMES; do
  case $r in python|node|bun|deno|bash) ;; *) die "unknown runtime: $r" ;; esac
done
case $ROOTFS in /?*) ;; *) die "--rootfs-dir must be an absolute folder other than /" ;; esac
wants() { case " $RUNTIMES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

DOCKER_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$DOCKER_DIR/versions.env"
: "${BUN_VERSION:?missing in versions.env}" "${DENO_VERSION:?missing in versions.env}"
VERSION=$(sed -n '/<artifactId>isol8<\/artifactId>/,/<version>/s:.*<version>\([^<]*\)</version>.*:\1:p' \
  "$DOCKER_DIR/../pom.xml" 2>/dev/null | head -n 1)
VERSION=${VERSION:-1.0.0}

command -v docker >/dev/null 2>&1 || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "Docker engine is not reachable; start dockerd first"

WORK=$(mktemp -d /var/tmp/isol8-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

sha() { sha256sum "$1" | cut -d ' ' -f 1; }
build_hash() { LC_ALL=C sort | sha256sum | cut -d ' ' -f 1; }
label() {
  v=$(docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null) || v=
  [ "$v" = "<no value>" ] && v=
  echo "$v"
}
fail_all() { for i in base $RUNTIMES; do echo "isol8:$i failed"; done; exit 1; }

# --- 1. rootfs -----------------------------------------------------------------------------
MARK=$ROOTFS/.isol8-rootfs
WANT="bookworm minbase $INCLUDE"
if [ -f "$MARK" ] && [ "$(head -n 1 "$MARK")" = "$WANT" ]; then
  log "reusing rootfs $ROOTFS"
else
  [ "$(id -u)" = 0 ] || die "debootstrap needs root"
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (apt-get install debootstrap)"
  if [ -d "$ROOTFS" ] && [ -n "$(ls -A "$ROOTFS")" ] && [ ! -d "$ROOTFS/var/lib/dpkg" ] \
     && [ ! -d "$ROOTFS/debootstrap" ]; then
    die "$ROOTFS is not empty and holds no rootfs; refusing to delete it"
  fi
  # A broken earlier run may have left /proc or /sys mounted inside: never delete through them.
  awk -v d="$ROOTFS/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$ROOTFS"
  log "debootstrap bookworm into $ROOTFS (about 1-2 minutes)"
  if ! debootstrap --variant=minbase --include="$INCLUDE" bookworm "$ROOTFS" ${MIRROR:+"$MIRROR"} \
       >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    log "debootstrap failed"; fail_all
  fi
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/archives/*.deb
  { echo "$WANT"; date -u +%Y-%m-%dT%H:%M:%SZ; } >"$MARK"
fi

ROOTFS_ID=$(sha "$MARK")
if [ "$(label "$ROOT_IMAGE" io.isol8.rootfs)" != "$ROOTFS_ID" ]; then
  log "importing $ROOTFS as $ROOT_IMAGE"
  { tar -C "$ROOTFS" --numeric-owner --exclude=./.isol8-rootfs -c . || echo x >"$WORK/tar.failed"; } |
    docker import --change "LABEL io.isol8.rootfs=$ROOTFS_ID" - "$ROOT_IMAGE" >/dev/null || fail_all
  [ ! -e "$WORK/tar.failed" ] || { log "tar of $ROOTFS failed"; fail_all; }
fi
FROM_ID=$(docker image inspect -f '{{.Id}}' "$ROOT_IMAGE")

# --- 2. bun / deno binaries ----------------------------------------------------------------
BUN_BIN=$NPM_CACHE/bun-$BUN_VERSION
DENO_BIN=$NPM_CACHE/deno-$DENO_VERSION
pkgs=
if wants bun && [ ! -f "$BUN_BIN" ]; then pkgs="$pkgs bun@$BUN_VERSION"; fi
if wants deno && [ ! -f "$DENO_BIN" ]; then pkgs="$pkgs deno@$DENO_VERSION"; fi
if [ -n "$pkgs" ]; then
  command -v npm >/dev/null 2>&1 || die "npm not found (needed for bun/deno)"
  log "npm install$pkgs"
  mkdir -p "$WORK/npm" "$NPM_CACHE"
  # shellcheck disable=SC2086
  npm install --prefix "$WORK/npm" --no-save --no-audit --no-fund $pkgs >"$WORK/npm.log" 2>&1 ||
    { tail -n 30 "$WORK/npm.log" >&2; die "npm install failed"; }
  nm=$WORK/npm/node_modules
  # bun's install script moves the binary to bun/bin/bun.exe; without scripts it stays in @oven.
  for f in "$nm/bun/bin/bun.exe" "$nm"/@oven/bun-linux-x64*/bin/bun; do
    if [ ! -f "$BUN_BIN" ] && [ -f "$f" ]; then cp "$f" "$BUN_BIN.tmp" && mv "$BUN_BIN.tmp" "$BUN_BIN"; fi
  done
  for f in "$nm/@deno/linux-x64-glibc/deno" "$nm/deno/deno"; do
    if [ ! -f "$DENO_BIN" ] && [ -f "$f" ]; then cp "$f" "$DENO_BIN.tmp" && mv "$DENO_BIN.tmp" "$DENO_BIN"; fi
  done
  if wants bun; then [ -f "$BUN_BIN" ] || die "bun binary not found after npm install"; fi
  if wants deno; then [ -f "$DENO_BIN" ] || die "deno binary not found after npm install"; fi
fi

# --- agent ----------------------------------------------------------------------------------
AGENT_DIR=$(cd "$DOCKER_DIR/../agent" && pwd)
AGENT_BIN=$AGENT_DIR/build/isol8-agent
command -v make >/dev/null 2>&1 || die "make not found (needed to build the agent; apt-get install make gcc)"
make -C "$AGENT_DIR" >"$WORK/agent.log" 2>&1 || { tail -n 30 "$WORK/agent.log" >&2; die "building the agent failed"; }

# --- 3. build + 4. smoke test ----------------------------------------------------------------
# smoke NAME: stage a hello-world file through stdin as a tar (like the server's launcher) and
# run it under the full §10 hardening; the output must be exactly "hello".
# shellcheck disable=SC2016
LAUNCH='n=$1 secs=$2; shift 2
head -c "$n" | tar -x -f - -C / --no-same-owner --no-same-permissions --no-overwrite-dir -m || exit 125
cd /sandbox && exec timeout -s KILL "$secs" "$@" </dev/null'
smoke() {
  case $1 in
    base|bash) f=.isol8_main.sh; code='echo hello'; set -- "$1" bash ;;
    python) f=.isol8_main.py; code='print("hello")'; set -- "$1" python3 ;;
    node) f=.isol8_main.mjs; code='console.log("hello")'; set -- "$1" node ;;
    bun) f=.isol8_main.ts; code='const s: string = "hello"; console.log(s);'; set -- "$1" bun run ;;
    deno) f=.isol8_main.ts; code='const s: string = "hello"; console.log(s);'
      set -- "$1" deno run --no-prompt --allow-read=/sandbox,/tmp --allow-write=/sandbox,/tmp --allow-env ;;
  esac
  img=isol8:$1; d=$WORK/smoke-$1; shift
  mkdir -p "$d/sandbox" && printf '%s\n' "$code" >"$d/sandbox/$f"
  tar -C "$d" --owner=0 --group=0 --numeric-owner -cf "$d.tar" "sandbox/$f"
  out=$(docker run --rm -i --label io.isol8.setup=smoke --hostname sandbox \
    --user 1000:1000 --cap-drop ALL --security-opt no-new-privileges --read-only \
    --tmpfs /sandbox:rw,exec,nosuid,nodev,size=64m,uid=1000,gid=1000,mode=0755 \
    --tmpfs /tmp:rw,noexec,nosuid,nodev,size=64m,mode=1777 \
    --network none --memory 256m --memory-swap 256m --cpus 1 --pids-limit 64 \
    --ulimit nofile=1024:1024 --ulimit core=0 --oom-score-adj 1000 --ipc private --log-driver none \
    -e PATH=/sandbox/.local/bin:/sandbox/.npm-global/bin:/sandbox/.bun-global/bin:/sandbox/node_modules/.bin:/usr/local/bin:/usr/bin:/bin \
    -e HOME=/sandbox -e LANG=C.UTF-8 -e TMPDIR=/tmp -e PYTHONUNBUFFERED=1 \
    -e PYTHONUSERBASE=/sandbox/.local -e NPM_CONFIG_PREFIX=/sandbox/.npm-global \
    -e NPM_CONFIG_CACHE=/sandbox/.npm-cache \
    -e NODE_PATH=/usr/local/lib/node_modules:/sandbox/.npm-global/lib/node_modules:/sandbox/node_modules \
    -e DENO_DIR=/sandbox/.deno -e DENO_NO_UPDATE_CHECK=1 -e BUN_INSTALL_CACHE_DIR=/sandbox/.bun-cache \
    -e BUN_INSTALL_GLOBAL_DIR=/sandbox/.bun-global -e BUN_INSTALL_BIN=/sandbox/.bun-global/bin \
    "$img" /bin/sh -c "$LAUNCH" isol8 "$(wc -c <"$d.tar")" 60 "$@" "/sandbox/$f" \
    <"$d.tar" 2>"$d.err") || true
  if [ "$out" != hello ]; then
    log "smoke test of $img failed; stdout: $out; stderr: $(head -c 2000 "$d.err")"
    return 1
  fi
  # the agent answers with its hello frame (type 0x80 after the 4-byte length) and exits when its
  # stdin ends
  out=$(docker run --rm -i --label io.isol8.setup=smoke --user 1000:1000 --cap-drop ALL \
    --security-opt no-new-privileges --read-only --network none --pids-limit 64 --log-driver none \
    --entrypoint /usr/local/bin/isol8-agent "$img" </dev/null 2>"$d.err" | od -An -tx1 -j4 -N1 | tr -d ' \n')
  [ "$out" = 80 ] && return 0
  log "agent smoke test of $img failed; type byte: $out; stderr: $(head -c 2000 "$d.err")"
  return 1
}

# image NAME HASH [docker build args]: build unless up to date, smoke-test, print the result line.
FAILED=0
image() {
  name=$1 hash=$2; shift 2
  state="up to date"
  if [ "$FORCE" = 1 ] || [ "$(label "isol8:$name" io.isol8.build.hash)" != "$hash" ]; then
    state=built ctx=$WORK/ctx-$name
    mkdir -p "$ctx" && cp "$DOCKER_DIR/$name.Dockerfile" "$ctx/Dockerfile"
    case $name in
      base) cp "$AGENT_BIN" "$ctx/isol8-agent"; chmod 0755 "$ctx/isol8-agent" ;;
      bun) ln -f "$BUN_BIN" "$ctx/bun" 2>/dev/null || cp "$BUN_BIN" "$ctx/bun"; chmod 0755 "$ctx/bun" ;;
      deno) ln -f "$DENO_BIN" "$ctx/deno" 2>/dev/null || cp "$DENO_BIN" "$ctx/deno"; chmod 0755 "$ctx/deno" ;;
    esac
    log "building isol8:$name"
    nocache=; [ "$FORCE" = 0 ] || nocache=--no-cache
    if ! DOCKER_BUILDKIT=0 docker build --rm --force-rm $nocache -t "isol8:$name" \
        --label "io.isol8.image=$name" --label "io.isol8.build.hash=$hash" \
        --label "io.isol8.version=$VERSION" "$@" "$ctx" >"$WORK/build-$name.log" 2>&1; then
      tail -n 30 "$WORK/build-$name.log" >&2
      state=failed
    fi
  fi
  if [ "$state" != failed ] && ! smoke "$name"; then state=failed; fi
  echo "isol8:$name $state"
  [ "$state" != failed ] || FAILED=1
}

V=$(sha "$DOCKER_DIR/versions.env")
BASE_HASH=$(printf '%s\n' "base.Dockerfile $(sha "$DOCKER_DIR/base.Dockerfile")" \
  "versions.env $V" "from $FROM_ID" "agent $(sha "$AGENT_BIN")" | build_hash)
image base "$BASE_HASH" --build-arg "BASE=$ROOT_IMAGE"
[ "$FAILED" = 0 ] || { for r in $RUNTIMES; do echo "isol8:$r failed"; done; exit 1; }
BASE_LABEL=$(label isol8:base io.isol8.build.hash)

for r in $RUNTIMES; do
  extra=
  case $r in bun) extra="bun $(sha "$BUN_BIN")" ;; deno) extra="deno $(sha "$DENO_BIN")" ;; esac
  h=$( { printf '%s\n' "$r.Dockerfile $(sha "$DOCKER_DIR/$r.Dockerfile")" "versions.env $V" \
         "base $BASE_LABEL"; [ -z "$extra" ] || echo "$extra"; } | build_hash)
  image "$r" "$h"
done
exit "$FAILED"
