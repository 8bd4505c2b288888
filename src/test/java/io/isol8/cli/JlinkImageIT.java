package io.isol8.cli;

import io.isol8.testing.Await;
import io.isol8.testing.DockerRequired;
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

/**
 * The jlink image as a user runs it: {@code target/isol8/bin/isol8 serve} with no JDK on PATH and no
 * JAVA_HOME, answering /health (no engine needed) and /health/ready (needs Docker), and exiting 0 on
 * SIGTERM. Runs after packaging.
 */
class JlinkImageIT {
    private static final Path HOME = Path.of("target/isol8");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void imageServesHealthWithoutAJdkAndStopsCleanlyOnSigterm() throws Exception {
        int port = freePort();
        Process server = start(port, "health");
        try {
            HttpResponse<String> health = await(URI.create("http://127.0.0.1:" + port + "/health"), Duration.ofSeconds(20));
            assertEquals("{\"status\":\"ok\",\"version\":\"1.0.0\"}", health.body());
        } finally {
            stop(server, "health");
        }
    }

    @Test
    void imageIsReadyWithADockerEngine() throws Exception {
        DockerRequired.check();
        int port = freePort();
        Process server = start(port, "ready");
        try {
            HttpResponse<String> ready = await(URI.create("http://127.0.0.1:" + port + "/health/ready"), Duration.ofSeconds(60));
            assertTrue(ready.body().startsWith("{\"status\":\"ready\""), ready.body());
        } finally {
            stop(server, "ready");
        }
    }

    /**
     * The key store's SQLite opens from the image with an unusable temporary folder: its native library is
     * loaded from the image's lib folder, never extracted.
     */
    @Test
    void sqliteKeyStoreWorksWithoutAUsableTempFolder() throws Exception {
        Path work = Files.createTempDirectory("isol8-jlink-sqlite");
        int port = freePort();
        Process server = start(port, "sqlite", "--auth-db", "sqlite:" + work.resolve("auth.db"));
        try {
            await(URI.create("http://127.0.0.1:" + port + "/health"), Duration.ofSeconds(20));
            HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/auth/keys"))
                    .header("Authorization", "Bearer jlink-test-key-0123456789")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"jlink\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body() + "\n" + Files.readString(log("sqlite")));
            assertTrue(created.body().contains("\"key\":\"isol8_"), created.body());
        } finally {
            stop(server, "sqlite");
        }
    }

    private static Process start(int port, String name, String... extra) throws IOException {
        assertTrue(Files.isExecutable(HOME.resolve("bin/isol8")), "target/isol8/bin/isol8 was not built");
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                HOME.resolve("bin/isol8").toAbsolutePath().toString(), "serve",
                "--port", Integer.toString(port), "--key", "jlink-test-key-0123456789"));
        command.addAll(java.util.List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(log(name).toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "");
        pb.environment().put("HOME", System.getProperty("java.io.tmpdir"));
        pb.environment().put("ISOL8_CONFIG", "");
        if (name.equals("sqlite")) {
            // a temporary folder that does not exist (even root cannot write there): an extracted native
            // library could not be placed in it
            pb.environment().put("JAVA_OPTS", "-Djava.io.tmpdir=/nonexistent/isol8-tmp");
        }
        return pb.start();
    }

    /** SIGTERM, then the exit code must be 0 within 30 s. */
    private static void stop(Process server, String name) throws Exception {
        server.destroy();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server did not stop within 30 s of SIGTERM");
        assertEquals(0, server.exitValue(), Files.readString(log(name)));
    }

    private static Path log(String name) {
        return Path.of("target/jlink-it-server-" + name + ".log");
    }

    private static HttpResponse<String> await(URI uri, Duration timeout) {
        return Await.value(timeout, "200 from " + uri, () -> HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString()), r -> r.statusCode() == 200);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
