package io.isol8.engine.docker;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The length-delimited tar archive that carries files, stdin, scripts and code into a container on the
 * stdin of an exec (sandbox.md §3.2). Only regular files, mode 0644, owner 0; entries in insertion order.
 */
final class StagingArchive {
    private final Map<String, byte[]> entries = new LinkedHashMap<>();

    /** Adds (or replaces, keeping the later position) the file at absolute path {@code path}. */
    StagingArchive add(String path, byte[] content) {
        entries.remove(path);
        entries.put(path, content);
        return this;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The finished archive; empty array when there is nothing to stage. */
    byte[] toBytes() {
        if (entries.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            long now = System.currentTimeMillis();
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey().substring(1), true);
                entry.setMode(0100644);
                entry.setSize(e.getValue().length);
                entry.setModTime(now);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
