package io.isol8.e2e;

import io.isol8.config.Isol8Config;
import io.isol8.core.Runtime;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * 1 000 mixed calls with 20 in flight while the Docker engine is stopped and started again once.
 * Long and disruptive (it restarts dockerd), so it runs only with {@code -Disol8.soak=true}:
 * {@code mvn test -Dtest=LoadFaultSoakTest -Disol8.soak=true -Disol8.jlink.skip=true}.
 */
class LoadFaultSoakTest {
    private static final int CALLS = 1000;
    private static final int IN_FLIGHT = 20;
    private static final int FAULT_AT = 300;

    private final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final List<Long> healthNanos = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong peakRssKb = new AtomicLong();

    @Test
    void serverSurvivesAnEngineRestartUnderLoad() throws Exception {
        assumeTrue(Boolean.getBoolean("isol8.soak"), "soak run: pass -Disol8.soak=true");
        Isol8Config c = Isol8Config.builtIn();
        DockerServer server = DockerServer.start(new Isol8Config(c.port(), "", 10, 100, 30_000, c.defaults(), c.limits(),
                c.cleanup(), new Isol8Config.Pool(true, Map.of(Runtime.PYTHON, 2)), c.images(), c.docker(), c.auth(),
                c.source()));
        AtomicBoolean done = new AtomicBoolean();
        Thread health = Thread.ofVirtual().start(() -> pollHealth(server, done));
        AtomicInteger issued = new AtomicInteger();
        AtomicInteger noAnswer = new AtomicInteger();
        String faults;
        long start = System.nanoTime();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            Thread fault = Thread.ofVirtual().start(() -> {
                while (issued.get() < FAULT_AT) {
                    Thread.onSpinWait();
                }
                restartEngine();
            });
            for (int w = 0; w < IN_FLIGHT; w++) {
                int worker = w;
                workers.submit(() -> {
                    for (int i = issued.getAndIncrement(); i < CALLS; i = issued.getAndIncrement()) {
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
            assertTrue(workers.awaitTermination(20, TimeUnit.MINUTES), "calls did not finish");
            fault.join();
            faults = "dockerd stopped and started once after call " + FAULT_AT;
        }
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.app.executions().admission().inUse() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        int permitsInUse = server.app.executions().admission().inUse();
        // a few calls after the recovery must succeed
        int recovered = 0;
        for (int i = 0; i < 5; i++) {
            if (server.post("/execute", "{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\"}}").statusCode() == 200) {
                recovered++;
            }
        }
        done.set(true);
        health.join();
        server.close();
        int leaked = server.containers().size();

        List<Long> sorted = new ArrayList<>(healthNanos);
        Collections.sort(sorted);
        double p99 = sorted.isEmpty() ? 0 : sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6;
        double max = sorted.isEmpty() ? 0 : sorted.getLast() / 1e6;
        String report = "isol8 load and fault report\n"
                + "  calls made           " + CALLS + " (" + IN_FLIGHT + " in flight, " + elapsed + " ms)\n"
                + "  answers by outcome   " + new TreeMap<>(answers) + "\n"
                + "  calls without answer " + noAnswer.get() + "\n"
                + "  faults injected      " + faults + "\n"
                + "  recovered afterwards " + recovered + "/5 ephemeral calls ok\n"
                + "  permits in use after " + permitsInUse + "\n"
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

    private void restartEngine() {
        try {
            run("sh", "-c", "kill $(pidof dockerd)");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (run("docker", "info") == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Thread.sleep(5000);
            run("sh", "-c", "nohup dockerd >>/var/log/isol8-dockerd.log 2>&1 </dev/null &");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (run("docker", "info") != 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
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
                Thread.sleep(200);
            } catch (Exception e) {
                healthNanos.add(Long.MAX_VALUE / 4);
            }
        }
    }
}
