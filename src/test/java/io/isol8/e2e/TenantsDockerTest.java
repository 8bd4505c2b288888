package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stored keys, tenants and the audit log over the real Docker engine: a key issued at run time runs code
 * in its tenant's session, another tenant's same session id is another container, and every route's run
 * leaves one audit record naming the real container.
 */
class TenantsDockerTest {
    @TempDir
    static Path dir;
    static DockerServer server;

    @BeforeAll
    static void start() {
        Isol8Config b = Isol8Config.builtIn();
        Isol8Config config = new Isol8Config(b.port(), b.instanceId(), b.maxConcurrent(), b.maxQueued(),
                b.queueTimeoutMs(), b.defaults(), b.limits(), b.cleanup(), new Isol8Config.Pool(false, Map.of()),
                b.images(), b.docker(), b.auth().withDatabase("sqlite:" + dir.resolve("auth.db")), b.source(), b.engine(),
                new Isol8Config.Quotas(2, 2, 60_000, 0),
                new Isol8Config.Audit(true, dir.resolve("audit").toString(), 30, false, false, ""));
        server = DockerServer.start(config);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static String key(String tenant) throws Exception {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri.resolve("/auth/keys"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"e2e\",\"tenantId\":\"" + tenant + "\"}")), DockerServer.KEY);
        assertEquals(201, r.statusCode(), r.body());
        return DockerServer.JSON.readTree(r.body()).get("key").asText();
    }

    private static HttpResponse<String> post(String path, String key, String body) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body)), key);
    }

    @Test
    void tenantsGetTheirOwnSessionsAndEveryRunIsAudited() throws Exception {
        String a = key("team-a");
        String b = key("team-b");
        String write = DockerServer.body("python", "open('/sandbox/who','w').write('a')\nprint('a wrote')", "", "\"sessionId\":\"shared\"");
        HttpResponse<String> first = post("/execute", a, write);
        assertEquals(200, first.statusCode(), first.body());
        String read = DockerServer.body("python", "import os\nprint(os.path.exists('/sandbox/who'))", "", "\"sessionId\":\"shared\"");
        HttpResponse<String> other = post("/execute", b, read);
        assertEquals("False", DockerServer.JSON.readTree(other.body()).get("stdout").asText().strip(),
                "team-b has its own container");
        HttpResponse<String> stream = post("/execute/stream", a, read);
        assertEquals(200, stream.statusCode());
        assertTrue(stream.body().contains("True"), stream.body());

        Path file = dir.resolve("audit").resolve("audit-" + LocalDate.now(ZoneOffset.UTC) + ".jsonl");
        List<JsonNode> records = Await.value(Duration.ofSeconds(10), "three execution records", () -> {
            List<JsonNode> all = new ArrayList<>();
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    JsonNode n = DockerServer.JSON.readTree(line);
                    if (n.has("executionId")) {
                        all.add(n);
                    }
                }
            }
            return all;
        }, l -> l.size() >= 3);
        for (JsonNode r : records) {
            System.out.println("audit record: " + r);
            assertTrue(r.get("containerId").asText().matches("[0-9a-f]{64}"), r.toString());
            assertEquals("ok", r.get("outcome").asText());
            assertEquals("shared", r.get("sessionId").asText());
        }
        assertEquals(List.of("/execute team-a", "/execute team-b", "/execute/stream team-a"), records.stream()
                .map(r -> r.get("route").asText() + " " + r.get("tenantId").asText()).toList());
        assertEquals(records.get(0).get("containerId"), records.get(2).get("containerId"));
        assertTrue(!records.get(0).get("containerId").equals(records.get(1).get("containerId")));
    }
}
