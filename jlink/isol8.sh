#!/bin/sh
# isol8 launcher of the jlink runtime image; jlink/build.sh installs it as bin/isol8.
#
#   <home>/bin/isol8   <home>/runtime/   <home>/app/isol8.jar   <home>/app/libs/*.jar (named by the
#   jar's manifest Class-Path)   <home>/config/isol8.yaml   [<home>/lib/isol8.aot]   [<home>/lib/libsqlitejdbc.so]
#
# JAVA_OPTS is passed to the JVM after the defaults below, so it can override them
# (e.g. JAVA_OPTS=-Xmx1g, JAVA_OPTS=-XX:+UseG1GC, JAVA_OPTS=-XX:AOTMode=off).
# Needs neither PATH nor JAVA_HOME: shell built-ins only (readlink just to follow a symlinked launcher).

# Follow symlinks to the real launcher, then its folder's parent is the image.
self=$0
while [ -h "$self" ]; do
    link=
    for rl in readlink /usr/bin/readlink /bin/readlink; do
        if command -v "$rl" >/dev/null 2>&1; then
            link=$("$rl" -- "$self")
            break
        fi
    done
    if [ -z "$link" ]; then
        echo "error: cannot resolve the symlink $self (no readlink)" >&2
        exit 1
    fi
    case $link in
        /*) self=$link ;;
        *) case $self in */*) self=${self%/*}/$link ;; *) self=$link ;; esac ;;
    esac
done
case $self in
    */*) bin_dir=${self%/*} ;;
    *) bin_dir=. ;;
esac
[ -n "$bin_dir" ] || bin_dir=/
HOME_DIR=$(CDPATH='' cd -P -- "$bin_dir/.." && pwd -P) || exit 1

# JVM defaults:
#   -XX:+UseSerialGC            smallest footprint and start-up cost; the server is I/O bound and
#                               its heap small (dropped when JAVA_OPTS selects another collector)
#   -XX:MaxRAMPercentage=25     heap ceiling follows the machine's or container's memory
#   -Xms32m                     small initial heap: lower idle RSS, the heap grows on demand
#   -XX:TieredStopAtLevel=1     C1 only. The server's Java work is glue between sockets (about
#                               8 ms of CPU per request); with C2 the JIT itself used more CPU than
#                               that for the first thousands of requests (docs/benchmarks.md).
#                               JAVA_OPTS=-XX:TieredStopAtLevel=4 restores C2.
#   -XX:AOTCache=lib/isol8.aot  start-up cache from jlink/build.sh's training run; only when the
#                               file exists. AOTMode=auto: a stale or unusable cache is ignored
#                               (with a warning) and the server starts normally.
gc=-XX:+UseSerialGC
case " ${JAVA_OPTS-} " in
    *" -XX:+Use"*"GC "*) gc= ;;
esac
aot=
if [ -f "$HOME_DIR/lib/isol8.aot" ]; then
    aot=$HOME_DIR/lib/isol8.aot
fi
# SQLite (the key store) loads its native library from the image, never from a temporary folder
sqlite_lib=
if [ -f "$HOME_DIR/lib/libsqlitejdbc.so" ]; then
    sqlite_lib=$HOME_DIR/lib
fi

# shellcheck disable=SC2086 # $gc and JAVA_OPTS are split into words on purpose
exec "$HOME_DIR/runtime/bin/java" $gc -XX:MaxRAMPercentage=25 -Xms32m -XX:TieredStopAtLevel=1 \
    ${aot:+"-XX:AOTCache=$aot"} ${aot:+-XX:AOTMode=auto} \
    ${sqlite_lib:+"-Dorg.sqlite.lib.path=$sqlite_lib"} ${sqlite_lib:+-Dorg.sqlite.lib.name=libsqlitejdbc.so} ${JAVA_OPTS-} \
    -cp "$HOME_DIR/app/*" io.isol8.cli.Main "$@"
