package io.isol8.server;

import io.isol8.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /execute/ws} over the real server and a {@link FakeEngine} (api.md §14). */
class ExecuteSocketTest {
    private FakeServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private FakeServer server() {
        server = FakeServer.start();
        return server;
    }

    private static String execute(String code) {
        return "{\"type\":\"execute\",\"request\":{\"runtime\":\"python\",\"code\":" + Json.string(code) + "}}";
    }

    private static String interactive(String code) {
        return "{\"type\":\"execute\",\"interactive\":true,\"request\":{\"runtime\":\"python\",\"code\":"
                + Json.string(code) + "}}";
    }

    @Test
    void wrongKeyGets401JsonBeforeAnyUpgrade() throws Exception {
        int port = server().app.port();
        String wrong = WsClient.rawUpgrade(port, "Authorization: Bearer nope\r\n");
        assertThat(wrong).startsWith("HTTP/1.1 401").contains("WWW-Authenticate: Bearer")
                .endsWith("{\"error\":\"Invalid API key\"}");
        String missing = WsClient.rawUpgrade(port, "");
        assertThat(missing).startsWith("HTTP/1.1 401").endsWith("{\"error\":\"Missing Authorization header\"}");
        String badProtocol = WsClient.rawUpgrade(port, "Sec-WebSocket-Protocol: isol8, isol8.bearer.nope\r\n");
        assertThat(badProtocol).startsWith("HTTP/1.1 401").endsWith("{\"error\":\"Invalid API key\"}");
    }

    @Test
    void queryStringKeysAreNotAccepted() throws Exception {
        int port = server().app.port();
        String answer = WsClient.rawUpgrade(port, "").replace("/execute/ws", "/execute/ws?key=" + FakeServer.KEY);
        assertThat(answer).startsWith("HTTP/1.1 401");
    }

    @Test
    void plainGetWithoutUpgradeIs400() throws Exception {
        var res = server().get("/execute/ws");
        assertThat(res.statusCode()).isEqualTo(400);
        assertThat(res.body()).contains("needs a WebSocket upgrade");
    }

    @Test
    void subprotocolKeyIsAcceptedAndOnlyIsol8IsSelected() throws Exception {
        int port = server().app.port();
        String raw = WsClient.rawUpgrade(port, "Sec-WebSocket-Protocol: isol8, isol8.bearer." + FakeServer.KEY + "\r\n");
        assertThat(raw).startsWith("HTTP/1.1 101").contains("Sec-WebSocket-Protocol: isol8\r\n")
                .doesNotContain(FakeServer.KEY);
        try (WsClient ws = WsClient.openWithSubprotocols(port, "isol8", "isol8.bearer." + FakeServer.KEY)) {
            assertThat(ws.socket().getSubprotocol()).isEqualTo("isol8");
            ws.send(execute("out:hi"));
            assertThat(ws.next(5000)).isEqualTo("{\"type\":\"stdout\",\"data\":\"hi\\n\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aRunSendsTheStreamEventsThenCloses1000() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(execute("out:hello\nerr:warn\nexit:3"));
            assertThat(ws.untilClose(5000)).containsExactly(
                    "{\"type\":\"stdout\",\"data\":\"hello\\n\",\"phase\":\"code\"}",
                    "{\"type\":\"stderr\",\"data\":\"warn\\n\",\"phase\":\"code\"}",
                    "{\"type\":\"exit\",\"data\":\"3\",\"phase\":\"code\"}");
            assertThat(ws.awaitClose(1000)).isEqualTo(new WsClient.Close(1000, "Execution complete"));
        }
    }

    @Test
    void timeoutEndsWithErrorAndExit137() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(execute("out:a\ntimeout"));
            assertThat(ws.untilClose(5000)).containsExactly(
                    "{\"type\":\"stdout\",\"data\":\"a\\n\",\"phase\":\"code\"}",
                    "{\"type\":\"error\",\"data\":\"EXECUTION TIMED OUT\",\"phase\":\"code\"}",
                    "{\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}");
            assertThat(ws.awaitClose(1000).code()).isEqualTo(1000);
        }
    }

    @Test
    void invalidJsonCloses1003() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send("{not json");
            assertThat(ws.untilClose(5000)).containsExactly("{\"type\":\"error\",\"data\":\"Invalid JSON message\"}");
            assertThat(ws.awaitClose(1000)).isEqualTo(new WsClient.Close(1003, "Invalid JSON"));
        }
    }

    @Test
    void unknownTypeIsAnErrorAndTheSocketStaysOpen() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send("{\"type\":\"hello\"}");
            assertThat(ws.next(5000)).isEqualTo("{\"type\":\"error\",\"data\":\"Unknown message type: hello\"}");
            ws.send(execute("out:still here"));
            assertThat(ws.next(5000)).contains("still here");
            assertThat(ws.awaitClose(5000).code()).isEqualTo(1000);
        }
    }

    @Test
    void executeWithoutRequestCloses1008() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send("{\"type\":\"execute\"}");
            assertThat(ws.untilClose(5000)).containsExactly(
                    "{\"type\":\"error\",\"data\":\"Missing required field: request\"}");
            assertThat(ws.awaitClose(1000)).isEqualTo(new WsClient.Close(1008, "Missing required field: request"));
        }
    }

    @Test
    void validationErrorsAreOneErrorFrameAnd1008() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send("{\"type\":\"execute\",\"request\":{\"runtime\":\"cobol\",\"code\":\"x\"}}");
            List<String> all = ws.untilClose(5000);
            assertThat(all).hasSize(1);
            assertThat(all.get(0)).startsWith("{\"type\":\"error\",\"data\":\"Unknown runtime: \\\"cobol\\\"");
            assertThat(ws.awaitClose(1000).code()).isEqualTo(1008);
        }
    }

    @Test
    void aTerminalSizeOutOfRangeIsRefusedWith1008() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send("{\"type\":\"execute\",\"interactive\":{\"pty\":{\"cols\":0,\"rows\":24}},"
                    + "\"request\":{\"runtime\":\"python\",\"code\":\"out:x\"}}");
            assertThat(ws.untilClose(5000)).containsExactly(
                    "{\"type\":\"error\",\"data\":\"interactive.pty.cols must be an integer from 1 to 1000\"}");
            assertThat(ws.awaitClose(1000).code()).isEqualTo(1008);
        }
    }

    @Test
    void aSecondExecuteIsRefusedAndTheFirstKeepsRunning() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(execute("sleep:300\nout:first"));
            ws.send(execute("out:second"));
            assertThat(ws.next(5000)).isEqualTo(
                    "{\"type\":\"error\",\"data\":\"An execution is already running on this socket\"}");
            assertThat(ws.untilClose(5000)).containsExactly(
                    "{\"type\":\"stdout\",\"data\":\"first\\n\",\"phase\":\"code\"}",
                    "{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void noExecuteWithinTenSecondsCloses4001() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            assertThat(ws.awaitClose(15_000)).isEqualTo(new WsClient.Close(4001, "No execute message"));
        }
    }

    @Test
    void aFrameOverTheBodyLimitCloses1009() throws Exception {
        server = FakeServer.start(10, 100, 30_000, 1 << 20);
        try (WsClient ws = WsClient.open(server.app.port(), FakeServer.KEY)) {
            ws.socket().sendText("x".repeat(3 << 20), true);
            assertThat(ws.awaitClose(10_000).code()).isEqualTo(1009);
        }
    }

    @Test
    void busyServerAnswersErrorAnd1013() throws Exception {
        server = FakeServer.start(1, 0, 30_000);
        try (WsClient first = WsClient.open(server.app.port(), FakeServer.KEY);
             WsClient second = WsClient.open(server.app.port(), FakeServer.KEY)) {
            first.send(execute("hang"));
            assertThat(server.engine.waiting.await(5, TimeUnit.SECONDS)).isTrue();
            second.send(execute("out:x"));
            List<String> all = second.untilClose(5000);
            assertThat(all).hasSize(1);
            assertThat(all.get(0)).startsWith("{\"type\":\"error\",\"data\":\"Server busy:");
            WsClient.Close close = second.awaitClose(1000);
            assertThat(close.code()).isEqualTo(1013);
            assertThat(close.reason()).startsWith("Server busy:");
        }
    }

    @Test
    void disconnectMidRunCancelsItAndReleasesThePermit() throws Exception {
        server();
        WsClient ws = WsClient.open(server.app.port(), FakeServer.KEY);
        ws.send(execute("hang"));
        assertThat(server.engine.waiting.await(5, TimeUnit.SECONDS)).isTrue();
        ws.abort();
        long t0 = System.nanoTime();
        assertThat(server.engine.cancelled.await(2, TimeUnit.SECONDS)).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
        io.isol8.testing.Await.until(java.time.Duration.ofSeconds(2), "permit released",
                () -> server.app.executions().admission().inUse() == 0);
    }

    @Test
    void stdinFramesAreIgnoredWithoutInteractive() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send("{\"type\":\"stdin\",\"data\":\"ignored\\n\"}");
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGINT\"}");
            ws.send(execute("out:ok"));
            assertThat(ws.untilClose(5000)).containsExactly(
                    "{\"type\":\"stdout\",\"data\":\"ok\\n\",\"phase\":\"code\"}",
                    "{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void interactiveStdinReachesTheProgramAfterStarted() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(interactive("readline\nreadline"));
            ws.send("{\"type\":\"stdin\",\"data\":\"early\\n\"}");
            String started = ws.next(5000);
            assertThat(started).matches("\\{\"type\":\"started\",\"data\":\"[0-9a-f-]{36}\",\"phase\":\"code\"}");
            assertThat(ws.next(5000)).isEqualTo("{\"type\":\"stdout\",\"data\":\"got:early\\n\",\"phase\":\"code\"}");
            ws.send("{\"type\":\"stdin\",\"data\":\"bGF0ZQo=\",\"encoding\":\"base64\"}");
            assertThat(ws.next(5000)).isEqualTo("{\"type\":\"stdout\",\"data\":\"got:late\\n\",\"phase\":\"code\"}");
            assertThat(ws.next(5000)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
            assertThat(ws.awaitClose(5000).code()).isEqualTo(1000);
        }
    }

    @Test
    void eofEndsTheProgramsInput() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(interactive("cat"));
            ws.nextContaining("started", 5000);
            ws.send("{\"type\":\"stdin\",\"data\":\"abc\",\"eof\":true}");
            StringBuilder out = new StringBuilder();
            for (String m : ws.untilClose(5000)) {
                if (m.contains("\"stdout\"")) {
                    out.append(Json.MAPPER.readTree(m).get("data").asText());
                }
            }
            assertThat(out.toString()).isEqualTo("abc<eof>\n");
        }
    }

    @Test
    void aThousandRapidStdinFramesArriveInOrder() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(interactive("cat"));
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                ws.send("{\"type\":\"stdin\",\"data\":\"" + i + ",\"}");
                expected.append(i).append(',');
            }
            ws.send("{\"type\":\"stdin\",\"data\":\"\",\"eof\":true}");
            StringBuilder out = new StringBuilder();
            List<String> all = new ArrayList<>(ws.untilClose(10_000));
            for (String m : all) {
                if (m.contains("\"stdout\"")) {
                    out.append(Json.MAPPER.readTree(m).get("data").asText());
                }
            }
            assertThat(out.toString()).isEqualTo(expected + "<eof>\n");
        }
    }

    @Test
    void signalsReachAnInteractiveProgram() throws Exception {
        try (WsClient ws = WsClient.open(server().app.port(), FakeServer.KEY)) {
            ws.send(interactive("trap\ntrap"));
            ws.nextContaining("started", 5000);
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGINT\"}");
            assertThat(ws.next(5000)).isEqualTo("{\"type\":\"stdout\",\"data\":\"signal:2\\n\",\"phase\":\"code\"}");
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGSTOP\"}");
            assertThat(ws.next(5000)).startsWith("{\"type\":\"error\",\"data\":\"Unknown signal: SIGSTOP");
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGKILL\"}");
            assertThat(ws.untilClose(5000)).containsExactly("{\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aStdinFrameOver64KiBCloses4009AndKillsTheRun() throws Exception {
        server();
        try (WsClient ws = WsClient.open(server.app.port(), FakeServer.KEY)) {
            ws.send(interactive("hang"));
            assertThat(server.engine.waiting.await(5, TimeUnit.SECONDS)).isTrue();
            ws.send("{\"type\":\"stdin\",\"data\":\"" + "x".repeat(65 * 1024) + "\"}");
            assertThat(ws.awaitClose(5000)).isEqualTo(new WsClient.Close(4009, "Slow consumer"));
            assertThat(server.engine.cancelled.await(2, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedAndItsRunKilled() throws Exception {
        server();
        try (WsClient ws = WsClient.open(server.app.port(), FakeServer.KEY)) {
            ws.stopReading();
            ws.send(execute("flood"));
            assertThat(server.engine.cancelled.await(25, TimeUnit.SECONDS)).isTrue();
            assertThat(server.engine.lastCancel).isEqualTo(io.isol8.engine.CancelSignal.Reason.CLIENT_GONE);
            io.isol8.testing.Await.until(java.time.Duration.ofSeconds(2), "permit released",
                () -> server.app.executions().admission().inUse() == 0);
        }
    }

    @Test
    void shutdownClosesIdleSocketsWith1001() throws Exception {
        server();
        WsClient ws = WsClient.open(server.app.port(), FakeServer.KEY);
        server.close();
        server = null;
        assertThat(ws.awaitClose(10_000)).isEqualTo(new WsClient.Close(1001, "Server is shutting down"));
    }

    @Test
    void shutdownEndsARunningExecutionThenCloses1001() throws Exception {
        server();
        WsClient ws = WsClient.open(server.app.port(), FakeServer.KEY);
        ws.send(execute("hang"));
        assertThat(server.engine.waiting.await(5, TimeUnit.SECONDS)).isTrue();
        server.close();
        server = null;
        assertThat(ws.untilClose(15_000)).containsExactly(
                "{\"type\":\"error\",\"data\":\"Server is shutting down\",\"phase\":\"code\"}",
                "{\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}");
        assertThat(ws.awaitClose(1000)).isEqualTo(new WsClient.Close(1001, "Server is shutting down"));
    }
}
