package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.config.ConfigException;
import io.isol8.config.ConfigLoader;
import io.isol8.config.Isol8Config;
import io.isol8.testing.DockerRequired;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The server against a Docker engine at {@code tcp://127.0.0.1:PORT} over TLS with client certificates: a stunnel
 * TLS front on loopback (certificates made here with openssl) forwards to the local engine's Unix socket and
 * refuses clients without a certificate of its CA. Nothing leaves the machine. (socat 1.7 cannot be the front:
 * with {@code verify=1} it fails every resumed TLS session, "session id context uninitialized".)
 */
class RemoteEngineDockerTest {
    private static final String SOCKET = "/var/run/docker.sock";

    private static Path dir;
    private static Process front;
    private static String host;
    private static DockerServer server;

    @BeforeAll
    static void start() throws Exception {
        DockerRequired.check();
        dir = Files.createTempDirectory("isol8-remote-engine.");
        Pki pki = new Pki(dir);
        pki.ca("ca");
        pki.ca("other-ca");
        pki.leaf("server", "ca", "serverAuth");
        pki.leaf("client", "ca", "clientAuth");
        pki.leaf("stranger", "other-ca", "clientAuth");
        pki.folder("good", "ca", "client");
        pki.folder("wrong-ca", "other-ca", "client");
        pki.folder("untrusted-client", "ca", "stranger");
        int port = freePort();
        host = "tcp://127.0.0.1:" + port;
        Path conf = Files.writeString(dir.resolve("front.conf"), String.join("\n",
                "foreground = yes", "pid =", "debug = 5", "[docker]", "accept = 127.0.0.1:" + port,
                "connect = " + SOCKET, "cert = " + dir.resolve("server-cert.pem"),
                "key = " + dir.resolve("server-key.pem"), "CAfile = " + dir.resolve("ca.pem"),
                "requireCert = yes", "verifyChain = yes", ""));
        front = new ProcessBuilder("stunnel", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("front.log").toFile()).start();
        awaitListening(port);
        server = DockerServer.start(config(docker(host, dir.resolve("good"), false)));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (front != null) {
                front.destroy();
                if (!front.waitFor(10, TimeUnit.SECONDS)) {
                    front.destroyForcibly();
                }
            }
            if (dir != null) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void pythonRunsOnTheTlsEngineWithOutputAndExitCode() throws Exception {
        JsonNode r = server.execute(DockerServer.body("python", "import sys\nprint('hi from tls')\nsys.exit(3)", "", ""));

        assertEquals("hi from tls", r.path("stdout").asText());
        assertEquals(3, r.path("exitCode").asInt());
        assertTrue(r.path("resourceUsage").path("cpuMs").isNumber(),
                "the agent executor (the default) runs over the TLS engine's attach stream: " + r);
    }

    @Test
    void engineTrafficGoesThroughTheTlsFront() throws Exception {
        server.execute(DockerServer.body("bash", "echo through", "", ""));

        String log = Files.readString(dir.resolve("front.log"));
        assertTrue(log.contains("accepted connection from 127.0.0.1"), log);
        HttpResponse<String> health = server.send(HttpRequest.newBuilder(server.uri.resolve("/health")).GET(), null);
        assertEquals(200, health.statusCode(), health.body());
    }

    @Test
    void sessionSecondCallSeesTheFirstCallsFile() throws Exception {
        String id = "remote-" + UUID.randomUUID();
        JsonNode first = server.execute(session("open('/sandbox/state.txt','w').write('kept')\nprint(1)", id));
        JsonNode second = server.execute(session("print(open('/sandbox/state.txt').read())", id));

        assertEquals("1", first.path("stdout").asText());
        assertEquals("kept", second.path("stdout").asText());
        assertEquals(first.path("containerId").asText(), second.path("containerId").asText());
        assertEquals(200, deleteSession(id).statusCode());
    }

    @Test
    void streamingDeliversOutputThenExit() throws Exception {
        HttpResponse<String> r = server.post("/execute/stream",
                DockerServer.body("python", "print('one', flush=True)\nprint('two')", "", ""));

        assertEquals(200, r.statusCode());
        StringBuilder stdout = new StringBuilder();
        for (String frame : r.body().split("\n\n")) {
            JsonNode event = DockerServer.JSON.readTree(frame.substring("data: ".length()));
            if (event.get("type").asText().equals("stdout")) {
                stdout.append(event.get("data").asText());
            }
        }
        assertEquals("one\ntwo\n", stdout.toString());
        assertTrue(r.body().endsWith("data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n"), r.body());
    }

    @Test
    void fileUploadAndDownloadRoundTrip() throws Exception {
        String id = "remote-" + UUID.randomUUID();
        server.execute(session("print('ready')", id));
        String b64 = Base64.getEncoder().encodeToString("over tls\n".getBytes(StandardCharsets.UTF_8));

        HttpResponse<String> up = server.post("/file", DockerServer.JSON.createObjectNode().put("sessionId", id)
                .put("path", "/sandbox/in.txt").put("content", b64).toString());
        JsonNode seen = server.execute(session("print(open('/sandbox/in.txt').read(), end='')", id));
        HttpResponse<String> down = server.send(HttpRequest.newBuilder(server.uri.resolve("/file?sessionId="
                + URLEncoder.encode(id, StandardCharsets.UTF_8) + "&path=%2Fsandbox%2Fin.txt")).GET(), DockerServer.KEY);

        assertEquals(200, up.statusCode(), up.body());
        assertEquals("over tls", seen.path("stdout").asText().strip());
        assertEquals(200, down.statusCode(), down.body());
        assertEquals("{\"content\":\"" + b64 + "\"}", down.body());
        assertEquals(200, deleteSession(id).statusCode());
    }

    @Test
    void timeoutIs137AndTimedOut() throws Exception {
        JsonNode r = server.execute(DockerServer.body("bash", "echo start; sleep 30", "\"timeoutMs\":1000", ""));

        assertEquals(137, r.path("exitCode").asInt());
        assertTrue(r.path("timedOut").asBoolean());
        assertEquals("start", r.path("stdout").asText());
    }

    @Test
    void engineCaThatDidNotSignTheServerIsAStartupError() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> DockerServer.start(config(docker(host, dir.resolve("wrong-ca"), false))));

        assertTrue(e.getMessage().startsWith("Docker engine " + host + " (from docker.host) failed the TLS connection "
                + "with the certificates of docker.tls.certPath = " + dir.resolve("wrong-ca") + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("certification path") || e.getMessage().contains("PKIX"), e.getMessage());
    }

    @Test
    void clientCertificateTheEngineDoesNotTrustIsAStartupError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> DockerServer.start(config(docker(host, dir.resolve("untrusted-client"), false))));

        assertTrue(e.getMessage().startsWith("Docker engine " + host + " (from docker.host) failed the TLS connection "
                + "with the certificates of docker.tls.certPath = " + dir.resolve("untrusted-client") + ": "),
                e.getMessage());
    }

    @Test
    void missingClientCertificateIsAConfigurationError() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("no-client-cert"));
        Files.copy(dir.resolve("ca.pem"), certs.resolve("ca.pem"));
        Path file = Files.writeString(dir.resolve("no-client-cert.yaml"),
                "docker:\n  host: " + host + "\n  tls:\n    certPath: " + certs + "\n");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Optional.of(file)));

        assertEquals(List.of("Invalid configuration (" + file + "): docker.tls.certPath = \"" + certs + "\" (expected "
                + "empty or the absolute path of a readable folder with ca.pem, cert.pem, key.pem)"), e.problems());
    }

    @Test
    void tcpWithoutTlsIsRefusedByConfigValidation() throws Exception {
        Path file = Files.writeString(dir.resolve("insecure.yaml"), "docker:\n  host: " + host + "\n");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Optional.of(file)));

        assertEquals(List.of("Invalid configuration (" + file + "): docker.host = \"" + host + "\" (expected TLS for a "
                + "tcp:// engine: set docker.tls.certPath, or docker.allowInsecure: true to use it without TLS)"),
                e.problems());
    }

    private static Isol8Config.Docker docker(String host, Path certs, boolean allowInsecure) {
        return new Isol8Config.Docker(host, certs.toString(), allowInsecure);
    }

    /** Built-in defaults without a warm pool, on {@code docker}. */
    private static Isol8Config config(Isol8Config.Docker docker) {
        Isol8Config b = Isol8Config.builtIn();
        return new Isol8Config(b.port(), b.instanceId(), b.maxConcurrent(), b.maxQueued(), b.queueTimeoutMs(),
                b.defaults(), b.limits(), b.cleanup(), new Isol8Config.Pool(false, Map.of()), b.images(), docker,
                b.auth(), b.source());
    }

    private static String session(String code, String id) {
        ObjectNode body = DockerServer.JSON.createObjectNode();
        body.putObject("request").put("runtime", "python").put("code", code);
        return body.put("sessionId", id).toString();
    }

    private static HttpResponse<String> deleteSession(String id) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri.resolve("/session/" + id)).DELETE(), DockerServer.KEY);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!front.isAlive()) {
                fail("stunnel ended: " + Files.readString(dir.resolve("front.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.onSpinWait();
            }
        }
        fail("the TLS front did not listen on 127.0.0.1:" + port + " within 10 s");
    }

    /** Certificates made with the openssl command line. */
    private record Pki(Path dir) {
        void ca(String name) throws Exception {
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=isol8 test " + name,
                    "-keyout", dir.resolve(name + "-key.pem").toString(), "-out", dir.resolve(name + ".pem").toString());
        }

        /** A certificate signed by {@code ca}; the server's names IP 127.0.0.1. */
        void leaf(String name, String ca, String usage) throws Exception {
            Path ext = Files.writeString(dir.resolve(name + ".ext"),
                    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=" + usage + "\n");
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
                    "-keyout", dir.resolve(name + "-key.pem").toString(), "-out", dir.resolve(name + ".csr").toString());
            openssl("x509", "-req", "-days", "2", "-in", dir.resolve(name + ".csr").toString(),
                    "-CA", dir.resolve(ca + ".pem").toString(), "-CAkey", dir.resolve(ca + "-key.pem").toString(),
                    "-CAcreateserial", "-extfile", ext.toString(), "-out", dir.resolve(name + "-cert.pem").toString());
        }

        /** A folder as docker.tls.certPath wants it: ca.pem, cert.pem, key.pem. */
        void folder(String name, String ca, String client) throws IOException {
            Path folder = Files.createDirectories(dir.resolve(name));
            Files.copy(dir.resolve(ca + ".pem"), folder.resolve("ca.pem"));
            Files.copy(dir.resolve(client + "-cert.pem"), folder.resolve("cert.pem"));
            Files.copy(dir.resolve(client + "-key.pem"), folder.resolve("key.pem"));
        }

        private static void openssl(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail(String.join(" ", cmd) + " failed: " + out);
            }
        }
    }
}
