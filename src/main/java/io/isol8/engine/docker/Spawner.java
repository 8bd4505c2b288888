package io.isol8.engine.docker;

import io.isol8.engine.CancelSignal;
import io.isol8.engine.Interaction;
import io.isol8.engine.agent.Message;

import java.util.List;
import java.util.Optional;

/**
 * How programs start inside one container: one {@code docker exec} each ({@link ExecSpawner}) or a run over the
 * agent's channel ({@link AgentSpawner}). {@link PhaseRunner} and {@link ContainerFiles} work with either, so the
 * phases, staging and helpers exist once.
 */
interface Spawner {
    /**
     * How a program ended: {@code exitCode} is -1 when it did not end by itself; {@code agentExit} is the agent's
     * own report (counters, OOM flag), absent with docker exec.
     */
    record Ended(int exitCode, boolean deadlineHit, boolean cancelled, Optional<Message.Exit> agentExit) {
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

    /**
     * As {@link #run}, but the program's stdin stays open after {@code stdin}: it then gets the data, end, signals
     * and resizes of {@code interaction}, which also hears when the program has started.
     *
     * @throws UnsupportedOperationException this spawner cannot feed a live program (docker exec)
     */
    default Ended runInteractive(List<String> cmd, List<String> env, byte[] stdin, Interaction interaction,
                                 ExecRunner.FrameHandler handler, long deadlineNanos, CancelSignal cancel) {
        throw new UnsupportedOperationException("interactive runs need the agent executor");
    }

    /** Runs a helper and collects its stdout (at most {@code maxBytes}, the rest is dropped). */
    default Captured capture(List<String> cmd, long maxBytes, long deadlineNanos) {
        Captured captured = new Captured(maxBytes);
        Ended r = run(cmd, List.of(), new byte[0], captured, deadlineNanos, new CancelSignal());
        captured.exitCode = r.exitCode();
        return captured;
    }

    /** After an exit of 137 that was not the deadline: whether the kernel's OOM killer did it. */
    boolean oomKilled(Ended ended);

    /** Kills every process that runs started; false if that failed or took more than a second. Never throws. */
    boolean killAll();

    /** The container's counters now (agent only; bounded to a second), for resource usage. */
    Optional<Message.Stats> counters();
}
