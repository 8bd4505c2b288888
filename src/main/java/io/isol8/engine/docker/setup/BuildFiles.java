package io.isol8.engine.docker.setup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The build inputs of the repository's {@code docker/} folder: the six Dockerfiles and {@code versions.env}
 * (sandbox.md §13.2), byte for byte, because their SHA-256 enters the build hash.
 *
 * <p>Looked up in this order: the folder named by the system property {@code isol8.docker.dir}; the class
 * path resources {@code io/isol8/docker/*} (the Maven build copies {@code docker/} there); the folder
 * {@code docker/} of the working directory (a checkout).
 */
final class BuildFiles {
    static final String VERSIONS = "versions.env";
    static final List<String> IMAGES = List.of("base", "python", "node", "bun", "deno", "bash");
    private static final String RESOURCES = "/io/isol8/docker/";

    private final Map<String, byte[]> files;
    private final String source;

    private BuildFiles(Map<String, byte[]> files, String source) {
        this.files = files;
        this.source = source;
    }

    /** Loads the files from the first complete source. */
    static BuildFiles load() {
        String property = System.getProperty("isol8.docker.dir");
        if (property != null && !property.isBlank()) {
            return fromDirectory(Path.of(property)).orElseThrow(() -> new SetupException(
                    "isol8.docker.dir=" + property + " does not hold the Dockerfiles and versions.env"));
        }
        Optional<BuildFiles> found = fromResources();
        if (found.isEmpty()) {
            found = fromDirectory(Path.of("docker").toAbsolutePath());
        }
        return found.orElseThrow(() -> new SetupException("the image Dockerfiles are missing: not on the class path ("
                + RESOURCES.substring(1) + ") and no docker/ folder in " + Path.of("").toAbsolutePath()
                + "; run from the repository or set -Disol8.docker.dir=DIR"));
    }

    static Optional<BuildFiles> fromDirectory(Path dir) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : names()) {
            Path p = dir.resolve(name);
            if (!Files.isRegularFile(p)) {
                return Optional.empty();
            }
            try {
                files.put(name, Files.readAllBytes(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.of(new BuildFiles(files, dir.toString()));
    }

    private static Optional<BuildFiles> fromResources() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : names()) {
            try (InputStream in = BuildFiles.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    return Optional.empty();
                }
                files.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.of(new BuildFiles(files, "class path " + RESOURCES.substring(1)));
    }

    private static List<String> names() {
        return java.util.stream.Stream.concat(IMAGES.stream().map(BuildFiles::dockerfileName),
                java.util.stream.Stream.of(VERSIONS)).toList();
    }

    static String dockerfileName(String image) {
        return image + ".Dockerfile";
    }

    /** The Dockerfile of {@code image} (base, python, …). */
    byte[] dockerfile(String image) {
        return files.get(dockerfileName(image)).clone();
    }

    byte[] versionsEnv() {
        return files.get(VERSIONS).clone();
    }

    /** A {@code KEY=VALUE} of versions.env (comments, blank lines, {@code export} and quotes allowed). */
    String version(String key) {
        for (String line : new String(files.get(VERSIONS), StandardCharsets.UTF_8).split("\n")) {
            String l = line.strip();
            if (l.startsWith("export ")) {
                l = l.substring(7).strip();
            }
            if (l.startsWith(key + "=")) {
                String v = l.substring(key.length() + 1).strip();
                if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                    v = v.substring(1, v.length() - 1);
                }
                if (!v.isEmpty()) {
                    return v;
                }
            }
        }
        throw new SetupException(key + " is missing in versions.env (" + source + ")");
    }

    String source() {
        return source;
    }
}
