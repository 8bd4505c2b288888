package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.testing.Await;
import io.isol8.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /execute/ws} against real containers with the agent executor (api.md §14): isol8 0.20's sequences,
 * interactive stdin, end of input and signals, and the faults a socket can have.
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class ExecuteSocketDockerTest {
    private DockerServer server;

    @BeforeAll
    void start() {
        server = DockerServer.start(config(10, 100));
    }

    static Isol8Config config(int maxConcurrent, int maxQueued) {
        Isol8Config c = Isol8Config.builtIn();
        return new Isol8Config(c.port(), "", maxConcurrent, maxQueued, c.queueTimeoutMs(), c.defaults(), c.limits(),
                c.cleanup(), new Isol8Config.Pool(true, Map.of(io.isol8.core.Language.PYTHON, 1)), c.images(),
                c.docker(), c.auth(), c.source(), new Isol8Config.Engine(Isol8Config.Executor.AGENT));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private WsClient open() {
        return WsClient.open(server.app.port(), DockerServer.KEY);
    }

    private static String execute(String runtime, String code, String extraRequest, String rest) throws Exception {
        return "{\"type\":\"execute\"," + DockerServer.body(runtime, code, extraRequest, rest).substring(1);
    }

    /** The concatenated {@code data} of the {@code type} frames. */
    private static String joined(List<String> frames, String type) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String f : frames) {
            JsonNode n = DockerServer.JSON.readTree(f);
            if (n.get("type").asText().equals(type)) {
                sb.append(n.get("data").asText());
            }
        }
        return sb.toString();
    }

    /** Reads frames until the stdout seen so far (concatenated) contains {@code marker}; returns that stdout. */
    private static String stdoutUntil(WsClient ws, String marker, long ms) throws Exception {
        long end = System.nanoTime() + ms * 1_000_000;
        StringBuilder out = new StringBuilder();
        while (!out.toString().contains(marker)) {
            String f = ws.next(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            JsonNode n = DockerServer.JSON.readTree(f);
            if (n.get("type").asText().equals("stdout")) {
                out.append(n.get("data").asText());
            }
        }
        return out.toString();
    }

    private static String last(List<String> frames) {
        return frames.get(frames.size() - 1);
    }

    private void permitsBack(Duration within) {
        Await.until(within, "every admission permit released",
                () -> server.app.executions().admission().inUse() == 0);
    }

    @Test
    void aPythonRunStreamsItsOutputAndCloses1000() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "print(1)\nprint('two')", "", ""));
            List<String> frames = ws.untilClose(60_000);
            assertThat(joined(frames, "stdout")).isEqualTo("1\ntwo\n");
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
            assertThat(ws.awaitClose(1000)).isEqualTo(new WsClient.Close(1000, "Execution complete"));
        }
    }

    @Test
    void aNonZeroExitIsTheExitFrame() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import sys\nprint('bad', file=sys.stderr)\nsys.exit(3)", "", ""));
            List<String> frames = ws.untilClose(60_000);
            assertThat(joined(frames, "stderr")).isEqualTo("bad\n");
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"3\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aTimeoutIsErrorThenExit137() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import time\nprint('s', flush=True)\ntime.sleep(30)", "\"timeoutMs\":1500", ""));
            List<String> frames = ws.untilClose(60_000);
            assertThat(frames.subList(frames.size() - 2, frames.size())).containsExactly(
                    "{\"type\":\"error\",\"data\":\"EXECUTION TIMED OUT\",\"phase\":\"code\"}",
                    "{\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}");
            assertThat(ws.awaitClose(1000).code()).isEqualTo(1000);
        }
    }

    @Test
    void memoryExhaustionIsReported() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "x = bytearray(800 * 1024 * 1024)", "", "\"options\":{\"memoryLimit\":\"128m\"}"));
            List<String> frames = ws.untilClose(60_000);
            assertThat(frames.subList(frames.size() - 2, frames.size())).containsExactly(
                    "{\"type\":\"error\",\"data\":\"MEMORY LIMIT EXCEEDED\",\"phase\":\"code\"}",
                    "{\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}");
        }
    }

    @Test
    void outputOverTheCapIsTruncatedWithOneNotice() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "print('x' * 5000)", "", "\"options\":{\"maxOutputSize\":1000}"));
            List<String> frames = ws.untilClose(60_000);
            assertThat(joined(frames, "stdout")).isEqualTo("x".repeat(1000)
                    + "\n--- OUTPUT TRUNCATED (limit: 1000 bytes) ---\n");
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void secretsAreMaskedAcrossChunkBorders() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import sys, time\nsys.stdout.write('tok'); sys.stdout.flush(); time.sleep(0.3)\n"
                    + "sys.stdout.write('en-123 end\\n')", "", "\"options\":{\"secrets\":{\"TOKEN\":\"token-123\"}}"));
            assertThat(joined(ws.untilClose(60_000), "stdout")).isEqualTo("*** end\n");
        }
    }

    @Test
    void aSessionIsSharedBetweenTheSocketAndHttp() throws Exception {
        String session = "ws-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        try (WsClient ws = open()) {
            ws.send(execute("python", "open('/sandbox/note.txt', 'w').write('from ws')\nprint('saved')", "",
                    "\"sessionId\":\"" + session + "\""));
            assertThat(joined(ws.untilClose(60_000), "stdout")).isEqualTo("saved\n");
        }
        JsonNode r = server.execute(DockerServer.body("python", "print(open('/sandbox/note.txt').read())", "",
                "\"sessionId\":\"" + session + "\""));
        assertThat(r.get("stdout").asText()).isEqualTo("from ws");
        try (WsClient ws = open()) {
            ws.send(execute("python", "print(open('/sandbox/note.txt').read())", "", "\"sessionId\":\"" + session + "\""));
            assertThat(joined(ws.untilClose(60_000), "stdout")).isEqualTo("from ws\n");
        }
        server.send(java.net.http.HttpRequest.newBuilder(server.uri.resolve("/session/" + session)).DELETE(),
                DockerServer.KEY);
    }

    @Test
    void aProgramThatPromptsTwiceGetsBothAnswers() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "a = input('name? ')\nprint('hello', a, flush=True)\n"
                    + "b = input('age? ')\nprint('age', b)", "", "\"interactive\":true"));
            assertThat(ws.next(60_000)).startsWith("{\"type\":\"started\",\"data\":\"");
            assertThat(stdoutUntil(ws, "name? ", 10_000)).isEqualTo("name? ");
            ws.send("{\"type\":\"stdin\",\"data\":\"Ada\\n\"}");
            assertThat(stdoutUntil(ws, "age? ", 10_000)).isEqualTo("hello Ada\nage? ");
            ws.send("{\"type\":\"stdin\",\"data\":\"36\\n\"}");
            List<String> rest = ws.untilClose(10_000);
            assertThat(joined(rest, "stdout")).contains("age 36\n");
            assertThat(last(rest)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void requestStdinComesFirstAndEofEndsCat() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("bash", "cat; echo done", "\"stdin\":\"first\\n\"", "\"interactive\":true"));
            ws.nextContaining("started", 60_000);
            ws.send("{\"type\":\"stdin\",\"data\":\"second\\n\"}");
            ws.send("{\"type\":\"stdin\",\"data\":\"\",\"eof\":true}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(joined(frames, "stdout")).isEqualTo("first\nsecond\ndone\n");
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void sigintReachesAProgramThatTrapsIt() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import signal, sys, time\n"
                    + "def stop(n, f):\n    print('caught', n, flush=True)\n    sys.exit(4)\n"
                    + "signal.signal(signal.SIGINT, stop)\nprint('ready', flush=True)\n"
                    + "while True:\n    time.sleep(0.05)\n", "", "\"interactive\":true"));
            stdoutUntil(ws, "ready\n", 60_000);
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGINT\"}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(joined(frames, "stdout")).isEqualTo("caught 2\n");
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"4\",\"phase\":\"code\"}");
        }
    }

    @Test
    void sigkillEndsAProgramThatIgnoresTheRest() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                    + "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(60)",
                    "", "\"interactive\":true"));
            ws.nextContaining("ready", 60_000);
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGTERM\"}");
            ws.send("{\"type\":\"signal\",\"signal\":\"SIGKILL\"}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}");
        }
    }

    private static final String PTY = "\"interactive\":{\"pty\":{\"cols\":100,\"rows\":30}}";

    @Test
    void aTerminalRunSeesATerminalAndItsSizeChanges() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("bash", "[ -t 0 ] && [ -t 1 ] && echo tty-yes\necho \"term=$TERM\"\nstty size\n"
                    + "read -r x\nstty size\n", "", PTY));
            ws.nextContaining("started", 60_000);
            assertThat(stdoutUntil(ws, "30 100", 10_000)).contains("tty-yes\r\n").contains("term=xterm-256color\r\n");
            ws.send("{\"type\":\"resize\",\"cols\":120,\"rows\":40}");
            ws.send("{\"type\":\"stdin\",\"data\":\"go\\r\"}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(joined(frames, "stdout")).contains("40 120");
            assertThat(joined(frames, "stderr")).isEmpty();
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void anInteractiveBashRunsATypedCommandAndExits() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("bash", "exec bash --norc --noprofile -i", "", PTY));
            ws.nextContaining("started", 60_000);
            ws.send("{\"type\":\"stdin\",\"data\":\"echo $((6*7))\\r\"}");
            assertThat(stdoutUntil(ws, "42\r\n", 10_000)).contains("echo $((6*7))");
            ws.send("{\"type\":\"stdin\",\"data\":\"exit 5\\r\"}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"5\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aPythonReplWorksOnATerminal() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import os\nos.execvp('python3', ['python3', '-q', '-i'])", "", PTY));
            ws.nextContaining("started", 60_000);
            stdoutUntil(ws, ">>> ", 10_000);
            ws.send("{\"type\":\"stdin\",\"data\":\"print(6 * 7)\\r\"}");
            assertThat(stdoutUntil(ws, "42\r\n", 10_000)).contains("print(6 * 7)");
            ws.send("{\"type\":\"stdin\",\"data\":\"\",\"eof\":true}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aNodeReplWorksOnATerminal() throws Exception {
        try (WsClient ws = open()) {
            ws.send("{\"type\":\"execute\",\"interactive\":{\"pty\":{\"cols\":100,\"rows\":30}},"
                    + "\"request\":{\"runtime\":\"node\",\"cmd\":\"exec node -i\"}}");
            ws.nextContaining("started", 60_000);
            stdoutUntil(ws, "> ", 15_000);
            ws.send("{\"type\":\"stdin\",\"data\":\"6 * 7\\r\"}");
            assertThat(stdoutUntil(ws, "42", 10_000)).contains("6 * 7");
            ws.send("{\"type\":\"stdin\",\"data\":\".exit\\r\"}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void topDrawsOnTheTerminal() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("bash", "top -n 1", "", PTY));
            List<String> frames = ws.untilClose(30_000);
            String screen = joined(frames, "stdout");
            assertThat(screen).contains("\u001b[").contains("Tasks:").contains("load average");
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void ctrlCInATerminalInterruptsTheForegroundProgram() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("bash", "echo ready; sleep 30; echo after=$?", "", PTY));
            stdoutUntil(ws, "ready", 60_000);
            ws.send("{\"type\":\"stdin\",\"data\":\"\\u0003\"}");
            List<String> frames = ws.untilClose(10_000);
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"130\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aThousandRapidStdinFramesArriveInOrder() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("bash", "cat", "", "\"interactive\":true"));
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                ws.send("{\"type\":\"stdin\",\"data\":\"" + i + "\\n\"}");
                expected.append(i).append('\n');
            }
            ws.send("{\"type\":\"stdin\",\"data\":\"\",\"eof\":true}");
            List<String> frames = ws.untilClose(60_000);
            assertThat(joined(frames, "stdout")).isEqualTo(expected.toString());
            assertThat(last(frames)).isEqualTo("{\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}");
        }
    }

    @Test
    void aSecondExecuteIsRefusedWhileTheFirstRuns() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import time\ntime.sleep(0.5)\nprint('first')", "", ""));
            ws.send(execute("python", "print('second')", "", ""));
            assertThat(ws.next(10_000)).isEqualTo(
                    "{\"type\":\"error\",\"data\":\"An execution is already running on this socket\"}");
            List<String> frames = ws.untilClose(60_000);
            assertThat(joined(frames, "stdout")).isEqualTo("first\n");
        }
    }

    @Test
    void aDisconnectMidRunStopsTheProgramAndReleasesThePermit() throws Exception {
        WsClient ws = open();
        ws.send(execute("python", "import time\nprint('running', flush=True)\ntime.sleep(60)", "", ""));
        ws.nextContaining("running", 60_000);
        ws.abort();
        permitsBack(Duration.ofSeconds(2));
    }

    @Test
    void aClientThatNeverReadsAFloodIsClosedAndItsProgramKilled() throws Exception {
        try (WsClient ws = open()) {
            ws.send(execute("python", "import sys\nline = 'f' * 1023 + '\\n'\nwhile True:\n    sys.stdout.write(line)\n",
                    "\"timeoutMs\":60000", "\"options\":{\"maxOutputSize\":10485760}"));
            ws.nextContaining("stdout", 60_000);
            ws.stopReading();
            long t0 = System.nanoTime();
            permitsBack(Duration.ofSeconds(30));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isLessThan(25_000);
        }
    }

    @Test
    void fiftySocketsShareTenSlotsAndTheOverflowIsRefused() throws Exception {
        try (DockerServer small = DockerServer.start(config(10, 15))) {
            List<WsClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) {
                    clients.add(WsClient.open(small.app.port(), DockerServer.KEY));
                }
                String body = execute("python", "import time\ntime.sleep(0.3)\nprint('ok')", "", "");
                for (WsClient c : clients) {
                    c.socket().sendText(body, true);
                }
                int ok = 0;
                int refused = 0;
                for (WsClient c : clients) {
                    List<String> frames = c.untilClose(120_000);
                    WsClient.Close close = c.awaitClose(1000);
                    if (close.code() == 1000) {
                        assertThat(joined(frames, "stdout")).isEqualTo("ok\n");
                        ok++;
                    } else {
                        assertThat(close.code()).isEqualTo(1013);
                        assertThat(close.reason()).startsWith("Server busy");
                        assertThat(frames).hasSize(1);
                        assertThat(frames.get(0)).startsWith("{\"type\":\"error\",\"data\":\"Server busy");
                        refused++;
                    }
                }
                assertThat(ok + refused).isEqualTo(50);
                assertThat(ok).isGreaterThanOrEqualTo(25);
                assertThat(refused).isGreaterThanOrEqualTo(1);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }
}
