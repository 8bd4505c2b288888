package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running code for real: every runtime, hardening seen from inside, limits, streaming. */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
abstract class ExecutionDockerTest {
    /** The executor this copy of the suite runs against. */
    abstract Isol8Config.Executor executor();

    private DockerServer server;

    @BeforeAll
    void start() throws Exception {
        Isol8Config c = Isol8Config.builtIn();
        server = DockerServer.start(new Isol8Config(c.port(), "", c.maxConcurrent(), c.maxQueued(), c.queueTimeoutMs(),
                c.defaults(), c.limits(), c.cleanup(), new Isol8Config.Pool(true, Map.of(io.isol8.core.Language.PYTHON, 1)),
                c.images(), c.docker(), c.auth(), c.source(), new Isol8Config.Engine(executor())));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** One program per runtime: reads stdin, env and a staged file, writes 256 bytes, prints to stderr, exits 3. */
    static Stream<Arguments> programs() {
        return Stream.of(
                Arguments.of("python", """
                        import sys, os
                        data = sys.stdin.read()
                        print("hello", data, os.environ["GREETING"], open("/sandbox/in/data.txt").read())
                        open("out.bin", "wb").write(bytes(range(256)))
                        print("warn", file=sys.stderr)
                        sys.exit(3)
                        """),
                Arguments.of("node", """
                        import fs from 'fs';
                        const data = fs.readFileSync('/dev/stdin', 'utf8');
                        console.log('hello', data, process.env.GREETING, fs.readFileSync('/sandbox/in/data.txt', 'utf8'));
                        fs.writeFileSync('out.bin', Buffer.from([...Array(256).keys()]));
                        console.error('warn');
                        process.exit(3);
                        """),
                Arguments.of("bun", """
                        import fs from 'fs';
                        const data: string = fs.readFileSync('/dev/stdin', 'utf8');
                        console.log('hello', data, process.env.GREETING, fs.readFileSync('/sandbox/in/data.txt', 'utf8'));
                        fs.writeFileSync('out.bin', Buffer.from([...Array(256).keys()]));
                        console.error('warn');
                        process.exit(3);
                        """),
                Arguments.of("deno", """
                        const data = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
                        console.log("hello", data, Deno.env.get("GREETING"), Deno.readTextFileSync("/sandbox/in/data.txt"));
                        Deno.writeFileSync("out.bin", new Uint8Array([...Array(256).keys()]));
                        console.error("warn");
                        Deno.exit(3);
                        """),
                Arguments.of("bash", """
                        read -r data
                        echo hello "$data" "$GREETING" "$(cat /sandbox/in/data.txt)"
                        for i in $(seq 0 255); do printf "\\\\$(printf %03o "$i")"; done > out.bin
                        echo warn >&2
                        exit 3
                        """));
    }

    @ParameterizedTest
    @MethodSource("programs")
    void eachRuntimeRunsWithStdinEnvFilesOutputsAndExitCode(String runtime, String code) throws Exception {
        JsonNode r = server.execute(DockerServer.body(runtime, code,
                "\"stdin\":\"abc\",\"env\":{\"GREETING\":\"hi\"},\"files\":{\"in/data.txt\":\"input-file\"},"
                        + "\"workdir\":\"work\",\"outputPaths\":[\"/sandbox/work/out.bin\",\"/sandbox/missing\"]", ""));
        assertEquals("hello abc hi input-file", r.get("stdout").asText(), r.toString());
        assertEquals("warn", r.get("stderr").asText(), r.toString());
        assertEquals(3, r.get("exitCode").asInt());
        assertEquals(runtime, r.get("runtime").asText());
        assertEquals(1, r.get("files").size(), r.toString());
        byte[] expected = new byte[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = (byte) i;
        }
        assertArrayEquals(expected, Base64.getDecoder().decode(r.get("files").get("/sandbox/work/out.bin").asText()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "node", "bun", "deno", "bash"})
    void eachRuntimeStreamsHelloWorld(String runtime) throws Exception {
        String code = switch (runtime) {
            case "python" -> "print('hello')";
            case "bash" -> "echo hello";
            default -> "console.log('hello')";
        };
        HttpResponse<String> r = server.post("/execute/stream", DockerServer.body(runtime, code, "", ""));
        assertEquals(200, r.statusCode());
        assertTrue(r.body().endsWith("\n\ndata: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n"), r.body());
        StringBuilder stdout = new StringBuilder();
        for (String frame : r.body().split("\n\n")) {
            assertTrue(frame.startsWith("data: {"), frame);
            JsonNode event = DockerServer.JSON.readTree(frame.substring(6));
            if (event.get("type").asText().equals("stdout")) {
                stdout.append(event.get("data").asText());
            }
        }
        assertEquals("hello\n", stdout.toString());
        assertTrue(r.headers().firstValue("X-Isol8-Execution-Id").isPresent());
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "node", "bun", "deno", "bash"})
    void cmdRunsInTheRuntimeImageAsTheSandboxUser(String runtime) throws Exception {
        JsonNode r = server.execute("{\"request\":{\"runtime\":\"" + runtime + "\",\"cmd\":\"echo from-cmd && whoami && pwd\"}}");
        assertEquals("from-cmd\nsandbox\n/sandbox", r.get("stdout").asText());
    }

    @Test
    void hardeningIsVisibleFromInside() throws Exception {
        String cmd = String.join("; ",
                "echo uid=$(id -u)",
                "grep CapEff /proc/self/status",
                "grep NoNewPrivs /proc/self/status",
                "grep Seccomp: /proc/self/status",
                "touch /rootfile 2>/dev/null && echo rootfs=writable || echo rootfs=readonly",
                "cp /bin/true /tmp/t && { /tmp/t 2>/dev/null && echo tmp=exec || echo tmp=noexec; }",
                "cp /bin/true /sandbox/t && /sandbox/t && echo sandbox=exec",
                "echo net=$(ls /sys/class/net | tr '\\n' ' ')",
                "test -e /var/run/docker.sock && echo docker=visible || echo docker=absent",
                "echo pid1=$(ps -o user= -p 1)",
                "echo host=$(hostname)");
        JsonNode r = server.execute("{\"request\":{\"runtime\":\"bash\",\"cmd\":" + DockerServer.JSON.writeValueAsString(cmd) + "}}");
        String out = r.get("stdout").asText();
        assertTrue(out.contains("uid=1000"), out);
        assertTrue(out.contains("CapEff:\t0000000000000000"), out);
        assertTrue(out.contains("NoNewPrivs:\t1"), out);
        assertTrue(out.contains("Seccomp:\t2"), out);
        assertTrue(out.contains("rootfs=readonly"), out);
        assertTrue(out.contains("tmp=noexec"), out);
        assertTrue(out.contains("sandbox=exec"), out);
        assertTrue(out.matches("(?s).*net=lo\\s*\n.*"), out);
        assertTrue(out.contains("docker=absent"), out);
        assertTrue(out.contains("pid1=sandbox"), out);
        assertTrue(out.contains("host=sandbox"), out);
    }

    @Test
    void timeoutKillsTheProgramAndReports137() throws Exception {
        long start = System.nanoTime();
        JsonNode r = server.execute(DockerServer.body("python",
                "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('start', flush=True)\ntime.sleep(30)",
                "\"timeoutMs\":1500", ""));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(137, r.get("exitCode").asInt());
        assertTrue(r.get("timedOut").asBoolean());
        assertEquals("start", r.get("stdout").asText());
        assertEquals("\n--- EXECUTION TIMED OUT ---", r.get("stderr").asText());
        assertTrue(elapsedMs < 1500 + 3000, "answered after " + elapsedMs + " ms");
    }

    @Test
    void resourceUsageComesWithTheAgentOnly() throws Exception {
        JsonNode r = server.execute(DockerServer.body("python",
                "x = bytearray(64 * 1024 * 1024)\nsum(i for i in range(2_000_000))\nprint(1)", "", ""));
        assertEquals("1", r.get("stdout").asText());
        if (executor() == Isol8Config.Executor.EXEC) {
            assertFalse(r.has("resourceUsage"), r.toString());
            return;
        }
        JsonNode u = r.get("resourceUsage");
        assertEquals(List.of("cpuPercent", "memoryMB", "peakMemoryMB", "networkBytesIn", "networkBytesOut", "cpuMs"),
                iterable(u.fieldNames()));
        assertTrue(u.get("cpuMs").asLong() > 0, u.toString());
        assertTrue(u.get("cpuPercent").asDouble() > 0, u.toString());
        assertTrue(u.get("peakMemoryMB").asLong() >= 64, u.toString());
        assertEquals(0, u.get("networkBytesIn").asLong(), u.toString());
    }

    @Test
    void agentAnswersWithin100msOfTheDeadline() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(executor() == Isol8Config.Executor.AGENT, "agent only");
        // a session, so that the timed request finds its container started
        String session = "\"sessionId\":\"deadline-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "\"";
        server.execute(DockerServer.body("bash", "true", "", session));
        long start = System.nanoTime();
        JsonNode r = server.execute(DockerServer.body("bash", "trap '' TERM; sleep 30", "\"timeoutMs\":1000", session));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(r.get("timedOut").asBoolean(), r.toString());
        // the deadline counts from the first phase; the request's own way in and out adds a few ms
        assertTrue(elapsedMs < 1000 + 100 + 150, "answered after " + elapsedMs + " ms");
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> list = new java.util.ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }

    @Test
    void memoryExhaustionIsReportedAsOom() throws Exception {
        JsonNode r = server.execute(DockerServer.body("python", "x = bytearray(800 * 1024 * 1024)", "",
                "\"options\":{\"memoryLimit\":\"128m\"}"));
        assertEquals(137, r.get("exitCode").asInt(), r.toString());
        assertTrue(r.get("oomKilled").asBoolean(), r.toString());
        assertEquals("\n--- MEMORY LIMIT EXCEEDED ---", r.get("stderr").asText());
    }

    @Test
    void hundredMegabyteFloodIsCappedWithExactTotal() throws Exception {
        JsonNode r = server.execute(DockerServer.body("python",
                "import sys\nline = 'x' * 1048575 + '\\n'\nfor _ in range(100):\n    sys.stdout.write(line)\n", "", ""));
        assertTrue(r.get("truncated").asBoolean());
        assertTrue(r.get("stdoutTruncated").asBoolean());
        assertFalse(r.get("stderrTruncated").asBoolean());
        String out = r.get("stdout").asText();
        assertTrue(out.endsWith("\n\n--- OUTPUT TRUNCATED (104857600 bytes, limit: 1048576) ---"), out.substring(out.length() - 80));
        assertEquals("x".repeat(1048575) + "\n\n\n--- OUTPUT TRUNCATED (104857600 bytes, limit: 1048576) ---", out);
    }

    @Test
    void secretSplitAcrossWritesIsMasked() throws Exception {
        JsonNode r = server.execute(DockerServer.body("python",
                "import os, sys, time\nsys.stdout.write('tok'); sys.stdout.flush(); time.sleep(0.3)\n"
                        + "sys.stdout.write('en-123 end\\n'); print(os.environ['TOKEN'] == 'token-123')",
                "", "\"options\":{\"secrets\":{\"TOKEN\":\"token-123\"}}"));
        assertEquals("*** end\nTrue", r.get("stdout").asText());
    }

    @Test
    void setupScriptFailureIsAResult() throws Exception {
        JsonNode r = server.execute("{\"request\":{\"runtime\":\"bash\",\"setupScript\":\"echo preparing; exit 4\",\"code\":\"echo never\"}}");
        assertEquals("preparing", r.get("stdout").asText());
        assertEquals("\n--- SETUP SCRIPT FAILED (exit code 4) ---", r.get("stderr").asText());
        assertEquals(4, r.get("exitCode").asInt());
        assertEquals(0, r.get("durationMs").asInt());
    }

    @Test
    void streamReportsSetupThenCode() throws Exception {
        HttpResponse<String> r = server.post("/execute/stream",
                "{\"request\":{\"runtime\":\"bash\",\"setupScript\":\"echo ready\",\"code\":\"echo hi\"}}");
        assertEquals("data: {\"type\":\"stdout\",\"data\":\"ready\\n\",\"phase\":\"setup\"}\n\n"
                + "data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"setup\"}\n\n"
                + "data: {\"type\":\"stdout\",\"data\":\"hi\\n\",\"phase\":\"code\"}\n\n"
                + "data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n", r.body());
    }

    @Test
    void streamTimeoutSendsErrorThenExit() throws Exception {
        HttpResponse<String> r = server.post("/execute/stream", DockerServer.body("bash", "sleep 30", "\"timeoutMs\":1000", ""));
        assertEquals("data: {\"type\":\"error\",\"data\":\"EXECUTION TIMED OUT\",\"phase\":\"code\"}\n\n"
                + "data: {\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}\n\n", r.body());
    }

    @Test
    void missingImageIs503NamingSetup() throws Exception {
        Isol8Config c = Isol8Config.builtIn();
        Map<io.isol8.core.Language, String> images = new java.util.EnumMap<>(c.images().byRuntime());
        images.put(io.isol8.core.Language.BASH, "isol8:does-not-exist");
        try (DockerServer other = DockerServer.start(new Isol8Config(c.port(), "", c.maxConcurrent(), c.maxQueued(),
                c.queueTimeoutMs(), c.defaults(), c.limits(), c.cleanup(), new Isol8Config.Pool(false, Map.of()),
                new Isol8Config.Images(c.images().base(), images), c.docker(), c.auth(), c.source(), new Isol8Config.Engine(executor())))) {
            HttpResponse<String> r = other.post("/execute", "{\"request\":{\"runtime\":\"bash\",\"code\":\"echo 1\"}}");
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("isol8 setup"), r.body());
        }
    }

    @Test
    void clientDisconnectStopsTheRunAndFreesTheSlot() throws Exception {
        String body = DockerServer.body("python", "import time\nprint('tick', flush=True)\ntime.sleep(60)", "", "");
        try (Socket socket = server.openStream(body)) {
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200", head);
            String seen = "";
            while (!seen.contains("tick")) {
                seen += new String(in.readNBytes(1), StandardCharsets.UTF_8);
            }
            assertEquals(1, server.app.executions().admission().inUse());
        }
        // api.md §8.4: within 2 s of the disconnect (plus scheduling slack)
        Await.until(Duration.ofMillis(2500), "slot released after the client left",
                () -> server.app.executions().admission().inUse() == 0);
    }
}
