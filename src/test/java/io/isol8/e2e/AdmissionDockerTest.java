package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Admission control (api.md §12) against the real Docker engine. */
class AdmissionDockerTest {
    private static DockerServer twoSlots;
    private static DockerServer oneSlotShortQueue;

    @BeforeAll
    static void startServers() {
        twoSlots = DockerServer.start(config(2, 100, 60_000));
        oneSlotShortQueue = DockerServer.start(config(1, 3, 2_000));
    }

    @AfterAll
    static void stopServers() throws Exception {
        try {
            if (twoSlots != null) {
                twoSlots.close();
            }
        } finally {
            if (oneSlotShortQueue != null) {
                oneSlotShortQueue.close();
            }
        }
    }

    private static Isol8Config config(int maxConcurrent, int maxQueued, long queueTimeoutMs) {
        Isol8Config b = Isol8Config.builtIn();
        return new Isol8Config(b.port(), b.instanceId(), maxConcurrent, maxQueued, queueTimeoutMs, b.defaults(),
                b.limits(), b.cleanup(), new Isol8Config.Pool(false, Map.of()), b.images(), b.docker(), b.auth(),
                b.source());
    }

    @Test
    void noMoreThanMaxConcurrentProgramsRunAtOnce() throws Exception {
        String body = DockerServer.body("python",
                "import time\ns = time.time()\ntime.sleep(0.5)\nprint(repr(s), repr(time.time()))", "", "");

        List<HttpResponse<String>> results = DockerServer.concurrently(20, () -> twoSlots.post("/execute", body));

        List<double[]> spans = new ArrayList<>();
        for (HttpResponse<String> r : results) {
            assertEquals(200, r.statusCode(), r.body());
            JsonNode result = DockerServer.JSON.readTree(r.body());
            assertEquals(0, result.path("exitCode").asInt(), r.body());
            String[] parts = result.path("stdout").asText().trim().split(" ");
            assertEquals(2, parts.length, r.body());
            spans.add(new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])});
        }
        int overlap = maxOverlap(spans);
        assertTrue(overlap <= 2, "programs running at once: " + overlap);
        assertTrue(overlap >= 2, "programs never ran in parallel");
    }

    @Test
    void requestsBeyondQueueOrDeadlineGet429WithRetryAfter() throws Exception {
        String body = DockerServer.body("python", "import time\ntime.sleep(1.5)\nprint('done')", "", "");

        List<HttpResponse<String>> results = DockerServer.concurrently(8, () -> oneSlotShortQueue.post("/execute", body));

        int ok = 0;
        int busy = 0;
        for (HttpResponse<String> r : results) {
            JsonNode json = DockerServer.JSON.readTree(r.body());
            if (r.statusCode() == 200) {
                assertEquals("done", json.path("stdout").asText(), r.body());
                ok++;
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertEquals(List.of("1"), r.headers().allValues("Retry-After"));
                assertEquals(1, json.size(), r.body());
                assertTrue(json.path("error").asText().startsWith("Server busy:"), r.body());
                busy++;
            }
        }
        assertTrue(ok >= 1, "no request ran");
        assertTrue(busy >= 1, "no request was refused");
    }

    /** The largest number of intervals that contain one instant; touching intervals do not overlap. */
    private static int maxOverlap(List<double[]> spans) {
        List<double[]> events = new ArrayList<>();
        for (double[] s : spans) {
            events.add(new double[] {s[0], 1});
            events.add(new double[] {s[1], -1});
        }
        events.sort(Comparator.<double[]>comparingDouble(e -> e[0]).thenComparingDouble(e -> e[1]));
        int now = 0;
        int max = 0;
        for (double[] e : events) {
            now += (int) e[1];
            max = Math.max(max, now);
        }
        return max;
    }

}
