package io.isol8.server;

import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /metrics} after a small workload, read back by parsing the text exposition format. */
@ServerTest
class MetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private final URI uri;

    MetricsTest(URI uri) {
        this.uri = uri;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        TestServers.routing(routing, new FakeEngine());
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri.resolve(path)).header("Authorization", "Bearer " + TestServers.KEY)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** series "name{a=b,c=d}" with labels sorted → value. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a sample line: " + line);
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.put(m.group(1) + labels, Double.parseDouble(m.group(4)));
        }
        return samples;
    }

    @Test
    void scrapeCountsTheWorkloadItSaw() throws Exception {
        call("POST", "/execute", "{\"request\":{\"runtime\":\"python\",\"code\":\"out:a\\nexit:3\"}}");
        call("POST", "/execute", "{\"request\":{\"runtime\":\"bash\",\"code\":\"out:b\"}}");
        call("POST", "/execute", "{\"request\":{\"runtime\":\"bash\",\"code\":\"out:c\"}}");
        call("POST", "/execute", "{\"request\":{\"runtime\":\"cobol\",\"code\":\"x\"}}");
        HttpResponse<String> r = call("GET", "/metrics", null);
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        Map<String, Double> m = parse(r.body());
        assertEquals(1.0, m.get("isol8_executions_total{kind=ephemeral, outcome=nonzero, runtime=python}"), r.body());
        assertEquals(2.0, m.get("isol8_executions_total{kind=ephemeral, outcome=ok, runtime=bash}"), r.body());
        assertEquals(3.0, m.get("isol8_http_requests_total{method=POST, route=/execute, status=200}"), r.body());
        assertEquals(1.0, m.get("isol8_http_requests_total{method=POST, route=/execute, status=400}"), r.body());
        assertEquals(1.0, m.get("isol8_build_info{version=1.0.0}"), r.body());
        assertEquals(0.0, m.get("isol8_admission_in_use{}"), r.body());
        assertEquals(3.0, m.get("isol8_execution_seconds_count{runtime=bash}") + m.get("isol8_execution_seconds_count{runtime=python}"), r.body());
    }
}
