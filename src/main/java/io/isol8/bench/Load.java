package io.isol8.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isol8.bench.Bench.LoadResult;
import io.isol8.bench.Bench.Options;
import io.isol8.bench.Bench.StartFailure;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import static io.isol8.bench.BenchWire.body;
import static io.isol8.bench.BenchWire.streamEnd;

/**
 * One closed-loop run against the server, through its HTTP API only: {@code --concurrency} workers (virtual
 * threads) each keep one request in flight until {@code --requests} measured requests have completed.
 */
final class Load {
    private final Options o;
    private final PrintStream err;
    private final String runId = HexFormat.of().formatHex(randomBytes());
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<String, String> samples = new ConcurrentHashMap<>();
    private final AtomicInteger warmupFailed = new AtomicInteger();
    private final AtomicInteger warmupTotal = new AtomicInteger();
    private volatile Outcome firstWarmupFailure;

    Load(Options o, PrintStream err) {
        this.o = o;
        this.err = err;
    }

    LoadResult run() {
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(threads)
                .build();
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < o.concurrency() && o.session(); i++) {
            sessions.add("bench-" + runId + "-" + i);
        }
        long[] latency = new long[o.requests()];
        long[] firstByte = new long[o.requests()];
        AtomicInteger okCount = new AtomicInteger();
        AtomicInteger tickets = new AtomicInteger();
        AtomicLong start = new AtomicLong();
        AtomicLong last = new AtomicLong(Long.MIN_VALUE);
        BenchCpu.Sample[] cpu = new BenchCpu.Sample[2];
        CyclicBarrier barrier = new CyclicBarrier(o.concurrency(), () -> {
            if (warmupTotal.get() > 0 && warmupFailed.get() == warmupTotal.get()) {
                // every warm-up request failed: measuring would only count the same failure again
                tickets.set(Integer.MAX_VALUE / 2);
            }
            if (o.cpu()) {
                cpu[0] = BenchCpu.sample();
            }
            start.set(System.nanoTime());
        });
        err.printf("load: %s %s %s, %d requests, %d in flight, %d warm-up%n", o.runtime(), o.mode(), o.route(),
                o.requests(), o.concurrency(), o.warmup());
        int deleteFailures = 0;
        try {
            List<java.util.concurrent.Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < o.concurrency(); w++) {
                String session = o.session() ? sessions.get(w) : null;
                int warm = o.warmup() / o.concurrency() + (w < o.warmup() % o.concurrency() ? 1 : 0);
                if (o.session()) {
                    warm = Math.max(1, warm); // the first warm-up call creates the worker's session
                }
                int warmCalls = warm;
                workers.add(threads.submit(() -> {
                    for (int i = 0; i < warmCalls; i++) {
                        Outcome r = safeCall(client, session);
                        pause();
                        warmupTotal.incrementAndGet();
                        if (r.error() != null) {
                            warmupFailed.incrementAndGet();
                            if (firstWarmupFailure == null) {
                                firstWarmupFailure = r;
                            }
                        }
                    }
                    try {
                        barrier.await();
                    } catch (InterruptedException | BrokenBarrierException e) {
                        return;
                    }
                    while (tickets.getAndIncrement() < o.requests()) {
                        Outcome r = safeCall(client, session);
                        last.accumulateAndGet(System.nanoTime(), Math::max);
                        pause();
                        if (r.error() == null) {
                            int i = okCount.getAndIncrement();
                            latency[i] = r.nanos();
                            firstByte[i] = r.firstByteNanos();
                        } else {
                            errors.computeIfAbsent(r.error(), k -> new LongAdder()).increment();
                            samples.putIfAbsent(r.error(), r.detail() == null ? "" : r.detail());
                        }
                    }
                }));
            }
            for (var f : workers) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StartFailure("interrupted");
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
            if (o.cpu()) {
                cpu[1] = BenchCpu.sample();
            }
            if (warmupTotal.get() > 0 && warmupFailed.get() == warmupTotal.get()) {
                Outcome f = firstWarmupFailure;
                throw new StartFailure("every warm-up request to " + o.url() + o.route() + " failed: "
                        + f.error() + (f.detail() == null || f.detail().isEmpty() ? "" : " " + f.detail()));
            }
        } finally {
            for (String s : sessions) {
                if (!deleteSession(client, s)) {
                    deleteFailures++;
                }
            }
            client.close();
            threads.close();
        }
        if (deleteFailures > 0) {
            err.println("warning: " + deleteFailures + " session(s) could not be deleted");
        }
        int ok = okCount.get();
        long elapsed = last.get() == Long.MIN_VALUE ? 0 : last.get() - start.get();
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
        long failed = errorCounts.values().stream().mapToLong(Long::longValue).sum();
        return new LoadResult(ok, (int) failed, elapsed, BenchStats.ofNanos(Arrays.copyOf(latency, ok)),
                o.stream() ? BenchStats.ofNanos(Arrays.copyOf(firstByte, ok)) : BenchStats.Summary.EMPTY,
                errorCounts, new TreeMap<>(samples), warmupFailed.get(), deleteFailures,
                BenchCpu.perRequest(cpu[0], cpu[1], ok + (int) failed),
                cpu[0] == null || cpu[1] == null ? Double.NaN : BenchCpu.busyShare(cpu[0], cpu[1]));
    }

    /** The think time between a worker's requests ({@code --pause}). */
    private void pause() {
        if (o.pauseMs() > 0) {
            try {
                Thread.sleep(o.pauseMs());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Outcome safeCall(HttpClient client, String session) {
        long t0 = System.nanoTime();
        try {
            return call(client, session);
        } catch (RuntimeException e) {
            return Outcome.fail("client", BenchFloor.describe(e), System.nanoTime() - t0);
        }
    }

    private Outcome call(HttpClient client, String session) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(o.url() + o.route()))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + o.key())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(o.runtime(), o.code(), session)))
                .build();
        long t0 = System.nanoTime();
        try {
            if (!o.stream()) {
                HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                long t = System.nanoTime() - t0;
                if (r.statusCode() != 200) {
                    return Outcome.fail(String.valueOf(r.statusCode()), text(r.body()), t);
                }
                JsonNode result = JSON.readTree(r.body());
                int exit = result.path("exitCode").asInt(-1);
                if (exit != 0) {
                    return Outcome.fail("exit " + exit, result.path("stderr").asText(""), t);
                }
                return Outcome.ok(t, -1);
            }
            HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            long first = -1;
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            try (InputStream in = r.body()) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n > 0 && first < 0) {
                        first = System.nanoTime() - t0;
                    }
                    all.write(buf, 0, n);
                }
            }
            long t = System.nanoTime() - t0;
            if (r.statusCode() != 200) {
                return Outcome.fail(String.valueOf(r.statusCode()), text(all.toByteArray()), t);
            }
            String end = streamEnd(all.toString(StandardCharsets.UTF_8));
            return end == null ? Outcome.ok(t, first) : Outcome.fail(end, text(all.toByteArray()), t);
        } catch (HttpTimeoutException e) {
            return Outcome.fail("timeout", e.getMessage(), System.nanoTime() - t0);
        } catch (IOException e) {
            return Outcome.fail("io", BenchFloor.describe(e), System.nanoTime() - t0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.fail("interrupted", null, System.nanoTime() - t0);
        }
    }

    private boolean deleteSession(HttpClient client, String id) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(o.url() + "/session/"
                        + URLEncoder.encode(id, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + o.key())
                .DELETE()
                .build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** How one request ended. {@code error} is null on success; it is the bucket the failure is counted in. */
    record Outcome(String error, String detail, long nanos, long firstByteNanos) {
        static Outcome ok(long nanos, long firstByteNanos) {
            return new Outcome(null, null, nanos, firstByteNanos);
        }

        static Outcome fail(String error, String detail, long nanos) {
            return new Outcome(error, detail, nanos, -1);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    private static String text(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8).strip().replace('\n', ' ');
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return b;
    }
}
