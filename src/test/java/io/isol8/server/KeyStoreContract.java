package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isol8.auth.KeyFormat;
import io.isol8.auth.KeyStore;
import io.isol8.config.Isol8Config;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key store, {@code /auth/*}, tenant enforcement and quotas over a real database, in-process over the
 * {@link FakeEngine}. Subclasses supply the database: the same suite runs against SQLite and PostgreSQL.
 */
abstract class KeyStoreContract {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ADMIN = FakeServer.KEY;
    static final String STATIC_USER = TestServers.OTHER_KEY;

    FakeServer server;
    String url;

    /** A fresh, empty database's connection string for the store. */
    abstract String freshDatabase() throws Exception;

    /** A JDBC connection to the same database (to craft and inspect rows). */
    abstract Connection jdbc() throws Exception;

    /** isol8 0.20's exact DDL of its key table in this database. */
    abstract List<String> legacyDdl();

    /** Column names: SQLite camelCase, PostgreSQL snake_case. */
    abstract boolean snakeCase();

    String col(String camel) {
        return snakeCase() ? camel.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT) : camel;
    }

    @BeforeEach
    void startServer() throws Exception {
        url = freshDatabase();
        server = start(Isol8Config.Quotas.NONE);
    }

    FakeServer start(Isol8Config.Quotas quotas) {
        Isol8Config c = Isol8Config.builtIn();
        Isol8Config config = new Isol8Config(0, "fake", 10, 100, 30_000, c.defaults(), c.limits(), c.cleanup(),
                c.pool(), c.images(), c.docker(), c.auth().withDatabase(url), c.source(), c.engine(), quotas,
                Isol8Config.Audit.OFF);
        return FakeServer.withStore(config, Optional.of(KeyStore.open(url, Clock.systemUTC())));
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    HttpResponse<String> call(String method, String path, String key, String body) throws Exception {
        return server.send(method, path, key, body);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    /** Creates a key for {@code tenant} and returns the 201 body. */
    JsonNode create(String name, String tenant) throws Exception {
        HttpResponse<String> r = call("POST", "/auth/keys", ADMIN, "{\"name\":\"" + name + "\",\"tenantId\":\"" + tenant + "\"}");
        assertEquals(201, r.statusCode(), r.body());
        return json(r);
    }

    static String run(String code, String session) {
        return "{\"request\":{\"runtime\":\"python\",\"code\":" + Json.string(code) + "}"
                + (session == null ? "" : ",\"sessionId\":\"" + session + "\"") + "}";
    }

    // ---- key store and /auth/* --------------------------------------------------------------------

    @Test
    void createdKeyHasThe020Shape() throws Exception {
        HttpResponse<String> r = call("POST", "/auth/keys", ADMIN, "{\"name\":\"ci\",\"tenantId\":\"team-a\",\"ttlMs\":3600000}");
        assertEquals(201, r.statusCode(), r.body());
        JsonNode b = json(r);
        assertEquals(List.of("id", "key", "name", "keyPrefix", "tenantId", "expiresAt"), fieldNames(b));
        String key = b.get("key").asText();
        assertTrue(key.matches("isol8_[0-9a-f]{64}"), key);
        assertEquals(key.substring(0, 10) + "...", b.get("keyPrefix").asText());
        assertEquals("team-a", b.get("tenantId").asText());
        assertTrue(b.get("expiresAt").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        try (Connection c = jdbc(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM api_keys WHERE id = '" + b.get("id").asText() + "'")) {
            assertTrue(rs.next());
            assertEquals(KeyFormat.hash(key), rs.getString(col("keyHash")));
            assertEquals(0, rs.getInt("revoked"));
            assertTrue(rs.getString(col("createdAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        }
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void storedKeyActsForItsTenantAndIsNoAdmin() throws Exception {
        JsonNode k = create("ci", "team-a");
        JsonNode who = json(call("GET", "/auth/whoami", k.get("key").asText(), null));
        assertEquals("team-a", who.get("tenantId").asText());
        assertEquals("ci", who.get("principal").asText());
        assertFalse(who.get("admin").asBoolean());
        assertEquals(k.get("id").asText(), who.get("keyId").asText());
        assertEquals(k.get("expiresAt").asText(), who.get("expiresAt").asText());
        assertTrue(json(call("GET", "/auth/whoami", ADMIN, null)).get("admin").asBoolean());
    }

    @Test
    void listIsNewestFirstFiltersByTenantAndNeverShowsSecrets() throws Exception {
        create("first", "alpha");
        Thread.sleep(5);
        create("second", "beta");
        Thread.sleep(5);
        create("third", "alpha");
        HttpResponse<String> r = call("GET", "/auth/keys", ADMIN, null);
        assertEquals(200, r.statusCode());
        assertFalse(r.body().contains("isol8_") && r.body().matches(".*isol8_[0-9a-f]{64}.*"), r.body());
        assertFalse(r.body().contains("keyHash") || r.body().contains("\"key\""), r.body());
        List<String> names = new ArrayList<>();
        json(r).get("keys").forEach(k -> names.add(k.get("name").asText()));
        assertEquals(List.of("third", "second", "first"), names);
        List<String> alpha = new ArrayList<>();
        json(call("GET", "/auth/keys?tenantId=alpha", ADMIN, null)).get("keys").forEach(k -> alpha.add(k.get("name").asText()));
        assertEquals(List.of("third", "first"), alpha);
    }

    @Test
    void revocationTakesEffectAtOnceAndKeepsTheRow() throws Exception {
        JsonNode k = create("ci", "team-a");
        String key = k.get("key").asText();
        assertEquals(200, call("GET", "/sessions", key, null).statusCode()); // cached now
        HttpResponse<String> del = call("DELETE", "/auth/keys/" + k.get("id").asText(), ADMIN, null);
        assertEquals(200, del.statusCode());
        assertEquals("{\"ok\":true,\"id\":\"" + k.get("id").asText() + "\"}", del.body());
        HttpResponse<String> after = call("GET", "/sessions", key, null);
        assertEquals(401, after.statusCode());
        assertEquals("{\"error\":\"Invalid API key\"}", after.body());
        JsonNode row = json(call("GET", "/auth/keys", ADMIN, null)).get("keys").get(0);
        assertTrue(row.get("revoked").asBoolean());
        assertTrue(row.get("revokedAt").isTextual());
        HttpResponse<String> unknown = call("DELETE", "/auth/keys/nonexistent-id", ADMIN, null);
        assertEquals(404, unknown.statusCode());
        assertEquals("{\"error\":\"Key not found\"}", unknown.body());
    }

    @Test
    void revokedKeyCannotReachItsTenantsOpenSession() throws Exception {
        JsonNode k = create("ci", "team-a");
        String key = k.get("key").asText();
        assertEquals(200, call("POST", "/execute", key, run("out:hi", "s1")).statusCode());
        call("DELETE", "/auth/keys/" + k.get("id").asText(), ADMIN, null);
        assertEquals(401, call("POST", "/execute", key, run("out:hi", "s1")).statusCode());
        String other = create("ci2", "team-a").get("key").asText();
        assertEquals(1, json(call("GET", "/sessions", other, null)).get("sessions").size(), "the session stays the tenant's");
    }

    @Test
    void onlyAdminsManageKeys() throws Exception {
        String dbKey = create("ci", "team-a").get("key").asText();
        for (String key : List.of(dbKey, STATIC_USER)) {
            for (String[] route : List.of(new String[] {"POST", "/auth/keys", "{\"name\":\"x\"}"},
                    new String[] {"GET", "/auth/keys", null}, new String[] {"DELETE", "/auth/keys/x", null},
                    new String[] {"POST", "/auth/login", null}, new String[] {"POST", "/auth/keys/x/rotate", null},
                    new String[] {"PUT", "/auth/tenants/team-a", "{}"}, new String[] {"POST", "/cleanup", null})) {
                HttpResponse<String> r = call(route[0], route[1], key, route[2]);
                assertEquals(403, r.statusCode(), route[0] + " " + route[1]);
                assertEquals("{\"error\":\"Master key required for this operation\"}", r.body());
            }
        }
    }

    @Test
    void loginReturnsAShortLivedToken() throws Exception {
        HttpResponse<String> r = call("POST", "/auth/login", ADMIN, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode b = json(r);
        assertEquals(List.of("token", "expiresAt", "keyId"), fieldNames(b));
        Instant expires = Instant.parse(b.get("expiresAt").asText());
        assertTrue(expires.isBefore(Instant.now().plusSeconds(3601)) && expires.isAfter(Instant.now().plusSeconds(3500)));
        assertEquals(200, call("GET", "/sessions", b.get("token").asText(), null).statusCode());
    }

    @Test
    void expiredKeyIsRefused() throws Exception {
        String key = KeyFormat.generate();
        insertLegacyRow("old", key, "team-a", Instant.now().minusSeconds(7200), Instant.now().minusSeconds(1), 0);
        HttpResponse<String> r = call("GET", "/sessions", key, null);
        assertEquals(401, r.statusCode());
        assertEquals("{\"error\":\"Invalid API key\"}", r.body());
    }

    @Test
    void keysNeverReachTheLog() throws Exception {
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(new java.util.logging.SimpleFormatter().format(r));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Level was = root.getLevel();
        root.addHandler(handler);
        root.setLevel(java.util.logging.Level.ALL);
        List<String> secrets = new ArrayList<>();
        try {
            JsonNode k = create("logged", "team-l");
            secrets.add(k.get("key").asText());
            call("GET", "/sessions", k.get("key").asText(), null);
            call("POST", "/execute", k.get("key").asText(), run("out:x", null));
            JsonNode rotated = json(call("POST", "/auth/keys/" + k.get("id").asText() + "/rotate", ADMIN, "{}"));
            secrets.add(rotated.get("key").asText());
            secrets.add(json(call("POST", "/auth/login", ADMIN, null)).get("token").asText());
            call("GET", "/sessions", "isol8_" + "ab".repeat(32), null);
            secrets.add("isol8_" + "ab".repeat(32));
        } finally {
            root.removeHandler(handler);
            root.setLevel(was);
        }
        secrets.add(ADMIN);
        String all = String.join("", lines);
        assertFalse(lines.isEmpty());
        for (String secret : secrets) {
            assertFalse(all.contains(secret), "a key reached the log");
            assertFalse(all.contains(KeyFormat.hash(secret)), "a key hash reached the log");
        }
    }

    @Test
    void unreadableExpiryIsAnExpiredKeyNotAnError() throws Exception {
        String key = KeyFormat.generate();
        insertLegacyRow("odd", key, "team-a", Instant.now(), Instant.now().plusSeconds(3600), 0);
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE api_keys SET " + col("expiresAt") + " = 'next tuesday' WHERE name = 'odd'");
        }
        assertEquals(401, call("GET", "/sessions", key, null).statusCode());
        assertEquals(200, call("GET", "/auth/keys", ADMIN, null).statusCode());
    }

    /** A row as isol8 0.20 writes it (no revokedAt). */
    void insertLegacyRow(String name, String key, String tenant, Instant created, Instant expires, int revoked)
            throws Exception {
        try (Connection c = jdbc(); var p = c.prepareStatement("INSERT INTO api_keys (id, name, " + col("keyHash") + ", "
                + col("keyPrefix") + ", " + col("tenantId") + ", " + col("createdAt") + ", " + col("expiresAt")
                + ", revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, java.util.UUID.randomUUID().toString());
            p.setString(2, name);
            p.setString(3, KeyFormat.hash(key));
            p.setString(4, KeyFormat.prefix(key));
            p.setString(5, tenant);
            p.setString(6, KeyFormat.timestamp(created));
            p.setString(7, KeyFormat.timestamp(expires));
            p.setInt(8, revoked);
            p.executeUpdate();
        }
    }

    @Test
    void databaseWrittenBy020IsUsedAsItIs() throws Exception {
        server.close();
        url = freshDatabase();
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            for (String ddl : legacyDdl()) {
                s.execute(ddl);
            }
        }
        String good = KeyFormat.generate();
        String revoked = KeyFormat.generate();
        String expired = KeyFormat.generate();
        Instant now = Instant.now();
        insertLegacyRow("from-0.20", good, "org-1", now.minusSeconds(60), now.plusSeconds(86_400), 0);
        insertLegacyRow("revoked-by-0.20", revoked, "org-1", now.minusSeconds(60), now.plusSeconds(86_400), 1);
        insertLegacyRow("expired", expired, "org-1", now.minusSeconds(7200), now.minusSeconds(60), 0);
        server = start(Isol8Config.Quotas.NONE);
        JsonNode who = json(call("GET", "/auth/whoami", good, null));
        assertEquals("org-1", who.get("tenantId").asText());
        assertEquals(401, call("GET", "/sessions", revoked, null).statusCode());
        assertEquals(401, call("GET", "/sessions", expired, null).statusCode());
        List<String> names = new ArrayList<>();
        json(call("GET", "/auth/keys?tenantId=org-1", ADMIN, null)).get("keys").forEach(k -> names.add(k.get("name").asText()));
        assertEquals(Set.of("from-0.20", "revoked-by-0.20", "expired"), new HashSet<>(names));
        // a 0.20 node writing the same table afterwards still works, and its key works here
        String later = KeyFormat.generate();
        insertLegacyRow("written-by-0.20-later", later, "org-2", now, now.plusSeconds(3600), 0);
        assertEquals("org-2", json(call("GET", "/auth/whoami", later, null)).get("tenantId").asText());
        // a key created here is one 0.20 can validate: its columns hold what 0.20 reads
        JsonNode mine = create("mine", "org-3");
        try (Connection c = jdbc(); var p = c.prepareStatement("SELECT " + col("tenantId") + ", revoked, " + col("expiresAt")
                + " FROM api_keys WHERE " + col("keyHash") + " = ?")) {
            p.setString(1, KeyFormat.hash(mine.get("key").asText()));
            try (ResultSet r = p.executeQuery()) {
                assertTrue(r.next());
                assertEquals("org-3", r.getString(1));
                assertEquals(0, r.getInt(2));
                assertEquals(mine.get("expiresAt").asText(), r.getString(3));
            }
        }
    }

    @Test
    void rotationKeepsTheOldKeyForTheGracePeriodOnly() throws Exception {
        JsonNode k = create("ci", "team-a");
        String old = k.get("key").asText();
        HttpResponse<String> r = call("POST", "/auth/keys/" + k.get("id").asText() + "/rotate", ADMIN, "{\"graceMs\":600000}");
        assertEquals(201, r.statusCode(), r.body());
        JsonNode fresh = json(r);
        assertNotEquals(old, fresh.get("key").asText());
        assertEquals("team-a", fresh.get("tenantId").asText());
        assertEquals(200, call("GET", "/sessions", old, null).statusCode(), "old key in its grace period");
        assertEquals(200, call("GET", "/sessions", fresh.get("key").asText(), null).statusCode());
        HttpResponse<String> again = call("POST", "/auth/keys/" + fresh.get("id").asText() + "/rotate", ADMIN, "{\"graceMs\":0}");
        assertEquals(201, again.statusCode());
        assertEquals(401, call("GET", "/sessions", fresh.get("key").asText(), null).statusCode(), "no grace: gone at once");
        assertEquals(200, call("GET", "/sessions", json(again).get("key").asText(), null).statusCode());
    }

    @Test
    void lastUsedAtIsWrittenOffTheRequestPath() throws Exception {
        JsonNode k = create("ci", "team-a");
        assertEquals(200, call("GET", "/sessions", k.get("key").asText(), null).statusCode());
        Await.until(Duration.ofSeconds(15), "lastUsedAt written", () -> {
            JsonNode row = json(call("GET", "/auth/keys", ADMIN, null)).get("keys").get(0);
            return row.get("lastUsedAt").isTextual();
        });
    }

    @Test
    void hundredParallelCreatesAreUniqueAndNeverBusy() throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            all.add(pool.submit(() -> call("POST", "/auth/keys", ADMIN, "{\"name\":\"k" + n + "\",\"tenantId\":\"t\"}")));
        }
        Set<String> keys = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (Future<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get();
            assertEquals(201, r.statusCode(), r.body());
            keys.add(json(r).get("key").asText());
            ids.add(json(r).get("id").asText());
        }
        pool.close();
        assertEquals(100, keys.size());
        assertEquals(100, ids.size());
        assertEquals(100, json(call("GET", "/auth/keys?tenantId=t", ADMIN, null)).get("keys").size());
    }

    @Test
    void createRevokeAndValidateRacingNeverFail() throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<Integer>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(pool.submit((Callable<Integer>) () -> {
                JsonNode k = create("race", "race");
                String key = k.get("key").asText();
                int a = call("GET", "/sessions", key, null).statusCode();
                call("DELETE", "/auth/keys/" + k.get("id").asText(), ADMIN, null);
                int b = call("GET", "/sessions", key, null).statusCode();
                return a * 1000 + b;
            }));
        }
        for (Future<Integer> f : all) {
            assertEquals(200_401, f.get());
        }
        pool.close();
    }

    @Test
    void purgeDeletesOnlyRowsDeadLongEnough() throws Exception {
        Instant now = Instant.now();
        insertLegacyRow("long-expired", KeyFormat.generate(), "p", now.minusSeconds(90_000), now.minusSeconds(86_400), 0);
        insertLegacyRow("just-expired", KeyFormat.generate(), "p", now.minusSeconds(7_200), now.minusSeconds(60), 0);
        JsonNode revoked = create("revoked-now", "p");
        call("DELETE", "/auth/keys/" + revoked.get("id").asText(), ADMIN, null);
        create("alive", "p");
        try (KeyStore store = KeyStore.open(url, Clock.systemUTC())) {
            assertEquals(1, store.purge(now.minusSeconds(3_600)));
            assertEquals(Set.of("just-expired", "revoked-now", "alive"), new HashSet<>(
                    store.list(Optional.of("p")).stream().map(io.isol8.auth.StoredKey::name).toList()));
        }
    }

    @Test
    void migrationsAreVersionedAndIdempotent() throws Exception {
        KeyStore.open(url, Clock.systemUTC()).close();
        KeyStore.open(url, Clock.systemUTC()).close();
        try (Connection c = jdbc(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT version FROM isol8_schema ORDER BY version")) {
            List<Integer> versions = new ArrayList<>();
            while (r.next()) {
                versions.add(r.getInt(1));
            }
            assertEquals(List.of(1, 2, 3), versions);
        }
    }

    // ---- tenants --------------------------------------------------------------------------------

    @Test
    void sessionsBelongToTenantsNotKeys() throws Exception {
        String a1 = create("a1", "team-a").get("key").asText();
        String a2 = create("a2", "team-a").get("key").asText();
        String b1 = create("b1", "team-b").get("key").asText();
        assertEquals(200, call("POST", "/execute", a1, run("out:a", "same")).statusCode());
        assertEquals(200, call("POST", "/execute", b1, run("out:b", "same")).statusCode());
        assertEquals(2, server.engine.created.get(), "the same id in two tenants is two sessions");
        assertEquals(200, call("POST", "/execute", a2, run("out:a", "same")).statusCode());
        assertEquals(2, server.engine.created.get(), "another key of the tenant reaches the tenant's session");
        assertEquals(1, json(call("GET", "/sessions", a2, null)).get("sessions").size());
        assertEquals(0, json(call("GET", "/sessions", ADMIN, null)).get("sessions").size(), "the admin is its own tenant");
        assertEquals(200, call("DELETE", "/session/same", b1, null).statusCode());
        assertEquals(1, json(call("GET", "/sessions", a1, null)).get("sessions").size(), "team-b's delete left team-a's");
        assertEquals(404, call("GET", "/file?sessionId=same&path=/sandbox/x", ADMIN, null).statusCode());
    }

    @Test
    void cleanupEndsEverySessionForAdminsOnly() throws Exception {
        String a1 = create("a1", "team-a").get("key").asText();
        call("POST", "/execute", a1, run("out:a", "s1"));
        call("POST", "/execute", ADMIN, run("out:a", "s2"));
        HttpResponse<String> r = call("POST", "/cleanup", ADMIN, null);
        assertEquals(200, r.statusCode());
        assertEquals("{\"ok\":true,\"removed\":2}", r.body());
        assertEquals(0, json(call("GET", "/sessions", a1, null)).get("sessions").size());
    }

    // ---- quotas ---------------------------------------------------------------------------------

    void setQuotas(String tenant, String body) throws Exception {
        HttpResponse<String> r = call("PUT", "/auth/tenants/" + tenant, ADMIN, body);
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void concurrentQuotaOfNRefusesExactlyOneOfNPlusOne() throws Exception {
        int n = 3;
        setQuotas("team-q", "{\"maxConcurrent\":" + n + "}");
        String key = create("q", "team-q").get("key").asText();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            all.add(pool.submit(() -> call("POST", "/execute", key, run("sleep:1500", null))));
        }
        int refused = 0;
        for (Future<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 429) {
                refused++;
                assertEquals("{\"error\":\"Tenant \\\"team-q\\\" is over its execution quota (maxConcurrent = 3)\"}", r.body());
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
            } else {
                assertEquals(200, r.statusCode(), r.body());
            }
        }
        pool.close();
        assertEquals(1, refused);
        assertEquals(0, json(call("GET", "/auth/tenants/team-q/usage", ADMIN, null)).get("runningNow").asInt());
    }

    @Test
    void executionSlotsReturnOnEveryEnding() throws Exception {
        setQuotas("team-z", "{\"maxConcurrent\":1}");
        String key = create("z", "team-z").get("key").asText();
        for (String code : List.of("out:ok", "exit:3", "timeout", "oom", "bug", "lost")) {
            call("POST", "/execute", key, run(code, null));
            call("POST", "/execute/stream", key, run(code, null));
            assertEquals(0, json(call("GET", "/auth/tenants/team-z/usage", ADMIN, null)).get("runningNow").asInt(), code);
        }
        try (java.net.Socket s = io.isol8.testing.RawStream.open(server.uri.getPort(), key, run("out:first\nhang", null),
                10_000)) {
            FakeServer.readUntil(s.getInputStream(), "first");
        }
        Await.until(Duration.ofSeconds(10), "slot back after a disconnect", () ->
                json(call("GET", "/auth/tenants/team-z/usage", ADMIN, null)).get("runningNow").asInt() == 0);
        assertEquals(200, call("POST", "/execute", key, run("out:again", null)).statusCode());
        call("POST", "/execute", key, "{\"request\":{\"runtime\":\"nope\",\"code\":\"x\"}}");
        assertEquals(0, json(call("GET", "/auth/tenants/team-z/usage", ADMIN, null)).get("runningNow").asInt());
    }

    @Test
    void aStoredKeyOpensTheWebSocketAndTheUpgradeCountsAgainstItsTenantsRate() throws Exception {
        setQuotas("team-w", "{\"requestsPerMinute\":2}");
        String key = create("w", "team-w").get("key").asText();
        try (io.isol8.testing.WsClient ws = io.isol8.testing.WsClient.open(server.uri.getPort(), key)) {
            ws.send("{\"type\":\"execute\",\"request\":{\"runtime\":\"python\",\"code\":\"out:hi\"}}");
            assertEquals("{\"type\":\"stdout\",\"data\":\"hi\\n\",\"phase\":\"code\"}", ws.next(5000));
            assertEquals(1000, ws.awaitClose(5000).code());
        }
        assertEquals(200, call("GET", "/sessions", key, null).statusCode());
        String refused = io.isol8.testing.WsClient.rawUpgrade(server.uri.getPort(), "Authorization: Bearer " + key + "\r\n");
        assertTrue(refused.startsWith("HTTP/1.1 429"), refused);
        assertTrue(refused.endsWith("{\"error\":\"Tenant \\\"team-w\\\" is over its request quota (requestsPerMinute = 2)\"}"),
                refused);
    }

    @Test
    void requestRateQuotaAnswers429WithRetryAfter() throws Exception {
        setQuotas("team-r", "{\"requestsPerMinute\":5}");
        String key = create("r", "team-r").get("key").asText();
        for (int i = 0; i < 5; i++) {
            assertEquals(200, call("GET", "/sessions", key, null).statusCode(), "request " + i);
        }
        HttpResponse<String> r = call("GET", "/sessions", key, null);
        assertEquals(429, r.statusCode());
        assertEquals("{\"error\":\"Tenant \\\"team-r\\\" is over its request quota (requestsPerMinute = 5)\"}", r.body());
        long retry = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
        assertEquals(200, call("GET", "/sessions", ADMIN, null).statusCode(), "other tenants are not affected");
    }

    @Test
    void sessionQuotaAndTimeoutCeilingPerTenant() throws Exception {
        setQuotas("team-s", "{\"maxSessions\":1,\"maxTimeoutMs\":60000}");
        String key = create("s", "team-s").get("key").asText();
        assertEquals(200, call("POST", "/execute", key, run("out:1", "one")).statusCode());
        HttpResponse<String> second = call("POST", "/execute", key, run("out:2", "two"));
        assertEquals(429, second.statusCode());
        assertEquals("{\"error\":\"Tenant \\\"team-s\\\" is over its session quota (maxSessions = 1)\"}", second.body());
        assertEquals(200, call("POST", "/execute", key, run("out:1", "one")).statusCode(), "its existing session works");
        HttpResponse<String> slow = call("POST", "/execute", key,
                "{\"request\":{\"runtime\":\"python\",\"code\":\"out:x\",\"timeoutMs\":70000}}");
        assertEquals(400, slow.statusCode());
        assertEquals("{\"error\":\"timeoutMs 70000 exceeds the quota of tenant \\\"team-s\\\" (maxTimeoutMs = 60000)\"}", slow.body());
        JsonNode tenant = json(call("GET", "/auth/tenants/team-s", key, null));
        assertEquals(1, tenant.get("quotas").get("maxSessions").asInt());
        assertEquals(404, call("GET", "/auth/tenants/team-a", key, null).statusCode(), "another tenant's");
    }

    @Test
    void configuredQuotaDefaultsApplyToEveryTenant() throws Exception {
        server.close();
        server = start(new Isol8Config.Quotas(0, 0, 0, 2));
        String key = create("d", "team-d").get("key").asText(); // the admin's own requests count for "default"
        assertEquals(200, call("GET", "/sessions", key, null).statusCode());
        assertEquals(200, call("GET", "/sessions", key, null).statusCode());
        assertEquals(429, call("GET", "/sessions", key, null).statusCode());
    }
}
