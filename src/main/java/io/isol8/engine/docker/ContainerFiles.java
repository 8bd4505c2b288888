package io.isol8.engine.docker;

import io.isol8.core.ContainerPath;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.CancelSignal;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Files in and out of one container through the fixed helpers: {@code outputPaths} read back after a run
 * (sandbox.md §6.4) and the file API's get-file and put-file (§3.5). Docker's failures arrive typed from
 * the {@link Spawner}; a helper that fails is reported, never taken for "no files".
 */
final class ContainerFiles {
    private static final long HELPER_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long FILE_API_NANOS = HELPER_NANOS * 6;

    private final Spawner spawner;
    private final long maxFileBytes;

    ContainerFiles(Spawner spawner, long maxFileBytes) {
        this.spawner = spawner;
        this.maxFileBytes = maxFileBytes;
    }

    /**
     * The readable regular files among {@code requested}, keyed as requested, in request order, while their
     * total stays within {@code limits.maxFileBytes}. Missing, unreadable and non-regular files and those over
     * the budget are left out, as the spec says.
     *
     * @throws Isol8Exception.Unavailable the helper failed (it could not run, timed out or wrote no archive)
     */
    Map<String, byte[]> outputs(List<String> requested) {
        Map<String, List<String>> byPath = new LinkedHashMap<>();
        for (String path : requested) {
            ContainerPath.resolve(path).ifPresent(p -> byPath.computeIfAbsent(p, k -> new ArrayList<>()).add(path));
        }
        if (byPath.isEmpty()) {
            return Map.of();
        }
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", Scripts.READ_OUTPUTS, "isol8",
                Long.toString(maxFileBytes)));
        cmd.addAll(byPath.keySet());
        Captured c = spawner.capture(cmd, maxFileBytes + maxFileBytes / 8 + (1 << 20),
                System.nanoTime() + HELPER_NANOS);
        if (c.exitCode != 0 || c.overflow) {
            throw outputsUnreadable(new IllegalStateException("read-outputs exited " + c.exitCode
                    + (c.overflow ? " with more output than the limit" : "") + ": " + c.stderr.toString().strip()));
        }
        Map<String, byte[]> read = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(c.stdout.toByteArray()))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isFile()) {
                    read.put("/" + entry.getName(), tar.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw outputsUnreadable(e);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String path : requested) {
            ContainerPath.resolve(path).map(read::get).ifPresent(b -> files.put(path, b));
        }
        return files;
    }

    /** Reads one regular file of at most {@code maxBytes}. Throws NotFound, BadRequest, TooLarge or Unavailable. */
    byte[] read(String path, long maxBytes) {
        Captured c = spawner.capture(
                List.of("/bin/sh", "-c", Scripts.GET_FILE, "isol8", path, Long.toString(maxBytes)), maxBytes,
                System.nanoTime() + FILE_API_NANOS);
        return switch (c.exitCode) {
            case 0 -> {
                if (c.overflow) {
                    throw tooLarge(maxBytes);
                }
                yield c.stdout.toByteArray();
            }
            case 44 -> throw new Isol8Exception.NotFound("File not found: " + path);
            case 45 -> throw new Isol8Exception.BadRequest("Not a regular file: " + path);
            case 47 -> throw tooLarge(maxBytes);
            default -> throw new Isol8Exception.Unavailable("Could not read " + path + " from the container. Try again.",
                    new IllegalStateException("get-file exited " + c.exitCode + ": " + c.stderr.toString().strip()));
        };
    }

    /** Writes (replaces) one file, creating parent folders. Throws BadRequest or TooLarge. */
    void write(String path, byte[] content, String sizeHint) {
        byte[] archive = new StagingArchive().add(path, content).toBytes();
        Captured c = new Captured(0);
        Spawner.Ended r = spawner.run(List.of("/bin/sh", "-c", Scripts.PUT_FILE, "isol8",
                Integer.toString(archive.length), path), List.of(), archive, c, System.nanoTime() + FILE_API_NANOS,
                new CancelSignal());
        if (r.exitCode() == 0) {
            return;
        }
        String reason = c.stderr.toString().trim();
        if (reason.contains("No space left")) {
            throw new Isol8Exception.TooLarge("Not enough space for " + path + " (sandboxSize " + sizeHint + ")");
        }
        if (r.exitCode() == 45) {
            reason = "Is a directory";
        }
        String first = reason.lines().findFirst().orElse("");
        int colon = first.lastIndexOf(": ");
        String shortReason = colon >= 0 ? first.substring(colon + 2) : first;
        throw new Isol8Exception.BadRequest("Cannot write " + path + ": "
                + (shortReason.isEmpty() ? "exit " + r.exitCode() : shortReason));
    }

    private static Isol8Exception.TooLarge tooLarge(long maxBytes) {
        return new Isol8Exception.TooLarge("File exceeds limits.maxFileBytes (" + maxBytes + " bytes)");
    }

    private static Isol8Exception.Unavailable outputsUnreadable(Exception cause) {
        return new Isol8Exception.Unavailable("Could not read the outputPaths files back from the container. "
                + "Try again.", cause);
    }
}
