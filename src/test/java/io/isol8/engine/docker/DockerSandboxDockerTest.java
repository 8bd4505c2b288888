package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;
import io.isol8.core.Source;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.Sandbox;
import io.isol8.engine.StreamKind;
import io.isol8.engine.Telemetry;
import io.isol8.testing.DockerRequired;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Docker engine never answers in place of Docker: a lost container, an exit status Docker never gives
 * and output files that cannot be read are errors, not results (real Docker, session containers).
 */
class DockerSandboxDockerTest {
    private static final String INSTANCE = "sandbox-test-" + UUID.randomUUID().toString().substring(0, 8);
    private static Isol8Config config;
    private static DockerEngine engine;
    /** The same configuration with {@code engine.executor: exec}. */
    private static DockerEngine execEngine;
    private static DockerClient docker;

    @BeforeAll
    static void start() {
        DockerRequired.check();
        Isol8Config c = Isol8Config.builtIn();
        config = new Isol8Config(c.port(), INSTANCE, c.maxConcurrent(), c.maxQueued(), c.queueTimeoutMs(), c.defaults(),
                c.limits(), c.cleanup(), new Isol8Config.Pool(false, Map.of()), c.images(), c.docker(), c.auth(), c.source());
        engine = new DockerEngine(config, INSTANCE, "1.0.0", Telemetry.NONE);
        execEngine = new DockerEngine(config.withExecutor(Isol8Config.Executor.EXEC), INSTANCE, "1.0.0", Telemetry.NONE);
        docker = EngineEndpoint.of(config).open(4);
    }

    @AfterAll
    static void stop() throws IOException {
        if (engine != null) {
            engine.close();
        }
        if (execEngine != null) {
            execEngine.close();
        }
        if (docker != null) {
            docker.close();
        }
    }

    @Test
    void containerRemovedWhileTheProgramRunsIsContainerGone() {
        try (Sandbox sandbox = session(defaults())) {
            OnOutput removeIt = new OnOutput(() -> cli("rm", "-f", sandbox.containerId()));
            assertThrows(ContainerGoneException.class,
                    () -> sandbox.run(command("echo started; sleep 60"), removeIt, new CancelSignal()));
        }
    }

    @Test
    void containerKilledWhileTheProgramRunsIsContainerGone() {
        try (Sandbox sandbox = session(defaults())) {
            OnOutput killIt = new OnOutput(() -> cli("kill", sandbox.containerId()));
            assertThrows(ContainerGoneException.class,
                    () -> sandbox.run(command("echo started; sleep 60"), killIt, new CancelSignal()));
            engine.discard(sandbox.containerId());
        }
    }

    @Test
    void anExitStatusDockerNeverSettlesIsUnavailableWhileTheContainerRuns() {
        try (Sandbox sandbox = session(defaults())) {
            DockerFailures failures = new DockerFailures(docker, engine.endpoint(), Telemetry.NONE);
            RuntimeException running = failures.noExitStatus(sandbox.containerId());
            assertEquals(Isol8Exception.Unavailable.class, running.getClass());
            assertEquals("Could not read the exit status of the program from the Docker engine. "
                    + "Try again; if it keeps failing, check the Docker daemon's log.", running.getMessage());
            cli("rm", "-f", sandbox.containerId());
            assertEquals(ContainerGoneException.class, failures.noExitStatus(sandbox.containerId()).getClass());
        }
    }

    /** With the exec executor a helper process reads outputPaths back: every pid taken makes that an error. */
    @Test
    void outputPathsThatCannotBeReadBackAreAnErrorNotAnEmptyResult() {
        try (Sandbox sandbox = session(execEngine, FEW_PIDS, Language.PYTHON)) {
            ExecutionSpec spec = spec(new Source.Code(TAKE_EVERY_PID, ".py"), Language.PYTHON, FEW_PIDS,
                    List.of("/sandbox/out.txt"));
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> sandbox.run(spec, new OnOutput(() -> { }), new CancelSignal()));
            assertTrue(e instanceof Isol8Exception.Unavailable, e.toString());
            execEngine.discard(sandbox.containerId());
        }
    }

    /** The agent reads outputPaths itself, without starting a process: every pid taken does not stop it. */
    @Test
    void theAgentReadsOutputPathsBackWhenEveryPidIsTaken() {
        try (Sandbox sandbox = session(engine, FEW_PIDS, Language.PYTHON)) {
            ExecutionSpec spec = spec(new Source.Code(TAKE_EVERY_PID, ".py"), Language.PYTHON, FEW_PIDS,
                    List.of("/sandbox/out.txt"));
            var outcome = sandbox.run(spec, new OnOutput(() -> { }), new CancelSignal());
            assertEquals(0, outcome.exitCode());
            assertEquals("result", new String(outcome.files().get("/sandbox/out.txt")));
            engine.discard(sandbox.containerId());
        }
    }

    private static final ContainerSettings FEW_PIDS;

    static {
        ContainerSettings d = DockerEngine.defaultSettings(Isol8Config.builtIn(), Language.BASH);
        FEW_PIDS = new ContainerSettings(d.image(), d.memoryBytes(), d.cpus(), 24, d.sandboxBytes(), d.tmpBytes(),
                d.network(), d.readonlyRootFs());
    }

    /** Writes /sandbox/out.txt, then leaves processes behind that take every free pid. */
    private static final String TAKE_EVERY_PID = """
                import os, time
                open("/sandbox/out.txt", "w").write("result")
                def quiet():
                    null = os.open("/dev/null", os.O_RDWR)
                    for fd in (0, 1, 2):
                        os.dup2(null, fd)
                def hold():
                    quiet()
                    time.sleep(600)
                    os._exit(0)
                if os.fork() == 0:
                    quiet()
                    os.setsid()
                    while True:
                        try:
                            if os.fork() == 0:
                                hold()
                        except OSError:
                            time.sleep(0.005)
                while True:
                    try:
                        if os.fork() == 0:
                            hold()
                    except OSError:
                        break
                print("pids exhausted")
                """;

    private static Sandbox session(ContainerSettings settings) {
        return session(settings, Language.BASH);
    }

    private static Sandbox session(ContainerSettings settings, Language runtime) {
        return session(engine, settings, runtime);
    }

    private static Sandbox session(DockerEngine engine, ContainerSettings settings, Language runtime) {
        return engine.session(spec(new Source.Command("true"), runtime, settings, List.of()), "test",
                "s-" + UUID.randomUUID());
    }

    private static ContainerSettings defaults() {
        return DockerEngine.defaultSettings(config, Language.BASH);
    }

    private static ExecutionSpec command(String command) {
        return spec(new Source.Command(command), Language.BASH, defaults(), List.of());
    }

    private static ExecutionSpec spec(Source source, Language runtime, ContainerSettings settings, List<String> outputs) {
        ContainerSettings s = new ContainerSettings(config.images().of(runtime), settings.memoryBytes(), settings.cpus(),
                settings.pidsLimit(), settings.sandboxBytes(), settings.tmpBytes(), settings.network(),
                settings.readonlyRootFs());
        return new ExecutionSpec(runtime, source, "", Map.of(), Map.of(), Map.of(), outputs, !outputs.isEmpty(), List.of(),
                Optional.empty(), "/sandbox", 30_000, 1 << 20, s, Map.of());
    }

    private static void cli(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "docker";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs an action on another thread when the program first writes to stdout. */
    private static final class OnOutput implements OutputSink {
        private final Runnable action;
        private boolean fired;

        OnOutput(Runnable action) {
            this.action = action;
        }

        @Override
        public void output(StreamKind stream, Phase phase, String text) {
            if (!fired && stream == StreamKind.STDOUT) {
                fired = true;
                Thread.ofVirtual().start(action);
            }
        }

        @Override
        public void truncated(StreamKind stream, Phase phase) {
        }
    }
}
