package io.isol8.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URISyntaxException;
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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code isol8 bench}: a closed-loop load generator for a running isol8 server. {@code --concurrency}
 * workers (virtual threads) each keep one request in flight until {@code --requests} measured requests
 * have completed. With {@code --floor} it also measures, in the same run and before the load, what Docker
 * itself costs here (see {@link BenchFloor}) and prints the server's numbers as ratios to it.
 *
 * <p>Exit status: 0 every measured request succeeded; 1 bad arguments or the run could not start (server
 * or Docker unreachable, every warm-up request failed); 2 the run completed but some requests failed.
 */
public final class Bench {
    static final List<String> RUNTIMES = List.of("python", "node", "bun", "deno", "bash");
    static final Set<String> VALUES = Set.of("--url", "--key", "--runtime", "--requests", "--concurrency", "--code",
            "--warmup", "--pause", "--image", "--floor-execs", "--floor-containers");
    static final Set<String> SWITCHES = Set.of("--session", "--stream", "--floor", "--json", "--cpu");
    static final String USAGE = """
            Usage: isol8 bench [--url URL] [--key KEY] [--runtime R] [--requests N] [--concurrency N] [--warmup N]
                               [--code SRC] [--pause MS] [--session] [--stream] [--cpu] [--json]
                               [--floor [--image IMAGE] [--floor-execs N] [--floor-containers N]]
            """;
    static final int FLOOR_IN_FLIGHT = 10;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    private Bench() {
    }

    /** Rejected arguments: the message is printed as {@code error: <message>}, exit 1. */
    static final class BadArgs extends RuntimeException {
        BadArgs(String message) {
            super(message);
        }
    }

    /** The validated settings of one run. */
    record Options(URI url, String key, String runtime, int requests, int concurrency, int warmup, String code,
                   boolean session, boolean stream, boolean floor, boolean json, String image, int floorExecs,
                   int floorContainers, int pauseMs, boolean cpu) {
        String route() {
            return stream ? "/execute/stream" : "/execute";
        }

        String mode() {
            return session ? "session" : "ephemeral";
        }
    }

    /** Runs the benchmark; the key falls back to {@code ISOL8_API_KEY}. Returns the exit status. */
    public static int run(Map<String, String> values, Set<String> switches, PrintStream out, PrintStream err) {
        return run(values, switches, System.getenv(), out, err);
    }

    static int run(Map<String, String> values, Set<String> switches, Map<String, String> env, PrintStream out,
                   PrintStream err) {
        Options o;
        try {
            o = parse(values, switches, env);
        } catch (BadArgs e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
            return 1;
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        if (load >= 0.6) {
            err.printf(Locale.ROOT, "warning: load average is %.2f; numbers from a busy machine are not comparable"
                    + " (docs/benchmarks.md asks for < 0.6)%n", load);
        }
        Floor floor = null;
        if (o.floor()) {
            try {
                floor = measureFloor(o, err);
            } catch (RuntimeException e) {
                err.println("error: Docker floor measurement failed (" + BenchFloor.endpoint() + "): "
                        + BenchFloor.describe(e));
                return 1;
            }
        }
        LoadResult result;
        try {
            result = new Load(o, err).run();
        } catch (StartFailure e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        if (o.json()) {
            out.println(json(o, result, floor, load));
        } else {
            out.print(table(o, result, floor, load));
        }
        out.flush();
        return result.failed() == 0 ? 0 : 2;
    }

    // ---------------------------------------------------------------- arguments

    static Options parse(Map<String, String> values, Set<String> switches, Map<String, String> env) {
        for (String k : values.keySet()) {
            if (!VALUES.contains(k)) {
                throw new BadArgs("Unknown argument: " + k);
            }
        }
        for (String s : switches) {
            if (!SWITCHES.contains(s)) {
                throw new BadArgs("Unknown argument: " + s);
            }
        }
        URI url = url(values.getOrDefault("--url", "http://127.0.0.1:3000"));
        String key = values.get("--key");
        if (key == null) {
            key = env.get("ISOL8_API_KEY");
        }
        if (key == null || key.isBlank()) {
            throw new BadArgs("--key is required (or set ISOL8_API_KEY)");
        }
        String runtime = values.getOrDefault("--runtime", "python");
        if (!RUNTIMES.contains(runtime)) {
            throw new BadArgs("--runtime must be one of " + String.join(", ", RUNTIMES) + ", got \"" + runtime + "\"");
        }
        int requests = number(values, "--requests", 200, 1, 10_000_000);
        int concurrency = number(values, "--concurrency", 1, 1, 1000);
        int warmup = number(values, "--warmup", 5, 0, 1_000_000);
        int floorExecs = number(values, "--floor-execs", 200, 1, 1_000_000);
        int floorContainers = number(values, "--floor-containers", 30, 1, 100_000);
        int pauseMs = number(values, "--pause", 0, 0, 600_000);
        String code = values.getOrDefault("--code", defaultCode(runtime));
        if (code.isBlank()) {
            throw new BadArgs("--code must not be blank");
        }
        String image = values.getOrDefault("--image", "isol8:" + runtime);
        if (image.isBlank()) {
            throw new BadArgs("--image must not be blank");
        }
        return new Options(url, key, runtime, requests, concurrency, warmup, code, switches.contains("--session"),
                switches.contains("--stream"), switches.contains("--floor"), switches.contains("--json"), image,
                floorExecs, floorContainers, pauseMs, switches.contains("--cpu"));
    }

    static String defaultCode(String runtime) {
        return switch (runtime) {
            case "python" -> "print(1)";
            case "bash" -> "echo 1";
            default -> "console.log(1)";
        };
    }

    static int number(Map<String, String> values, String name, int dflt, int min, int max) {
        String raw = values.get(name);
        if (raw == null) {
            return dflt;
        }
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= min && v <= max) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadArgs(name + " must be a whole number from " + min + " to " + max + ", got \"" + raw + "\"");
    }

    static URI url(String raw) {
        try {
            URI u = new URI(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
                    && (u.getRawPath() == null || u.getRawPath().isEmpty()) && u.getRawQuery() == null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new BadArgs("--url must look like http://HOST:PORT, got \"" + raw + "\"");
    }

    // ---------------------------------------------------------------- floor

    /** {@code rate} is measured only for runs with more than one request in flight (else null). */
    record Floor(String image, BenchFloor.ExecFloor exec, BenchFloor.CreateRate create, BenchFloor.ExecRate rate) {
    }

    private static Floor measureFloor(Options o, PrintStream err) {
        try (BenchFloor f = new BenchFloor(o.image())) {
            err.printf("floor: %d sequential execs of %s in one hardened %s container%n", o.floorExecs(),
                    BenchFloor.shellWords(BenchFloor.floorCommand(o.runtime())), o.image());
            BenchFloor.ExecFloor exec = f.exec(o.runtime(), o.floorExecs(), Math.max(3, o.warmup()));
            if (exec.latency().count() == 0) {
                throw new IllegalStateException("every floor exec failed: " + exec.firstError());
            }
            err.printf("floor: %d create→start→remove cycles, %d in flight%n", o.floorContainers(),
                    Math.min(FLOOR_IN_FLIGHT, o.floorContainers()));
            BenchFloor.CreateRate create = f.createRate(o.floorContainers(), FLOOR_IN_FLIGHT);
            if (create.ok() == 0) {
                throw new IllegalStateException("every container cycle failed: " + create.firstError());
            }
            BenchFloor.ExecRate rate = null;
            if (o.concurrency() > 1) {
                err.printf("floor: %d execs, %d in flight, one container each%n", o.floorExecs(), o.concurrency());
                rate = f.execRate(o.runtime(), o.floorExecs(), o.concurrency());
                if (rate.ok() == 0) {
                    throw new IllegalStateException("every floor exec failed: " + rate.firstError());
                }
            }
            return new Floor(o.image(), exec, create, rate);
        }
    }

    // ---------------------------------------------------------------- load

    /** How one request ended. {@code error} is null on success; it is the bucket the failure is counted in. */
    record Outcome(String error, String detail, long nanos, long firstByteNanos) {
        static Outcome ok(long nanos, long firstByteNanos) {
            return new Outcome(null, null, nanos, firstByteNanos);
        }

        static Outcome fail(String error, String detail, long nanos) {
            return new Outcome(error, detail, nanos, -1);
        }
    }

    record LoadResult(int ok, int failed, long elapsedNanos, BenchStats.Summary latency, BenchStats.Summary firstByte,
                      Map<String, Long> errors, Map<String, String> errorSamples, int warmupFailed,
                      int sessionDeleteFailures, Map<String, Double> cpuMs, double busyShare) {
        double throughput() {
            return BenchStats.perSecond(ok, elapsedNanos);
        }
    }

    static final class StartFailure extends RuntimeException {
        StartFailure(String message) {
            super(message);
        }
    }

    /** One closed-loop run against the server. */
    static final class Load {
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
    }

    /** The envelope {@code {"request":{"runtime":…,"code":…},"sessionId":…}}. */
    static byte[] body(String runtime, String code, String session) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode request = root.putObject("request");
        request.put("runtime", runtime);
        request.put("code", code);
        if (session != null) {
            root.put("sessionId", session);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks an SSE body (api.md §8): null when it ends with {@code exit "0"} in the code phase and has no
     * {@code error} frame; otherwise the failure bucket ({@code exit N}, {@code stream error},
     * {@code no exit}).
     */
    static String streamEnd(String body) {
        String exit = null;
        boolean error = false;
        for (String frame : body.split("\n\n")) {
            if (!frame.startsWith("data: ")) {
                continue;
            }
            JsonNode event;
            try {
                event = JSON.readTree(frame.substring(6));
            } catch (IOException e) {
                return "bad frame";
            }
            String type = event.path("type").asText();
            if (type.equals("error")) {
                error = true;
            } else if (type.equals("exit") && "code".equals(event.path("phase").asText())) {
                exit = event.path("data").asText();
            }
        }
        if (exit == null) {
            return error ? "stream error" : "no exit";
        }
        if (!exit.equals("0")) {
            return "exit " + exit;
        }
        return error ? "stream error" : null;
    }

    private static String text(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8).strip().replace('\n', ' ');
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return b;
    }

    // ---------------------------------------------------------------- output

    static String table(Options o, LoadResult r, Floor floor, double load) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "isol8 bench  %s %s POST %s  %s%n", o.runtime(), o.mode(), o.route(), o.url()));
        b.append(String.format(Locale.ROOT, "  %d requests, %d in flight%s, %d warm-up, code %s, load average %s%n%n",
                o.requests(), o.concurrency(), o.pauseMs() > 0 ? ", " + o.pauseMs() + " ms pause after each" : "",
                o.warmup(), JSON.valueToTree(o.code()), BenchStats.two(load)));
        b.append(String.format(Locale.ROOT, "%-22s%9s%9s%9s%9s%9s%n", "", "min", "p50", "p95", "p99", "max"));
        b.append(row("latency ms", r.latency()));
        if (o.stream()) {
            b.append(row("first byte ms", r.firstByte()));
        }
        b.append(String.format(Locale.ROOT, "%-22s%s req/s (%d ok in %s s)%n", "throughput",
                BenchStats.ms(r.throughput()), r.ok(), BenchStats.two(r.elapsedNanos() / 1e9)));
        b.append(String.format(Locale.ROOT, "%-22s%s%n", "errors", errors(r.errors())));
        r.errorSamples().forEach((k, v) -> {
            if (!v.isEmpty()) {
                b.append(String.format(Locale.ROOT, "%-22s%s: %s%n", "", k, v));
            }
        });
        if (o.cpu()) {
            b.append(cpuTable(r));
        }
        if (floor != null) {
            BenchFloor.ExecFloor e = floor.exec();
            BenchFloor.CreateRate c = floor.create();
            b.append(String.format(Locale.ROOT, "%nfloor (Engine API, image %s, sandbox hardening)%n", floor.image()));
            b.append(row("exec ms", e.latency()));
            b.append(String.format(Locale.ROOT, "%-22s%d sequential: %s%s%n", "", e.latency().count(),
                    BenchFloor.shellWords(e.command()), e.errors() == 0 ? "" : ", " + e.errors() + " failed: " + e.firstError()));
            if (floor.rate() != null) {
                BenchFloor.ExecRate x = floor.rate();
                b.append(String.format(Locale.ROOT, "%-22s%s execs/s (%d execs, %d in flight, one container each, %d failed)%n",
                        "exec rate", BenchStats.two(x.perSecond()), x.ok(), x.inFlight(), x.errors()));
            }
            b.append(String.format(Locale.ROOT, "%-22s%s containers/s (%d create→start→remove, %d in flight, %d failed)%n",
                    "create rate", BenchStats.two(c.perSecond()), c.ok(), c.inFlight(), c.errors()));
            b.append(String.format(Locale.ROOT, "%nratios%n"));
            b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "server p50 / exec floor p50",
                    BenchStats.two(p50Ratio(r, floor)), o.concurrency() > 1 ? "(the p50 targets are for 1 in flight)"
                            : o.session() ? "target ≤ 1.20 (session)" : "target ≤ 1.30 (ephemeral)"));
            if (floor.rate() != null) {
                b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "throughput / exec rate",
                        BenchStats.two(execRateRatio(r, floor)),
                        "(what docker exec itself does here with as many in flight)"));
            }
            b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "throughput / create rate",
                    BenchStats.two(rateRatio(r, floor)), o.session()
                            ? "(sessions: target ≥ 25 req/s at 10 in flight)"
                            : "target ≥ 0.90 at 10 in flight (ephemeral)"));
        }
        return b.toString();
    }

    static String cpuTable(LoadResult r) {
        if (r.cpuMs().isEmpty()) {
            return String.format(Locale.ROOT, "%ncpu                   not available (needs Linux /proc)%n");
        }
        int cores = java.lang.Runtime.getRuntime().availableProcessors();
        double total = r.cpuMs().get("total");
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%ncpu ms per request    machine %s%% busy; at this cost %d cores allow at most %s req/s%n",
                BenchStats.ms(r.busyShare() * 100), cores, BenchStats.ms(cores * 1000 / total)));
        r.cpuMs().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %-28s%9s%n", k, BenchStats.ms(v))));
        return b.toString();
    }

    private static String row(String name, BenchStats.Summary s) {
        return String.format(Locale.ROOT, "%-22s%9s%9s%9s%9s%9s%n", name, BenchStats.ms(s.min()), BenchStats.ms(s.p50()),
                BenchStats.ms(s.p95()), BenchStats.ms(s.p99()), BenchStats.ms(s.max()));
    }

    static String errors(Map<String, Long> errors) {
        if (errors.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        errors.forEach((k, v) -> parts.add(k + " ×" + v));
        return String.join(", ", parts);
    }

    static double p50Ratio(LoadResult r, Floor floor) {
        return BenchStats.ratio(r.latency().p50(), floor.exec().latency().p50());
    }

    static double execRateRatio(LoadResult r, Floor floor) {
        return BenchStats.ratio(r.throughput(), floor.rate().perSecond());
    }

    static double rateRatio(LoadResult r, Floor floor) {
        return r.ok() == 0 ? Double.NaN : BenchStats.ratio(r.throughput(), floor.create().perSecond());
    }

    static String json(Options o, LoadResult r, Floor floor, double load) {
        ObjectNode root = JSON.createObjectNode();
        root.put("url", o.url().toString());
        root.put("runtime", o.runtime());
        root.put("mode", o.mode());
        root.put("route", o.route());
        root.put("code", o.code());
        root.put("requests", o.requests());
        root.put("concurrency", o.concurrency());
        root.put("warmup", o.warmup());
        root.put("pauseMs", o.pauseMs());
        number(root, "loadAverage", BenchStats.round(load, 2));
        root.put("ok", r.ok());
        root.put("failed", r.failed());
        ObjectNode errors = root.putObject("errors");
        r.errors().forEach(errors::put);
        ObjectNode samples = root.putObject("errorSamples");
        r.errorSamples().forEach(samples::put);
        number(root, "elapsedMs", BenchStats.round(r.elapsedNanos() / 1e6, 1));
        number(root, "throughput", BenchStats.round(r.throughput(), 2));
        summary(root.putObject("latencyMs"), r.latency());
        if (o.cpu()) {
            ObjectNode cpu = root.putObject("cpuMsPerRequest");
            r.cpuMs().forEach((k, v) -> number(cpu, k, BenchStats.round(v, 1)));
            number(root, "busyShare", BenchStats.round(r.busyShare(), 3));
        }
        if (o.stream()) {
            summary(root.putObject("firstByteMs"), r.firstByte());
        }
        if (floor != null) {
            ObjectNode f = root.putObject("floor");
            f.put("image", floor.image());
            ObjectNode exec = f.putObject("exec");
            exec.putPOJO("command", floor.exec().command());
            exec.put("errors", floor.exec().errors());
            summary(exec.putObject("latencyMs"), floor.exec().latency());
            BenchFloor.CreateRate c = floor.create();
            rate(f.putObject("create"), "containers", c.containers(), c.inFlight(), c.ok(), c.errors(),
                    c.elapsedNanos(), c.perSecond());
            if (floor.rate() != null) {
                BenchFloor.ExecRate x = floor.rate();
                rate(f.putObject("execRate"), "execs", x.execs(), x.inFlight(), x.ok(), x.errors(), x.elapsedNanos(),
                        x.perSecond());
            }
            ObjectNode ratios = root.putObject("ratios");
            number(ratios, "p50OverExecFloorP50", BenchStats.round(p50Ratio(r, floor), 3));
            number(ratios, "throughputOverCreateRate", BenchStats.round(rateRatio(r, floor), 3));
            if (floor.rate() != null) {
                number(ratios, "throughputOverExecRate",
                        BenchStats.round(execRateRatio(r, floor), 3));
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void rate(ObjectNode node, String countName, int count, int inFlight, int ok, int errors,
                             long elapsedNanos, double perSecond) {
        node.put(countName, count);
        node.put("inFlight", inFlight);
        node.put("ok", ok);
        node.put("errors", errors);
        number(node, "elapsedMs", BenchStats.round(elapsedNanos / 1e6, 1));
        number(node, "perSecond", BenchStats.round(perSecond, 2));
    }

    private static void summary(ObjectNode node, BenchStats.Summary s) {
        node.put("count", s.count());
        number(node, "min", BenchStats.round(s.min(), 1));
        number(node, "p50", BenchStats.round(s.p50(), 1));
        number(node, "p95", BenchStats.round(s.p95(), 1));
        number(node, "p99", BenchStats.round(s.p99(), 1));
        number(node, "max", BenchStats.round(s.max(), 1));
        number(node, "mean", BenchStats.round(s.mean(), 1));
    }

    private static void number(ObjectNode node, String name, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || (v < 0 && name.equals("loadAverage"))) {
            node.putNull(name);
        } else {
            node.put(name, v);
        }
    }
}
