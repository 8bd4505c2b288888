package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Network;
import io.isol8.core.Source;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.OutputChannel;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.Sandbox;
import io.isol8.engine.StreamKind;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A running container and the phases of the executions in it (sandbox.md §1, §3, §6, §8). */
final class DockerSandbox implements Sandbox {
    private static final String STAGE = "/tmp/.isol8/";
    private static final long KILL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long HELPER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String containerId;
    private final ExecRunner execs;
    private final DockerEngine engine;
    private final Consumer<String> onClose;
    private final Runnable onGone;
    private long oomKills;

    /**
     * @param onClose receives the id when the owner closes the sandbox
     * @param onGone  runs when the container turns out to be gone (a dead warm container)
     */
    DockerSandbox(String containerId, ExecRunner execs, DockerEngine engine, Consumer<String> onClose, Runnable onGone) {
        this.containerId = containerId;
        this.execs = execs;
        this.engine = engine;
        this.onClose = onClose;
        this.onGone = onGone;
    }

    @Override
    public String containerId() {
        return containerId;
    }

    @Override
    public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
        return translated(() -> runPhases(spec, sink, cancel));
    }

    /** Docker's own failures become our 503; ours and "container gone" pass through. */
    private <T> T translated(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (ContainerGoneException e) {
            onGone.run();
            throw e;
        } catch (Isol8Exception e) {
            throw e;
        } catch (RuntimeException e) {
            engine.telemetry().dockerError("exec");
            throw engine.unavailable(e);
        }
    }

    private RunOutcome runPhases(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.timeoutMs());
        byte[] staged = stage(spec).toBytes();
        List<String> env = env(spec);
        var secrets = spec.secrets().values();

        if (!spec.installPackages().isEmpty()) {
            InstallSink installed = new InstallSink();
            OutputChannel out = new OutputChannel(StreamKind.STDOUT, spec.maxOutputBytes(), secrets, installed);
            OutputChannel err = new OutputChannel(StreamKind.STDERR, spec.maxOutputBytes(), secrets, installed);
            ExecRunner.Result r = phase(installCommand(spec), staged, "/sandbox", false, "-", env, out, err,
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
            ExecRunner.Result r = phase(List.of("bash", STAGE + "setup.sh"), staged, "/sandbox", false,
                    STAGE + "setup.sh", env, out, err, Phase.SETUP, deadline, cancel);
            staged = new byte[0];
            if (r.exitCode() != 0) {
                return ended(r, 0, FailedPhase.SETUP).withTotals(out.totalBytes(), err.totalBytes());
            }
            sink.setupSucceeded();
        }
        long start = System.nanoTime();
        ExecRunner.Result r = phase(codeCommand(spec), staged, spec.workdir(), !spec.stdin().isEmpty(),
                codeFile(spec).orElse("-"), env, out, err, Phase.CODE, deadline, cancel);
        long durationMs = TimeUnit.NANOSECONDS.toMillis(Math.min(System.nanoTime(), deadline) - start);
        if (r.deadlineHit()) {
            durationMs = spec.timeoutMs();
        }
        RunOutcome outcome = ended(r, durationMs, null).withTotals(out.totalBytes(), err.totalBytes());
        if (spec.outputPathsRequested() && outcome.ending() != Ending.CANCELLED) {
            outcome = outcome.withFiles(readOutputs(spec));
        }
        return outcome;
    }

    private RunOutcome ended(ExecRunner.Result r, long durationMs, FailedPhase failed) {
        Ending ending;
        int exit = r.exitCode();
        if (r.deadlineHit()) {
            ending = Ending.TIMED_OUT;
            exit = 137;
            killAll();
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
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", Scripts.LAUNCHER, "isol8",
                Integer.toString(staged.length), workdir, stdin ? "file" : "none", Long.toString(secs), removeAfter));
        cmd.addAll(command);
        try {
            return execs.run(containerId, cmd, env, staged,
                    (isErr, bytes) -> (isErr ? err : out).write(bytes, 0, bytes.length, phase), deadline, cancel);
        } finally {
            out.endPhase(phase);
            err.endPhase(phase);
        }
    }

    private boolean oomKilled() {
        try {
            ExecRunner.Captured c = execs.capture(containerId, List.of("/bin/sh", "-c", Scripts.OOM_COUNT, "isol8"),
                    64, System.nanoTime() + HELPER_NANOS);
            long now = Long.parseLong(c.stdout.toString(StandardCharsets.US_ASCII).trim());
            boolean more = now > oomKills;
            oomKills = now;
            return more;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public boolean killAll() {
        try {
            ExecRunner.Captured c = execs.capture(containerId, List.of("/bin/sh", "-c", Scripts.KILL_ALL, "isol8"),
                    0, System.nanoTime() + KILL_WAIT_NANOS);
            return c.exitCode == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private Map<String, byte[]> readOutputs(ExecutionSpec spec) {
        Map<String, List<String>> byPath = new LinkedHashMap<>();
        for (String requested : spec.outputPaths()) {
            io.isol8.core.ContainerPath.resolve(requested)
                    .ifPresent(p -> byPath.computeIfAbsent(p, k -> new ArrayList<>()).add(requested));
        }
        if (byPath.isEmpty()) {
            return Map.of();
        }
        long max = engine.maxFileBytes();
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", Scripts.READ_OUTPUTS, "isol8", Long.toString(max)));
        cmd.addAll(byPath.keySet());
        Map<String, byte[]> read = new LinkedHashMap<>();
        try {
            ExecRunner.Captured c = execs.capture(containerId, cmd, max + max / 8 + (1 << 20),
                    System.nanoTime() + HELPER_NANOS);
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(c.stdout.toByteArray()))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    if (entry.isFile()) {
                        read.put("/" + entry.getName(), tar.readAllBytes());
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // outputs that cannot be read are left out
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String requested : spec.outputPaths()) {
            io.isol8.core.ContainerPath.resolve(requested).map(read::get).ifPresent(b -> files.put(requested, b));
        }
        return files;
    }

    @Override
    public byte[] readFile(String path, long maxBytes) {
        return translated(() -> read(path, maxBytes));
    }

    private byte[] read(String path, long maxBytes) {
        ExecRunner.Captured c = execs.capture(containerId,
                List.of("/bin/sh", "-c", Scripts.GET_FILE, "isol8", path, Long.toString(maxBytes)), maxBytes,
                System.nanoTime() + HELPER_NANOS * 6);
        return switch (c.exitCode) {
            case 0 -> c.stdout.toByteArray();
            case 44 -> throw new Isol8Exception.NotFound("File not found: " + path);
            case 45 -> throw new Isol8Exception.BadRequest("Not a regular file: " + path);
            case 47 -> throw new Isol8Exception.TooLarge("File exceeds limits.maxFileBytes (" + maxBytes + " bytes)");
            default -> throw new IllegalStateException("get-file exited " + c.exitCode);
        };
    }

    @Override
    public void writeFile(String path, byte[] content, String sizeHint) {
        translated(() -> {
            write(path, content, sizeHint);
            return null;
        });
    }

    private void write(String path, byte[] content, String sizeHint) {
        byte[] archive = new StagingArchive().add(path, content).toBytes();
        ExecRunner.Captured c = new ExecRunner.Captured(0);
        ExecRunner.Result r = execs.run(containerId, List.of("/bin/sh", "-c", Scripts.PUT_FILE, "isol8",
                Integer.toString(archive.length), path), List.of(), archive, c, System.nanoTime() + HELPER_NANOS * 6,
                new CancelSignal());
        if (r.exitCode() == 0) {
            return;
        }
        String reason = c.stderr.toString().trim();
        if (reason.contains("No space left")) {
            throw new Isol8Exception.TooLarge("Not enough space for " + path + " (sandboxSize " + sizeHint + ")");
        }
        if (r.exitCode() == 45) {
            reason = "Is a directory";
        }
        String first = reason.lines().findFirst().orElse("");
        int colon = first.lastIndexOf(": ");
        String shortReason = colon >= 0 ? first.substring(colon + 2) : first;
        throw new Isol8Exception.BadRequest("Cannot write " + path + ": " + (shortReason.isEmpty() ? "exit " + r.exitCode() : shortReason));
    }

    @Override
    public void close() {
        onClose.accept(containerId);
    }

    private static StagingArchive stage(ExecutionSpec spec) {
        StagingArchive archive = new StagingArchive();
        spec.files().forEach((path, text) -> archive.add(path, utf8(text)));
        if (!spec.stdin().isEmpty()) {
            archive.add(STAGE + "stdin", utf8(spec.stdin()));
        }
        spec.setupScript().ifPresent(s -> archive.add(STAGE + "setup.sh", utf8(s)));
        switch (spec.source()) {
            case Source.Command c -> archive.add(STAGE + "cmd", utf8(c.command()));
            case Source.Code c -> archive.add(codeFile(spec).orElseThrow(), utf8(c.text()));
        }
        return archive;
    }

    private static Optional<String> codeFile(ExecutionSpec spec) {
        if (spec.source() instanceof Source.Code c) {
            String dir = spec.workdir().endsWith("/") ? spec.workdir() : spec.workdir() + "/";
            return Optional.of(dir + ".isol8_main" + c.extension());
        }
        return Optional.empty();
    }

    private static List<String> codeCommand(ExecutionSpec spec) {
        if (spec.source() instanceof Source.Command) {
            return List.of("@cmd");
        }
        String file = codeFile(spec).orElseThrow();
        return switch (spec.runtime()) {
            case PYTHON -> List.of("python3", file);
            case NODE -> List.of("node", file);
            case BUN -> List.of("bun", "run", file);
            case BASH -> List.of("bash", file);
            case DENO -> {
                List<String> cmd = new ArrayList<>(List.of("deno", "run", "--no-prompt",
                        "--allow-read=/sandbox,/tmp", "--allow-write=/sandbox,/tmp", "--allow-env"));
                if (spec.container().network() != Network.NONE) {
                    cmd.add("--allow-net");
                }
                cmd.add(file);
                yield cmd;
            }
        };
    }

    private static List<String> installCommand(ExecutionSpec spec) {
        List<String> cmd = new ArrayList<>(switch (spec.runtime()) {
            case PYTHON -> List.of("python3", "-m", "pip", "install", "--user", "--no-cache-dir",
                    "--break-system-packages", "--disable-pip-version-check", "--no-input", "--progress-bar", "off");
            case NODE -> List.of("npm", "install", "--prefix", "/sandbox", "--no-audit", "--no-fund");
            case BUN -> List.of("bun", "add", "--cwd", "/sandbox");
            case DENO -> List.of("deno", "cache");
            case BASH -> throw new IllegalArgumentException("bash has no package installer");
        });
        cmd.addAll(spec.installPackages());
        return cmd;
    }

    private static List<String> env(ExecutionSpec spec) {
        Map<String, String> env = new LinkedHashMap<>(Containers.BASE_ENV);
        env.putAll(spec.secrets());
        env.putAll(spec.env());
        return Containers.env(env);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
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
