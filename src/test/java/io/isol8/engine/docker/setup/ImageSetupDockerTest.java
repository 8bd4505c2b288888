package io.isol8.engine.docker.setup;

import io.isol8.testing.DockerRequired;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code isol8 setup} against the real engine and the images made by {@code docker/build-offline.sh}. Skips
 * when no engine answers, unless {@code -Disol8.it.requireDocker=true}, where it fails.
 */
class ImageSetupDockerTest {
    private static final String ROOTFS = OfflineRootfs.IMAGE;
    private static DockerClient docker;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void connect() {
        DockerRequired.check();
        docker = ImageSetup.connect(Isol8Config.builtIn());
    }

    @AfterAll
    static void close() throws IOException {
        if (docker != null) {
            docker.close();
        }
    }

    @AfterEach
    void noSmokeContainerRemains() {
        if (docker != null) {
            List<Container> left = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(SmokeTest.LABEL, SmokeTest.LABEL_VALUE)).exec();
            assertEquals(List.of(), left.stream().map(Container::getId).toList(), "smoke containers left behind");
        }
    }

    @Test
    void existingImagesAreUpToDate() {
        ImageStore images = images();
        requireImages(images, ROOTFS, ImageSetup.BASE_TAG, "isol8:bash");
        BuildFiles files = BuildFiles.load();
        // the Java hash of the existing images equals the label build-offline.sh gave them
        String baseLabel = images.label(ImageSetup.BASE_TAG, ImageSetup.LABEL_HASH).orElseThrow();
        assertEquals(baseLabel, ImageSetup.baseHash(files, images.id(ROOTFS).orElseThrow(), AgentBinary.locate()),
                "isol8:base hash; rebuild the images with docker/build-offline.sh if docker/ changed");
        assertEquals(images.label("isol8:bash", ImageSetup.LABEL_HASH).orElseThrow(),
                ImageSetup.runtimeHash(files, Language.BASH, baseLabel, Optional.empty()));

        String baseId = images.id(ImageSetup.BASE_TAG).orElseThrow();
        String bashId = images.id("isol8:bash").orElseThrow();
        int code = setup(Isol8Config.builtIn()).run(options(List.of(Language.BASH), false), print(out), print(err));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertEquals("isol8:base up to date\nisol8:bash up to date\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(baseId, images.id(ImageSetup.BASE_TAG).orElseThrow());
        assertEquals(bashId, images.id("isol8:bash").orElseThrow());
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("building"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutItsBaseSetupFailsAsSpecifiedAndOfflineAcceptsTheOfflineBuildsImages() {
        ImageStore images = images();
        requireImages(images, ROOTFS, ImageSetup.BASE_TAG, "isol8:bash");
        Isol8Config c = Isol8Config.builtIn();
        // a base that cannot be pulled, from a registry on this machine that refuses at once
        Isol8Config config = new Isol8Config(c.port(), c.instanceId(), c.maxConcurrent(), c.maxQueued(),
                c.queueTimeoutMs(), c.defaults(), c.limits(), c.cleanup(), c.pool(),
                new Isol8Config.Images("localhost:1/isol8-test-absent:base", c.images().byRuntime()), c.docker(),
                c.auth(), c.source());
        SetupOptions noBase = new SetupOptions(List.of(Language.BASH), Optional.empty(), false, Optional.empty(),
                SetupOptions.DEFAULT_ROOTFS_DIR, Optional.empty(), Optional.empty(), false);

        assertEquals(1, setup(config).run(noBase, print(out), print(err)));
        assertEquals("isol8:base failed\nisol8:bash failed\n", out.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Base image localhost:1/isol8-test-absent:base is "
                + "not available and cannot be pulled. Use --offline on machines without a registry."),
                err.toString(StandardCharsets.UTF_8));

        // --offline reuses the offline build's rootfs and import: everything it made is up to date
        out.reset();
        err.reset();
        SetupOptions offline = new SetupOptions(List.of(Language.BASH), Optional.empty(), true, Optional.empty(),
                SetupOptions.DEFAULT_ROOTFS_DIR, Optional.empty(), Optional.empty(), false);
        assertEquals(0, setup(config).run(offline, print(out), print(err)), err.toString(StandardCharsets.UTF_8));
        assertEquals("isol8:base up to date\nisol8:bash up to date\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void forcedBuildIntoAThrowawayTagWorks() {
        ImageStore images = images();
        requireImages(images, ROOTFS, ImageSetup.BASE_TAG);
        String tag = "isol8-test:bash-" + UUID.randomUUID().toString().substring(0, 8);
        Isol8Config config = withBashImage(tag);
        try {
            // --force for the runtime image only: the shared isol8:base stays as it is
            int code = setup(config).run(options(List.of(Language.BASH), true), false, print(out), print(err));
            assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
            assertEquals("isol8:base up to date\n" + tag + " built\n", out.toString(StandardCharsets.UTF_8));
            String baseLabel = images.label(ImageSetup.BASE_TAG, ImageSetup.LABEL_HASH).orElseThrow();
            assertEquals(ImageSetup.runtimeHash(BuildFiles.load(), Language.BASH, baseLabel, Optional.empty()),
                    images.label(tag, ImageSetup.LABEL_HASH).orElseThrow());
            assertEquals("bash", images.label(tag, ImageSetup.LABEL_IMAGE).orElseThrow());
            assertEquals("9.9.9-test", images.label(tag, ImageSetup.LABEL_VERSION).orElseThrow());

            // the new image is now up to date, and still passes its smoke test
            out.reset();
            code = setup(config).run(options(List.of(Language.BASH), false), print(out), print(err));
            assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
            assertEquals("isol8:base up to date\n" + tag + " up to date\n", out.toString(StandardCharsets.UTF_8));
        } finally {
            if (images.id(tag).isPresent()) {
                docker.removeImageCmd(tag).exec();
            }
        }
        assertTrue(images.id(tag).isEmpty());
    }

    @Test
    void smokeTestOfAMissingImageFailsCleanly() {
        SmokeTest.Result r = new SmokeTest(docker, Isol8Config.builtIn().defaults(), "test")
                .run("isol8-test:missing-" + UUID.randomUUID().toString().substring(0, 8), "bash");
        assertFalse(r.ok());
    }

    @Test
    void importLabelsTheImageLikeDockerImportChange() throws Exception {
        Path dir = Files.createTempDirectory("isol8-rootfs-test");
        Path work = Files.createTempDirectory("isol8-setup-test");
        String image = "isol8-test:rootfs-" + UUID.randomUUID().toString().substring(0, 8);
        ImageStore images = new ImageStore(docker, work, print(err));
        try {
            Files.writeString(dir.resolve("hello.txt"), "hi\n");
            Files.writeString(dir.resolve(OfflineRootfs.MARKER), OfflineRootfs.WANT + "\n");
            new OfflineRootfs(docker, images, print(err)).importDirectory(dir, image, "abc123", work);
            assertEquals(Optional.of("abc123"), images.label(image, OfflineRootfs.LABEL));
        } finally {
            if (images.id(image).isPresent()) {
                docker.removeImageCmd(image).exec();
            }
            for (Path p : List.of(dir.resolve("hello.txt"), dir.resolve(OfflineRootfs.MARKER), dir,
                    work.resolve("tar.log"), work)) {
                Files.deleteIfExists(p);
            }
        }
    }

    private ImageSetup setup(Isol8Config config) {
        return new ImageSetup(docker, config, "9.9.9-test");
    }

    private ImageStore images() {
        return new ImageStore(docker, Path.of(System.getProperty("java.io.tmpdir")), print(err));
    }

    private static SetupOptions options(List<Language> runtimes, boolean force) {
        return new SetupOptions(runtimes, Optional.of(ROOTFS), false, Optional.empty(),
                SetupOptions.DEFAULT_ROOTFS_DIR, Optional.empty(), Optional.empty(), force);
    }

    private static Isol8Config withBashImage(String tag) {
        Isol8Config c = Isol8Config.builtIn();
        Map<Language, String> byRuntime = new EnumMap<>(c.images().byRuntime());
        byRuntime.put(Language.BASH, tag);
        return new Isol8Config(c.port(), c.instanceId(), c.maxConcurrent(), c.maxQueued(), c.queueTimeoutMs(),
                c.defaults(), c.limits(), c.cleanup(), c.pool(), new Isol8Config.Images(c.images().base(), byRuntime),
                c.docker(), c.auth(), c.source());
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static void requireImages(ImageStore images, String... names) {
        for (String name : names) {
            boolean present = images.id(name).isPresent();
            if (!present && DockerRequired.mandatory()) {
                fail(name + " is missing; build the images with docker/build-offline.sh first");
            }
            assumeTrue(present, name + " is missing; build the images with docker/build-offline.sh");
        }
    }
}
