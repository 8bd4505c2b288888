package io.isol8.engine.agent;

import java.util.List;
import java.util.Objects;

/**
 * One message of the agent protocol, either direction ({@code docs/agent-protocol.md}). {@link #id()} is the
 * request id: a run's id, or 0 for the channel itself. Byte arrays are owned by the message (not copied).
 */
public sealed interface Message {
    /** The request id (unsigned 32-bit, carried in an int). */
    int id();

    // ---- server → agent

    /**
     * Start a program. {@code deadlineMs} 0 = none; {@code streamStdin} false = /dev/null; {@code removeAfter} a
     * file the agent unlinks when the program has ended, empty for none.
     */
    record Run(int id, long deadlineMs, boolean streamStdin, String cwd, List<String> argv, List<String> env,
               String removeAfter, int cols, int rows) implements Message {
        public Run {
            argv = List.copyOf(argv);
            env = List.copyOf(env);
            Objects.requireNonNull(cwd, "cwd");
            Objects.requireNonNull(removeAfter, "removeAfter");
            if (deadlineMs < 0 || deadlineMs > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("deadlineMs out of range: " + deadlineMs);
            }
            if (cols != 0 || rows != 0) {
                if (cols < 1 || cols > 1000 || rows < 1 || rows > 1000) {
                    throw new IllegalArgumentException("terminal size out of range: " + cols + "x" + rows);
                }
            }
        }

        /** A run on pipes (no terminal). */
        public Run(int id, long deadlineMs, boolean streamStdin, String cwd, List<String> argv, List<String> env,
                   String removeAfter) {
            this(id, deadlineMs, streamStdin, cwd, argv, env, removeAfter, 0, 0);
        }

        /** Whether the program runs on a terminal of {@code cols} x {@code rows} (stdin mode 2). */
        public boolean terminal() {
            return cols > 0;
        }
    }

    /** Data for a run's stdin (1…65 536 bytes). */
    record Stdin(int id, byte[] data) implements Message { }

    /** Close a run's stdin once the data before it is written. */
    record StdinEnd(int id) implements Message { }

    /** Set the terminal size of a run on a terminal (ignored for other runs). */
    record Resize(int id, int cols, int rows) implements Message { }

    /** Send a signal to a run's process group. */
    record Signal(int id, int signo) implements Message { }

    /** SIGKILL every process but the agent, then answer {@link Done}. */
    record KillAll(int id) implements Message { }

    /** Ask for the container's counters ({@link Stats}). */
    record StatsRequest(int id) implements Message { }

    /** The next piece (1…65 536 bytes) of a tar stream the agent writes into the container. */
    record Put(int id, byte[] data) implements Message { }

    /** The put's tar stream is complete: answered with {@link Done} or {@link Error}. */
    record PutEnd(int id) implements Message { }

    /** Send one regular file of at most {@code maxBytes}: {@link Data} frames, then {@link Done}; or {@link Error}. */
    record Get(int id, long maxBytes, String path) implements Message { }

    /**
     * Send the readable regular files among {@code paths} while their total stays within {@code maxTotal}: records
     * ({@code string path, u64 size, bytes}) in {@link Data} frames, then {@link Done}.
     */
    record Outputs(int id, long maxTotal, List<String> paths) implements Message {
        public Outputs {
            paths = List.copyOf(paths);
        }
    }

    // ---- agent → server

    /** The agent's first frame (id 0). */
    record Hello(int id, long protocolVersion, int cgroupVersion, String agentVersion) implements Message { }

    /** The run's process exists. */
    record Started(int id, long pid) implements Message { }

    /** Output of a run (1…65 536 bytes) on stdout or stderr. */
    record Output(int id, boolean stderr, byte[] data) implements Message { }

    /**
     * The run ended and all its output was sent. {@code flags} bit 0: the agent's deadline killed it; bit 1: the
     * container's OOM-kill counter rose during the run.
     */
    record Exit(int id, int code, int signal, int flags, long cpuUs, long peakRssKb, long wallUs) implements Message {
        public boolean deadlineHit() {
            return (flags & 1) != 0;
        }

        public boolean oomKilled() {
            return (flags & 2) != 0;
        }
    }

    /** A request could not be done. */
    record Error(int id, String message) implements Message { }

    /** The container's cgroup and network counters. */
    record Stats(int id, long memoryBytes, long memoryPeakBytes, long oomKills, long cpuNs, long netRxBytes,
                 long netTxBytes) implements Message { }

    /** {@link KillAll}, a put, a get or outputs finished. */
    record Done(int id) implements Message { }

    /** The next piece (1…65 536 bytes) of a get's or outputs' answer. */
    record Data(int id, byte[] data) implements Message { }

    /** That many bytes of stdin were written to (or dropped by) the run. */
    record Ack(int id, long bytes) implements Message { }
}
