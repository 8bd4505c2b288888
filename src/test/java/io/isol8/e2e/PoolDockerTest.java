package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm pool's rules: one request per container, refill, cold path for non-default settings. */
class PoolDockerTest {
    private static DockerServer server;

    @BeforeAll
    static void start() throws Exception {
        Isol8Config c = Isol8Config.builtIn();
        server = DockerServer.start(new Isol8Config(c.port(), "", c.maxConcurrent(), c.maxQueued(), c.queueTimeoutMs(),
                c.defaults(), c.limits(), c.cleanup(), new Isol8Config.Pool(true, Map.of(Language.PYTHON, 2)),
                c.images(), c.docker(), c.auth(), c.source()));
        awaitIdle(2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static int idle() throws Exception {
        JsonNode ready = DockerServer.JSON.readTree(server.send(HttpRequest.newBuilder(server.uri.resolve("/health/ready")), null).body());
        return ready.path("pool").path("python").asInt();
    }

    private static void awaitIdle(int n) {
        Await.until(Duration.ofSeconds(60), "pool at " + n + " idle python containers", () -> idle() == n);
    }

    private static double poolHits() throws Exception {
        String text = server.send(HttpRequest.newBuilder(server.uri.resolve("/metrics")), DockerServer.KEY).body();
        Matcher m = Pattern.compile("(?m)^isol8_pool_requests_total\\{result=\"hit\",runtime=\"python\"} (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void eachContainerServesOneRequestAndIsRemovedAfterIt() throws Exception {
        awaitIdle(2);
        JsonNode first = server.execute("{\"request\":{\"runtime\":\"python\",\"code\":\"open('/sandbox/mark','w').write('x')\"}}");
        JsonNode second = server.execute("{\"request\":{\"runtime\":\"python\",\"code\":\"import os\\nprint(os.path.exists('/sandbox/mark'))\"}}");
        assertNotEquals(first.get("containerId").asText(), second.get("containerId").asText());
        assertEquals("False", second.get("stdout").asText());
        String used = first.get("containerId").asText();
        Await.until(Duration.ofSeconds(20), "used container " + used + " removed",
                () -> !DockerServer.docker("ps", "-aq", "--no-trunc").contains(used));
    }

    @Test
    void poolRefillsAfterAHandOut() throws Exception {
        awaitIdle(2);
        double hits = poolHits();
        server.execute("{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\"}}");
        assertEquals(hits + 1, poolHits());
        awaitIdle(2);
    }

    @Test
    void nonDefaultSettingsTakeAFreshContainer() throws Exception {
        awaitIdle(2);
        double hits = poolHits();
        JsonNode r = server.execute("{\"request\":{\"runtime\":\"python\",\"code\":"
                + "\"print(open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read())\"},\"options\":{\"memoryLimit\":\"256m\"}}");
        assertEquals(Long.toString(256L << 20), r.get("stdout").asText());
        assertEquals(hits, poolHits());
        assertEquals(2, idle());
    }

    @Test
    void warmContainersCarryTheInstanceLabels() throws Exception {
        awaitIdle(2);
        List<String> warm = List.of(DockerServer.docker("ps", "-q", "--filter", "label=io.isol8.instance=" + server.instanceId,
                "--filter", "label=io.isol8.kind=warm").split("\\s+"));
        assertTrue(warm.size() >= 2, warm.toString());
    }
}
