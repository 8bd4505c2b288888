package io.isol8.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The jlink image as a user runs it: {@code target/isol8/bin/isol8 serve} with no JDK on PATH and no
 * JAVA_HOME, answering /health and /health/ready, and exiting 0 on SIGTERM. Runs after packaging.
 */
class JlinkImageIT {
    private static final Path HOME = Path.of("target/isol8");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void imageServesWithoutAJdkAndStopsCleanlyOnSigterm() throws Exception {
        assertTrue(Files.isExecutable(HOME.resolve("bin/isol8")), "target/isol8/bin/isol8 was not built");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(HOME.resolve("bin/isol8").toAbsolutePath().toString(), "serve",
                "--port", Integer.toString(port), "--key", "jlink-test-key-0123456789")
                .directory(HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(Path.of("target/jlink-it-server.log").toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "");
        pb.environment().put("HOME", System.getProperty("java.io.tmpdir"));
        pb.environment().put("ISOL8_CONFIG", "");
        Process server = pb.start();
        try {
            HttpResponse<String> health = poll(URI.create("http://127.0.0.1:" + port + "/health"), 200, 20);
            assertEquals("{\"status\":\"ok\",\"version\":\"1.0.0\"}", health.body());
            HttpResponse<String> ready = poll(URI.create("http://127.0.0.1:" + port + "/health/ready"), 200, 60);
            assertTrue(ready.body().startsWith("{\"status\":\"ready\""), ready.body());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server did not stop within 30 s of SIGTERM");
        }
        assertEquals(0, server.exitValue(), Files.readString(Path.of("target/jlink-it-server.log")));
    }

    private static HttpResponse<String> poll(URI uri, int status, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (last.statusCode() == status) {
                    return last;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        fail("no " + status + " from " + uri + " within " + seconds + " s; last: " + (last == null ? "none" : last.body()));
        return last;
    }
}
