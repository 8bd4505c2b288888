package io.isol8.engine.docker.setup;

import io.isol8.core.ContainerSettings;
import io.isol8.core.Network;
import io.isol8.engine.docker.Containers;
import io.isol8.engine.docker.Scripts;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.isol8.config.Isol8Config;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a hello-world in an image exactly as the server would (sandbox.md §13.3 step 5): a container with the
 * full §10 hardening (network none), the code staged as a length-delimited tar on the stdin of a launcher
 * exec (§3.2, §3.3), run as the sandbox user; stdout must be {@code hello}. The container is labelled
 * {@code io.isol8.setup=smoke} (not {@code io.isol8.managed}: the server's sweep does not own it) and is
 * always removed.
 */
final class SmokeTest {
    static final String LABEL = "io.isol8.setup";
    static final String LABEL_VALUE = "smoke";
    private static final String USER = "1000:1000";
    private static final long TIMEOUT_SECONDS = 60;
    private static final int MAX_OUTPUT = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DockerClient docker;
    private final Isol8Config.Defaults defaults;
    private final String version;

    SmokeTest(DockerClient docker, Isol8Config.Defaults defaults, String version) {
        this.docker = docker;
        this.defaults = defaults;
        this.version = version;
    }

    /** How the hello-world went: {@code ok}, or what went wrong. */
    record Result(boolean ok, String detail) {
    }

    /** The hello-world of an image kind ({@code base}, {@code python}, …): file name, code, command. */
    record Hello(String file, String code, List<String> command) {
        static Hello of(String kind) {
            String ts = "const s: string = \"hello\"; console.log(s);";
            return switch (kind) {
                case "base", "bash" -> new Hello(".isol8_main.sh", "echo hello", List.of("bash"));
                case "python" -> new Hello(".isol8_main.py", "print(\"hello\")", List.of("python3"));
                case "node" -> new Hello(".isol8_main.mjs", "console.log(\"hello\")", List.of("node"));
                case "bun" -> new Hello(".isol8_main.ts", ts, List.of("bun", "run"));
                case "deno" -> new Hello(".isol8_main.ts", ts, List.of("deno", "run", "--no-prompt",
                        "--allow-read=/sandbox,/tmp", "--allow-write=/sandbox,/tmp", "--allow-env"));
                default -> throw new IllegalArgumentException("unknown image kind " + kind);
            };
        }
    }

    /** Smoke-tests {@code image} with the hello-world of {@code kind}. Never throws. */
    Result run(String image, String kind) {
        String id = null;
        try {
            id = create(image);
            docker.startContainerCmd(id).exec();
            return hello(id, Hello.of(kind));
        } catch (RuntimeException e) {
            return new Result(false, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        } finally {
            if (id != null) {
                remove(id);
            }
        }
    }

    private String create(String image) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL, LABEL_VALUE);
        labels.put("io.isol8.version", version);
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        ContainerSettings settings = new ContainerSettings(image, defaults.memoryLimit(), defaults.cpuLimit(),
                defaults.pidsLimit(), defaults.sandboxSize(), defaults.tmpSize(), Network.NONE, true);
        return Containers.hardened(docker, settings, "isol8-setup-" + HexFormat.of().formatHex(random), labels)
                .exec()
                .getId();
    }

    private Result hello(String containerId, Hello hello) throws InterruptedException {
        String path = "/sandbox/" + hello.file();
        byte[] archive = archive(path.substring(1), (hello.code() + "\n").getBytes(StandardCharsets.UTF_8));
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", Scripts.LAUNCHER, "isol8",
                Integer.toString(archive.length), "/sandbox", "none", Long.toString(TIMEOUT_SECONDS), path));
        cmd.addAll(hello.command());
        cmd.add(path);
        String execId = docker.execCreateCmd(containerId)
                .withUser(USER)
                .withAttachStdin(true)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withTty(false)
                .withWorkingDir("/sandbox")
                .withEnv(Containers.env(Containers.BASE_ENV))
                .withCmd(cmd.toArray(String[]::new))
                .exec()
                .getId();
        Output output = new Output();
        try (Output o = docker.execStartCmd(execId).withDetach(false).withTty(false)
                .withStdIn(new ByteArrayInputStream(archive)).exec(output)) {
            if (!o.awaitCompletion(TIMEOUT_SECONDS + 5, TimeUnit.SECONDS)) {
                return new Result(false, "no answer within " + TIMEOUT_SECONDS + " s");
            }
        } catch (IOException e) {
            // closing the finished stream
        }
        if (output.failure != null) {
            return new Result(false, "exec failed: " + output.failure.getMessage());
        }
        int exit = exitCode(execId);
        String stdout = output.text(false);
        String stderr = output.text(true);
        if (exit == 0 && stdout.replaceAll("\n+$", "").equals("hello")) {
            return new Result(true, "");
        }
        return new Result(false, "exit code " + exit + "; stdout: " + clip(stdout) + "; stderr: " + clip(stderr));
    }

    private int exitCode(String execId) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            var inspect = docker.inspectExecCmd(execId).exec();
            if (!Boolean.TRUE.equals(inspect.isRunning()) && inspect.getExitCodeLong() != null) {
                return inspect.getExitCodeLong().intValue();
            }
            Thread.sleep(20);
        }
        return -1;
    }

    private void remove(String id) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
                return;
            } catch (NotFoundException e) {
                return;
            } catch (ConflictException e) {
                // removal already in progress: check again
            } catch (RuntimeException e) {
                // retried below
            }
            try {
                Thread.sleep(200L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One regular file, mode 0644, owner 0 (sandbox.md §3.2). */
    static byte[] archive(String relativePath, byte[] content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry entry = new TarArchiveEntry(relativePath, true);
            entry.setMode(0100644);
            entry.setSize(content.length);
            entry.setModTime(System.currentTimeMillis());
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static String clip(String s) {
        String t = s.strip();
        return t.length() > 2000 ? t.substring(0, 2000) + "…" : t;
    }

    /** Collects stdout and stderr (bounded). */
    private static final class Output extends ResultCallback.Adapter<Frame> {
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private volatile Throwable failure;

        @Override
        public void onError(Throwable throwable) {
            // reported in the result; the default would also log it with a stack trace
            failure = throwable;
            ImageStore.closeQuietly(this);
        }

        @Override
        public synchronized void onNext(Frame frame) {
            ByteArrayOutputStream target = frame.getStreamType() == StreamType.STDERR ? stderr : stdout;
            byte[] payload = frame.getPayload();
            if (payload != null && target.size() < MAX_OUTPUT) {
                target.write(payload, 0, Math.min(payload.length, MAX_OUTPUT - target.size()));
            }
        }

        synchronized String text(boolean err) {
            return (err ? stderr : stdout).toString(StandardCharsets.UTF_8);
        }
    }
}
