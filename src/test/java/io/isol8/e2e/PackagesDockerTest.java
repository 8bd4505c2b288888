package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.core.Network;
import io.isol8.engine.egress.Dialer;
import io.isol8.engine.egress.Resolver;
import io.isol8.testing.Await;
import io.isol8.testing.DockerRequired;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static io.isol8.e2e.DockerServer.body;
import static io.isol8.e2e.DockerServer.docker;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Package installs with real installers on the filtered network: node, bun and deno fetch a small package from the
 * npm registry through the egress proxy, which opens the registry to the install phase only (the owner's
 * {@code limits.allowedHosts} opens nothing else); python installs from a local PEP 503 index (a container serving a
 * wheel this test builds) configured as {@code packages.python.indexUrl}. The proxy's dialer connects only to the
 * registry's addresses and the index; any other address is recorded and refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PackagesDockerTest {
    private static final String LABEL = "io.isol8.test=packages";
    private static final String REGISTRY = "registry.npmjs.org";
    /** npm for the node image (Debian's nodejs 18 without npm): a release that runs on node 18.17+. */
    private static final String NPM = "npm@10.9.2";
    private static final Path HOST_CA = Path.of("/etc/ssl/certs/ca-certificates.crt");

    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String indexName = "isol8-test-pyindex-" + suffix;
    private final String nodeImage = "isol8-test-node-npm:" + suffix;
    private final String pythonPackages = "isol8-test-pkg-python:" + suffix;
    private final String nodePackages = "isol8-test-pkg-node:" + suffix;
    private Path configFile;
    private final List<InetSocketAddress> refused = new CopyOnWriteArrayList<>();
    private Path work;
    private DockerServer server;

    @BeforeAll
    void start() throws Exception {
        DockerRequired.check();
        work = Files.createTempDirectory("isol8-packages-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        String indexIp = startIndex();
        buildNodeImageWithNpm();
        Set<InetAddress> registry = Set.of(InetAddress.getAllByName(REGISTRY));
        InetAddress index = InetAddress.getByName(indexIp);
        Dialer dialer = DockerServer.dialOnly(a -> registry.contains(a) || a.equals(index), refused);
        Isol8Config b = Isol8Config.builtIn();
        Isol8Config.Limits l = b.limits();
        Isol8Config.Limits limits = new Isol8Config.Limits(l.timeoutMs(), l.memoryLimit(), l.cpuLimit(),
                l.sandboxSize(), l.tmpSize(), l.pidsLimit(), l.maxOutputSize(), Set.of(Network.NONE, Network.FILTERED),
                l.allowWritableRootFs(), List.of(), l.maxRequestBytes(), l.maxFileBytes(), l.maxSessions(),
                l.maxSessionQueue(), List.of("^nothing\\.invalid$"));
        // where the registry sits at an address the proxy refuses by default (a TLS-inspecting site), allow it
        List<String> allowPrivate = registry.stream().map(a -> a.getHostAddress() + "/32").toList();
        Isol8Config.Packages packages = new Isol8Config.Packages(Isol8Config.Packages.BUILT_IN.registries(),
                "http://" + indexIp + ":8080/simple/", "", "", Files.isReadable(HOST_CA) ? HOST_CA.toString() : "");
        // the node runtime image is the one with npm, as a site installing node packages would configure it
        Map<Language, String> byRuntime = new java.util.EnumMap<>(b.images().byRuntime());
        byRuntime.put(Language.NODE, nodeImage);
        Isol8Config.Images images = new Isol8Config.Images(b.images().base(), byRuntime);
        configFile = work.resolve("isol8.yaml");
        Files.writeString(configFile, "images:\n  node: " + nodeImage + "\npackages:\n  python:\n    indexUrl: "
                + packages.pythonIndexUrl() + "\n" + (packages.caFile().isEmpty() ? "" : "  caFile: " + HOST_CA + "\n"));
        Isol8Config config = new Isol8Config(b.port(), b.instanceId(), b.maxConcurrent(), b.maxQueued(),
                b.queueTimeoutMs(), b.defaults(), limits, b.cleanup(), new Isol8Config.Pool(false, Map.of()),
                images, b.docker(), b.auth(), b.source(), b.engine(), b.quotas(), b.audit(),
                new Isol8Config.Egress(allowPrivate, 32, 1L << 30, 10_000, 60_000, 10_000, 1024), b.remoteCode(),
                packages);
        server = DockerServer.start(config, Resolver.SYSTEM, dialer);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            docker("rm", "-f", indexName);
            docker("rmi", "-f", pythonPackages, nodePackages, nodeImage);
            if (work != null) {
                try (var files = Files.walk(work)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        assertThat(docker("ps", "-aq", "--filter", "label=" + LABEL)).isEmpty();
        assertThat(refused).isEmpty();
    }

    @ParameterizedTest
    @Order(1)
    @ValueSource(strings = {"node", "bun", "deno"})
    void theInstallPhaseReachesTheNpmRegistryThroughTheProxyAndTheCodeDoesNot(String runtime) throws Exception {
        String code = switch (runtime) {
            // node's own https client ignores HTTPS_PROXY, and the filtered network has no other way out
            case "node" -> "const isNumber = require('is-number'); console.log(isNumber(5));";
            case "bun" -> """
                    const isNumber = require("is-number");
                    console.log(isNumber(5));
                    fetch("https://registry.npmjs.org/is-number").then(r => console.log("reached", r.status),
                        () => console.log("blocked"));
                    """;
            default -> """
                    import isNumber from "npm:is-number@7.0.0";
                    console.log(isNumber(5));
                    try {
                      const r = await fetch("https://registry.npmjs.org/is-number");
                      console.log("reached", r.status);
                    } catch {
                      console.log("blocked");
                    }
                    """;
        };
        String pkg = runtime.equals("deno") ? "npm:is-number@7.0.0" : "is-number@7.0.0";
        JsonNode r = server.execute(body(runtime, code, "\"installPackages\":[\"" + pkg + "\"],\"timeoutMs\":120000",
                "\"options\":{\"network\":\"filtered\",\"logNetwork\":true}"));
        assertThat(r.get("exitCode").asInt()).as(r.toString()).isZero();
        assertThat(r.get("stdout").asText()).isEqualTo(runtime.equals("node") ? "true" : "true\nblocked");
        assertThat(r.get("installMs").asLong()).isPositive();
        List<String> log = new ArrayList<>();
        r.get("networkLogs").forEach(e -> log.add(e.get("host").asText() + " " + e.get("action").asText()));
        assertThat(log).as(r.toString()).contains(REGISTRY + " ALLOW");
        if (!runtime.equals("node")) {
            assertThat(log.getLast()).isEqualTo(REGISTRY + " BLOCK");
        }
    }

    @Test
    @Order(1)
    void pythonInstallsFromTheConfiguredIndexWhichTheCodeCannotReach() throws Exception {
        String code = """
                import os, urllib.request
                import isol8_probe
                print(isol8_probe.VALUE)
                try:
                    urllib.request.urlopen(os.environ["PROBE_INDEX"], timeout=10)
                    print("reached")
                except Exception:
                    print("blocked")
                """;
        String index = indexUrl();
        JsonNode r = server.execute(body("python", code, "\"installPackages\":[\"isol8-probe==1.0\"],"
                + "\"env\":{\"PROBE_INDEX\":\"" + index + "\"}", "\"options\":{\"network\":\"filtered\"}"));
        assertThat(r.get("stderr").asText()).isEmpty();
        assertThat(r.get("stdout").asText()).isEqualTo("42\nblocked");
        assertThat(r.get("installMs").asLong()).isPositive();
    }

    @Test
    @Order(1)
    void aMissingPackageIsAResultWithTheInstallMarker() throws Exception {
        JsonNode r = server.execute(body("python", "print('never')", "\"installPackages\":[\"isol8-missing\"]",
                "\"options\":{\"network\":\"filtered\"}"));
        assertThat(r.get("exitCode").asInt()).isEqualTo(1);
        assertThat(r.get("durationMs").asInt()).isZero();
        assertThat(r.get("stdout").asText()).doesNotContain("never");
        assertThat(r.get("stderr").asText()).contains("isol8-missing")
                .endsWith("--- PACKAGE INSTALL FAILED (exit code 1) ---");
        assertThat(r.has("installMs")).isTrue();
    }

    @Test
    @Order(1)
    void theStreamMarksTheInstallWithCommentsOutsideTheEventGrammar() throws Exception {
        HttpResponse<String> r = server.post("/execute/stream", body("python", "import isol8_probe\n"
                + "print(isol8_probe.VALUE)", "\"installPackages\":[\"isol8-probe\"]", "\"options\":{\"network\":\"filtered\"}"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith(": install started\n\n: install ended exitCode=0 installMs=")
                .endsWith("\n\ndata: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n");
        StringBuilder stdout = new StringBuilder();
        for (String frame : r.body().split("\n\n")) {
            if (frame.startsWith("data: ")) {
                JsonNode event = DockerServer.JSON.readTree(frame.substring(6));
                if (event.get("type").asText().equals("stdout")) {
                    stdout.append(event.get("data").asText());
                }
            } else {
                assertThat(frame).startsWith(": install ");
            }
        }
        assertThat(stdout).hasToString("42\n");
    }

    /** After the installs above: package images of python (from the mirror) and node serve without network. */
    @Test
    @Order(2)
    void packageImagesBuiltFromTheMirrorAndTheRegistryServeRequestsWithoutAnInstall() throws Exception {
        assertThat(cli("build", "--runtime", "python", "--install", "isol8-probe==1.0", "--tag", pythonPackages))
                .isEqualTo(pythonPackages + " built");
        assertThat(cli("build", "--runtime", "node", "--install", "is-number@7.0.0", "--tag", nodePackages))
                .isEqualTo(nodePackages + " built");
        Map<String, String> requests = Map.of(
                "python", body("python", "import isol8_probe\nprint(isol8_probe.VALUE)",
                        "\"installPackages\":[\"isol8_probe\"]", ""),
                "node", body("node", "console.log(require('is-number')(5))",
                        "\"installPackages\":[\"is-number@7.0.0\"]", ""));
        for (var e : requests.entrySet()) {
            // network none: the request is refused until the server's listing (at most 10 s old) shows the image
            Await.until(Duration.ofSeconds(20), e.getKey() + " package image chosen",
                    () -> server.post("/execute", e.getValue()).statusCode() == 200);
            JsonNode r = server.execute(e.getValue());
            assertThat(r.get("stdout").asText()).as(r.toString()).isEqualTo(e.getKey().equals("python") ? "42" : "true");
            assertThat(r.has("installMs")).as("no install phase").isFalse();
        }
    }

    private String cli(String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--config", configFile.toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = io.isol8.cli.Main.run(argv.toArray(String[]::new), Map.of("HOME", System.getProperty("user.home")),
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8).trim();
    }

    private String indexUrl() throws Exception {
        return "http://" + docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                indexName) + ":8080/simple/";
    }

    // ---------------------------------------------------------------- fixtures

    /** A PEP 503 index with one wheel, served by python's http.server on Docker's default bridge; its address. */
    private String startIndex() throws Exception {
        byte[] wheel = wheel("isol8_probe", "1.0", Map.of("isol8_probe/__init__.py", "VALUE = 42\n"));
        String file = "isol8_probe-1.0-py3-none-any.whl";
        Path project = Files.createDirectories(work.resolve("srv/simple/isol8-probe"));
        Files.createDirectories(work.resolve("srv/files"));
        Files.write(work.resolve("srv/files").resolve(file), wheel);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wheel));
        Files.writeString(project.resolve("index.html"), "<!DOCTYPE html><html><body><a href=\"/files/" + file
                + "#sha256=" + sha + "\">" + file + "</a></body></html>\n");
        Files.writeString(work.resolve("srv/simple/index.html"),
                "<!DOCTYPE html><html><body><a href=\"/simple/isol8-probe/\">isol8-probe</a></body></html>\n");
        try (var paths = Files.walk(work)) {
            for (Path p : paths.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p)
                        ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        docker("run", "-d", "--label", LABEL, "--name", indexName, "--user", "1000", "--cap-drop", "ALL",
                "-v", work.resolve("srv") + ":/srv:ro", "isol8:python",
                "python3", "-m", "http.server", "8080", "--directory", "/srv");
        String ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", indexName);
        InetAddress address = InetAddress.getByName(ip);
        Await.until(Duration.ofSeconds(30), "the index answers", () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(address, 8080), 500);
                return true;
            }
        });
        return ip;
    }

    /** A pure-python wheel: the modules, METADATA, WHEEL and a RECORD with their hashes. */
    private static byte[] wheel(String name, String version, Map<String, String> modules) throws Exception {
        String info = name + "-" + version + ".dist-info/";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        modules.forEach((path, text) -> entries.put(path, text.getBytes(StandardCharsets.UTF_8)));
        entries.put(info + "METADATA", ("Metadata-Version: 2.1\nName: " + name.replace('_', '-') + "\nVersion: "
                + version + "\n").getBytes(StandardCharsets.UTF_8));
        entries.put(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: isol8-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .getBytes(StandardCharsets.UTF_8));
        StringBuilder record = new StringBuilder();
        for (var e : entries.entrySet()) {
            String hash = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(e.getValue()));
            record.append(e.getKey()).append(",sha256=").append(hash).append(',').append(e.getValue().length)
                    .append('\n');
        }
        record.append(info).append("RECORD,,\n");
        entries.put(info + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /**
     * The node runtime image with npm from the npm registry (the offline images leave npm out, sandbox.md §13.4), as
     * an operator would derive it and list it in {@code limits.allowedImages}.
     */
    private void buildNodeImageWithNpm() throws Exception {
        Path context = Files.createDirectories(work.resolve("node-npm"));
        run(context, "npm", "pack", "--silent", NPM);
        String tarball;
        try (var files = Files.list(context)) {
            tarball = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new AssertionError("npm pack " + NPM + " made no tarball"));
        }
        Files.writeString(context.resolve("Dockerfile"), """
                FROM %s
                ADD %s /usr/local/lib/
                RUN mkdir -p /usr/local/lib/node_modules && mv /usr/local/lib/package /usr/local/lib/node_modules/npm \\
                 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && npm --version
                """.formatted(Isol8Config.builtIn().images().of(Language.NODE), tarball));
        ProcessBuilder build = new ProcessBuilder("docker", "build", "-q", "-t", nodeImage, ".");
        build.environment().put("DOCKER_BUILDKIT", "0");
        run(build.directory(context.toFile()));
    }

    private static void run(Path dir, String... command) throws Exception {
        run(new ProcessBuilder(command).directory(dir.toFile()));
    }

    private static void run(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", pb.command()) + " failed: " + out);
        }
    }
}
