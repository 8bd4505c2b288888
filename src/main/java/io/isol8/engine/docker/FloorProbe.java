package io.isol8.engine.docker;

import io.isol8.config.Isol8Config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    /** What every floor command prints. */
    public static final String EXPECTED_STDOUT = "1";

    private final EngineEndpoint endpoint;
    private final ProbeContainers containers;

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
        this.containers = new ProbeContainers(endpoint.open(100), image);
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
        String id = containers.createAndStart("exec");
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
            containers.remove(id);
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
                ids.add(containers.createAndStart("exec"));
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
            ids.forEach(this.containers::remove);
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
                            String id = this.containers.createAndStart("rate");
                            this.containers.remove(id);
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
        containers.close();
    }

    private String runOnce(String containerId, List<String> cmd) {
        ProbeContainers.Output o = containers.execOutput(containerId, cmd, 60);
        if (o.problem() != null) {
            return o.problem();
        }
        String stdout = o.stdout().strip();
        if (o.exit() == null || o.exit() != 0 || !stdout.equals(EXPECTED_STDOUT)) {
            return "exit " + o.exit() + ", stdout \"" + stdout + "\", stderr \"" + clip(o.stderr().strip()) + "\"";
        }
        return null;
    }

    /**
     * The in-container spawn floor: one hardened container, in which a bash loop (timing with
     * {@code $EPOCHREALTIME}, no extra process) spawns {@code cmd} {@code samples} times, spread over
     * {@code inFlight} loops running at once, after {@code warmup} unmeasured spawns. What any executor inside
     * the container pays at least per run: fork, exec and the program itself.
     */
    public Rate spawn(List<String> cmd, int samples, int inFlight, int warmup) {
        String id = containers.createAndStart("spawn");
        try {
            List<String> script = new ArrayList<>(List.of("bash", "-c", SPAWN_LOOP, "spawn",
                    Integer.toString(samples), Integer.toString(Math.max(1, Math.min(inFlight, samples))),
                    Integer.toString(warmup)));
            script.addAll(cmd);
            ProbeContainers.Output o = containers.execOutput(id, script, 600);
            if (o.problem() != null || o.exit() == null || o.exit() != 0) {
                String why = o.problem() != null ? o.problem() : "exit " + o.exit() + ", stderr \"" + clip(o.stderr().strip()) + "\"";
                return new Rate(inFlight, 0, samples, 0, new long[0], why);
            }
            List<Long> nanos = new ArrayList<>();
            long total = 0;
            int failed = 0;
            for (String line : o.stdout().split("\n")) {
                if (line.startsWith("total ")) {
                    total = Long.parseLong(line.substring(6).strip()) * 1000;
                } else if (line.equals("fail")) {
                    failed++;
                } else if (!line.isBlank()) {
                    nanos.add(Long.parseLong(line.strip()) * 1000);
                }
            }
            long[] cycles = nanos.stream().mapToLong(Long::longValue).toArray();
            return new Rate(inFlight, cycles.length, failed, total, cycles,
                    failed == 0 ? null : failed + " spawns of " + String.join(" ", cmd) + " failed");
        } finally {
            containers.remove(id);
        }
    }

    /** bash: samples, loops, warmup, command…; prints one microsecond count per spawn, then "total <µs>". */
    private static final String SPAWN_LOOP = """
            n=$1 k=$2 w=$3; shift 3
            for ((i = 0; i < w; i++)); do "$@" >/dev/null 2>&1; done
            loop() {
              local m=$1 i s e; shift
              for ((i = 0; i < m; i++)); do
                s=${EPOCHREALTIME/./}
                if "$@" >/dev/null 2>&1; then e=${EPOCHREALTIME/./}; echo $((e - s)); else echo fail; fi
              done
            }
            t0=${EPOCHREALTIME/./}
            for ((j = 0; j < k; j++)); do loop $((n / k + (j < n % k ? 1 : 0))) "$@" & done
            wait
            t1=${EPOCHREALTIME/./}
            echo "total $((t1 - t0))"
            """;

    /** One line about a failure: its type and message, clipped. */
    public static String describe(Throwable e) {
        String m = e.getMessage();
        return clip(e.getClass().getSimpleName() + (m == null ? "" : ": " + m.strip()));
    }

    static String clip(String s) {
        String one = s.replace('\n', ' ');
        return one.length() <= 300 ? one : one.substring(0, 300) + "…";
    }
}
