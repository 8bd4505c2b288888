package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerSettings;
import io.isol8.core.Network;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
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
 * What the Engine API itself costs on the configured engine ({@code isol8 bench --floor}): execs in a warm
 * container and create → start → force-remove cycles, with containers hardened exactly like a sandbox
 * ({@link Containers#hardened}, sandbox.md §10). Results are plain nanosecond samples. Every container is
 * labelled {@code io.isol8.bench=floor} plus a per-run label, and {@link #close()} removes whatever this probe
 * created. Methods block; a probe is used by one caller at a time.
 */
public final class FloorProbe implements AutoCloseable {
    static final String LABEL = "io.isol8.bench";
    static final String RUN_LABEL = "io.isol8.bench.run";
    static final String USER = "1000:1000";
    /** What every floor command prints. */
    public static final String EXPECTED_STDOUT = "1";
    private static final long MEMORY = 512L * 1024 * 1024;
    private static final long SANDBOX_SIZE = 512L * 1024 * 1024;
    private static final long TMP_SIZE = 256L * 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final EngineEndpoint endpoint;
    private final DockerClient docker;
    private final String image;
    private final String runId;
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    /** Latencies of the calls that succeeded, and how many failed. */
    public record Samples(long[] nanos, int errors, String firstError) {
    }

    /**
     * A closed-loop rate: {@code ok} completions with {@code inFlight} at a time in {@code elapsedNanos};
     * {@code cycleNanos} holds each completed cycle's duration where one is measured (else empty).
     */
    public record Rate(int inFlight, int ok, int errors, long elapsedNanos, long[] cycleNanos, String firstError) {
    }

    /**
     * A probe on the engine of {@code config} ({@link EngineEndpoint}), running {@code image}.
     *
     * @throws io.isol8.config.ConfigException the engine's TLS settings are missing or rejected
     */
    public FloorProbe(Isol8Config config, String image) {
        this.endpoint = EngineEndpoint.of(config);
        this.docker = endpoint.open(100);
        this.image = image;
        this.runId = hex(6);
    }

    /** The engine in use (for messages). */
    public String endpoint() {
        return endpoint.host();
    }

    /**
     * Creates one hardened container and runs {@code cmd} (which must print {@value #EXPECTED_STDOUT} and exit 0)
     * in it {@code samples} times, one after the other, after {@code warmup} unmeasured runs. One sample is exec
     * create + exec start (attached, output read to its end) + exec inspect for the exit status: the calls any
     * exec-based server needs.
     */
    public Samples exec(List<String> cmd, int samples, int warmup) {
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
            return new Samples(Arrays.copyOf(nanos, ok), errors, firstError);
        } finally {
            remove(id);
        }
    }

    /**
     * Runs {@code cmd} {@code execs} times with {@code inFlight} workers, each in its own warm container (one
     * unmeasured run each first): what {@code docker exec} itself can do here with that many in flight.
     */
    public Rate execRate(List<String> cmd, int execs, int inFlight) {
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
            return new Rate(workers, ok.get(), errors.get(), elapsed, new long[0], firstError.get());
        } finally {
            ids.forEach(this::remove);
        }
    }

    /** Runs {@code containers} create → start → force-remove cycles with {@code inFlight} cycles at a time. */
    public Rate createRate(int containers, int inFlight) {
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
        return new Rate(workers, ok, errors.get(), elapsed, Arrays.copyOf(cycles, ok), firstError.get());
    }

    /** Removes every container this probe created (also those whose create answer was lost), then disconnects. */
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
        if (exit == null || exit != 0 || !stdout.equals(EXPECTED_STDOUT)) {
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

    /** One line about a failure: its type and message, clipped. */
    public static String describe(Throwable e) {
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
