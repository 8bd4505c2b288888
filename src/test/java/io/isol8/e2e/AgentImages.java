package io.isol8.e2e;

import io.isol8.config.Isol8Config;
import io.isol8.core.Language;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runtime images that carry the agent, for the agent executor's tests: an image built by {@code isol8 setup} with
 * the agent (label {@code io.isol8.agent=2}, the protocol version) is used as it is; an older one gets a thin test layer with the agent
 * binary of this checkout ({@code agent/build/isol8-agent}, or {@code -Disol8.it.agentBinary=PATH}), tagged
 * {@code isol8-agent-test:<runtime>}. {@code -Disol8.it.forceAgent=NAME} layers the checkout's agent over every image, as
 * {@code NAME:<runtime>}, to test an agent change before the images are rebuilt.
 */
final class AgentImages {
    private static final Map<String, String> BUILT = new ConcurrentHashMap<>();

    private AgentImages() {
    }

    static Isol8Config.Images of(Isol8Config.Images images) throws Exception {
        Map<Language, String> byRuntime = new EnumMap<>(Language.class);
        for (Language r : Language.values()) {
            byRuntime.put(r, withAgent(images.of(r), r.wireName()));
        }
        return new Isol8Config.Images(images.base(), byRuntime);
    }

    private static String withAgent(String image, String runtime) throws Exception {
        String label = DockerServer.docker("image", "inspect", "--format", "{{index .Config.Labels \"io.isol8.agent\"}}",
                image);
        String forced = System.getProperty("isol8.it.forceAgent", "");
        if (forced.isEmpty() && label.equals("2") || label.contains("No such image")) {
            return image;
        }
        String prior = BUILT.get(image);
        if (prior != null) {
            return prior;
        }
        Path binary = Path.of(System.getProperty("isol8.it.agentBinary", "agent/build/isol8-agent"));
        if (!Files.isRegularFile(binary)) {
            fail(image + " has no agent and " + binary.toAbsolutePath() + " does not exist: build the agent first");
        }
        Path dir = Files.createTempDirectory("isol8-agent-image");
        try {
            Files.copy(binary, dir.resolve("isol8-agent"), StandardCopyOption.REPLACE_EXISTING);
            // the classic builder has no COPY --chmod: the context file carries the mode
            Files.setPosixFilePermissions(dir.resolve("isol8-agent"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(dir.resolve("Dockerfile"), "FROM " + image + "\n"
                    + "COPY isol8-agent /usr/local/bin/isol8-agent\n"
                    + "LABEL io.isol8.agent=2\n");
            String tag = (forced.isEmpty() ? "isol8-agent-test" : forced) + ":" + runtime;
            String out = DockerServer.docker("build", "-q", "-t", tag, dir.toString());
            if (!out.contains("sha256:")) {
                fail("could not build " + tag + ": " + out);
            }
            BUILT.put(image, tag);
            return tag;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
