package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.OutputChannel;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.StreamKind;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the phases of executions in one container (sandbox.md §1, §8): install, setup and code under one
 * deadline, kill-all at the deadline, the OOM check after an exit of 137, and {@code outputPaths} after the
 * code. Remembers the container's OOM-kill count between executions.
 */
final class PhaseRunner {
    private static final Logger LOG = Logger.getLogger(PhaseRunner.class.getName());
    private static final long KILL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long HELPER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String containerId;
    private final ExecRunner execs;
    private final ContainerFiles files;
    private final Runnable onKillFailed;
    private long oomKills;
    /** Kill-all failed after a timeout: the container is being removed and is not read from again. */
    private boolean discarded;

    /** @param onKillFailed runs when kill-all failed after a timeout: the container must not be used again */
    PhaseRunner(String containerId, ExecRunner execs, ContainerFiles files, Runnable onKillFailed) {
        this.containerId = containerId;
        this.execs = execs;
        this.files = files;
        this.onKillFailed = onKillFailed;
    }

    RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.timeoutMs());
        byte[] staged = Staging.archive(spec).toBytes();
        List<String> env = Staging.env(spec);
        var secrets = spec.secrets().values();

        if (!spec.installPackages().isEmpty()) {
            InstallSink installed = new InstallSink();
            OutputChannel out = new OutputChannel(StreamKind.STDOUT, spec.maxOutputBytes(), secrets, installed);
            OutputChannel err = new OutputChannel(StreamKind.STDERR, spec.maxOutputBytes(), secrets, installed);
            ExecRunner.Result r = phase(PhaseCommands.install(spec), staged, "/sandbox", false, "-", env, out, err,
                    Phase.SETUP, deadline, cancel);
            staged = new byte[0];
            if (r.exitCode() != 0) {
                RunOutcome failed = ended(r, 0, FailedPhase.INSTALL);
                return new RunOutcome(failed.exitCode(), 0, failed.ending(), failed.failedPhase(),
                        installed.stdout.toString(), installed.stderr.toString(), Map.of(), out.totalBytes(),
                        err.totalBytes());
            }
        }
        OutputChannel out = new OutputChannel(StreamKind.STDOUT, spec.maxOutputBytes(), secrets, sink);
        OutputChannel err = new OutputChannel(StreamKind.STDERR, spec.maxOutputBytes(), secrets, sink);
        if (spec.setupScript().isPresent()) {
            ExecRunner.Result r = phase(List.of("bash", Staging.SETUP_SCRIPT), staged, "/sandbox", false,
                    Staging.SETUP_SCRIPT, env, out, err, Phase.SETUP, deadline, cancel);
            staged = new byte[0];
            if (r.exitCode() != 0) {
                return ended(r, 0, FailedPhase.SETUP).withTotals(out.totalBytes(), err.totalBytes());
            }
            sink.setupSucceeded();
        }
        long start = System.nanoTime();
        ExecRunner.Result r = phase(PhaseCommands.code(spec), staged, spec.workdir(), !spec.stdin().isEmpty(),
                Staging.codeFile(spec).orElse("-"), env, out, err, Phase.CODE, deadline, cancel);
        long durationMs = TimeUnit.NANOSECONDS.toMillis(Math.min(System.nanoTime(), deadline) - start);
        if (r.deadlineHit()) {
            durationMs = spec.timeoutMs();
        }
        RunOutcome outcome = ended(r, durationMs, null).withTotals(out.totalBytes(), err.totalBytes());
        if (spec.outputPathsRequested() && outcome.ending() != Ending.CANCELLED && !discarded) {
            outcome = outcome.withFiles(files.outputs(spec.outputPaths()));
        }
        return outcome;
    }

    private RunOutcome ended(ExecRunner.Result r, long durationMs, FailedPhase failed) {
        Ending ending;
        int exit = r.exitCode();
        if (r.deadlineHit()) {
            ending = Ending.TIMED_OUT;
            exit = 137;
            if (!killAll()) {
                // sandbox.md §8.1 step 4: leftovers may still run; the container is removed, a session ends
                discarded = true;
                onKillFailed.run();
            }
        } else if (r.cancelled()) {
            ending = Ending.CANCELLED;
            exit = 137;
        } else if (exit == 137 && oomKilled()) {
            ending = Ending.OOM_KILLED;
        } else {
            ending = Ending.EXITED;
        }
        return new RunOutcome(exit, durationMs, ending, Optional.ofNullable(failed), "", "", Map.of(), 0, 0);
    }

    private ExecRunner.Result phase(List<String> command, byte[] staged, String workdir, boolean stdin,
                                    String removeAfter, List<String> env, OutputChannel out, OutputChannel err,
                                    Phase phase, long deadline, CancelSignal cancel) {
        long secs = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()) + 3);
        List<String> cmd = Staging.launcher(staged.length, workdir, stdin, secs, removeAfter, command);
        try {
            return execs.run(containerId, cmd, env, staged,
                    (isErr, bytes) -> (isErr ? err : out).write(bytes, 0, bytes.length, phase), deadline, cancel);
        } finally {
            out.endPhase(phase);
            err.endPhase(phase);
        }
    }

    /**
     * Whether the container's OOM-kill count rose since the last reading. A 137 may also be the container's
     * own death: when the counter cannot be read, a stopped or removed container is reported as gone, and a
     * running one means "not OOM".
     */
    private boolean oomKilled() {
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

    /** Kills every process executions started; false if that failed or took more than a second. */
    boolean killAll() {
        try {
            Captured c = execs.capture(containerId, List.of("/bin/sh", "-c", Scripts.KILL_ALL, "isol8"),
                    0, System.nanoTime() + KILL_WAIT_NANOS);
            return c.exitCode == 0;
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "kill-all in " + containerId + " failed", e);
            return false;
        }
    }

    /** Keeps a package install's output for its failure message (capped by the channels). */
    private static final class InstallSink implements OutputSink {
        final StringBuilder stdout = new StringBuilder();
        final StringBuilder stderr = new StringBuilder();

        @Override
        public void output(StreamKind stream, Phase phase, String chunk) {
            (stream == StreamKind.STDOUT ? stdout : stderr).append(chunk);
        }

        @Override
        public void truncated(StreamKind stream, Phase phase) {
        }
    }
}
