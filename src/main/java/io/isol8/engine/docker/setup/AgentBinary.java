package io.isol8.engine.docker.setup;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The static in-container agent ({@code agent/}, docs/agent-protocol.md) that {@code isol8:base} carries at
 * {@code /usr/local/bin/isol8-agent}; its SHA-256 enters the base image's build hash as the line
 * {@code "agent <sha256>"}.
 *
 * <p>Looked up in this order: the file named by the system property {@code isol8.agent.binary};
 * {@code <home>/lib/isol8-agent} of the runtime image the application jar ({@code <home>/app/isol8.jar}) runs
 * from; {@code target/agent/isol8-agent} (Maven build) and {@code agent/build/isol8-agent}
 * ({@code make -C agent}, {@code docker/build-offline.sh}) under the working directory (a checkout).
 */
final class AgentBinary {
    /** The name in the build context, and in {@code <home>/lib}. */
    static final String NAME = "isol8-agent";
    static final String PROPERTY = "isol8.agent.binary";

    private AgentBinary() {
    }

    /**
     * The agent binary.
     *
     * @throws SetupException none of the places holds a readable file (the message names them)
     */
    static Path locate() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            Path p = Path.of(property);
            if (usable(p)) {
                return p;
            }
            throw new SetupException(PROPERTY + "=" + property + " is not a readable file");
        }
        List<Path> candidates = candidates(applicationHome(), Path.of("").toAbsolutePath());
        return candidates.stream().filter(AgentBinary::usable).findFirst().orElseThrow(() -> new SetupException(
                "the agent binary " + NAME + " is missing (looked for " + candidates + "); build it with"
                        + " 'make -C agent' or 'mvn package', or set -D" + PROPERTY + "=PATH"));
    }

    /** The places looked at, best first, for an application home (if any) and a working directory. */
    static List<Path> candidates(Optional<Path> home, Path workingDir) {
        List<Path> list = new ArrayList<>();
        home.ifPresent(h -> list.add(h.resolve("lib").resolve(NAME)));
        list.add(workingDir.resolve("target/agent").resolve(NAME));
        list.add(workingDir.resolve("agent/build").resolve(NAME));
        return list;
    }

    /** {@code <home>} when the classes come from {@code <home>/app/<jar>}. */
    private static Optional<Path> applicationHome() {
        try {
            CodeSource source = AgentBinary.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return Optional.empty();
            }
            Path jar = Path.of(source.getLocation().toURI());
            Path app = jar.getParent();
            if (!Files.isRegularFile(jar) || app == null || app.getParent() == null
                    || !app.getFileName().toString().equals("app")) {
                return Optional.empty();
            }
            return Optional.of(app.getParent());
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean usable(Path p) {
        return Files.isRegularFile(p) && Files.isReadable(p);
    }
}
