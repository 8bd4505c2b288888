#!/usr/bin/env bash
# Builds the self-contained runtime image target/isol8 (environment.md §7):
#
#   target/isol8/bin/isol8           launcher (from jlink/isol8.sh)
#   target/isol8/runtime/            jlink'ed JDK with only the modules the application needs
#   target/isol8/app/isol8.jar       the application jar, the only class path entry; its manifest
#   target/isol8/app/libs/*.jar      Class-Path adds the dependencies (libs/<name>.jar)
#   target/isol8/config/isol8.yaml   copied from config/isol8.yaml when that file exists
#   target/isol8/lib/isol8.aot       start-up cache (JEP 514 AOT cache) from a training run
#   target/isol8/lib/isol8-agent     the static in-container agent (target/agent/isol8-agent, built by
#                                    `mvn compile` from agent/); `isol8 setup` puts it into isol8:base
#   target/isol8/lib/libsqlitejdbc.so  SQLite's native library for this machine's architecture, taken out of
#                                    the sqlite-jdbc jar; the launcher loads it from here, so the key
#                                    store works with a read-only or noexec temporary folder
#
# Expects `mvn package` to have produced target/isol8.jar and target/libs/ (helidon-se layout).
# `mvn package` runs this script itself in the package phase unless -Disol8.jlink.skip=true.
# Runnable from any directory; rebuilds target/isol8 from scratch every time.
#
# Environment (all optional):
#   JAVA_HOME                   JDK 21+ whose jdeps/jlink are used; falls back to
#                               /usr/lib/jvm/temurin-25-jdk-amd64, then to jlink on PATH
#   ISOL8_JLINK_EXTRA_MODULES   more modules for the runtime, comma-separated (e.g. jdk.localedata)
#   ISOL8_JLINK_TRAIN=false     skip the training run: no start-up cache
set -eu

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"

log() { printf '[jlink %3ss] %s\n' "$SECONDS" "$*"; }
die() { printf '[jlink] error: %s\n' "$*" >&2; exit 1; }

# --- JDK ------------------------------------------------------------------------------------------
jdk_major() { # $1 = JDK home; prints its feature version (from the release file)
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true
}
path_jdk=
if command -v jlink >/dev/null 2>&1; then
    path_jdk=$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")
fi
jdk=
for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 "$path_jdk"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate/bin/jlink" ] || [ ! -x "$candidate/bin/jdeps" ]; then
        continue
    fi
    major=$(jdk_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
        jdk=$candidate
        break
    fi
done
[ -n "$jdk" ] || die "no JDK 21+ with jlink found (set JAVA_HOME)"

# --- inputs ---------------------------------------------------------------------------------------
jar=target/isol8.jar
[ -f "$jar" ] || die "$jar is missing: run 'mvn -DskipTests package' first"
[ -d target/libs ] || die "target/libs is missing: run 'mvn -DskipTests package' first"

# app/ holds only isol8.jar, so the launcher's class path "app/*" is that one jar; its manifest
# Class-Path (libs/<name>.jar, written by the helidon-se parent) adds the dependencies in a fixed
# order. A start-up cache only matches the class path it was created with, and a wildcard over
# many jars expands in directory order, which changes when the folder is copied elsewhere.
# The manifest is also the list of jars to ship: target/libs may hold stale jars of older builds.
manifest_dir=$(mktemp -d)
trap 'rm -rf "$manifest_dir"' EXIT
(cd "$manifest_dir" && "$jdk/bin/jar" xf "$root/$jar" META-INF/MANIFEST.MF)
libs=()
# shellcheck disable=SC2013 # Class-Path is a list of words, not lines
for entry in $(sed -e ':a' -e 'N' -e '$!ba' -e 's/\r//g' -e 's/\n //g' "$manifest_dir/META-INF/MANIFEST.MF" \
        | sed -n 's/^Class-Path: //p'); do
    case $entry in
        libs/*.jar) ;;
        *) die "$jar: unexpected manifest Class-Path entry $entry (expected libs/<name>.jar)" ;;
    esac
    if [ -f "target/$entry" ]; then
        libs+=("target/$entry")
    else
        log "warning: target/$entry (manifest Class-Path) does not exist; left out"
    fi
done
[ "${#libs[@]}" -gt 0 ] || die "$jar has no manifest Class-Path: expected the helidon-se jar layout"
lib_path=$(IFS=:; printf '%s' "${libs[*]}")

out=target/isol8
rm -rf "$out"
mkdir -p "$out/bin" "$out/app/libs" "$out/lib"

# --- modules --------------------------------------------------------------------------------------
# jdeps sees static references only; added on top:
#   jdk.unsupported  sun.misc.Unsafe, used reflectively by JNA, Jackson and guava
#   jdk.crypto.ec    EC curves for TLS to tcp:// Docker hosts
jdeps_modules=$("$jdk/bin/jdeps" -J-XX:TieredStopAtLevel=1 --multi-release 21 --ignore-missing-deps \
    --print-module-deps --class-path "$lib_path" "$jar")
[ -n "$jdeps_modules" ] || die "jdeps printed no modules"
modules=$(printf '%s\n' "$jdeps_modules,jdk.unsupported,jdk.crypto.ec,${ISOL8_JLINK_EXTRA_MODULES:-}" \
    | tr ',' '\n' | sed -e 's/[[:space:]]//g' -e '/^$/d' | LC_ALL=C sort -u | paste -sd, -)
log "JDK: $jdk"
log "modules: $modules"

# --- runtime --------------------------------------------------------------------------------------
# -J-XX:TieredStopAtLevel=1 (jdeps above too): short CPU-bound tool runs; C1 alone cuts their CPU
# time by a third (jdeps) to a half (jlink).
"$jdk/bin/jlink" -J-XX:TieredStopAtLevel=1 \
    --add-modules "$modules" \
    --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
    --output "$out/runtime"

# --- application ----------------------------------------------------------------------------------
cp "$jar" "$out/app/isol8.jar"
cp "${libs[@]}" "$out/app/libs/"
if [ -f config/isol8.yaml ]; then
    mkdir -p "$out/config"
    cp config/isol8.yaml "$out/config/isol8.yaml"
else
    log "no config/isol8.yaml: the image has no config/ folder"
fi
cp jlink/isol8.sh "$out/bin/isol8"
chmod 0755 "$out/bin/isol8"
[ -f target/agent/isol8-agent ] || die "target/agent/isol8-agent is missing: run 'mvn -DskipTests package' first"
cp target/agent/isol8-agent "$out/lib/isol8-agent"
chmod 0755 "$out/lib/isol8-agent"

# SQLite's native library: sqlite-jdbc would otherwise copy it to java.io.tmpdir and load it from there,
# which fails on a noexec /tmp. Glibc build for the machine's architecture.
sqlite_jar=
for lib in "${libs[@]}"; do
    case $(basename "$lib") in sqlite-jdbc-*.jar) sqlite_jar=$lib ;; esac
done
[ -n "$sqlite_jar" ] || die "no sqlite-jdbc jar in the manifest Class-Path"
case $(uname -m) in
    x86_64|amd64) sqlite_arch=x86_64 ;;
    aarch64|arm64) sqlite_arch=aarch64 ;;
    *) sqlite_arch=$(uname -m) ;;
esac
(cd "$manifest_dir" && "$jdk/bin/jar" xf "$root/$sqlite_jar" "org/sqlite/native/Linux/$sqlite_arch/libsqlitejdbc.so")
[ -f "$manifest_dir/org/sqlite/native/Linux/$sqlite_arch/libsqlitejdbc.so" ] \
    || die "$sqlite_jar has no native library for Linux/$sqlite_arch"
cp "$manifest_dir/org/sqlite/native/Linux/$sqlite_arch/libsqlitejdbc.so" "$out/lib/libsqlitejdbc.so"
chmod 0644 "$out/lib/libsqlitejdbc.so"

version=$(env -i "$out/bin/isol8" --version) || die "bin/isol8 --version failed"
log "bin/isol8 --version: $version"

# --- start-up cache -------------------------------------------------------------------------------
# Training run: start the server from the image (cwd = image, so ./config/isol8.yaml is used),
# wait for GET /health 200, then SIGTERM. With -XX:AOTCacheOutput the JVM writes lib/isol8.aot
# as it exits (JEP 514); the launcher uses it when present. Failures only cost the cache.
health_ok() { # $1 = port; succeeds when GET /health answers 200 (bash's /dev/tcp: no curl needed)
    local status
    status=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" \
               && printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 \
               && IFS= read -r -t 5 line <&3 && printf '%s' "$line") 2>/dev/null) || return 1
    case $status in "HTTP/1.1 200"*) return 0 ;; *) return 1 ;; esac
}
train() {
    local port pid code=0 up=false training_log=target/isol8-training.log
    for _ in $(seq 1 50); do  # a port nobody answers on
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    log "training run: bin/isol8 serve --port $port"
    (cd "$out" && unset ISOL8_CONFIG && JAVA_OPTS="-XX:AOTCacheOutput=lib/isol8.aot" \
        exec bin/isol8 serve --port "$port" --key training-key-0123456789) >"$training_log" 2>&1 &
    pid=$!
    for _ in $(seq 1 1200); do  # up to ~60 s
        kill -0 "$pid" 2>/dev/null || break
        if health_ok "$port"; then up=true; break; fi
        sleep 0.05
    done
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 1200); do  # writing the cache takes a few seconds; give up after ~120 s
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || code=$?
    if [ "$up" != true ]; then
        log "warning: /health never answered 200 (see $training_log); no start-up cache"
        rm -f "$out"/lib/isol8.aot*
        return 0
    fi
    [ "$code" -eq 0 ] || log "warning: the training server exited with $code (see $training_log)"
    # -XX:AOTMode=on makes the JVM fail instead of silently ignoring an unusable cache.
    if [ -s "$out/lib/isol8.aot" ] \
            && env -i JAVA_OPTS=-XX:AOTMode=on "$out/bin/isol8" --version >/dev/null 2>&1; then
        log "start-up cache: lib/isol8.aot ($(du -h "$out/lib/isol8.aot" | cut -f1))"
    else
        log "warning: no usable start-up cache (see $training_log)"
        rm -f "$out"/lib/isol8.aot*
    fi
}
if [ "${ISOL8_JLINK_TRAIN:-true}" = false ]; then
    log "ISOL8_JLINK_TRAIN=false: no start-up cache"
elif [ "$(jdk_major "$out/runtime")" -lt 25 ]; then
    log "JDK $(jdk_major "$out/runtime") has no -XX:AOTCacheOutput (JDK 25+): no start-up cache"
else
    train
fi
rmdir "$out/lib" 2>/dev/null || true

log "image: $out ($(du -sh "$out" | cut -f1))"
