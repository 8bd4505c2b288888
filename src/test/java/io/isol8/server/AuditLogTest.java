package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isol8.auth.KeyStore;
import io.isol8.config.Isol8Config;
import io.isol8.core.KeyDigest;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The audit log: one JSON line per execution request on every route and ending, and per key event. */
class AuditLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    FakeServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private FakeServer start(boolean includeCode, boolean includeOutput, String script, boolean store) {
        Isol8Config c = Isol8Config.builtIn();
        String url = "sqlite:" + dir.resolve("auth.db");
        Isol8Config config = c.withTenancy(store ? c.auth().withDatabase(url) : c.auth(), c.quotas(),
                new Isol8Config.Audit(true, dir.resolve("audit").toString(), 30, includeCode, includeOutput, script));
        server = FakeServer.withStore(config, store ? Optional.of(KeyStore.open(url, Clock.systemUTC())) : Optional.empty());
        return server;
    }

    private Path today() {
        return dir.resolve("audit").resolve("audit-" + LocalDate.now(ZoneOffset.UTC) + ".jsonl");
    }

    private List<JsonNode> records(int atLeast) {
        return Await.value(Duration.ofSeconds(10), atLeast + " audit records", () -> {
            List<JsonNode> all = new ArrayList<>();
            if (Files.exists(today())) {
                for (String line : Files.readAllLines(today())) {
                    all.add(JSON.readTree(line));
                }
            }
            return all;
        }, list -> list.size() >= atLeast);
    }

    @Test
    void bufferedRunIsOneRecordWith020FieldsAndOurs() throws Exception {
        start(false, false, "", false);
        HttpResponse<String> r = server.post("/execute", FakeServer.body("out:hello\nexit:3", "", ""));
        assertEquals(200, r.statusCode());
        JsonNode rec = records(1).get(0);
        List<String> fields = new ArrayList<>();
        rec.fieldNames().forEachRemaining(fields::add);
        assertTrue(fields.containsAll(List.of("executionId", "userId", "timestamp", "runtime", "codeHash", "containerId",
                "exitCode", "durationMs", "resourceUsage", "metadata", "tenantId", "keyId", "sessionId", "route",
                "outcome", "stdoutBytes", "stderrBytes", "truncated", "networkLogs")), fields.toString());
        assertEquals(r.headers().firstValue("X-Isol8-Execution-Id").orElseThrow(), rec.get("executionId").asText());
        assertEquals("default", rec.get("userId").asText());
        assertEquals("default", rec.get("tenantId").asText());
        assertEquals("/execute", rec.get("route").asText());
        assertEquals("nonzero", rec.get("outcome").asText());
        assertEquals(3, rec.get("exitCode").asInt());
        assertEquals(6, rec.get("stdoutBytes").asInt());
        assertEquals(HexFormat.of().formatHex(KeyDigest.of("out:hello\nexit:3")), rec.get("codeHash").asText());
        assertFalse(rec.has("code"), "includeCode is off");
        assertFalse(rec.has("stdout"), "includeOutput is off");
    }

    @Test
    void theEgressProxysConnectionsAreInTheRecord() throws Exception {
        start(false, false, "", false);
        HttpResponse<String> r = server.post("/execute",
                FakeServer.body("connect:api.example.com\nblocked:metadata.internal\nout:done", "", ""));
        assertEquals(200, r.statusCode());
        JsonNode logs = records(1).get(0).get("networkLogs");
        assertEquals(2, logs.size(), logs.toString());
        assertEquals("api.example.com", logs.get(0).get("host").asText());
        assertEquals("ALLOW", logs.get(0).get("action").asText());
        assertEquals("metadata.internal", logs.get(1).get("host").asText());
        assertEquals("BLOCK", logs.get(1).get("action").asText());
        assertTrue(logs.get(1).get("path").isNull());
    }

    @Test
    void streamRunsDisconnectsAndRejectedRequestsAreRecorded() throws Exception {
        start(false, false, "", false);
        assertEquals(200, server.stream(FakeServer.body("out:streamed", "", "")).statusCode());
        try (Socket s = server.openStream(FakeServer.body("out:first\nhang", "", ""))) {
            FakeServer.readUntil(s.getInputStream(), "first");
        }
        assertEquals(400, server.post("/execute", "{\"request\":{\"runtime\":\"cobol\",\"code\":\"x\"}}").statusCode());
        List<JsonNode> recs = records(3);
        List<String> seen = new ArrayList<>();
        recs.forEach(r -> seen.add(r.get("route").asText() + " " + r.get("outcome").asText()));
        assertTrue(seen.contains("/execute/stream ok"), seen.toString());
        assertTrue(seen.contains("/execute/stream client_disconnected"), seen.toString());
        JsonNode rejected = recs.stream().filter(r -> r.get("outcome").asText().equals("rejected")).findFirst().orElseThrow();
        assertEquals(400, rejected.get("status").asInt());
        assertTrue(rejected.get("executionId").isNull());
        assertTrue(rejected.get("error").asText().startsWith("Unknown runtime"));
    }

    @Test
    void requestsOverTheRateQuotaAreRecorded() throws Exception {
        Isol8Config c = Isol8Config.builtIn();
        server = FakeServer.withStore(c.withTenancy(c.auth(), new Isol8Config.Quotas(0, 0, 0, 1),
                new Isol8Config.Audit(true, dir.resolve("audit").toString(), 30, false, false, "")), Optional.empty());
        assertEquals(200, server.post("/execute", FakeServer.body("out:1", "", "")).statusCode());
        assertEquals(429, server.post("/execute/stream", FakeServer.body("out:2", "", "")).statusCode());
        JsonNode rejected = records(2).get(1);
        assertEquals("/execute/stream", rejected.get("route").asText());
        assertEquals("rejected_busy", rejected.get("outcome").asText());
        assertEquals(429, rejected.get("status").asInt());
    }

    @Test
    void codeAndOutputOnlyWhenConfigured() throws Exception {
        start(true, true, "", false);
        server.post("/execute", FakeServer.body("out:visible", "", ""));
        server.stream(FakeServer.body("out:streamed\nerr:oops", "", ""));
        List<JsonNode> recs = records(2);
        assertEquals("out:visible", recs.get(0).get("code").asText());
        assertEquals("visible\n", recs.get(0).get("stdout").asText());
        assertEquals("streamed\n", recs.get(1).get("stdout").asText());
        assertEquals("oops\n", recs.get(1).get("stderr").asText());
    }

    @Test
    void keyEventsAreRecorded() throws Exception {
        start(false, false, "", true);
        JsonNode created = JSON.readTree(server.send("POST", "/auth/keys", FakeServer.KEY, "{\"name\":\"ci\",\"tenantId\":\"t\"}").body());
        server.send("POST", "/auth/keys/" + created.get("id").asText() + "/rotate", FakeServer.KEY, "{\"graceMs\":1000}");
        server.send("DELETE", "/auth/keys/" + created.get("id").asText(), FakeServer.KEY, null);
        server.send("POST", "/auth/login", FakeServer.KEY, null);
        List<String> events = new ArrayList<>();
        records(4).forEach(r -> events.add(r.get("event").asText()));
        assertEquals(List.of("key.created", "key.rotated", "key.revoked", "login"), events);
        assertFalse(Files.readString(today()).contains(created.get("key").asText()), "keys never reach the log");
    }

    @Test
    void aFullDiskNeverFailsARequest() throws Exception {
        Files.createDirectories(dir.resolve("audit"));
        Files.createSymbolicLink(today(), Path.of("/dev/full"));
        start(false, false, "", false);
        assertEquals(200, server.post("/execute", FakeServer.body("out:x", "", "")).statusCode());
        Await.until(Duration.ofSeconds(10), "the failure is counted", () ->
                new String(server.metrics.scrape()).contains("isol8_audit_records_total{result=\"failed\"} 1"));
        assertEquals(200, server.post("/execute", FakeServer.body("out:y", "", "")).statusCode());
    }

    @Test
    void slowPostLogScriptRunsOneAtATimeOffTheRequestPath() throws Exception {
        Path out = dir.resolve("script.out");
        Path lock = dir.resolve("script.lock");
        Path script = dir.resolve("post.sh");
        Files.writeString(script, "#!/bin/sh\nmkdir '" + lock + "' 2>/dev/null || echo overlap >> '" + out + "'\n"
                + "sleep 0.4\ncat >> '" + out + "'\nrmdir '" + lock + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        start(false, false, script.toString(), false);
        long t0 = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, server.post("/execute", FakeServer.body("out:" + i, "", "")).statusCode());
        }
        long requestsMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(requestsMs < 1_000, "requests waited for the script: " + requestsMs + " ms");
        Await.until(Duration.ofSeconds(15), "three script runs", () ->
                Files.exists(out) && Files.readAllLines(out).stream().filter(l -> l.startsWith("{")).count() == 3);
        assertFalse(Files.readString(out).contains("overlap"), Files.readString(out));
    }

    @Test
    void retentionDeletesOnlyOldDailyFiles() throws Exception {
        Path audit = Files.createDirectories(dir.resolve("audit"));
        Files.writeString(audit.resolve("audit-2000-01-01.jsonl"), "{}\n");
        Files.writeString(audit.resolve("notes.txt"), "mine\n");
        start(false, false, "", false);
        server.post("/execute", FakeServer.body("out:x", "", ""));
        records(1);
        Await.until(Duration.ofSeconds(10), "old file deleted", () -> !Files.exists(audit.resolve("audit-2000-01-01.jsonl")));
        assertTrue(Files.exists(audit.resolve("notes.txt")));
    }
}
