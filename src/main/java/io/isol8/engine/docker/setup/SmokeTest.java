package io.isol8.engine.docker.setup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.Ulimit;
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

    /**
     * The server's launcher ({@code io.isol8.engine.docker.Scripts.LAUNCHER}, sandbox.md §3.3), duplicated
     * because that class is package-private; a test keeps the two equal.
     */
    static final String LAUNCHER = """
            n=$1 wd=$2 in=$3 secs=$4 rmp=$5; shift 5
            if [ "$n" -gt 0 ]; then
              head -c "$n" | tar -x -f - -C / --no-same-owner --no-same-permissions --no-overwrite-dir -m \\
                || { echo "isol8: could not write input files" >&2; exit 125; }
            fi
            mkdir -p -- "$wd" && cd -- "$wd" || { echo "isol8: cannot use working directory $wd" >&2; exit 125; }
            if [ "$in" = file ] && [ -f /tmp/.isol8/stdin ]; then exec 0</tmp/.isol8/stdin; rm -f /tmp/.isol8/stdin
            else exec 0</dev/null; fi
            if [ "$1" = @cmd ]; then c=$(cat /tmp/.isol8/cmd); rm -f /tmp/.isol8/cmd; set -- bash -c "$c"; fi
            timeout -s KILL "$secs" /bin/sh -c 'exec 2>&3 3>&-; exec "$@"' isol8 "$@" 3>&2 2>/dev/null; rc=$?
            [ "$rmp" = - ] || rm -f -- "$rmp"
            exit $rc
            """;

    /** The base environment of every container and phase (sandbox.md §4); a test keeps it equal to the server's. */
    static final Map<String, String> BASE_ENV = baseEnv();

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
        Map<String, String> tmpfs = Map.of(
                "/sandbox", "rw,exec,nosuid,nodev,size=" + defaults.sandboxSize() + ",uid=1000,gid=1000,mode=0755",
                "/tmp", "rw,noexec,nosuid,nodev,size=" + defaults.tmpSize() + ",mode=1777");
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode("none")
                .withReadonlyRootfs(true)
                .withTmpFs(tmpfs)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withMemory(defaults.memoryLimit())
                .withMemorySwap(defaults.memoryLimit())
                .withNanoCPUs(Math.round(defaults.cpuLimit() * 1e9))
                .withPidsLimit(defaults.pidsLimit())
                .withUlimits(List.of(new Ulimit("nofile", 1024L, 1024L), new Ulimit("core", 0L, 0L)))
                .withOomScoreAdj(1000)
                .withIpcMode("private")
                .withPrivileged(false)
                .withInit(false)
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE))
                .withRestartPolicy(RestartPolicy.noRestart())
                .withAutoRemove(false);
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        return docker.createContainerCmd(image)
                .withName("isol8-setup-" + HexFormat.of().formatHex(random))
                .withEntrypoint("/usr/bin/tini", "--")
                .withCmd("sleep", "infinity")
                .withUser(USER)
                .withWorkingDir("/sandbox")
                .withEnv(BASE_ENV.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .withHostName("sandbox")
                .withLabels(labels)
                .withNetworkDisabled(true)
                .withHostConfig(host)
                .exec()
                .getId();
    }

    private Result hello(String containerId, Hello hello) throws InterruptedException {
        String path = "/sandbox/" + hello.file();
        byte[] archive = archive(path.substring(1), (hello.code() + "\n").getBytes(StandardCharsets.UTF_8));
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", LAUNCHER, "isol8",
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
                .withEnv(BASE_ENV.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
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

    private static Map<String, String> baseEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/sandbox/.local/bin:/sandbox/.npm-global/bin:/sandbox/.bun-global/bin:"
                + "/sandbox/node_modules/.bin:/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", "/sandbox");
        env.put("LANG", "C.UTF-8");
        env.put("TMPDIR", "/tmp");
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PYTHONUSERBASE", "/sandbox/.local");
        env.put("NPM_CONFIG_PREFIX", "/sandbox/.npm-global");
        env.put("NPM_CONFIG_CACHE", "/sandbox/.npm-cache");
        env.put("NODE_PATH", "/usr/local/lib/node_modules:/sandbox/.npm-global/lib/node_modules:/sandbox/node_modules");
        env.put("DENO_DIR", "/sandbox/.deno");
        env.put("DENO_NO_UPDATE_CHECK", "1");
        env.put("BUN_INSTALL_CACHE_DIR", "/sandbox/.bun-cache");
        env.put("BUN_INSTALL_GLOBAL_DIR", "/sandbox/.bun-global");
        env.put("BUN_INSTALL_BIN", "/sandbox/.bun-global/bin");
        return java.util.Collections.unmodifiableMap(env);
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
            Images.closeQuietly(this);
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
