package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Interaction;
import io.isol8.engine.agent.Message;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * How programs start inside one container: one {@code docker exec} each ({@link ExecSpawner}) or a run over the
 * agent's channel ({@link AgentSpawner}). {@link PhaseRunner} works with either, so the phases exist once.
 */
interface Spawner {
    /**
     * How a program ended: {@code exitCode} is -1 when it did not end by itself; {@code agentExit} is the agent's
     * own report (counters, OOM flag), absent with docker exec.
     */
    record Ended(int exitCode, boolean deadlineHit, boolean cancelled, Optional<Message.Exit> agentExit) {
    }

    /**
     * One phase's program (sandbox.md §3.3, §6).
     *
     * @param stage        whether the execution's input (files, stdin, scripts, code) is written into the container
     *                     first: true for its first phase
     * @param command      the program; the single word {@code @cmd} means the request's {@code cmd} run by bash
     * @param programStdin whether the program reads the request's stdin (else /dev/null)
     * @param removeAfter  a file to delete when the program ends, or {@code -}
     */
    record Launch(ExecutionSpec spec, boolean stage, List<String> command, String workdir, boolean programStdin,
                  String removeAfter, List<String> env, boolean install) {
        /** A launch of a phase other than the package install. */
        Launch(ExecutionSpec spec, boolean stage, List<String> command, String workdir, boolean programStdin,
               String removeAfter, List<String> env) {
            this(spec, stage, command, workdir, programStdin, removeAfter, env, false);
        }
    }

    /**
     * Runs one phase and blocks until it ends, {@code deadlineNanos} (System.nanoTime) passes, or {@code cancel}
     * fires. A staging failure is the phase's result: exit 125 with the reason and
     * {@code isol8: could not write input files} on stderr. This default is the exec executor's launcher
     * (sandbox.md §3.3): the staging archive on the exec's stdin, a shell that extracts it and starts the program.
     *
     * @throws io.isol8.engine.ContainerGoneException     the container (or its agent) is gone
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker failed, or never told the exit status
     */
    default Ended phase(Launch l, ExecRunner.FrameHandler handler, long deadlineNanos, CancelSignal cancel) {
        return phase(l, null, handler, deadlineNanos, cancel);
    }

    /**
     * As {@link #phase(Launch, ExecRunner.FrameHandler, long, CancelSignal)}; with an {@code interaction} the program's
     * stdin stays open after the request's stdin for the client's data, its end, signals and resizes, and the
     * interaction hears when the program has started.
     *
     * @throws UnsupportedOperationException this spawner cannot feed a live program (docker exec)
     */
    default Ended phase(Launch l, Interaction interaction, ExecRunner.FrameHandler handler, long deadlineNanos,
                        CancelSignal cancel) {
        if (interaction != null) {
            throw new UnsupportedOperationException("interactive runs need the agent executor");
        }
        byte[] staged = l.stage() ? Staging.archive(l.spec()).toBytes() : new byte[0];
        long secs = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadlineNanos - System.nanoTime()) + 3);
        List<String> cmd = Staging.launcher(staged.length, l.workdir(), l.programStdin(), secs, l.removeAfter(),
                l.command());
        return run(cmd, l.env(), staged, handler, deadlineNanos, cancel);
    }

    /**
     * Runs {@code cmd} as the sandbox user in {@code /sandbox} with {@code stdin} as its standard input (closed after
     * it) and blocks until it ends, {@code deadlineNanos} (System.nanoTime) passes, or {@code cancel} fires.
     *
     * @throws io.isol8.engine.ContainerGoneException     the container (or its agent) is gone
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker failed, or never told the exit status
     */
    Ended run(List<String> cmd, List<String> env, byte[] stdin, ExecRunner.FrameHandler handler, long deadlineNanos,
              CancelSignal cancel);

    /** Runs a helper and collects its stdout (at most {@code maxBytes}, the rest is dropped). */
    default Captured capture(List<String> cmd, long maxBytes, long deadlineNanos) {
        Captured captured = new Captured(maxBytes);
        Ended r = run(cmd, List.of(), new byte[0], captured, deadlineNanos, new CancelSignal());
        captured.exitCode = r.exitCode();
        return captured;
    }

    /** The container's files through this spawner; {@code maxFileBytes} bounds {@code outputPaths}. */
    ContainerFiles files(long maxFileBytes);

    /** After an exit of 137 that was not the deadline: whether the kernel's OOM killer did it. */
    boolean oomKilled(Ended ended);

    /** Kills every process that runs started; false if that failed or took more than a second. Never throws. */
    boolean killAll();

    /** The container's counters now (agent only; bounded to a second), for resource usage. */
    Optional<Message.Stats> counters();
}
