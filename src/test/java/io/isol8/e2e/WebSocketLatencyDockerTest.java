package io.isol8.e2e;

import io.isol8.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The numbers of the WebSocket route (run with {@code -Disol8.ws.measure=true}; skipped otherwise): time from
 * sending the request to the first {@code stdout} event for python {@code print(1)} over the WebSocket, SSE and
 * {@code POST /execute} (the whole answer) in one session, interleaved; and the echo latency of single keystrokes
 * in a terminal running {@code bash -i}.
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class WebSocketLatencyDockerTest {
    private static final int ROUNDS = 30;
    private static final int KEYSTROKES = 200;
    private DockerServer server;

    @BeforeAll
    void start() {
        Assumptions.assumeTrue(Boolean.getBoolean("isol8.ws.measure"), "set -Disol8.ws.measure=true to measure");
        server = DockerServer.start(ExecuteSocketDockerTest.config(10, 100));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static double percentile(List<Double> v, double p) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    @Test
    void firstStdoutOverWebSocketSseAndPost() throws Exception {
        String session = "lat-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        String body = DockerServer.body("python", "print(1)", "", "\"sessionId\":\"" + session + "\"");
        server.execute(body);
        List<Double> ws = new ArrayList<>();
        List<Double> sse = new ArrayList<>();
        List<Double> post = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            try (WsClient c = WsClient.open(server.app.port(), DockerServer.KEY)) {
                long t0 = System.nanoTime();
                c.send("{\"type\":\"execute\"," + body.substring(1));
                c.nextContaining("\"stdout\"", 30_000);
                ws.add((System.nanoTime() - t0) / 1e6);
                c.untilClose(30_000);
            }
            long t0 = System.nanoTime();
            try (Socket s = server.openStream(body)) {
                InputStream in = s.getInputStream();
                StringBuilder seen = new StringBuilder();
                byte[] buf = new byte[4096];
                while (!seen.toString().contains("\"type\":\"stdout\"")) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
                sse.add((System.nanoTime() - t0) / 1e6);
                while (!seen.toString().contains("\"type\":\"exit\"")) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            }
            t0 = System.nanoTime();
            assertThat(server.execute(body).get("stdout").asText()).isEqualTo("1");
            post.add((System.nanoTime() - t0) / 1e6);
        }
        System.out.printf("measured: first stdout of python print(1) in a session, median of %d: "
                + "WebSocket %.1f ms, SSE %.1f ms, POST /execute %.1f ms%n", ROUNDS, median(ws), median(sse), median(post));
        server.send(java.net.http.HttpRequest.newBuilder(server.uri.resolve("/session/" + session)).DELETE(),
                DockerServer.KEY);
        assertThat(median(ws)).isLessThan(median(post) + 20);
    }

    @Test
    void keystrokeEchoInATerminalBash() throws Exception {
        try (WsClient c = WsClient.open(server.app.port(), DockerServer.KEY)) {
            c.send("{\"type\":\"execute\",\"interactive\":{\"pty\":{\"cols\":200,\"rows\":50}},"
                    + "\"request\":{\"runtime\":\"bash\",\"code\":\"exec bash --norc --noprofile -i\",\"timeoutMs\":120000}}");
            c.nextContaining("started", 60_000);
            c.send("{\"type\":\"stdin\",\"data\":\"PS1='$ '\\r\"}");
            c.nextContaining("$ ", 10_000);
            List<Double> echo = new ArrayList<>();
            String keys = "abcdefghijklmnopqrstuvwxyz";
            for (int i = 0; i < KEYSTROKES; i++) {
                if (i > 0 && i % 50 == 0) {
                    c.send("{\"type\":\"stdin\",\"data\":\"\\u0015\"}");   // Ctrl-U: a fresh line
                    Thread.sleep(50);
                    while (c.closeNow() == null && pollQuietly(c)) {
                        // drop the redraw
                    }
                }
                String k = String.valueOf(keys.charAt(i % keys.length()));
                long t0 = System.nanoTime();
                c.send("{\"type\":\"stdin\",\"data\":\"" + k + "\"}");
                c.nextContaining(k, 10_000);
                echo.add((System.nanoTime() - t0) / 1e6);
            }
            c.send("{\"type\":\"stdin\",\"data\":\"\\u0015exit\\r\"}");
            c.untilClose(10_000);
            System.out.printf("measured: keystroke echo in a terminal bash over %d keystrokes: p50 %.2f ms, p99 %.2f ms%n",
                    KEYSTROKES, percentile(echo, 50), percentile(echo, 99));
            assertThat(percentile(echo, 99)).isLessThan(250);
        }
    }

    private static boolean pollQuietly(WsClient c) {
        try {
            c.next(20);
            return true;
        } catch (AssertionError | InterruptedException e) {
            return false;
        }
    }
}
