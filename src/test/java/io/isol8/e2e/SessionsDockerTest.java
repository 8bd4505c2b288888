package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.config.Isol8Config;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sessions (api.md §9) and the file API (§10) against the real Docker engine. */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
abstract class SessionsDockerTest {
    /** The executor this copy of the suite runs against. */
    abstract Isol8Config.Executor executor();

    private static final String OTHER_KEY = "other-" + DockerServer.KEY;
    private static final Duration DEADLINE = Duration.ofSeconds(15);

    private DockerServer server;
    private DockerServer pruning;
    private static ExecutorService threads;

    @BeforeAll
    void startServers() throws Exception {
        Isol8Config b = Isol8Config.builtIn();
        Isol8Config.Pool noPool = new Isol8Config.Pool(false, Map.of());
        threads = Executors.newVirtualThreadPerTaskExecutor();
        server = DockerServer.start(new Isol8Config(b.port(), b.instanceId(), b.maxConcurrent(), b.maxQueued(),
                b.queueTimeoutMs(), b.defaults(), b.limits(), b.cleanup(), noPool, b.images(), b.docker(), b.auth(),
                b.source(), new Isol8Config.Engine(executor())));
        pruning = DockerServer.start(new Isol8Config(b.port(), b.instanceId(), b.maxConcurrent(), b.maxQueued(),
                b.queueTimeoutMs(), b.defaults(), b.limits(), new Isol8Config.Cleanup(true, 1000, 1000), noPool,
                b.images(), b.docker(), b.auth(), b.source(), new Isol8Config.Engine(executor())));
    }

    @AfterAll
    void stopServers() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            try {
                if (pruning != null) {
                    pruning.close();
                }
            } finally {
                if (threads != null) {
                    threads.shutdownNow();
                }
            }
        }
    }

    @Test
    void filesPersistAcrossCallsInTheSameContainer() throws Exception {
        String id = newId();
        JsonNode first = server.execute(python("open('/sandbox/state.txt','w').write('hello')\nprint(41+1)", id));
        JsonNode second = server.execute(python("print(open('/sandbox/state.txt').read())", id));

        assertEquals("42", first.path("stdout").asText());
        assertEquals("hello", second.path("stdout").asText());
        assertEquals(0, second.path("exitCode").asInt());
        assertFalse(first.path("containerId").asText().isEmpty());
        assertEquals(first.path("containerId").asText(), second.path("containerId").asText());
    }

    @Test
    void allByteValuesRoundTripThroughTheFileApiAndAreSeenByPrograms() throws Exception {
        String id = newSession(server);
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        String b64 = Base64.getEncoder().encodeToString(bytes);

        HttpResponse<String> up = upload(server, id, "/sandbox/bytes.bin", b64);
        HttpResponse<String> down = download(server, id, "/sandbox/bytes.bin", DockerServer.KEY);
        JsonNode seen = server.execute(python("import hashlib\nd = open('/sandbox/bytes.bin','rb').read()\n"
                + "print(len(d), hashlib.sha256(d).hexdigest())", id));

        assertEquals(200, up.statusCode(), up.body());
        assertEquals("{\"ok\":true}", up.body());
        assertEquals(200, down.statusCode(), down.body());
        assertJson("{\"content\":" + DockerServer.JSON.writeValueAsString(b64) + "}", down.body());
        assertEquals("256 " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
                seen.path("stdout").asText());
    }

    @Test
    void uploadToANestedPathCreatesTheParentFolders() throws Exception {
        String id = newSession(server);
        String b64 = Base64.getEncoder().encodeToString("nested\n".getBytes(StandardCharsets.UTF_8));

        HttpResponse<String> up = upload(server, id, "/sandbox/a/b/c/n.txt", b64);
        HttpResponse<String> down = download(server, id, "/sandbox/a/b/c/n.txt", DockerServer.KEY);
        JsonNode seen = server.execute(python("import os\nprint(os.path.isdir('/sandbox/a/b/c'), "
                + "open('/sandbox/a/b/c/n.txt').read(), end='')", id));

        assertEquals(200, up.statusCode(), up.body());
        assertEquals("{\"ok\":true}", up.body());
        assertEquals(200, down.statusCode(), down.body());
        assertJson("{\"content\":\"" + b64 + "\"}", down.body());
        assertEquals("True nested", seen.path("stdout").asText());
    }

    @Test
    void downloadOfAMissingFileGets404() throws Exception {
        String id = newSession(server);

        HttpResponse<String> r = download(server, id, "/sandbox/nope.txt", DockerServer.KEY);

        assertEquals(404, r.statusCode(), r.body());
        assertJson("{\"error\":\"File not found: /sandbox/nope.txt\"}", r.body());
    }

    @Test
    void pathOutsideSandboxAndTmpGets400() throws Exception {
        String id = newSession(server);

        HttpResponse<String> up = upload(server, id, "/sandbox/../etc/evil", "eA==");
        HttpResponse<String> down = download(server, id, "/etc/passwd", DockerServer.KEY);

        assertEquals(400, up.statusCode(), up.body());
        assertJson("{\"error\":\"path must be inside /sandbox or /tmp\"}", up.body());
        assertEquals(400, down.statusCode(), down.body());
        assertJson("{\"error\":\"path must be inside /sandbox or /tmp\"}", down.body());
    }

    @Test
    void invalidBase64Gets400() throws Exception {
        String id = newSession(server);

        HttpResponse<String> r = upload(server, id, "/sandbox/x.bin", "not*base64!");
        HttpResponse<String> after = download(server, id, "/sandbox/x.bin", DockerServer.KEY);

        assertEquals(400, r.statusCode(), r.body());
        assertJson("{\"error\":\"content is not valid base64\"}", r.body());
        assertEquals(404, after.statusCode(), after.body());
    }

    @Test
    void deletedSessionIsGoneWithItsContainer() throws Exception {
        String id = newId();
        JsonNode created = server.execute(python("open('/sandbox/f.txt','w').write('x')", id));
        String containerId = created.path("containerId").asText();
        assertEquals(List.of(containerId.substring(0, 12)), sessionContainers(server, id));

        HttpResponse<String> first = delete(server, id, DockerServer.KEY);
        HttpResponse<String> again = delete(server, id, DockerServer.KEY);
        HttpResponse<String> file = download(server, id, "/sandbox/f.txt", DockerServer.KEY);

        assertEquals(200, first.statusCode());
        assertEquals("{\"ok\":true}", first.body());
        assertEquals(200, again.statusCode());
        assertEquals("{\"ok\":true}", again.body());
        assertEquals(404, file.statusCode(), file.body());
        assertJson("{\"error\":\"Session not found\"}", file.body());
        assertTrue(listedIds(server, DockerServer.KEY).stream().noneMatch(id::equals));
        awaitTrue("container of deleted session " + id + " removed", () -> sessionContainers(server, id).isEmpty());
    }

    @Test
    void anotherKeyCannotSeeOrReadTheSession() throws Exception {
        String id = newId();
        server.execute(python("open('/sandbox/secret.txt','w').write('mine')", id));

        HttpResponse<String> file = download(server, id, "/sandbox/secret.txt", OTHER_KEY);
        HttpResponse<String> list = server.send(HttpRequest.newBuilder(server.uri.resolve("/sessions")).GET(), OTHER_KEY);
        HttpResponse<String> own = download(server, id, "/sandbox/secret.txt", DockerServer.KEY);

        assertEquals(404, file.statusCode(), file.body());
        assertJson("{\"error\":\"Session not found\"}", file.body());
        assertEquals(200, list.statusCode());
        assertJson("{\"sessions\":[]}", list.body());
        assertEquals(200, own.statusCode(), own.body());
    }

    @Test
    void garbageOnTheAgentChannelEndsTheSession() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(executor() == Isol8Config.Executor.AGENT, "agent only");
        String id = newSession(server);
        String containerId = server.execute(request("python", "code", "print(1)", id, 0)).path("containerId").asText();

        assertTrue(io.isol8.engine.docker.AgentFaults.inject(server.engine, containerId,
                new byte[]{(byte) 0xFF, (byte) 0xFF, 0, 0, 1, 2, 3}));
        HttpResponse<String> r = server.post("/execute", request("python", "code", "print(2)", id, 0));

        assertEquals(409, r.statusCode(), r.body());
        assertTrue(DockerServer.JSON.readTree(r.body()).path("error").asText().startsWith("Session \"" + id + "\" ended"),
                r.body());
        awaitTrue("container of the lost session removed", () -> sessionContainers(server, id).isEmpty());
    }

    @Test
    void sessionStaysBoundToItsRuntime() throws Exception {
        String id = newSession(server);

        HttpResponse<String> r = server.post("/execute", request("node", "code", "console.log(1)", id, 0));

        assertEquals(409, r.statusCode(), r.body());
        assertJson(DockerServer.JSON.createObjectNode().put("error", "Cannot switch runtime from \"python\" to \"node\": "
                + "session \"" + id + "\" is bound to python. Use a new sessionId for another runtime.").toString(), r.body());
    }

    @Test
    void concurrentCallsInOneSessionDoNotOverlap() throws Exception {
        String id = newSession(server);
        String code = "import time\ns = time.time()\ntime.sleep(1)\nprint(repr(s), repr(time.time()))";

        List<HttpResponse<String>> results = DockerServer.concurrently(2, () -> server.post("/execute", python(code, id)));

        List<double[]> spans = new ArrayList<>();
        for (HttpResponse<String> r : results) {
            assertEquals(200, r.statusCode(), r.body());
            spans.add(span(DockerServer.JSON.readTree(r.body())));
        }
        double[] a = spans.get(0);
        double[] b = spans.get(1);
        assertTrue(a[1] <= b[0] || b[1] <= a[0],
                "intervals overlap: [" + a[0] + ", " + a[1] + "] and [" + b[0] + ", " + b[1] + "]");
    }

    @Test
    void concurrentFirstCallsCreateExactlyOneContainer() throws Exception {
        String id = newId();

        List<HttpResponse<String>> results = DockerServer.concurrently(3, () -> server.post("/execute", python("print('hi')", id)));

        Set<String> containerIds = new HashSet<>();
        for (HttpResponse<String> r : results) {
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = DockerServer.JSON.readTree(r.body());
            assertEquals("hi", body.path("stdout").asText());
            containerIds.add(body.path("containerId").asText());
        }
        assertEquals(1, containerIds.size(), "containers reported: " + containerIds);
        assertEquals(1, sessionContainers(server, id).size());
    }

    @Test
    void sessionsListingShowsIdRuntimeAndTimes() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        String id = newSession(server);
        Instant after = Instant.now().plusSeconds(1);

        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri.resolve("/sessions")).GET(),
                DockerServer.KEY);

        assertEquals(200, r.statusCode());
        JsonNode entry = null;
        for (JsonNode s : DockerServer.JSON.readTree(r.body()).path("sessions")) {
            if (id.equals(s.path("id").asText())) {
                entry = s;
            }
        }
        assertNotNull(entry, r.body());
        List<String> fields = new ArrayList<>();
        entry.fieldNames().forEachRemaining(fields::add);
        assertEquals(Set.of("id", "isActive", "runtime", "createdAt", "lastAccessedAt"), Set.copyOf(fields));
        assertEquals(5, fields.size());
        assertFalse(entry.path("isActive").asBoolean(true));
        assertTrue(entry.path("isActive").isBoolean());
        assertEquals("python", entry.path("runtime").asText());
        Instant createdAt = Instant.parse(entry.path("createdAt").asText());
        Instant lastAccessedAt = Instant.parse(entry.path("lastAccessedAt").asText());
        assertTrue(!createdAt.isBefore(before) && !createdAt.isAfter(after), "createdAt " + createdAt);
        assertTrue(!lastAccessedAt.isBefore(createdAt) && !lastAccessedAt.isAfter(after),
                "lastAccessedAt " + lastAccessedAt);
    }

    @Test
    void idleSessionIsPrunedWhileABusyOneSurvives() throws Exception {
        String busy = newId();
        String idle = newId();
        Future<HttpResponse<String>> running = threads.submit(() -> pruning.post("/execute",
                python("import time\ntime.sleep(4)\nprint('survived')", busy)));
        awaitTrue("session " + busy + " active", () -> {
            for (JsonNode s : sessions(pruning, DockerServer.KEY)) {
                if (busy.equals(s.path("id").asText()) && s.path("isActive").asBoolean()) {
                    return true;
                }
            }
            return false;
        });
        pruning.execute(python("print(1)", idle));

        awaitTrue("idle session " + idle + " pruned", Duration.ofSeconds(10),
                () -> !listedIds(pruning, DockerServer.KEY).contains(idle));
        List<String> whilePruned = listedIds(pruning, DockerServer.KEY);
        HttpResponse<String> r = running.get(60, TimeUnit.SECONDS);
        List<String> afterReturn = listedIds(pruning, DockerServer.KEY);

        assertTrue(whilePruned.contains(busy), "busy session pruned: " + whilePruned);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode result = DockerServer.JSON.readTree(r.body());
        assertEquals(0, result.path("exitCode").asInt(), r.body());
        assertEquals("survived", result.path("stdout").asText());
        assertTrue(afterReturn.contains(busy), "busy session gone after it returned: " + afterReturn);
        awaitTrue("container of pruned session " + idle + " removed", () -> sessionContainers(pruning, idle).isEmpty());
    }

    @Test
    void timeoutInASessionKillsBackgroundAndSetsidChildren() throws Exception {
        String id = newId();

        JsonNode killed = server.execute(request("bash", "cmd",
                "(sleep 1000 &); setsid sleep 1000 & trap '' TERM; sleep 1000", id, 1500));
        JsonNode ps = server.execute(request("bash", "cmd", "ps -eo args=", id, 0));

        assertEquals(137, killed.path("exitCode").asInt(), killed.toString());
        assertTrue(killed.path("timedOut").asBoolean(), killed.toString());
        assertEquals(killed.path("containerId").asText(), ps.path("containerId").asText());
        assertEquals(0, ps.path("exitCode").asInt(), ps.toString());
        List<String> processes = ps.path("stdout").asText().lines().map(String::trim).toList();
        String keeper = executor() == Isol8Config.Executor.AGENT ? "/usr/local/bin/isol8-agent" : "sleep infinity";
        assertTrue(processes.contains(keeper), "the container's keeper is missing: " + processes);
        assertTrue(processes.stream().noneMatch(p -> p.startsWith("sleep 1000")), "processes left: " + processes);
    }

    // ---- helpers ----

    private static String newId() {
        return "s-" + UUID.randomUUID().toString().substring(0, 12);
    }

    /** A new python session with a container, owned by the default key. */
    private static String newSession(DockerServer s) throws Exception {
        String id = newId();
        assertEquals(0, s.execute(python("print('ready')", id)).path("exitCode").asInt());
        return id;
    }

    private static String python(String code, String sessionId) throws Exception {
        return request("python", "code", code, sessionId, 0);
    }

    /** An execute body; {@code timeoutMs} 0 leaves the default. */
    private static String request(String runtime, String field, String source, String sessionId, long timeoutMs) {
        ObjectNode body = DockerServer.JSON.createObjectNode();
        ObjectNode req = body.putObject("request").put("runtime", runtime).put(field, source);
        if (timeoutMs > 0) {
            req.put("timeoutMs", timeoutMs);
        }
        body.put("sessionId", sessionId);
        return body.toString();
    }

    private static HttpResponse<String> upload(DockerServer s, String id, String path, String content) throws Exception {
        ObjectNode body = DockerServer.JSON.createObjectNode().put("sessionId", id).put("path", path)
                .put("content", content);
        return s.post("/file", body.toString());
    }

    private static HttpResponse<String> download(DockerServer s, String id, String path, String key) throws Exception {
        String query = "/file?sessionId=" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "&path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8);
        return s.send(HttpRequest.newBuilder(s.uri.resolve(query)).GET(), key);
    }

    private static HttpResponse<String> delete(DockerServer s, String id, String key) throws Exception {
        return s.send(HttpRequest.newBuilder(s.uri.resolve("/session/" + id)).DELETE(), key);
    }

    private static JsonNode sessions(DockerServer s, String key) throws Exception {
        HttpResponse<String> r = s.send(HttpRequest.newBuilder(s.uri.resolve("/sessions")).GET(), key);
        assertEquals(200, r.statusCode(), r.body());
        return DockerServer.JSON.readTree(r.body()).path("sessions");
    }

    private static List<String> listedIds(DockerServer s, String key) throws Exception {
        List<String> ids = new ArrayList<>();
        sessions(s, key).forEach(n -> ids.add(n.path("id").asText()));
        return ids;
    }

    /** Containers (running or not) Docker has for session {@code id} of the server's instance. */
    private static List<String> sessionContainers(DockerServer s, String id) throws Exception {
        String out = DockerServer.docker("ps", "-aq", "--filter", "label=io.isol8.instance=" + s.instanceId,
                "--filter", "label=io.isol8.session=" + id);
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    private static double[] span(JsonNode result) {
        String[] parts = result.path("stdout").asText().trim().split(" ");
        assertEquals(2, parts.length, result.toString());
        return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])};
    }


    private static void awaitTrue(String what, Callable<Boolean> condition) throws Exception {
        awaitTrue(what, DEADLINE, condition);
    }

    private static void awaitTrue(String what, Duration deadline, Callable<Boolean> condition) {
        Await.until(deadline, what, condition::call);
    }

    private static void assertJson(String expected, String actual) throws Exception {
        assertEquals(DockerServer.JSON.readTree(expected), DockerServer.JSON.readTree(actual), actual);
    }
}
