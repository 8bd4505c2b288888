package io.isol8.bench;

import io.isol8.core.ContainerSettings;
import io.isol8.core.Network;
import io.isol8.engine.docker.Containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Docker floor of {@code isol8 bench --floor}: what the Engine API itself costs on this machine,
 * measured with containers hardened exactly like a sandbox (sandbox.md §10), so the server's numbers
 * can be read as a ratio to it. Every container is labelled {@code io.isol8.bench=floor} plus a
 * per-run label, and {@link #close()} removes whatever this run created.
 */
final class BenchFloor implements AutoCloseable {
    static final String LABEL = "io.isol8.bench";
    static final String RUN_LABEL = "io.isol8.bench.run";
    static final String USER = "1000:1000";
    private static final long MEMORY = 512L * 1024 * 1024;
    private static final long SANDBOX_SIZE = 512L * 1024 * 1024;
    private static final long TMP_SIZE = 256L * 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DockerClient docker;
    private final String image;
    private final String runId;
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    /** Sequential exec latency in one warm container. */
    record ExecFloor(List<String> command, BenchStats.Summary latency, int errors, String firstError) {
    }

    /** Throughput of the floor command run in warm containers, {@code inFlight} at a time (one container each). */
    record ExecRate(int execs, int inFlight, int ok, int errors, long elapsedNanos, double perSecond,
                    String firstError) {
    }

    /** Throughput of create → start → force-remove cycles. */
    record CreateRate(int containers, int inFlight, int ok, int errors, long elapsedNanos, double perSecond,
                      BenchStats.Summary cycle, String firstError) {
    }

    BenchFloor(String image) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(100)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        this.docker = DockerClientImpl.getInstance(config, http);
        this.image = image;
        this.runId = hex(6);
    }

    /** The Docker endpoint in use (for messages). */
    static String endpoint() {
        return DefaultDockerClientConfig.createDefaultConfigBuilder().build().getDockerHost().toString();
    }

    /** The runtime's equivalent of {@code python3 -c 'print(1)'}. */
    static List<String> floorCommand(String runtime) {
        return switch (runtime) {
            case "python" -> List.of("python3", "-c", "print(1)");
            case "node" -> List.of("node", "-e", "console.log(1)");
            case "bun" -> List.of("bun", "-e", "console.log(1)");
            case "deno" -> List.of("deno", "eval", "console.log(1)");
            case "bash" -> List.of("bash", "-c", "echo 1");
            default -> throw new IllegalArgumentException("unknown runtime " + runtime);
        };
    }

    /**
     * Creates one hardened container and runs the floor command in it {@code samples} times, one after
     * the other, after {@code warmup} unmeasured runs. One sample is exec create + exec start (attached,
     * output read to its end) + exec inspect for the exit status: the calls any exec-based server needs.
     */
    ExecFloor exec(String runtime, int samples, int warmup) {
        List<String> cmd = floorCommand(runtime);
        String id = createAndStart("exec");
        try {
            for (int i = 0; i < warmup; i++) {
                runOnce(id, cmd);
            }
            long[] nanos = new long[samples];
            int ok = 0;
            int errors = 0;
            String firstError = null;
            for (int i = 0; i < samples; i++) {
                long t0 = System.nanoTime();
                String problem;
                try {
                    problem = runOnce(id, cmd);
                } catch (RuntimeException e) {
                    problem = describe(e);
                }
                long t = System.nanoTime() - t0;
                if (problem == null) {
                    nanos[ok++] = t;
                } else {
                    errors++;
                    if (firstError == null) {
                        firstError = problem;
                    }
                }
            }
            return new ExecFloor(cmd, BenchStats.ofNanos(java.util.Arrays.copyOf(nanos, ok)), errors, firstError);
        } finally {
            remove(id);
        }
    }

    /**
     * Runs the floor command {@code execs} times with {@code inFlight} workers, each in its own warm container
     * (one unmeasured run each first), and reports completed execs per second: what {@code docker exec}
     * itself can do here with that many in flight.
     */
    ExecRate execRate(String runtime, int execs, int inFlight) {
        List<String> cmd = floorCommand(runtime);
        int workers = Math.min(inFlight, execs);
        List<String> ids = new ArrayList<>();
        try {
            for (int w = 0; w < workers; w++) {
                ids.add(createAndStart("exec"));
            }
            AtomicInteger tickets = new AtomicInteger();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            AtomicReference<String> firstError = new AtomicReference<>();
            long t0;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                java.util.concurrent.CyclicBarrier ready = new java.util.concurrent.CyclicBarrier(workers + 1);
                for (String id : ids) {
                    pool.submit(() -> {
                        runOnce(id, cmd);
                        ready.await();
                        while (tickets.getAndIncrement() < execs) {
                            String problem;
                            try {
                                problem = runOnce(id, cmd);
                            } catch (RuntimeException e) {
                                problem = describe(e);
                            }
                            if (problem == null) {
                                ok.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                                firstError.compareAndSet(null, problem);
                            }
                        }
                        return null;
                    });
                }
                try {
                    ready.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException | java.util.concurrent.BrokenBarrierException
                         | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("floor containers did not get ready: " + e);
                }
                t0 = System.nanoTime();
            }
            long elapsed = System.nanoTime() - t0;
            return new ExecRate(execs, workers, ok.get(), errors.get(), elapsed, BenchStats.perSecond(ok.get(), elapsed),
                    firstError.get());
        } finally {
            ids.forEach(this::remove);
        }
    }

    /**
     * Runs {@code containers} create → start → force-remove cycles with {@code inFlight} cycles at a time
     * and reports completed cycles per second.
     */
    CreateRate createRate(int containers, int inFlight) {
        int workers = Math.min(inFlight, containers);
        AtomicInteger tickets = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        long[] cycles = new long[containers];
        AtomicInteger done = new AtomicInteger();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < workers; w++) {
                pool.submit(() -> {
                    while (tickets.getAndIncrement() < containers) {
                        long c0 = System.nanoTime();
                        try {
                            String id = createAndStart("rate");
                            remove(id);
                            cycles[done.getAndIncrement()] = System.nanoTime() - c0;
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, describe(e));
                        }
                    }
                });
            }
        }
        long elapsed = System.nanoTime() - t0;
        int ok = done.get();
        return new CreateRate(containers, workers, ok, errors.get(), elapsed, BenchStats.perSecond(ok, elapsed),
                BenchStats.ofNanos(java.util.Arrays.copyOf(cycles, ok)), firstError.get());
    }

    /** Removes every container this run created (also those whose create answer was lost), then disconnects. */
    @Override
    public void close() {
        try {
            for (String id : new ArrayList<>(live)) {
                remove(id);
            }
            List<Container> left = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(RUN_LABEL, runId)).exec();
            for (Container c : left) {
                remove(c.getId());
            }
        } catch (RuntimeException e) {
            // best effort; the label io.isol8.bench=floor finds leftovers
        } finally {
            try {
                docker.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private String runOnce(String containerId, List<String> cmd) {
        String execId = docker.execCreateCmd(containerId)
                .withUser(USER)
                .withAttachStdin(false)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withTty(false)
                .withWorkingDir("/sandbox")
                .withCmd(cmd.toArray(String[]::new))
                .exec()
                .getId();
        Collector out = new Collector();
        try {
            docker.execStartCmd(execId).withDetach(false).withTty(false).exec(out);
            if (!out.awaitCompletion(60, TimeUnit.SECONDS)) {
                out.close();
                return "exec did not finish within 60 s";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (IOException e) {
            return e.toString();
        }
        Long exit = null;
        for (int i = 0; i < 20 && exit == null; i++) {
            var inspect = docker.inspectExecCmd(execId).exec();
            if (!Boolean.TRUE.equals(inspect.isRunning())) {
                exit = inspect.getExitCodeLong();
            }
        }
        String stdout = out.stdout.toString(StandardCharsets.UTF_8).strip();
        if (exit == null || exit != 0 || !stdout.equals("1")) {
            return "exit " + exit + ", stdout \"" + stdout + "\", stderr \""
                    + clip(out.stderr.toString(StandardCharsets.UTF_8).strip()) + "\"";
        }
        return null;
    }

    private String createAndStart(String kind) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL, "floor");
        labels.put(RUN_LABEL, runId);
        ContainerSettings settings = new ContainerSettings(image, MEMORY, 1.0, 64, SANDBOX_SIZE, TMP_SIZE,
                Network.NONE, true);
        String id;
        try {
            id = Containers.hardened(docker, settings, "isol8-bench-" + kind + "-" + hex(6), labels)
                    .exec()
                    .getId();
        } catch (NotFoundException e) {
            throw new IllegalStateException("Image \"" + image + "\" is missing. Build it with docker/build-offline.sh"
                    + " or pass --image.");
        }
        live.add(id);
        Containers.start(docker, id); // a failed start removes the container
        return id;
    }

    private void remove(String id) {
        Containers.remove(docker, id);
        live.remove(id);
    }

    /** The command as a shell would need it typed: {@code python3 -c 'print(1)'}. */
    static String shellWords(List<String> cmd) {
        List<String> words = new ArrayList<>();
        for (String w : cmd) {
            words.add(w.matches("[A-Za-z0-9_./:=@%+-]+") ? w : "'" + w.replace("'", "'\\''") + "'");
        }
        return String.join(" ", words);
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return clip(e.getClass().getSimpleName() + (m == null ? "" : ": " + m.strip()));
    }

    private static String clip(String s) {
        String one = s.replace('\n', ' ');
        return one.length() <= 300 ? one : one.substring(0, 300) + "…";
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Collects an exec's output frames. */
    private static final class Collector extends ResultCallback.Adapter<Frame> {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

        @Override
        public void onNext(Frame frame) {
            synchronized (this) {
                (frame.getStreamType() == StreamType.STDERR ? stderr : stdout).writeBytes(frame.getPayload());
            }
        }
    }
}
