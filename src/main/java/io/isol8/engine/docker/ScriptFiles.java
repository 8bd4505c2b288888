package io.isol8.engine.docker;

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
 * Files in and out of one container through the fixed helper scripts of the exec executor (sandbox.md §3.5, §6.4).
 * Docker's failures arrive typed from the {@link Spawner}; a helper that fails is reported, never taken for
 * "no files".
 */
final class ScriptFiles implements ContainerFiles {
    private static final long HELPER_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long FILE_API_NANOS = HELPER_NANOS * 6;

    private final Spawner spawner;
    private final long maxFileBytes;

    ScriptFiles(Spawner spawner, long maxFileBytes) {
        this.spawner = spawner;
        this.maxFileBytes = maxFileBytes;
    }

    @Override
    public Map<String, byte[]> outputs(List<String> requested) {
        List<String> paths = ContainerFiles.resolved(requested);
        if (paths.isEmpty()) {
            return Map.of();
        }
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", Scripts.READ_OUTPUTS, "isol8",
                Long.toString(maxFileBytes)));
        cmd.addAll(paths);
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
        return ContainerFiles.asRequested(requested, read);
    }

    @Override
    public byte[] read(String path, long maxBytes) {
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
            default -> throw ContainerFiles.unreadable(path,
                    new IllegalStateException("get-file exited " + c.exitCode + ": " + c.stderr.toString().strip()));
        };
    }

    @Override
    public void write(String path, byte[] content, String sizeHint) {
        byte[] archive = new StagingArchive().add(path, content).toBytes();
        Captured c = new Captured(0);
        Spawner.Ended r = spawner.run(List.of("/bin/sh", "-c", Scripts.PUT_FILE, "isol8",
                Integer.toString(archive.length), path), List.of(), archive, c, System.nanoTime() + FILE_API_NANOS,
                new CancelSignal());
        if (r.exitCode() == 0) {
            return;
        }
        String reason = r.exitCode() == 45 ? "Is a directory" : c.stderr.toString().trim();
        throw ContainerFiles.notWritten(path, reason.isEmpty() ? "exit " + r.exitCode() : reason, sizeHint);
    }

    private static Isol8Exception.TooLarge tooLarge(long maxBytes) {
        return ContainerFiles.tooLarge(maxBytes);
    }

    private static Isol8Exception.Unavailable outputsUnreadable(Exception cause) {
        return ContainerFiles.outputsUnreadable(cause);
    }
}
