package io.isol8.engine.docker.setup;

import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unit tests of setup's pieces that need no Docker engine. */
class ImageSetupTest {

    @Test
    void buildHashSortsLinesBytewiseLikeTheScript() {
        // printf '%s\n' … | LC_ALL=C sort | sha256sum
        BuildHash h = new BuildHash()
                .line("versions.env", "0123")
                .line("base.Dockerfile", "abcd")
                .line("from", "sha256:ff")
                .line("base", "99")
                .line("bun", "77")
                .line("bun.Dockerfile", "55");
        assertEquals("base 99\nbase.Dockerfile abcd\nbun 77\nbun.Dockerfile 55\nfrom sha256:ff\nversions.env 0123\n",
                h.text());
        assertEquals("54fdf85254523b7526b2250ebfdf38122fe14a51d111d0606553a16028b256f2", h.hex());
    }

    @Test
    void contentLinesUseTheSha256OfTheBytes() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", BuildHash.sha256(new byte[0]));
        assertEquals("x e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
                new BuildHash().content("x", new byte[0]).text());
    }

    @Test
    void fileHashIsStreamed() throws Exception {
        Path f = Files.createTempFile("isol8-hash", ".bin");
        try {
            Files.write(f, "hello\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", BuildHash.sha256(f));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void baseHashCoversTheAgentBinaryLikeTheScript() throws Exception {
        BuildFiles files = BuildFiles.load();
        Path agent = Files.createTempFile("isol8-agent", ".bin");
        try {
            Files.write(agent, "hello\n".getBytes(StandardCharsets.UTF_8));
            // printf '%s\n' "base.Dockerfile …" "versions.env …" "from …" "agent …" | LC_ALL=C sort | sha256sum
            String expected = new BuildHash()
                    .content("base.Dockerfile", files.dockerfile("base"))
                    .content("versions.env", files.versionsEnv())
                    .line("from", "sha256:ff")
                    .line("agent", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
                    .hex();
            String first = ImageSetup.baseHash(files, "sha256:ff", agent);
            assertEquals(expected, first);
            Files.write(agent, "other\n".getBytes(StandardCharsets.UTF_8));
            assertNotEquals(first, ImageSetup.baseHash(files, "sha256:ff", agent), "a new agent rebuilds isol8:base");
        } finally {
            Files.delete(agent);
        }
    }

    @Test
    void agentBinaryIsLookedUpInTheImageThenTheCheckout() {
        assertEquals(List.of(Path.of("/opt/isol8/lib/isol8-agent"), Path.of("/src/target/agent/isol8-agent"),
                        Path.of("/src/agent/build/isol8-agent")),
                AgentBinary.candidates(Optional.of(Path.of("/opt/isol8")), Path.of("/src")));
        assertEquals(List.of(Path.of("/src/target/agent/isol8-agent"), Path.of("/src/agent/build/isol8-agent")),
                AgentBinary.candidates(Optional.empty(), Path.of("/src")));
    }

    @Test
    void aMissingAgentBinaryIsNamed() {
        String old = System.getProperty(AgentBinary.PROPERTY);
        System.setProperty(AgentBinary.PROPERTY, "/no/such/isol8-agent");
        try {
            SetupException e = assertThrows(SetupException.class, AgentBinary::locate);
            assertTrue(e.getMessage().contains("/no/such/isol8-agent"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(AgentBinary.PROPERTY);
            } else {
                System.setProperty(AgentBinary.PROPERTY, old);
            }
        }
    }

    @Test
    void buildFilesComeFromTheRepository() {
        BuildFiles files = BuildFiles.load();
        assertTrue(files.version("BUN_VERSION").matches("[0-9][0-9.]*"));
        assertTrue(new String(files.dockerfile("base"), StandardCharsets.UTF_8).contains("ARG BASE"));
        assertThrows(SetupException.class, () -> files.version("NO_SUCH_VERSION"));
    }

    @Test
    void runtimesParse() {
        assertEquals(List.of(Language.PYTHON, Language.BASH), SetupOptions.parseRuntimes("python, bash"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SetupOptions.parseRuntimes("python,ruby"));
        assertTrue(e.getMessage().startsWith("unknown runtime: ruby"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SetupOptions.parseRuntimes(" , "));
        SetupOptions o = SetupOptions.defaults().withRuntimes(List.of(Language.BASH, Language.BASH, Language.NODE));
        assertEquals(List.of(Language.BASH, Language.NODE), o.runtimes());
        assertEquals(Path.of("/var/tmp/isol8-rootfs"), o.rootfsDir());
        assertThrows(IllegalArgumentException.class, () -> new SetupOptions(List.of(Language.BASH), Optional.empty(),
                true, Optional.empty(), Path.of("/"), Optional.empty(), Optional.empty(), false));
        assertThrows(IllegalArgumentException.class, () -> new SetupOptions(List.of(Language.BASH), Optional.empty(),
                true, Optional.empty(), Path.of("rootfs"), Optional.empty(), Optional.empty(), false));
    }

    @Test
    void imageNamesSplit() {
        assertEquals(List.of("debian", "bookworm-slim"), List.of(ImageStore.split("debian:bookworm-slim")));
        assertEquals(List.of("registry:5000/a/b", "latest"), List.of(ImageStore.split("registry:5000/a/b")));
        assertEquals(List.of("registry:5000/a/b", "1"), List.of(ImageStore.split("registry:5000/a/b:1")));
        String[] digest = ImageStore.split("debian@sha256:00");
        assertEquals("debian@sha256:00", digest[0]);
        assertEquals(null, digest[1]);
    }

    @Test
    void helpExplainsWhenToUseOffline() {
        assertTrue(ImageSetup.HELP.contains("--offline"));
        assertTrue(ImageSetup.HELP.contains("air-gapped"));
        assertTrue(ImageSetup.HELP.contains("container registry"));
    }

    @Test
    void unreachableDockerEndsWithTheExactMessage() {
        Isol8Config base = Isol8Config.builtIn();
        String host = "unix:///nonexistent/isol8-setup-test.sock";
        Isol8Config config = new Isol8Config(base.port(), base.instanceId(), base.maxConcurrent(), base.maxQueued(),
                base.queueTimeoutMs(), base.defaults(), base.limits(), base.cleanup(), base.pool(), base.images(),
                new Isol8Config.Docker(host), base.auth(), base.source());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (var docker = ImageSetup.connect(config)) {
            int code = new ImageSetup(docker, config, "1.0.0").run(SetupOptions.defaults(),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, code);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertEquals("Docker engine is not reachable at " + host + ". Start dockerd or set docker.host.\n",
                err.toString(StandardCharsets.UTF_8));
    }
}
