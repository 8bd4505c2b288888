package io.isol8.server;

import io.isol8.testing.Await;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The execution flow through the real server over the scripted engine: admission, disconnects, the
 * dead-warm-container retry, engine failures and shutdown.
 */
class ExecutionFlowTest {

    private static void awaitIdle(FakeServer server) {
        Await.until(Duration.ofSeconds(2), "admission permit released",
                () -> server.app.executions().admission().inUse() == 0);
    }

    @Test
    void fullQueueAnswers429WithRetryAfter() throws Exception {
        try (FakeServer server = FakeServer.start(1, 0, 30_000)) {
            CompletableFuture<HttpResponse<String>> first = server.streamAsync(FakeServer.body("sleep:2000", "", ""));
            assertTrue(server.engine.waiting.await(5, TimeUnit.SECONDS));
            HttpResponse<String> busy = server.post("/execute", FakeServer.body("out:x", "", ""));
            assertEquals(429, busy.statusCode());
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            assertEquals("{\"error\":\"Server busy: 0 requests already waiting (maxQueued)\"}", busy.body());
            first.cancel(true);
        }
    }

    @Test
    void queueTimeoutAnswers429NamingTheTimeout() throws Exception {
        try (FakeServer server = FakeServer.start(1, 5, 200)) {
            server.streamAsync(FakeServer.body("sleep:2000", "", ""));
            assertTrue(server.engine.waiting.await(5, TimeUnit.SECONDS));
            HttpResponse<String> busy = server.post("/execute/stream", FakeServer.body("out:x", "", ""));
            assertEquals(429, busy.statusCode());
            assertEquals("{\"error\":\"Server busy: no execution slot within 200 ms (queueTimeoutMs)\"}", busy.body());
        }
    }

    @Test
    void slowContainerStartHoldsTheSlotAndTheNextRequestTimesOutInTheQueue() throws Exception {
        try (FakeServer server = FakeServer.start(1, 5, 100)) {
            server.engine.startDelayMs = 1000;
            CompletableFuture<HttpResponse<String>> slow = server.streamAsync(FakeServer.body("out:late", "", ""));
            Await.until(Duration.ofSeconds(2), "slow run admitted", () -> server.app.executions().admission().inUse() == 1);
            assertEquals(429, server.post("/execute", FakeServer.body("out:x", "", "")).statusCode());
            HttpResponse<String> r = slow.get(5, TimeUnit.SECONDS);
            assertEquals("data: {\"type\":\"stdout\",\"data\":\"late\\n\",\"phase\":\"code\"}\n\n"
                    + "data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n", r.body());
        }
    }

    @Test
    void clientDisconnectCancelsTheRunWithin2sAndReleasesThePermit() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            try (Socket socket = server.openStream(FakeServer.body("out:first\nhang", "", ""))) {
                InputStream in = socket.getInputStream();
                FakeServer.readUntil(in, "first");
                assertEquals(1, server.app.executions().admission().inUse());
            }
            assertTrue(server.engine.cancelled.await(2, TimeUnit.SECONDS), "run not cancelled within 2 s");
            assertEquals(io.isol8.engine.CancelSignal.Reason.CLIENT_GONE, server.engine.lastCancel);
            awaitIdle(server);
            assertTrue(new String(server.metrics.scrape()).contains("isol8_client_disconnects_total 1.0"));
            assertTrue(server.engine.live.isEmpty(), "ephemeral container not removed");
        }
    }

    @Test
    void silentClientDisconnectIsNoticedWithoutAnyWrite() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            try (Socket socket = server.openStream(FakeServer.body("hang", "", ""))) {
                assertTrue(server.engine.waiting.await(2, TimeUnit.SECONDS));
            }
            assertTrue(server.engine.cancelled.await(2, TimeUnit.SECONDS), "silent run not cancelled within 2 s");
            awaitIdle(server);
        }
    }

    @Test
    void deadWarmContainerIsReplacedOnce() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            server.engine.deadWarm.set(1);
            HttpResponse<String> r = server.post("/execute", FakeServer.body("out:ok", "", ""));
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("{\"stdout\":\"ok\",\"stderr\":\"\",\"exitCode\":0,"), r.body());
            assertTrue(r.body().contains("\"containerId\":\"" + "%064x".formatted(2) + "\""), r.body());
            assertEquals(2, server.engine.created.get());
            assertTrue(server.engine.live.isEmpty(), "a container was left");
        }
    }

    @Test
    void twoDeadContainersInARowAreA503() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            server.engine.deadWarm.set(2);
            HttpResponse<String> r = server.post("/execute", FakeServer.body("out:ok", "", ""));
            assertEquals(503, r.statusCode());
            assertEquals("{\"error\":\"The container stopped before the program could start. Retry the request.\"}", r.body());
            assertTrue(server.engine.live.isEmpty(), "a container was left");
            awaitIdle(server);
        }
    }

    @Test
    void containerLostAfterOutputIsNotRunAgain() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            HttpResponse<String> r = server.stream(FakeServer.body("out:once\ngone", "", ""));
            assertEquals("data: {\"type\":\"stdout\",\"data\":\"once\\n\",\"phase\":\"code\"}\n\n"
                    + "data: {\"type\":\"error\",\"data\":\"sandbox lost: the container stopped while the program was running\",\"phase\":\"code\"}\n\n"
                    + "data: {\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}\n\n", r.body());
            assertEquals(1, server.engine.created.get());
        }
    }

    @Test
    void bufferedRunWhoseContainerIsLostAfterOutputIsA503SandboxLost() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            HttpResponse<String> r = server.post("/execute", FakeServer.body("out:once\ngone", "", ""));
            assertEquals(503, r.statusCode());
            assertEquals("{\"error\":\"sandbox lost: the container stopped while the program was running\"}", r.body());
            assertEquals(1, server.engine.created.get());
            assertTrue(server.engine.live.isEmpty(), "a container was left");
        }
    }

    @Test
    void imageWithoutTheAgentMakesReadinessA503NamingSetup() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            server.engine.imageProblem = java.util.Optional.of("Image \"isol8:python\" has no agent. Run `isol8 setup`.");
            HttpResponse<String> r = server.get("/health/ready");
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("Run `isol8 setup`"), r.body());
        }
    }

    @Test
    void sessionContainerLostIsA409AndTheSessionEnds() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            String session = "\"sessionId\":\"lost-1\"";
            assertEquals(200, server.post("/execute", FakeServer.body("out:a", "", session)).statusCode());
            HttpResponse<String> r = server.post("/execute", FakeServer.body("gone", "", session));
            assertEquals(409, r.statusCode());
            assertEquals("{\"error\":\"Session \\\"lost-1\\\" ended: its container is no longer running. Start a new session.\"}", r.body());
            assertEquals("{\"sessions\":[]}", server.get("/sessions").body());
        }
    }

    @Test
    void engineDownIsA503BeforeAnyContainerIsAsked() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            server.engine.reachable = false;
            HttpResponse<String> r = server.post("/execute/stream", FakeServer.body("out:x", "", ""));
            assertEquals(503, r.statusCode());
            assertEquals("{\"error\":\"Docker engine is not reachable at unix:///fake.sock. Start the Docker daemon or set docker.host.\"}", r.body());
            assertEquals(0, server.engine.created.get());
        }
    }

    @Test
    void missingImageIsA503NamingSetup() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            server.engine.imageMissing = true;
            HttpResponse<String> r = server.post("/execute", FakeServer.body("out:x", "", ""));
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("Run `isol8 setup`"), r.body());
        }
    }

    @Test
    void shutdownLetsRunningWorkFinishAndRefusesNewWork() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            CompletableFuture<HttpResponse<String>> running = server.streamAsync(FakeServer.body("sleep:300\nout:done", "", ""));
            assertTrue(server.engine.waiting.await(5, TimeUnit.SECONDS));
            CountDownLatch stopped = new CountDownLatch(1);
            Thread.ofVirtual().start(() -> {
                server.app.executions().shutdown(10_000);
                stopped.countDown();
            });
            Await.until(Duration.ofSeconds(2), "shutdown begun", () -> server.app.executions().stopping());
            HttpResponse<String> refused = server.post("/execute", FakeServer.body("out:x", "", ""));
            assertEquals(503, refused.statusCode());
            assertEquals("{\"error\":\"Server is shutting down\"}", refused.body());
            assertEquals("data: {\"type\":\"stdout\",\"data\":\"done\\n\",\"phase\":\"code\"}\n\n"
                    + "data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n", running.get(5, TimeUnit.SECONDS).body());
            assertTrue(stopped.await(2, TimeUnit.SECONDS), "shutdown did not return once the run ended");
        }
    }

    @Test
    void bufferedRunCancelledByShutdownIsA503() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.post("/execute", FakeServer.body("hang", "", ""));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(server.engine.waiting.await(5, TimeUnit.SECONDS));
            server.app.executions().shutdown(20);
            HttpResponse<String> r = running.get(5, TimeUnit.SECONDS);
            assertEquals(503, r.statusCode());
            assertEquals("{\"error\":\"Server is shutting down\"}", r.body());
        }
    }

    @Test
    void bufferedResultCarriesEveryMarker() throws Exception {
        try (FakeServer server = FakeServer.start()) {
            String timeout = server.post("/execute", FakeServer.body("out:a\ntimeout", "\"timeoutMs\":500", "")).body();
            assertTrue(timeout.startsWith("{\"stdout\":\"a\",\"stderr\":\"\\n--- EXECUTION TIMED OUT ---\",\"exitCode\":137,\"durationMs\":500,"), timeout);
            assertTrue(timeout.endsWith("\"timedOut\":true,\"oomKilled\":false}"), timeout);
            String oom = server.post("/execute", FakeServer.body("oom", "", "")).body();
            assertTrue(oom.contains("\"stderr\":\"\\n--- MEMORY LIMIT EXCEEDED ---\",\"exitCode\":137"), oom);
            assertTrue(oom.endsWith("\"timedOut\":false,\"oomKilled\":true}"), oom);
            String cut = server.post("/execute", FakeServer.body("bytes:30", "", "\"options\":{\"maxOutputSize\":10}")).body();
            assertTrue(cut.startsWith("{\"stdout\":\"xxxxxxxxxx\\n\\n--- OUTPUT TRUNCATED (30 bytes, limit: 10) ---\",\"stderr\":\"\",\"exitCode\":0,"), cut);
            assertTrue(cut.endsWith("\"stdoutTruncated\":true,\"stderrTruncated\":false}"), cut);
            assertTrue(new String(server.metrics.scrape()).contains("isol8_output_truncations_total{stream=\"stdout\"} 1.0"));
            String failed = server.post("/execute", FakeServer.body("out:x", "\"installPackages\":[\"fail\"]", "\"options\":{\"network\":\"bridge\"}")).body();
            assertTrue(failed.startsWith("{\"stdout\":\"\",\"stderr\":\"ERROR: no package named fail\\n\\n--- PACKAGE INSTALL FAILED (exit code 1) ---\",\"exitCode\":1,"), failed);
            assertFalse(server.engine.live.size() > 0, "a container was left");
        }
    }
}
