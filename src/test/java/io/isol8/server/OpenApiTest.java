package io.isol8.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.Method;
import io.isol8.config.Isol8Config;
import io.isol8.core.Isol8Exception.BadRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The shipped OpenAPI document against the registered routes and the status table of api.md §4.2. */
class OpenApiTest {
    private static final String RESOURCE = "/io/isol8/openapi.yaml";
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head",
            "patch", "trace");

    /** api.md §4.2, one row per route: the statuses it may answer (500, possible everywhere, is added below). */
    private static final Map<String, Set<Integer>> STATUS_TABLE = statusTable();

    /** api.md §7.1, in order. */
    private static final List<String> RESULT_FIELDS = List.of("stdout", "stderr", "exitCode", "durationMs",
            "truncated", "executionId", "runtime", "timestamp", "containerId", "timedOut", "oomKilled",
            "stdoutTruncated", "stderrTruncated", "files", "resourceUsage", "networkLogs", "installMs");

    /** The request examples of api.md §7.3 that the document must carry for {@code POST /execute}. */
    private static final Set<String> REQUIRED_EXECUTE_EXAMPLES = Set.of("plainRun", "stdinFilesOutputPaths", "cmd",
            "setupScriptFailure", "timeout");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ExecutionRequestParser PARSER = new ExecutionRequestParser(Isol8Config.builtIn(), 2);

    private static Map<String, Object> doc;

    private static Map<String, Set<Integer>> statusTable() {
        Map<String, Set<Integer>> t = new LinkedHashMap<>();
        t.put("GET /health", Set.of(200, 405));
        t.put("GET /health/ready", Set.of(200, 405, 503));
        t.put("POST /execute", Set.of(200, 400, 401, 405, 409, 413, 429, 503));
        t.put("POST /execute/stream", Set.of(200, 400, 401, 405, 409, 413, 429, 503));
        t.put("POST /file", Set.of(200, 400, 401, 404, 405, 409, 413, 429, 503));
        t.put("GET /file", Set.of(200, 400, 401, 404, 405, 409, 413, 429, 503));
        t.put("GET /sessions", Set.of(200, 401, 405, 429, 503));
        t.put("DELETE /session/{id}", Set.of(200, 401, 405, 429, 503));
        t.put("GET /metrics", Set.of(200, 401, 405, 429, 503));
        t.put("GET /openapi.yaml", Set.of(200, 405));
        t.put("GET /execute/ws", Set.of(101, 400, 401, 405, 429, 503));
        // key store, tenants (429: the tenant's requestsPerMinute; 503: key store down)
        t.put("POST /auth/keys", Set.of(201, 400, 401, 403, 405, 413, 429, 503));
        t.put("GET /auth/keys", Set.of(200, 400, 401, 403, 405, 429, 503));
        t.put("DELETE /auth/keys/{id}", Set.of(200, 400, 401, 403, 404, 405, 429, 503));
        t.put("POST /auth/keys/{id}/rotate", Set.of(201, 400, 401, 403, 404, 405, 413, 429, 503));
        t.put("POST /auth/login", Set.of(200, 400, 401, 403, 405, 413, 429, 503));
        t.put("GET /auth/whoami", Set.of(200, 401, 405, 429, 503));
        t.put("GET /auth/tenants/{id}", Set.of(200, 400, 401, 404, 405, 429, 503));
        t.put("PUT /auth/tenants/{id}", Set.of(200, 400, 401, 403, 404, 405, 413, 429, 503));
        t.put("GET /auth/tenants/{id}/usage", Set.of(200, 400, 401, 404, 405, 429, 503));
        t.put("POST /cleanup", Set.of(200, 401, 403, 405, 429, 503));
        return t;
    }

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = OpenApiTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is not on the class path");
            doc = map(new Yaml().load(in), "document");
        }
    }

    @Test
    void isOpenApi31() {
        assertTrue(String.valueOf(doc.get("openapi")).matches("3\\.1\\.\\d+"), "openapi: " + doc.get("openapi"));
        assertEquals("1.0.0", String.valueOf(map(doc.get("info"), "info").get("version")));
    }

    @Test
    void documentsExactlyTheRegisteredRoutes() {
        Set<String> registered = new TreeSet<>();
        Routes.KNOWN.forEach((path, methods) -> methods.forEach(m -> registered.add(m.text() + " " + path)));
        assertEquals(registered, new TreeSet<>(operations().keySet()));
    }

    @Test
    void statusTableCoversEveryRoute() {
        Set<String> registered = new TreeSet<>();
        Routes.KNOWN.forEach((path, methods) -> methods.stream().map(Method::text)
                .forEach(m -> registered.add(m + " " + path)));
        assertEquals(registered, new TreeSet<>(STATUS_TABLE.keySet()));
    }

    @Test
    void everyOperationDocumentsTheStatusesOfItsRoute() {
        operations().forEach((op, operation) -> {
            Set<Integer> expected = new TreeSet<>(STATUS_TABLE.getOrDefault(op, Set.of()));
            expected.add(500);
            Set<Integer> documented = new TreeSet<>();
            map(operation.get("responses"), op + " responses").keySet()
                    .forEach(code -> documented.add(Integer.parseInt(String.valueOf(code))));
            assertEquals(expected, documented, op);
        });
    }

    @Test
    void everyResponseIsDescribedAndCarriesItsHeaders() {
        operations().forEach((op, operation) -> map(operation.get("responses"), op).forEach((code, raw) -> {
            String where = op + " " + code;
            Map<String, Object> response = resolve(raw, where);
            Object description = map(raw, where).containsKey("description")
                    ? map(raw, where).get("description") : response.get("description");
            assertTrue(description instanceof String s && !s.isBlank(), where + " has no description");
            String header = switch (String.valueOf(code)) {
                case "401" -> "WWW-Authenticate";
                case "405" -> "Allow";
                case "429" -> "Retry-After";
                default -> null;
            };
            if (header != null) {
                Map<String, Object> headers = map(response.get("headers"), where + " headers");
                assertTrue(headers.containsKey(header), where + " lacks the " + header + " header");
            }
            if (!String.valueOf(code).startsWith("2") && !String.valueOf(code).equals("101")) {
                assertTrue(map(response.get("content"), where + " content").containsKey("application/json"),
                        where + " must answer JSON");
            }
        }));
    }

    @Test
    void onlyThePublicPathsWaiveAuthentication() {
        Map<String, Object> bearer = map(path(doc, "components", "securitySchemes", "bearerAuth"), "bearerAuth");
        assertEquals("http", bearer.get("type"));
        assertEquals("bearer", bearer.get("scheme"));
        assertEquals(List.of(Map.of("bearerAuth", List.of())), doc.get("security"));
        Set<String> open = new TreeSet<>();
        operations().forEach((op, operation) -> {
            if (operation.containsKey("security")) {
                assertEquals(List.of(), operation.get("security"), op);
                open.add(op.substring(op.indexOf(' ') + 1));
            }
        });
        assertEquals(new TreeSet<>(AuthFilter.PUBLIC), open);
    }

    @Test
    void executeRequestExamplesAreAcceptedByTheParser() {
        for (String op : List.of("POST /execute", "POST /execute/stream")) {
            Map<String, Object> examples = requestExamples(op);
            assertFalse(examples.isEmpty(), op + " has no request examples");
            if (op.equals("POST /execute")) {
                assertTrue(examples.keySet().containsAll(REQUIRED_EXECUTE_EXAMPLES),
                        op + " examples " + examples.keySet() + " lack some of " + REQUIRED_EXECUTE_EXAMPLES);
            }
            examples.forEach((name, example) -> {
                Object value = map(example, name).get("value");
                byte[] body = assertDoesNotThrow(() -> MAPPER.writeValueAsBytes(value), name);
                assertDoesNotThrow(() -> PARSER.parse(body), op + " example " + name);
            });
        }
    }

    @Test
    void fileUploadExamplesHaveTheRequiredFields() {
        Map<String, Object> examples = requestExamples("POST /file");
        assertFalse(examples.isEmpty(), "POST /file has no request examples");
        examples.forEach((name, example) -> {
            Map<String, Object> value = map(map(example, name).get("value"), name);
            for (String field : List.of("sessionId", "path", "content")) {
                assertInstanceOf(String.class, value.get(field), name + "." + field);
            }
        });
    }

    /** Every documented request and options field is one the parser knows ({@code null} reads as absent). */
    @Test
    void documentedExecutionFieldsAreKnownToTheParser() {
        Map<String, Object> schemas = map(path(doc, "components", "schemas"), "schemas");
        Map<String, Object> request = map(map(schemas.get("ExecutionRequest"), "ExecutionRequest").get("properties"),
                "ExecutionRequest properties");
        for (String field : request.keySet()) {
            if (field.equals("runtime") || field.equals("code")) {
                continue;
            }
            String body = "{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\",\"" + field + "\":null}}";
            assertDoesNotThrow(() -> PARSER.parse(body.getBytes(StandardCharsets.UTF_8)), field);
        }
        Map<String, Object> options = map(map(schemas.get("ExecutionOptions"), "ExecutionOptions").get("properties"),
                "ExecutionOptions properties");
        for (String field : options.keySet()) {
            String body = "{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\"},\"options\":{\"" + field
                    + "\":null}}";
            assertDoesNotThrow(() -> PARSER.parse(body.getBytes(StandardCharsets.UTF_8)), field);
        }
        String unknown = "{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\",\"nope\":null}}";
        assertEquals("Unknown field \"request.nope\"", assertThrows(BadRequest.class,
                () -> PARSER.parse(unknown.getBytes(StandardCharsets.UTF_8))).getMessage());
        for (String schema : List.of("ExecutionEnvelope", "ExecutionRequest", "ExecutionOptions", "SecurityOptions")) {
            assertEquals(false, map(schemas.get(schema), schema).get("additionalProperties"),
                    schema + " must refuse unknown fields");
        }
    }

    @Test
    void resultFieldsFollowTheNormativeOrder() {
        Map<String, Object> result = map(path(doc, "components", "schemas", "ExecutionResult"), "ExecutionResult");
        assertEquals(RESULT_FIELDS, new ArrayList<>(map(result.get("properties"), "properties").keySet()));
        assertEquals(RESULT_FIELDS.subList(0, 11), result.get("required"));
    }

    @Test
    void everyReferenceResolves() {
        walk(doc, (key, value) -> {
            if (key.equals("$ref")) {
                String ref = String.valueOf(value);
                assertTrue(ref.startsWith("#/"), "only local references: " + ref);
                assertNotNull(pointer(ref), "unresolved " + ref);
            }
        });
    }

    // ---- helpers ----

    /** "METHOD /path" → operation object, in document order. */
    private static Map<String, Map<String, Object>> operations() {
        Map<String, Map<String, Object>> ops = new LinkedHashMap<>();
        map(doc.get("paths"), "paths").forEach((p, item) -> map(item, String.valueOf(p)).forEach((k, op) -> {
            String key = String.valueOf(k);
            if (HTTP_METHODS.contains(key)) {
                ops.put(key.toUpperCase(Locale.ROOT) + " " + p, map(op, key + " " + p));
            }
        }));
        return ops;
    }

    private static Map<String, Object> requestExamples(String op) {
        Map<String, Object> operation = operations().get(op);
        assertNotNull(operation, op + " is not documented");
        Map<String, Object> body = resolve(operation.get("requestBody"), op + " requestBody");
        Map<String, Object> json = map(map(body.get("content"), op + " content").get("application/json"),
                op + " application/json");
        Object examples = json.get("examples");
        return examples == null ? Map.of() : map(examples, op + " examples");
    }

    /** Follows {@code $ref} chains to the referenced object. */
    private static Map<String, Object> resolve(Object node, String where) {
        Map<String, Object> m = map(node, where);
        int hops = 0;
        while (m.containsKey("$ref")) {
            if (++hops > 10) {
                fail("reference loop at " + where);
            }
            String ref = String.valueOf(m.get("$ref"));
            m = map(pointer(ref), ref);
        }
        return m;
    }

    /** A local JSON pointer ({@code #/components/...}), or null. */
    private static Object pointer(String ref) {
        Object node = doc;
        for (String part : ref.substring(2).split("/")) {
            String key = part.replace("~1", "/").replace("~0", "~");
            if (!(node instanceof Map<?, ?> m) || !m.containsKey(key)) {
                return null;
            }
            node = m.get(key);
        }
        return node;
    }

    private static Object path(Map<String, Object> root, String... keys) {
        Object node = root;
        for (String key : keys) {
            node = map(node, key).get(key);
        }
        return node;
    }

    private static void walk(Object node, BiConsumer<String, Object> visit) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                visit.accept(String.valueOf(k), v);
                walk(v, visit);
            });
        } else if (node instanceof List<?> l) {
            l.forEach(v -> walk(v, visit));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node, String where) {
        if (!(node instanceof Map<?, ?>)) {
            fail(where + " is not a mapping: " + node);
        }
        return (Map<String, Object>) node;
    }
}
