package io.isol8.engine.docker;

import io.isol8.engine.CancelSignal;
import io.isol8.engine.agent.Message;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The exec executor (sandbox.md §3-§8): one {@code docker exec} per program, the kill-all and oom-count helper
 * scripts. Remembers the container's OOM-kill count between executions.
 */
final class ExecSpawner implements Spawner {
    private static final Logger LOG = Logger.getLogger(ExecSpawner.class.getName());
    private static final long KILL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long HELPER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String containerId;
    private final ExecRunner execs;
    private long oomKills;

    ExecSpawner(String containerId, ExecRunner execs) {
        this.containerId = containerId;
        this.execs = execs;
    }

    @Override
    public Ended run(List<String> cmd, List<String> env, byte[] stdin, ExecRunner.FrameHandler handler,
                     long deadlineNanos, CancelSignal cancel) {
        ExecRunner.Result r = execs.run(containerId, cmd, env, stdin, handler, deadlineNanos, cancel);
        return new Ended(r.exitCode(), r.deadlineHit(), r.cancelled(), Optional.empty());
    }

    /**
     * Whether the container's OOM-kill count rose since the last reading. A 137 may also be the container's own
     * death: when the counter cannot be read, a stopped or removed container is reported as gone, and a running one
     * means "not OOM".
     */
    @Override
    public boolean oomKilled(Ended ended) {
        Captured c = execs.capture(containerId, List.of("/bin/sh", "-c", Scripts.OOM_COUNT, "isol8"),
                64, System.nanoTime() + HELPER_NANOS);
        String count = c.stdout.toString(StandardCharsets.US_ASCII).trim();
        if (c.exitCode != 0 || !count.matches("[0-9]{1,18}")) {
            execs.requireRunning(containerId);
            LOG.fine(() -> "oom-count in " + containerId + " exited " + c.exitCode + " without a number");
            return false;
        }
        long now = Long.parseLong(count);
        boolean more = now > oomKills;
        oomKills = now;
        return more;
    }

    @Override
    public boolean killAll() {
        try {
            Captured c = execs.capture(containerId, List.of("/bin/sh", "-c", Scripts.KILL_ALL, "isol8"),
                    0, System.nanoTime() + KILL_WAIT_NANOS);
            return c.exitCode == 0;
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "kill-all in " + containerId + " failed", e);
            return false;
        }
    }

    @Override
    public ContainerFiles files(long maxFileBytes) {
        return new ScriptFiles(this, maxFileBytes);
    }

    @Override
    public Optional<Message.Stats> counters() {
        return Optional.empty();
    }
}
