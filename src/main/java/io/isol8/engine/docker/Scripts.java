package io.isol8.engine.docker;

/**
 * The fixed shell scripts run inside containers (sandbox.md §3.3, §3.5). They are constants: user data
 * never appears in exec arguments, only numbers, validated paths and validated package names.
 * Each is run as {@code /bin/sh -c SCRIPT isol8 args…}.
 */
public final class Scripts {
    private Scripts() {
    }

    /**
     * Stages {@code $1} bytes of tar from stdin, changes into {@code $2}, redirects the program's stdin
     * ({@code $3}: file or none), runs {@code $6…} under a {@code timeout -s KILL $4} backstop and removes
     * {@code $5} afterwards. {@code @cmd} runs the staged command with {@code bash -c}. {@code timeout} itself
     * writes to /dev/null (it would print "Killed" when the program dies of SIGKILL); the program keeps the
     * real stderr through fd 3.
     */
    public static final String LAUNCHER = """
            n=$1 wd=$2 in=$3 secs=$4 rmp=$5; shift 5
            if [ "$n" -gt 0 ]; then
              head -c "$n" | tar -x -f - -C / --no-same-owner --no-same-permissions --no-overwrite-dir -m \\
                || { echo "isol8: could not write input files" >&2; exit 125; }
            fi
            { [ -d "$wd" ] || mkdir -p -- "$wd"; } && cd -- "$wd" || { echo "isol8: cannot use working directory $wd" >&2; exit 125; }
            if [ "$in" = file ] && [ -f /tmp/.isol8/stdin ]; then exec 0</tmp/.isol8/stdin; rm -f /tmp/.isol8/stdin
            else exec 0</dev/null; fi
            if [ "$1" = @cmd ]; then c=$(cat /tmp/.isol8/cmd); rm -f /tmp/.isol8/cmd; set -- bash -c "$c"; fi
            timeout -s KILL "$secs" /bin/sh -c 'exec 2>&3 3>&-; exec "$@"' isol8 "$@" 3>&2 2>/dev/null; rc=$?
            [ "$rmp" = - ] || rm -f -- "$rmp"
            exit $rc
            """;

    /** Kills every process outside session 1 (tini and its keeper) and outside its own session. */
    static final String KILL_ALL = """
            me=$$
            for round in 1 2 3 4 5; do
              pids=$(ps -eo pid=,sid= | awk -v me="$me" '$2 != 1 && $2 != me { print $1 }')
              [ -z "$pids" ] && exit 0
              kill -9 $pids 2>/dev/null
            done
            pids=$(ps -eo pid=,sid= | awk -v me="$me" '$2 != 1 && $2 != me { print $1 }')
            [ -z "$pids" ]
            """;

    /** Prints the number of OOM kills of the container's memory cgroup (v1, else v2). */
    static final String OOM_COUNT = """
            f=/sys/fs/cgroup/memory/memory.oom_control
            [ -r "$f" ] || f=/sys/fs/cgroup/memory.events
            awk '$1 == "oom_kill" { print $2 }' "$f"
            """;

    /** Writes a file at most {@code $1} bytes to stdout; 44 missing, 45 not regular, 47 too large. */
    static final String GET_FILE = """
            p=$1 max=$2
            [ -e "$p" ] || exit 44
            [ -f "$p" ] || exit 45
            [ -r "$p" ] || exit 44
            s=$(stat -c %s -- "$p") || exit 44
            [ "$s" -le "$max" ] || exit 47
            exec cat -- "$p"
            """;

    /** Stages {@code $1} bytes of tar holding the file {@code $2}; 45 if that path is a directory. */
    static final String PUT_FILE = """
            n=$1 p=$2
            [ -d "$p" ] && { echo "Is a directory" >&2; exit 45; }
            head -c "$n" | tar -x -f - -C / --no-same-owner --no-same-permissions --no-overwrite-dir -m 2>/tmp/.isol8-put.err
            rc=$?
            if [ $rc -ne 0 ]; then cat /tmp/.isol8-put.err >&2; rm -f /tmp/.isol8-put.err; exit 125; fi
            rm -f /tmp/.isol8-put.err
            """;

    /**
     * Writes a tar of the readable regular files among {@code $2…} while their total stays ≤ {@code $1}. A file
     * that vanishes or turns unreadable between the check and tar is left out too ({@code --ignore-failed-read}),
     * so any other exit status means the helper itself failed.
     */
    static final String READ_OUTPUTS = """
            max=$1; shift; total=0
            for p in "$@"; do
              [ -f "$p" ] && [ -r "$p" ] || continue
              s=$(stat -c %s -- "$p") || continue
              [ $((total + s)) -le "$max" ] || continue
              total=$((total + s))
              printf '%s\\0' "${p#/}"
            done | tar -c -f - -C / --no-recursion --ignore-failed-read --null -T -
            """;
}
