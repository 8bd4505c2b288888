package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isol8.auth.KeyStore;
import io.isol8.config.Isol8Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input for every {@code /auth/*} body, path, query and header: always a JSON 4xx naming the problem,
 * never a 500; and the answers without a key store.
 */
class AuthBadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ADMIN = "Bearer " + FakeServer.KEY;

    @TempDir
    static Path dir;
    static FakeServer server;

    record Case(String name, String method, String path, String auth, byte[] body, int status, String error) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void start() {
        String url = "sqlite:" + dir.resolve("auth.db");
        Isol8Config c = Isol8Config.builtIn();
        server = FakeServer.withStore(c.withTenancy(c.auth().withDatabase(url), c.quotas(), c.audit()),
                Optional.of(KeyStore.open(url, Clock.systemUTC())));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Case c(String name, String method, String path, String body, int status, String error) {
        return new Case(name, method, path, ADMIN, body == null ? null : body.getBytes(StandardCharsets.UTF_8), status, error);
    }

    private static Case keys(String name, String body, int status, String error) {
        return c(name, "POST", "/auth/keys", body, status, error);
    }

    static List<Case> cases() {
        List<Case> all = new ArrayList<>();
        String nameRule = "name must be 1-128 characters without control characters";
        String tenantRule = "tenantId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit";
        String ttlRule = "ttlMs must be between 60000 and 31536000000 (auth.maxTtlMs)";
        // POST /auth/keys bodies
        all.add(keys("empty body", "", 400, null));
        all.add(keys("null", "null", 400, "Request body must be a JSON object"));
        all.add(keys("array", "[]", 400, "Request body must be a JSON object"));
        all.add(keys("string", "\"ci\"", 400, "Request body must be a JSON object"));
        all.add(keys("number", "42", 400, "Request body must be a JSON object"));
        all.add(keys("truncated JSON", "{\"name\":", 400, null));
        all.add(keys("not JSON", "name=ci", 400, null));
        all.add(keys("trailing garbage", "{\"name\":\"ci\"} x", 400, null));
        all.add(keys("no name", "{}", 400, "name is required"));
        all.add(keys("null name", "{\"name\":null}", 400, "name is required"));
        all.add(keys("empty name", "{\"name\":\"\"}", 400, nameRule));
        all.add(keys("name of 129", "{\"name\":\"" + "n".repeat(129) + "\"}", 400, nameRule));
        all.add(keys("name with NUL", "{\"name\":\"a\\u0000b\"}", 400, nameRule));
        all.add(keys("name with newline", "{\"name\":\"a\\nb\"}", 400, nameRule));
        all.add(keys("numeric name", "{\"name\":123}", 400, "name must be a string"));
        all.add(keys("boolean name", "{\"name\":true}", 400, "name must be a string"));
        all.add(keys("object name", "{\"name\":{}}", 400, "name must be a string"));
        all.add(keys("array name", "{\"name\":[\"ci\"]}", 400, "name must be a string"));
        all.add(keys("empty tenantId", "{\"name\":\"ci\",\"tenantId\":\"\"}", 400, tenantRule));
        all.add(keys("tenantId starting with -", "{\"name\":\"ci\",\"tenantId\":\"-x\"}", 400, tenantRule));
        all.add(keys("tenantId with a space", "{\"name\":\"ci\",\"tenantId\":\"a b\"}", 400, tenantRule));
        all.add(keys("tenantId with a slash", "{\"name\":\"ci\",\"tenantId\":\"../etc\"}", 400, tenantRule));
        all.add(keys("tenantId of 129", "{\"name\":\"ci\",\"tenantId\":\"" + "t".repeat(129) + "\"}", 400, tenantRule));
        all.add(keys("numeric tenantId", "{\"name\":\"ci\",\"tenantId\":7}", 400, "tenantId must be a string"));
        all.add(keys("ttlMs as a string", "{\"name\":\"ci\",\"ttlMs\":\"3600000\"}", 400, "ttlMs must be an integer"));
        all.add(keys("ttlMs fractional", "{\"name\":\"ci\",\"ttlMs\":60000.5}", 400, "ttlMs must be an integer"));
        all.add(keys("ttlMs boolean", "{\"name\":\"ci\",\"ttlMs\":true}", 400, "ttlMs must be an integer"));
        all.add(keys("ttlMs below a minute", "{\"name\":\"ci\",\"ttlMs\":59999}", 400, ttlRule));
        all.add(keys("ttlMs zero", "{\"name\":\"ci\",\"ttlMs\":0}", 400, ttlRule));
        all.add(keys("ttlMs negative", "{\"name\":\"ci\",\"ttlMs\":-1}", 400, ttlRule));
        all.add(keys("ttlMs over maxTtlMs", "{\"name\":\"ci\",\"ttlMs\":31536000001}", 400, ttlRule));
        all.add(keys("ttlMs beyond long", "{\"name\":\"ci\",\"ttlMs\":99999999999999999999999}", 400, ttlRule));
        all.add(keys("ttlMs exponent", "{\"name\":\"ci\",\"ttlMs\":1e30}", 400, null));
        all.add(keys("unknown field", "{\"name\":\"ci\",\"admin\":true}", 400, "Unknown field \"admin\""));
        all.add(keys("deep nesting", "{\"name\":" + "[".repeat(200) + "]".repeat(200) + "}", 400, null));
        all.add(keys("body over 64 KiB", "{\"name\":\"" + "x".repeat(70_000) + "\"}", 413, null));
        all.add(new Case("invalid UTF-8", "POST", "/auth/keys", ADMIN,
                new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, 400, null));
        // POST /auth/login
        all.add(c("login array", "POST", "/auth/login", "[]", 400, "Request body must be a JSON object"));
        all.add(c("login ttlMs string", "POST", "/auth/login", "{\"ttlMs\":\"1h\"}", 400, "ttlMs must be an integer"));
        all.add(c("login bad tenant", "POST", "/auth/login", "{\"tenantId\":\"../x\"}", 400, tenantRule));
        all.add(c("login unknown field", "POST", "/auth/login", "{\"user\":\"a\"}", 400, "Unknown field \"user\""));
        all.add(c("login malformed", "POST", "/auth/login", "{,}", 400, null));
        // rotation
        all.add(c("rotate unknown key", "POST", "/auth/keys/nope/rotate", "{}", 404, "Key not found"));
        all.add(c("rotate negative grace", "POST", "/auth/keys/nope/rotate", "{\"graceMs\":-1}", 400,
                "graceMs must be between 0 and 31536000000 (auth.maxTtlMs)"));
        all.add(c("rotate grace as string", "POST", "/auth/keys/nope/rotate", "{\"graceMs\":\"5\"}", 400,
                "graceMs must be an integer"));
        all.add(c("rotate array", "POST", "/auth/keys/nope/rotate", "[1]", 400, "Request body must be a JSON object"));
        all.add(c("rotate unknown field", "POST", "/auth/keys/nope/rotate", "{\"ttlMs\":1}", 400, "Unknown field \"ttlMs\""));
        // DELETE and GET /auth/keys
        all.add(c("delete unknown key", "DELETE", "/auth/keys/0f6b8f4e-2c1d-4b7a-9e3f-5a6b7c8d9e0f", null, 404, "Key not found"));
        all.add(c("delete over-long id", "DELETE", "/auth/keys/" + "a".repeat(300), null, 404, "Key not found"));
        all.add(c("delete encoded NUL id", "DELETE", "/auth/keys/%00", null, 404, null));
        all.add(c("list bad tenant filter", "GET", "/auth/keys?tenantId=%20bad", null, 400, tenantRule));
        // tenants
        all.add(c("quota negative", "PUT", "/auth/tenants/team", "{\"maxConcurrent\":-1}", 400, "maxConcurrent must be between 0 and 100000"));
        all.add(c("quota as string", "PUT", "/auth/tenants/team", "{\"maxSessions\":\"2\"}", 400, "maxSessions must be an integer"));
        all.add(c("quota timeout over limits", "PUT", "/auth/tenants/team", "{\"maxTimeoutMs\":300001}", 400,
                "maxTimeoutMs must be between 0 and 300000"));
        all.add(c("quota unknown field", "PUT", "/auth/tenants/team", "{\"maxCpu\":1}", 400, "Unknown field \"maxCpu\""));
        all.add(c("quota array", "PUT", "/auth/tenants/team", "[]", 400, "Request body must be a JSON object"));
        all.add(c("quota empty body", "PUT", "/auth/tenants/team", "", 400, null));
        all.add(c("tenant id with a space", "PUT", "/auth/tenants/bad%20id", "{}", 400, null));
        all.add(c("usage of a bad tenant id", "GET", "/auth/tenants/-x/usage", null, 400, null));
        // methods and headers
        all.add(c("PATCH /auth/keys", "PATCH", "/auth/keys", "{}", 405, "Method PATCH is not allowed on /auth/keys"));
        all.add(c("GET /auth/login", "GET", "/auth/login", null, 405, "Method GET is not allowed on /auth/login"));
        all.add(c("DELETE /auth/whoami", "DELETE", "/auth/whoami", null, 405, null));
        all.add(new Case("no Authorization", "GET", "/auth/keys", null, null, 401, "Missing Authorization header"));
        all.add(new Case("scheme only", "GET", "/auth/keys", "Bearer", null, 401, "Invalid API key"));
        all.add(new Case("Basic scheme", "GET", "/auth/keys", "Basic dXNlcjpwYXNz", null, 401, "Invalid API key"));
        all.add(new Case("store-shaped unknown key", "GET", "/auth/keys", "Bearer isol8_" + "ab".repeat(32), null, 401,
                "Invalid API key"));
        all.add(new Case("store prefix, upper-case hex", "GET", "/auth/keys", "Bearer isol8_" + "AB".repeat(32), null, 401,
                "Invalid API key"));
        all.add(new Case("store prefix, 63 digits", "GET", "/auth/keys", "Bearer isol8_" + "a".repeat(63), null, 401,
                "Invalid API key"));
        all.add(new Case("admin key with a suffix", "GET", "/auth/keys", ADMIN + "x", null, 401, "Invalid API key"));
        all.add(new Case("non-admin key", "POST", "/auth/keys", "Bearer " + TestServers.OTHER_KEY,
                "{\"name\":\"ci\"}".getBytes(StandardCharsets.UTF_8), 403, "Master key required for this operation"));
        return all;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answersJson4xx(Case k) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.uri + k.path())).timeout(Duration.ofSeconds(20))
                .method(k.method(), k.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(k.body()));
        if (k.auth() != null) {
            b.header("Authorization", k.auth());
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(k.status(), r.statusCode(), k.name() + ": " + r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = JSON.readTree(r.body());
        assertTrue(body.get("error").isTextual(), r.body());
        if (k.error() != null) {
            assertEquals(k.error(), body.get("error").asText());
        }
    }

    @Test
    void corpusHasAtLeastFortyCases() {
        assertTrue(cases().size() >= 40, "" + cases().size());
    }

    @Test
    void withoutAKeyStoreKeyRoutesSay400ToAdminsAnd403ToOthers() throws Exception {
        try (FakeServer plain = FakeServer.start()) {
            for (String[] route : List.of(new String[] {"POST", "/auth/keys", "{\"name\":\"x\"}"},
                    new String[] {"GET", "/auth/keys", null}, new String[] {"POST", "/auth/login", null},
                    new String[] {"DELETE", "/auth/keys/x", null})) {
                HttpResponse<String> r = plain.send(route[0], route[1], FakeServer.KEY, route[2]);
                assertEquals(400, r.statusCode(), route[1]);
                assertEquals("{\"error\":\"DB-backed auth is not enabled\"}", r.body());
            }
            assertEquals(200, plain.send("GET", "/auth/whoami", FakeServer.KEY, null).statusCode());
        }
    }
}
