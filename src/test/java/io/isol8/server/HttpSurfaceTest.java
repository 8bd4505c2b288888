package io.isol8.server;

import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Authentication, health, routing and error shapes of the real routing over a fake engine. */
@ServerTest
class HttpSurfaceTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final URI uri;

    HttpSurfaceTest(URI uri) {
        this.uri = uri;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        TestServers.routing(routing, new FakeEngine());
    }

    HttpResponse<String> call(String method, String path, String auth, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri.resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Stream<Arguments> protectedRoutes() {
        return Routes.KNOWN.entrySet().stream()
                .filter(e -> !AuthFilter.PUBLIC.contains(e.getKey()))
                .flatMap(e -> e.getValue().stream().map(m -> Arguments.of(m.text(), e.getKey().replace("{id}", "s1"))));
    }

    @ParameterizedTest
    @MethodSource("protectedRoutes")
    void everyProtectedRouteWithoutKeyGets401(String method, String path) throws Exception {
        HttpResponse<String> r = call(method, path, null, Method.POST.text().equals(method) ? "{}" : null);
        assertEquals(401, r.statusCode());
        assertEquals("{\"error\":\"Missing Authorization header\"}", r.body());
        assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    }

    @ParameterizedTest
    @MethodSource("protectedRoutes")
    void everyProtectedRouteWithWrongKeyGets401(String method, String path) throws Exception {
        HttpResponse<String> r = call(method, path, "Bearer wrong", Method.POST.text().equals(method) ? "{}" : null);
        assertEquals(401, r.statusCode());
        assertEquals("{\"error\":\"Invalid API key\"}", r.body());
        assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(""));
    }

    @Test
    void healthIsPublicAndNamesTheVersion() throws Exception {
        HttpResponse<String> r = call("GET", "/health", null, null);
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"ok\",\"version\":\"1.0.0\"}", r.body());
    }

    @Test
    void unknownPathWithoutKeyGets401() throws Exception {
        assertEquals(401, call("GET", "/nope", null, null).statusCode());
    }

    @Test
    void unknownPathWithKeyGetsJson404() throws Exception {
        HttpResponse<String> r = call("GET", "/nope", "Bearer " + TestServers.KEY, null);
        assertEquals(404, r.statusCode());
        assertTrue(r.body().startsWith("{\"error\":"), r.body());
    }

    @Test
    void trailingSlashIsAnUnknownPath() throws Exception {
        assertEquals(404, call("GET", "/sessions/", "Bearer " + TestServers.KEY, null).statusCode());
    }

    @Test
    void wrongMethodGets405WithAllow() throws Exception {
        HttpResponse<String> r = call("GET", "/execute", "Bearer " + TestServers.KEY, null);
        assertEquals(405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        assertTrue(r.body().startsWith("{\"error\":"), r.body());
    }

    @Test
    void bareKeyWithoutSchemeIsAccepted() throws Exception {
        assertEquals(200, call("GET", "/sessions", TestServers.KEY, null).statusCode());
    }

    @Test
    void schemeIsCaseInsensitive() throws Exception {
        assertEquals(200, call("GET", "/sessions", "bearer \t" + TestServers.KEY, null).statusCode());
    }

    @Test
    void malformedJsonGets400() throws Exception {
        HttpResponse<String> r = call("POST", "/execute", "Bearer " + TestServers.KEY, "not json");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().startsWith("{\"error\":\"Malformed JSON: "), r.body());
    }

    @Test
    void executeReturnsTheResultObject() throws Exception {
        HttpResponse<String> r = call("POST", "/execute", "Bearer " + TestServers.KEY,
                "{\"request\":{\"runtime\":\"python\",\"code\":\"out:hi\\nexit:3\"}}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().matches("\\{\"stdout\":\"hi\",\"stderr\":\"\",\"exitCode\":3,\"durationMs\":\\d+,\"truncated\":false,"
                + "\"executionId\":\"[0-9a-f-]{36}\",\"runtime\":\"python\",\"timestamp\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\","
                + "\"containerId\":\"[0-9a-f]{64}\",\"timedOut\":false,\"oomKilled\":false}"), r.body());
        assertEquals(r.headers().firstValue("X-Isol8-Execution-Id").orElse("?"),
                r.body().replaceAll(".*\"executionId\":\"([^\"]+)\".*", "$1"));
    }

    @Test
    void streamSendsExactFrames() throws Exception {
        HttpResponse<String> r = call("POST", "/execute/stream", "Bearer " + TestServers.KEY,
                "{\"request\":{\"runtime\":\"python\",\"code\":\"out:0\\nerr:warn\\nexit:2\"}}");
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals("data: {\"type\":\"stdout\",\"data\":\"0\\n\",\"phase\":\"code\"}\n\n"
                + "data: {\"type\":\"stderr\",\"data\":\"warn\\n\",\"phase\":\"code\"}\n\n"
                + "data: {\"type\":\"exit\",\"data\":\"2\",\"phase\":\"code\"}\n\n", r.body());
    }

    @Test
    void streamValidationErrorIsARealStatus() throws Exception {
        HttpResponse<String> r = call("POST", "/execute/stream", "Bearer " + TestServers.KEY,
                "{\"request\":{\"runtime\":\"cobol\",\"code\":\"x\"}}");
        assertEquals(400, r.statusCode());
        assertEquals("{\"error\":\"Unknown runtime: \\\"cobol\\\". Available: python, node, bun, deno, bash\"}", r.body());
    }

    @Test
    void oversizedBodyGets413() throws Exception {
        String big = "{\"request\":{\"runtime\":\"python\",\"code\":\"" + "x".repeat(17 * 1024 * 1024) + "\"}}";
        HttpResponse<String> r = call("POST", "/execute", "Bearer " + TestServers.KEY, big);
        assertEquals(413, r.statusCode());
        assertTrue(r.body().startsWith("{\"error\":"), r.body());
    }

    @Test
    void sessionsOfAnotherKeyAreInvisible() throws Exception {
        call("POST", "/execute", "Bearer " + TestServers.KEY,
                "{\"request\":{\"runtime\":\"python\",\"code\":\"out:x\"},\"sessionId\":\"mine\"}");
        HttpResponse<String> mine = call("GET", "/sessions", "Bearer " + TestServers.KEY, null);
        HttpResponse<String> theirs = call("GET", "/sessions", "Bearer " + TestServers.OTHER_KEY, null);
        assertTrue(mine.body().contains("\"id\":\"mine\""), mine.body());
        assertEquals("{\"sessions\":[]}", theirs.body());
        assertEquals(404, call("GET", "/file?sessionId=mine&path=/sandbox/a", "Bearer " + TestServers.OTHER_KEY, null).statusCode());
    }

    @Test
    void deleteIsIdempotent() throws Exception {
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = call("DELETE", "/session/never", "Bearer " + TestServers.KEY, null);
            assertEquals(200, r.statusCode());
            assertEquals("{\"ok\":true}", r.body());
        }
    }
}
