package io.isol8.engine.docker.setup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The build hash of an image (sandbox.md §13.1), identical to {@code docker/build-offline.sh}: SHA-256 hex of
 * the lines {@code "<name> <value>"}, sorted bytewise (the script's {@code LC_ALL=C sort}), each ending in
 * {@code "\n"}. Lines: {@code "<image>.Dockerfile <sha256>"}, {@code "versions.env <sha256>"}; bun/deno also
 * {@code "bun|deno <sha256 of the binary>"}; runtime images also {@code "base <build hash label of
 * isol8:base>"}; isol8:base also {@code "from <image id of the image it is built FROM>"} and
 * {@code "agent <sha256 of the agent binary>"}.
 */
final class BuildHash {
    private final List<String> lines = new ArrayList<>();

    /** Adds the line {@code "<name> <value>"}. */
    BuildHash line(String name, String value) {
        if (name.isEmpty() || name.contains(" ") || name.contains("\n") || value.contains("\n")) {
            throw new IllegalArgumentException("bad build hash input: " + name);
        }
        lines.add(name + " " + value);
        return this;
    }

    /** Adds {@code "<name> <sha256 hex of content>"}. */
    BuildHash content(String name, byte[] content) {
        return line(name, sha256(content));
    }

    /** The hash: SHA-256 hex of the sorted lines. */
    String hex() {
        List<byte[]> sorted = new ArrayList<>();
        for (String l : lines) {
            sorted.add((l + "\n").getBytes(StandardCharsets.UTF_8));
        }
        sorted.sort(Arrays::compareUnsigned);
        MessageDigest md = digest();
        sorted.forEach(md::update);
        return HexFormat.of().formatHex(md.digest());
    }

    /** The text that is hashed (for messages and tests). */
    String text() {
        List<byte[]> sorted = new ArrayList<>();
        for (String l : lines) {
            sorted.add((l + "\n").getBytes(StandardCharsets.UTF_8));
        }
        sorted.sort(Arrays::compareUnsigned);
        StringBuilder sb = new StringBuilder();
        sorted.forEach(b -> sb.append(new String(b, StandardCharsets.UTF_8)));
        return sb.toString();
    }

    static String sha256(byte[] content) {
        return HexFormat.of().formatHex(digest().digest(content));
    }

    /** SHA-256 hex of a file, streamed (the bun/deno binaries are ~100 MB). */
    static String sha256(Path file) {
        MessageDigest md = digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
