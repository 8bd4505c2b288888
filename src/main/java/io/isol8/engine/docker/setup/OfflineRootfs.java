package io.isol8.engine.docker.setup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The offline base (sandbox.md §13.4), step for step as {@code docker/build-offline.sh}: a Debian bookworm
 * rootfs made by {@code debootstrap} in a folder (reused while its marker file says it is complete), imported
 * as {@code isol8-rootfs:bookworm} with the label {@code io.isol8.rootfs=<sha256 of the marker file>}; the
 * import is skipped while that label matches.
 */
final class OfflineRootfs {
    static final String IMAGE = "isol8-rootfs:bookworm";
    static final String LABEL = "io.isol8.rootfs";
    static final String MARKER = ".isol8-rootfs";
    static final String INCLUDE = "tini,bash,coreutils,tar,grep,procps,ca-certificates,python3,python3-pip,nodejs";
    /** First line of the marker file of a complete rootfs. */
    static final String WANT = "bookworm minbase " + INCLUDE;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private final DockerClient docker;
    private final ImageStore images;
    private final PrintStream err;

    OfflineRootfs(DockerClient docker, ImageStore images, PrintStream err) {
        this.docker = docker;
        this.images = images;
        this.err = err;
    }

    /**
     * Makes sure the rootfs exists in {@code dir} and is imported; returns the image name.
     *
     * @param work a scratch folder for logs
     * @throws SetupException any step failed (the message says which)
     */
    String ensure(Path dir, Optional<String> mirror, Path work) {
        Path marker = dir.resolve(MARKER);
        if (complete(marker)) {
            log("reusing rootfs " + dir);
        } else {
            debootstrap(dir, mirror, work);
        }
        String rootfsId = BuildHash.sha256(read(marker));
        if (!rootfsId.equals(images.label(IMAGE, LABEL).orElse(""))) {
            log("importing " + dir + " as " + IMAGE);
            importDirectory(dir, IMAGE, rootfsId, work);
        }
        return IMAGE;
    }

    static boolean complete(Path marker) {
        if (!Files.isRegularFile(marker)) {
            return false;
        }
        String text = new String(read(marker), StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        return (nl < 0 ? text : text.substring(0, nl)).equals(WANT);
    }

    private void debootstrap(Path dir, Optional<String> mirror, Path work) {
        if (!Commands.isRoot()) {
            throw new SetupException("debootstrap needs root");
        }
        Path debootstrap = Commands.which("debootstrap").orElseThrow(() ->
                new SetupException("debootstrap not found (apt-get install debootstrap)"));
        if (Files.isDirectory(dir) && !isEmpty(dir) && !Files.isDirectory(dir.resolve("var/lib/dpkg"))
                && !Files.isDirectory(dir.resolve("debootstrap"))) {
            throw new SetupException(dir + " is not empty and holds no rootfs; refusing to delete it");
        }
        // A broken earlier run may have left /proc or /sys mounted inside: never delete through them.
        for (String m : mountsBelow(dir)) {
            Commands.run(List.of("umount", "-l", m), work.resolve("umount.log"));
        }
        Path log = work.resolve("debootstrap.log");
        if (Commands.run(List.of("rm", "-rf", "--one-file-system", dir.toString()), log) != 0) {
            Commands.tail(log, 30, err);
            throw new SetupException("could not delete the incomplete rootfs " + dir);
        }
        log("debootstrap bookworm into " + dir + " (about 1-2 minutes)");
        List<String> argv = new ArrayList<>(List.of(debootstrap.toString(), "--variant=minbase",
                "--include=" + INCLUDE, "bookworm", dir.toString()));
        mirror.filter(m -> !m.isEmpty()).ifPresent(argv::add);
        if (Commands.run(argv, log) != 0) {
            Commands.tail(log, 30, err);
            throw new SetupException("debootstrap failed");
        }
        Commands.run(List.of("sh", "-c", "rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/archives/*.deb",
                "sh", dir.toString()), log);
        String stamp = STAMP.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        try {
            Files.writeString(dir.resolve(MARKER), WANT + "\n" + stamp + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SetupException("could not write " + dir.resolve(MARKER) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Imports {@code tar -C dir --numeric-owner --exclude=./.isol8-rootfs -c .} as {@code image} with the label
     * {@code io.isol8.rootfs=rootfsId} (like {@code docker import --change "LABEL …"}).
     */
    void importDirectory(Path dir, String image, String rootfsId, Path work) {
        Path tarLog = work.resolve("tar.log");
        Process tar;
        try {
            tar = new ProcessBuilder("tar", "-C", dir.toString(), "--numeric-owner", "--exclude=./" + MARKER,
                    "-c", ".").redirectError(ProcessBuilder.Redirect.appendTo(tarLog.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new SetupException("tar could not be started: " + e.getMessage(), e);
        }
        try (InputStream stream = tar.getInputStream()) {
            importStream(stream, image, rootfsId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            tar.destroy();
        }
        try {
            if (tar.waitFor() != 0) {
                Commands.tail(tarLog, 30, err);
                throw new SetupException("tar of " + dir + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException("interrupted", e);
        }
    }

    private void importStream(InputStream tar, String image, String rootfsId) {
        String[] name = ImageStore.split(image);
        String change = "LABEL " + LABEL + "=" + rootfsId;
        DockerHttpClient http = docker instanceof DockerClientImpl impl ? impl.getHttpClient() : null;
        if (http == null) {
            // docker-java's import cannot pass "changes": import, then add the label with a one-line build
            String temp = name[0] + ":import-" + Long.toHexString(System.nanoTime());
            String[] t = ImageStore.split(temp);
            docker.createImageCmd(t[0], tar).withTag(t[1]).exec();
            try {
                images.build(image, ("FROM " + temp + "\n" + change + "\n").getBytes(StandardCharsets.UTF_8),
                        Map.of(), Map.of(), Map.of(), false);
            } finally {
                images.untag(temp);
            }
            return;
        }
        String path = "/images/create?fromSrc=-&repo=" + enc(name[0]) + "&tag=" + enc(name[1]) + "&changes="
                + enc(change);
        DockerHttpClient.Request request = DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.POST)
                .path(path)
                .putHeader("Content-Type", "application/x-tar")
                .body(tar)
                .build();
        try (DockerHttpClient.Response response = http.execute(request)) {
            byte[] body = response.getBody().readAllBytes();
            if (response.getStatusCode() / 100 != 2) {
                throw new SetupException("docker import failed (HTTP " + response.getStatusCode() + "): "
                        + new String(body, StandardCharsets.UTF_8).strip());
            }
            try (MappingIterator<JsonNode> items = new ObjectMapper().readerFor(JsonNode.class).readValues(body)) {
                while (items.hasNext()) {
                    JsonNode item = items.next();
                    if (item.hasNonNull("error")) {
                        throw new SetupException("docker import failed: " + item.get("error").asText());
                    }
                }
            }
        } catch (IOException e) {
            throw new SetupException("docker import failed: " + e.getMessage(), e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** Mount points strictly below {@code dir}, deepest first. */
    static List<String> mountsBelow(Path dir) {
        String prefix = dir.toString() + "/";
        List<String> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 1) {
                    String m = unescape(f[1]);
                    if (m.startsWith(prefix)) {
                        found.add(m);
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
        found.sort(Comparator.reverseOrder());
        return found;
    }

    /** /proc/mounts writes space, tab, newline and backslash as {@code \ooo}. */
    private static String unescape(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\\' && i + 3 < b.length && isOctal(b[i + 1]) && isOctal(b[i + 2]) && isOctal(b[i + 3])) {
                out.write((b[i + 1] - '0') * 64 + (b[i + 2] - '0') * 8 + (b[i + 3] - '0'));
                i += 3;
            } else {
                out.write(b[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte c) {
        return c >= '0' && c <= '7';
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new SetupException("could not read " + p + ": " + e.getMessage(), e);
        }
    }

    private void log(String message) {
        err.println("isol8 setup: " + message);
    }
}
