package io.isol8.e2e;

import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.testing.Await;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mixed calls, 20 in flight, while the Docker engine is stopped and started again once. Part of the
 * normal Docker suite in a short form (200 calls, about a minute); the full soak (1 000 calls) runs with
 * {@code -Disol8.soak=full}: {@code mvn test -Dtest=LoadFaultSoakTest -Disol8.soak=full -Disol8.jlink.skip=true}.
 * It restarts the machine's engine (see {@link DockerDaemon}), so every other Docker user of the machine
 * sees the outage too; the engine is running again when the test ends, whatever its outcome.
 */
class LoadFaultSoakTest {
    private static final boolean FULL = List.of("full", "true").contains(System.getProperty("isol8.soak", ""));
    private static final int CALLS = FULL ? 1000 : 200;
    private static final int IN_FLIGHT = 20;
    private static final int FAULT_AT = FULL ? 300 : 60;
    /** How long the engine stays down: part of the scenario, not a wait for something. */
    private static final Duration OUTAGE = FULL ? Duration.ofSeconds(5) : Duration.ofSeconds(3);
    private static final Duration CALLS_TIMEOUT = FULL ? Duration.ofMinutes(20) : Duration.ofMinutes(4);

    private final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final List<Long> healthNanos = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong peakRssKb = new AtomicLong();

    @Test
    void serverSurvivesAnEngineRestartUnderLoad() throws Exception {
        DockerDaemon daemon = DockerDaemon.find();
        Isol8Config c = Isol8Config.builtIn();
        DockerServer server = DockerServer.start(new Isol8Config(c.port(), "", 10, 100, 30_000, c.defaults(), c.limits(),
                c.cleanup(), new Isol8Config.Pool(true, Map.of(Language.PYTHON, 2)), c.images(), c.docker(), c.auth(),
                c.source()));
        try {
            soak(server, daemon);
        } finally {
            daemon.ensureRunning();
            // whatever the outcome, nothing of this instance stays on the engine
            List<String> left = server.containers();
            if (!left.isEmpty()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(left);
                DockerServer.docker(rm.toArray(String[]::new));
            }
        }
    }

    private void soak(DockerServer server, DockerDaemon daemon) throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        Thread health = Thread.ofVirtual().start(() -> pollHealth(server, done));
        AtomicInteger issued = new AtomicInteger();
        AtomicInteger noAnswer = new AtomicInteger();
        CountDownLatch faultDue = new CountDownLatch(1);
        AtomicReference<Throwable> faultFailure = new AtomicReference<>();
        String faults;
        long start = System.nanoTime();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            Thread fault = Thread.ofVirtual().start(() -> {
                try {
                    if (faultDue.await(CALLS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                        daemon.stop();
                        Thread.sleep(OUTAGE.toMillis()); // the outage itself
                        daemon.start();
                    }
                } catch (Throwable e) {
                    faultFailure.set(e);
                }
            });
            for (int w = 0; w < IN_FLIGHT; w++) {
                int worker = w;
                workers.submit(() -> {
                    for (int i = issued.getAndIncrement(); i < CALLS; i = issued.getAndIncrement()) {
                        if (i == FAULT_AT) {
                            faultDue.countDown();
                        }
                        String outcome = call(server, worker, i);
                        if (outcome == null) {
                            noAnswer.incrementAndGet();
                        } else {
                            answers.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            workers.shutdown();
            assertTrue(workers.awaitTermination(CALLS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "calls did not finish");
            assertTrue(fault.join(Duration.ofMinutes(3)), "the engine restart did not finish");
            if (faultFailure.get() != null) {
                throw new AssertionError("the engine restart failed", faultFailure.get());
            }
            faults = "dockerd stopped for " + OUTAGE.toSeconds() + " s and started again after call " + FAULT_AT;
        }
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        int permitsInUse = Await.value(Duration.ofSeconds(10), "admission permits released",
                () -> server.app.executions().admission().inUse(), n -> n == 0);
        // a few calls after the recovery must succeed
        int recovered = 0;
        String lastRefusal = "none";
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = server.post("/execute", "{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\"}}");
            if (r.statusCode() == 200) {
                recovered++;
            } else {
                lastRefusal = r.statusCode() + " " + r.body();
            }
        }
        done.set(true);
        assertTrue(health.join(Duration.ofSeconds(30)), "the health poller did not stop");
        String leftAtClose = "none";
        try {
            server.close();
        } catch (AssertionError e) {
            leftAtClose = e.getMessage();
        }
        int leaked = server.containers().size();

        List<Long> sorted = new ArrayList<>(healthNanos);
        Collections.sort(sorted);
        double p99 = sorted.isEmpty() ? 0 : sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6;
        double max = sorted.isEmpty() ? 0 : sorted.getLast() / 1e6;
        String report = "isol8 load and fault report (" + (FULL ? "full" : "short") + " form)\n"
                + "  calls made           " + CALLS + " (" + IN_FLIGHT + " in flight, " + elapsed + " ms)\n"
                + "  answers by outcome   " + new TreeMap<>(answers) + "\n"
                + "  calls without answer " + noAnswer.get() + "\n"
                + "  faults injected      " + faults + "\n"
                + "  recovered afterwards " + recovered + "/5 ephemeral calls ok (last refusal: " + lastRefusal + ")\n"
                + "  permits in use after " + permitsInUse + "\n"
                + "  containers at close  " + leftAtClose + "\n"
                + "  containers leaked    " + leaked + "\n"
                + "  peak server RSS      " + peakRssKb.get() / 1024 + " MB (test JVM, server in process)\n"
                + "  /health p99 / max    " + String.format("%.1f / %.1f ms over %d polls", p99, max, sorted.size()) + "\n";
        System.out.print(report);
        Files.writeString(Path.of("target/soak-report.txt"), report);

        assertEquals(0, noAnswer.get(), report);
        assertTrue(answers.keySet().stream().noneMatch(k -> k.endsWith(" 500")), report);
        assertTrue(answers.keySet().stream().anyMatch(k -> k.endsWith(" 503")), "the outage was not seen: " + report);
        assertEquals(5, recovered, report);
        assertEquals(0, permitsInUse, report);
        assertEquals(0, leaked, report);
    }

    /** Returns "<kind> <status>" or null when no answer came. */
    private String call(DockerServer server, int worker, int i) {
        try {
            return switch (i % 20) {
                case 0, 1, 2, 3, 4, 5, 6, 7 -> "ephemeral " + server.post("/execute",
                        "{\"request\":{\"runtime\":\"python\",\"code\":\"print(" + i + ")\"}}").statusCode();
                case 8, 9, 10, 11, 12 -> "session " + server.post("/execute",
                        "{\"request\":{\"runtime\":\"python\",\"code\":\"print(" + i + ")\"},\"sessionId\":\"w" + worker + "\"}")
                        .statusCode();
                case 13, 14, 15, 16 -> "stream " + stream(server, i);
                default -> "abandoned " + abandon(server);
            };
        } catch (Exception e) {
            return null;
        }
    }

    private static String stream(DockerServer server, int i) throws Exception {
        HttpResponse<String> r = server.post("/execute/stream",
                "{\"request\":{\"runtime\":\"bash\",\"code\":\"echo " + i + "\"}}");
        if (r.statusCode() == 200 && !r.body().contains("\"type\":\"exit\"") && !r.body().contains("\"type\":\"error\"")) {
            return "200-incomplete";
        }
        return Integer.toString(r.statusCode());
    }

    /** Starts a stream of a long program and goes away after the status line. */
    private static String abandon(DockerServer server) throws IOException {
        String body = "{\"request\":{\"runtime\":\"python\",\"code\":\"import time\\nprint(1, flush=True)\\ntime.sleep(30)\"}}";
        try (Socket s = server.openStream(body)) {
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return status.length() == 12 ? status.substring(9) : "closed";
        }
    }

    private void pollHealth(DockerServer server, AtomicBoolean done) {
        while (!done.get()) {
            long t = System.nanoTime();
            try {
                server.send(HttpRequest.newBuilder(server.uri.resolve("/health")), null);
                healthNanos.add(System.nanoTime() - t);
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        peakRssKb.set(Long.parseLong(line.replaceAll("\\D", "")));
                    }
                }
                Thread.sleep(200); // the polling period of the watch, not a wait for something
            } catch (Exception e) {
                healthNanos.add(Long.MAX_VALUE / 4);
            }
        }
    }
}
