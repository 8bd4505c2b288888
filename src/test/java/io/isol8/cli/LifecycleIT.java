package io.isol8.cli;

import io.isol8.testing.Await;
import io.isol8.testing.DockerRequired;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server as a process: containers left by a SIGKILLed server are swept by the next start of the
 * same instance, and SIGTERM leaves no container of the instance behind.
 */
class LifecycleIT {
    private static final String KEY = "lifecycle-key-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final String instance = "lifecycle-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void dockerIsRequired() {
        DockerRequired.check();
    }

    @Test
    void killedServersLeftoversAreSweptAndSigtermLeavesNothing(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("isol8.yaml");
        Files.writeString(config, "instanceId: " + instance + "\npool:\n  size: {python: 1}\n");
        int port = freePort();
        Process first = start(config, port, dir.resolve("first.log"));
        List<String> before;
        try {
            poll(port, "/health/ready", 60);
            HttpResponse<String> r = post(port, "{\"request\":{\"runtime\":\"python\",\"code\":\"print(1)\"},\"sessionId\":\"s1\"}");
            assertEquals(200, r.statusCode(), r.body());
            before = containers();
            assertFalse(before.isEmpty(), "the session should have a container");
        } finally {
            first.destroyForcibly();
            first.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(containers().containsAll(before), "SIGKILL cannot clean up; the containers are still there");

        Process second = start(config, port, dir.resolve("second.log"));
        try {
            poll(port, "/health/ready", 60);
            Await.until(Duration.ofSeconds(30), "leftovers " + before + " swept", () -> containers().stream().noneMatch(before::contains));
            assertEquals(200, post(port, "{\"request\":{\"runtime\":\"python\",\"code\":\"print(2)\"},\"sessionId\":\"s2\"}").statusCode());
        } finally {
            second.destroy();
            assertTrue(second.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM");
        }
        assertEquals(0, second.exitValue(), Files.readString(dir.resolve("second.log")));
        assertEquals(List.of(), containers());
    }

    @Test
    void cleanupRemovesAKilledServersContainers(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("isol8.yaml");
        Files.writeString(config, "instanceId: " + instance + "\npool:\n  size: {bash: 1}\n");
        int port = freePort();
        Process server = start(config, port, dir.resolve("server.log"));
        try {
            poll(port, "/health/ready", 60);
            assertEquals(200, post(port, "{\"request\":{\"runtime\":\"bash\",\"code\":\"echo 1\"},\"sessionId\":\"s1\"}").statusCode());
        } finally {
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
        }
        int left = containers().size();
        assertTrue(left >= 1, "the session should have left its container");
        Process cleanup = new ProcessBuilder(Path.of("target/isol8/bin/isol8").toAbsolutePath().toString(), "cleanup",
                "--config", config.toString()).redirectErrorStream(true).start();
        String out = new String(cleanup.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cleanup.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, cleanup.exitValue(), out);
        assertTrue(out.contains("removed " + left + " container(s)"), out);
        assertEquals(List.of(), containers());
    }

    private Process start(Path config, int port, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Path.of("target/isol8/bin/isol8").toAbsolutePath().toString(), "serve",
                "--config", config.toString(), "--port", Integer.toString(port), "--key", KEY)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("ISOL8_CONFIG");
        return pb.start();
    }

    private List<String> containers() throws Exception {
        Process p = new ProcessBuilder("docker", "ps", "-aq", "--no-trunc", "--filter", "label=io.isol8.instance=" + instance)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(20, TimeUnit.SECONDS);
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    private static HttpResponse<String> post(int port, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/execute"))
                .header("Authorization", "Bearer " + KEY).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void poll(int port, String path, int seconds) {
        URI uri = URI.create("http://127.0.0.1:" + port + path);
        Await.until(Duration.ofSeconds(seconds), "200 from " + path, () -> HTTP.send(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
