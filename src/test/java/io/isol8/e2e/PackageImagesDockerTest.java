package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.cli.Main;
import io.isol8.config.Isol8Config;
import io.isol8.testing.DockerRequired;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Package images end to end: {@code isol8 build} (the CLI's own code path) makes bun and deno images with a real
 * npm package; the server runs a request whose {@code installPackages} they hold in them, without an install phase
 * (with network {@code none}, where an install could not work), and refuses one with a package more;
 * {@code isol8 images} lists them and {@code isol8 cleanup --images} removes them.
 *
 * <p>Needs the npm registry (through {@code packages.caFile} = the host's CA bundle where the host has one).
 * {@code cleanup --images} removes every package image of the engine, as it does for users.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PackageImagesDockerTest {
    private static final String BUN_TAG = "isol8-test-pkg:bun";
    private static final String DENO_TAG = "isol8-test-pkg:deno";
    private static final Path HOST_CA = Path.of("/etc/ssl/certs/ca-certificates.crt");
    private static Path configFile;
    private static DockerServer server;

    @BeforeAll
    static void buildAndStart() throws Exception {
        DockerRequired.check();
        configFile = Files.createTempFile("isol8-packages", ".yaml");
        Files.writeString(configFile, Files.isReadable(HOST_CA) ? "packages:\n  caFile: " + HOST_CA + "\n" : "");
        assertEquals(0, cli("build", "--runtime", "bun", "--install", "is-number@7.0.0", "--tag", BUN_TAG).code,
                "isol8 build (bun)");
        assertEquals(0, cli("build", "--runtime", "deno", "--install", "npm:is-number@7.0.0", "--tag", DENO_TAG).code,
                "isol8 build (deno)");
        Isol8Config c = Isol8Config.builtIn();
        // no warm pool: every request below creates its container, so their times compare
        server = DockerServer.start(new Isol8Config(c.port(), "", c.maxConcurrent(), c.maxQueued(),
                c.queueTimeoutMs(), c.defaults(), c.limits(), c.cleanup(), new Isol8Config.Pool(false, Map.of()),
                c.images(), c.docker(), c.auth(), c.source()));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            DockerServer.docker("image", "rm", "-f", BUN_TAG, DENO_TAG);
            if (configFile != null) {
                Files.deleteIfExists(configFile);
            }
        }
    }

    private record Run(int code, String out, String err) { }

    private static Run cli(String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--config", configFile.toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv.toArray(String[]::new), Map.of("HOME", System.getProperty("user.home")),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String bun(String code, String packages) throws Exception {
        return DockerServer.body("bun", code, packages.isEmpty() ? "" : "\"installPackages\":" + packages, "");
    }

    @Test
    @Order(1)
    void aRebuildOfTheSameImageIsUpToDate() {
        Run again = cli("build", "--runtime", "bun", "--install", "is-number@7.0.0", "--tag", BUN_TAG);

        assertEquals(0, again.code);
        assertEquals(BUN_TAG + " up to date\n", again.out);
    }

    @Test
    @Order(2)
    void aRequestWhosePackagesTheImageHoldsRunsInItWithoutInstall() throws Exception {
        // network none: an install phase would be refused or fail, so success means the package image ran it
        JsonNode r = server.execute(bun("import isNumber from \"is-number\";\nconsole.log(isNumber(5), isNumber(\"x\"))",
                "[\"is-number\"]"));

        assertEquals(0, r.path("exitCode").asInt(), r.toString());
        assertEquals("true false", r.path("stdout").asText());
    }

    @Test
    @Order(2)
    void requireFindsThePackagesToo() throws Exception {
        JsonNode r = server.execute(DockerServer.body("bun", "console.log(require(\"is-number\")(7))",
                "\"installPackages\":[\"is-number@7.0.0\"]", ""));

        assertEquals("true", r.path("stdout").asText(), r.toString());
    }

    @Test
    @Order(2)
    void denoRunsWithTheImagesReadOnlyModuleCache() throws Exception {
        JsonNode r = server.execute(DockerServer.body("deno",
                "import isNumber from \"npm:is-number\";\nconsole.log(isNumber(5))", "\"installPackages\":[\"npm:is-number\"]", ""));

        assertEquals(0, r.path("exitCode").asInt(), r.toString());
        assertEquals("true", r.path("stdout").asText());
    }

    @Test
    @Order(2)
    void theRequestThatCreatesASessionGetsThePackageImage() throws Exception {
        JsonNode r = server.execute("{\"sessionId\":\"pkg-session\",\"request\":{\"runtime\":\"bun\",\"code\":"
                + DockerServer.JSON.writeValueAsString("import n from \"is-number\"; console.log(n(1))")
                + ",\"installPackages\":[\"is-number\"]}}");

        assertEquals("true", r.path("stdout").asText(), r.toString());
        JsonNode next = server.execute("{\"sessionId\":\"pkg-session\",\"request\":{\"runtime\":\"bun\",\"code\":"
                + DockerServer.JSON.writeValueAsString("import n from \"is-number\"; console.log(n(\"a\"))") + "}}");
        assertEquals("false", next.path("stdout").asText(), next.toString());
    }

    @Test
    @Order(2)
    void aRequestWithOneMorePackageIsNotServedByIt() throws Exception {
        var response = server.post("/execute", bun("console.log(1)", "[\"is-number\",\"is-odd\"]"));

        assertEquals(400, response.statusCode(), response.body());
        assertTrue(response.body().contains("network"), response.body());
    }

    @Test
    @Order(2)
    void itIsAboutAsFastAsTheSameCodeWithoutPackages() throws Exception {
        String code = "console.log(2 + 2)";
        server.execute(bun(code, ""));
        server.execute(bun(code, "[\"is-number\"]"));
        long plain = medianMillis(bun(code, ""));
        long packaged = medianMillis(bun(code, "[\"is-number\"]"));

        assertTrue(packaged < 2 * plain, "with packages " + packaged + " ms, without " + plain + " ms");
    }

    private static long medianMillis(String body) throws Exception {
        long[] times = new long[5];
        for (int i = 0; i < times.length; i++) {
            long start = System.nanoTime();
            JsonNode r = server.execute(body);
            times[i] = (System.nanoTime() - start) / 1_000_000;
            assertEquals("4", r.path("stdout").asText(), r.toString());
        }
        java.util.Arrays.sort(times);
        return times[times.length / 2];
    }

    @Test
    @Order(3)
    void poolImagesKeepsAPackageImageWarmForMatchingRequests() throws Exception {
        Isol8Config c = Isol8Config.builtIn();
        try (DockerServer pooled = DockerServer.start(new Isol8Config(c.port(), "", c.maxConcurrent(), c.maxQueued(),
                c.queueTimeoutMs(), c.defaults(), c.limits(), c.cleanup(),
                new Isol8Config.Pool(true, Map.of(), Map.of(BUN_TAG, 1)), c.images(), c.docker(), c.auth(),
                c.source()))) {
            String[] warm = new String[1];
            io.isol8.testing.Await.until(java.time.Duration.ofSeconds(60), "a warm container of " + BUN_TAG, () -> {
                warm[0] = DockerServer.docker("ps", "-q", "--no-trunc", "--filter", "label=io.isol8.instance="
                        + pooled.instanceId, "--filter", "label=io.isol8.kind=warm", "--filter", "ancestor=" + BUN_TAG);
                return !warm[0].isEmpty();
            });

            JsonNode r = pooled.execute(bun("import isNumber from \"is-number\";\nconsole.log(isNumber(5))",
                    "[\"is-number\"]"));

            assertEquals("true", r.path("stdout").asText(), r.toString());
            assertEquals(warm[0], r.path("containerId").asText(), "the request ran in the warm container");
            JsonNode plain = pooled.execute(bun("console.log(1)", ""));
            assertTrue(!plain.path("containerId").asText().equals(warm[0]), "a request without packages is not "
                    + "handed a package image's container");
        }
    }

    @Test
    @Order(3)
    void setupBuildsThePrebuiltImagesOfItsConfiguration() throws Exception {
        String tag = "isol8-test-pkg:prebuilt";
        Path config = Files.createTempFile("isol8-prebuilt", ".yaml");
        try {
            Files.writeString(config, Files.readString(configFile) + "images:\n  prebuilt:\n    - runtime: bun\n"
                    + "      packages: [is-number@7.0.0, is-odd@3.0.1]\n      tag: " + tag + "\n");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = Main.run(new String[] {"setup", "--runtimes", "bun", "--base", "isol8-rootfs:bookworm",
                            "--config", config.toString()}, Map.of("HOME", System.getProperty("user.home")),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

            assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
            assertEquals("isol8:base up to date\nisol8:bun up to date\n" + tag + " built\n",
                    out.toString(StandardCharsets.UTF_8));
            assertTrue(DockerServer.docker("image", "inspect", "--format",
                    "{{index .Config.Labels \"io.isol8.packages\"}}", tag).equals("is-number@7.0.0,is-odd@3.0.1"));
        } finally {
            DockerServer.docker("image", "rm", "-f", tag);
            Files.deleteIfExists(config);
        }
    }

    @Test
    @Order(3)
    void imagesListsThem() {
        Run images = cli("images");

        assertEquals(0, images.code, images.err);
        assertTrue(images.out.lines().anyMatch(l -> l.startsWith(BUN_TAG + " ") && l.contains(" bun ")
                && l.endsWith("is-number@7.0.0")), images.out);
        assertTrue(images.out.lines().anyMatch(l -> l.startsWith(DENO_TAG + " ") && l.endsWith("npm:is-number@7.0.0")),
                images.out);
    }

    @Test
    @Order(4)
    void cleanupImagesRemovesThemAndNoRuntimeImage() throws Exception {
        server.close();
        server = null;

        Run cleanup = cli("cleanup", "--images");

        assertEquals(0, cleanup.code, cleanup.err);
        assertTrue(cleanup.out.startsWith("removed "), cleanup.out);
        assertTrue(DockerServer.docker("image", "inspect", BUN_TAG).contains("No such image"));
        assertTrue(DockerServer.docker("image", "inspect", DENO_TAG).contains("No such image"));
        assertTrue(DockerServer.docker("image", "inspect", "--format", "{{.Id}}", "isol8:bun").startsWith("sha256:"));
    }
}
