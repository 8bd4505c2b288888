package io.isol8.e2e;

import io.isol8.testing.Await;
import io.isol8.testing.DockerRequired;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The local Docker engine as a process that a fault test may stop and start again. Whoever stops it
 * must start it: {@link #ensureRunning()} belongs in a {@code finally}.
 *
 * <p>Two ways the engine runs on our machines: under systemd ({@code docker.service}, maybe
 * socket-activated), or as a plain {@code dockerd} started by {@code scripts/host-setup.sh} with
 * {@code nohup}. In the second case the engine is started again with the same command line, detached
 * from the test JVM ({@code setsid}), its output appended to the file the old daemon wrote to.
 */
final class DockerDaemon {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Path DEFAULT_LOG = Path.of("/var/log/isol8-dockerd.log");

    private final boolean systemd;
    private final List<String> command;
    private final Path log;

    private DockerDaemon(boolean systemd, List<String> command, Path log) {
        this.systemd = systemd;
        this.command = command;
        this.log = log;
    }

    /**
     * The running engine, or a skip (a failure when Docker tests are mandatory) when this process may not
     * restart it: not root, or no {@code dockerd} process visible.
     */
    static DockerDaemon find() throws Exception {
        DockerRequired.check();
        if (run("systemctl", "is-active", "--quiet", "docker.service") == 0) {
            return new DockerDaemon(true, List.of(), DEFAULT_LOG);
        }
        Optional<ProcessHandle> dockerd = process();
        String why = dockerd.isEmpty() ? "no dockerd process is visible" : !root() ? "restarting dockerd needs root" : null;
        if (why != null) {
            if (DockerRequired.mandatory()) {
                fail("the engine restart test cannot run: " + why);
            }
            assumeTrue(false, why + "; engine restart test skipped");
        }
        ProcessHandle p = dockerd.orElseThrow();
        List<String> command = new ArrayList<>();
        command.add(p.info().command().orElse("dockerd"));
        p.info().arguments().ifPresent(a -> command.addAll(List.of(a)));
        Path log = DEFAULT_LOG;
        try {
            Path out = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/fd/1"));
            if (Files.isRegularFile(out)) {
                log = out;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // keep the default log
        }
        return new DockerDaemon(false, List.copyOf(command), log);
    }

    /** Stops the engine and returns once it no longer runs (its containers are stopped with it). */
    void stop() throws Exception {
        if (systemd) {
            // the socket too, or the next docker call would start the service again
            check(run("systemctl", "stop", "docker.socket", "docker.service"), "systemctl stop docker");
            return;
        }
        ProcessHandle p = process().orElseThrow(() -> new IllegalStateException("dockerd is not running"));
        p.destroy();
        try {
            p.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            fail("dockerd did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM");
        }
    }

    /** Starts the engine as it was started before and returns once {@code docker info} answers. */
    void start() throws Exception {
        if (systemd) {
            check(run("systemctl", "start", "docker.socket", "docker.service"), "systemctl start docker");
        } else {
            List<String> cmd = new ArrayList<>(List.of("setsid", "-f"));
            cmd.addAll(command);
            Process launcher = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            check(launcher.waitFor(10, TimeUnit.SECONDS) ? launcher.exitValue() : -1, String.join(" ", cmd));
        }
        Await.until(START_TIMEOUT, "Docker engine answering after a start (log: " + log + ")", () -> run("docker", "info") == 0);
    }

    /** Starts the engine if {@code docker info} fails; for {@code finally} blocks. */
    void ensureRunning() throws Exception {
        if (run("docker", "info") != 0) {
            start();
        }
    }

    private static Optional<ProcessHandle> process() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.equals("dockerd") || c.endsWith("/dockerd")).orElse(false))
                .findFirst();
    }

    private static boolean root() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return line.split("\\s+")[1].equals("0");
            }
        }
        return false;
    }

    private static void check(int exit, String what) {
        if (exit != 0) {
            fail(what + " exited with " + exit);
        }
    }

    static int run(String... cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1; // no such command
        }
    }
}
