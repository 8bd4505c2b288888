package io.isol8.engine.docker;

import io.isol8.config.Isol8Config.Packages;
import io.isol8.core.ExecutionSpec;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Interaction;
import io.isol8.engine.OutputChannel;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.StreamKind;
import io.isol8.engine.agent.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Runs the phases of executions in one container (sandbox.md §1, §8, §15): install, setup and code under one
 * deadline, kill-all at the deadline, the OOM check after an exit of 137, {@code outputPaths} after the code, and
 * the code phase's resource usage where the {@link Spawner} can measure it.
 */
final class PhaseRunner {
    private static final Logger LOG = Logger.getLogger(PhaseRunner.class.getName());
    private final Spawner spawner;
    private final ContainerFiles files;
    /** The execution's input is still to be written: its first phase stages it. */
    private boolean stage;
    private final Runnable onKillFailed;
    private final Installs installs;
    /** Kill-all failed after a timeout: the container is being removed and is not read from again. */
    private boolean discarded;

    /** @param onKillFailed runs when kill-all failed after a timeout: the container must not be used again */
    PhaseRunner(Spawner spawner, ContainerFiles files, Runnable onKillFailed, Installs installs) {
        this.spawner = spawner;
        this.files = files;
        this.onKillFailed = onKillFailed;
        this.installs = installs;
    }

    /**
     * Runs every phase of {@code spec}.
     *
     * @param interaction the code phase's live input (api.md §14.2), or null: its stdin is {@code spec.stdin()}
     */
    RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel, Interaction interaction) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.timeoutMs());
        stage = true;
        List<String> env = Staging.env(spec);
        var secrets = spec.secrets().values();

        if (!spec.installPackages().isEmpty()) {
            InstallSink installed = new InstallSink();
            OutputChannel out = new OutputChannel(StreamKind.STDOUT, spec.maxOutputBytes(), secrets, installed);
            OutputChannel err = new OutputChannel(StreamKind.STDERR, spec.maxOutputBytes(), secrets, installed);
            sink.installStarted();
            long start = System.nanoTime();
            Spawner.Ended r = install(spec, env, out, err, deadline, cancel);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            RunOutcome failed = r.exitCode() != 0 ? ended(r, 0, FailedPhase.INSTALL) : null;
            int exit = failed == null ? 0 : failed.exitCode();
            sink.installEnded(millis, exit);
            LOG.info(() -> "install of " + spec.installPackages().size() + " " + spec.runtime().wireName()
                    + " package(s) took " + millis + " ms, exit code " + exit);
            if (failed != null) {
                return new RunOutcome(failed.exitCode(), 0, failed.ending(), failed.failedPhase(),
                        installed.stdout.toString(), installed.stderr.toString(), Map.of(), out.totalBytes(),
                        err.totalBytes());
            }
        }
        OutputChannel out = new OutputChannel(StreamKind.STDOUT, spec.maxOutputBytes(), secrets, sink);
        OutputChannel err = new OutputChannel(StreamKind.STDERR, spec.maxOutputBytes(), secrets, sink);
        if (spec.setupScript().isPresent()) {
            Spawner.Ended r = phase(spec, List.of("bash", Staging.SETUP_SCRIPT), "/sandbox", false,
                    Staging.SETUP_SCRIPT, env, out, err, Phase.SETUP, null, deadline, cancel);
            if (r.exitCode() != 0) {
                return ended(r, 0, FailedPhase.SETUP).withTotals(out.totalBytes(), err.totalBytes());
            }
            sink.setupSucceeded();
        }
        Optional<Message.Stats> before = spawner.counters();
        long start = System.nanoTime();
        Spawner.Ended r = phase(spec, PhaseCommands.code(spec), spec.workdir(), !spec.stdin().isEmpty(),
                Staging.codeFile(spec).orElse("-"), env, out, err, Phase.CODE, interaction, deadline, cancel);
        long durationMs = TimeUnit.NANOSECONDS.toMillis(Math.min(System.nanoTime(), deadline) - start);
        if (r.deadlineHit()) {
            durationMs = spec.timeoutMs();
        }
        RunOutcome outcome = ended(r, durationMs, null).withTotals(out.totalBytes(), err.totalBytes());
        if (before.isPresent() && outcome.ending() != Ending.CANCELLED && !discarded) {
            outcome = outcome.withUsage(Usage.of(r.agentExit(), before.get(), spawner.counters(), durationMs));
        }
        if (spec.outputPathsRequested() && outcome.ending() != Ending.CANCELLED && !discarded) {
            outcome = outcome.withFiles(files.outputs(spec.outputPaths()));
        }
        return outcome;
    }

    private RunOutcome ended(Spawner.Ended r, long durationMs, FailedPhase failed) {
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
        } else if (exit == 137 && spawner.oomKilled(r)) {
            ending = Ending.OOM_KILLED;
        } else {
            ending = Ending.EXITED;
        }
        return new RunOutcome(exit, durationMs, ending, Optional.ofNullable(failed), "", "", Map.of(), 0, 0);
    }

    /** The install phase: the installer with the mirrors' environment and, if configured, the CA bundle. */
    private Spawner.Ended install(ExecutionSpec spec, List<String> env, OutputChannel out, OutputChannel err,
                                  long deadline, CancelSignal cancel) {
        List<String> installEnv = new ArrayList<>(env);
        installEnv.addAll(installs.env(spec.runtime()));
        String removeAfter = "-";
        if (installs.ca().isPresent()) {
            files.write(Packages.CA_PATH, installs.ca().get(), "tmpSize");
            removeAfter = Packages.CA_PATH;
        }
        Spawner.Launch launch = new Spawner.Launch(spec, stage, PhaseCommands.install(spec), "/sandbox", false,
                removeAfter, installEnv, true);
        return launch(launch, out, err, Phase.SETUP, null, deadline, cancel);
    }

    private Spawner.Ended phase(ExecutionSpec spec, List<String> command, String workdir, boolean stdin,
                                String removeAfter, List<String> env, OutputChannel out, OutputChannel err,
                                Phase phase, Interaction interaction, long deadline, CancelSignal cancel) {
        return launch(new Spawner.Launch(spec, stage, command, workdir, stdin, removeAfter, env), out, err, phase,
                interaction, deadline, cancel);
    }

    private Spawner.Ended launch(Spawner.Launch launch, OutputChannel out, OutputChannel err, Phase phase,
                                 Interaction interaction, long deadline, CancelSignal cancel) {
        stage = false;
        try {
            return spawner.phase(launch, interaction,
                    (isErr, bytes) -> (isErr ? err : out).write(bytes, 0, bytes.length, phase), deadline, cancel);
        } finally {
            out.endPhase(phase);
            err.endPhase(phase);
        }
    }

    /** Kills every process executions started; false if that failed or took more than a second. */
    boolean killAll() {
        return spawner.killAll();
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
