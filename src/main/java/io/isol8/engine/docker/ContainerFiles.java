package io.isol8.engine.docker;

import io.isol8.core.ContainerPath;
import io.isol8.core.Isol8Exception;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Files in and out of one container: {@code outputPaths} read back after a run (sandbox.md §6.4) and the file API's
 * get and put (§3.5), through helper scripts ({@link ScriptFiles}) or the agent ({@link AgentFiles}). Both report
 * the same errors with the same messages.
 */
interface ContainerFiles {
    /**
     * The readable regular files among {@code requested}, keyed as requested, in request order, while their total
     * stays within {@code limits.maxFileBytes}. Missing, unreadable and non-regular files and those over the budget
     * are left out, as the spec says.
     *
     * @throws Isol8Exception.Unavailable the files could not be read back (the helper or the agent failed)
     */
    Map<String, byte[]> outputs(List<String> requested);

    /** Reads one regular file of at most {@code maxBytes}. Throws NotFound, BadRequest, TooLarge or Unavailable. */
    byte[] read(String path, long maxBytes);

    /** Writes (replaces) one file, creating parent folders. Throws BadRequest or TooLarge. */
    void write(String path, byte[] content, String sizeHint);

    /** The paths to ask for: each requested path resolved once (others are left out), in request order. */
    static List<String> resolved(List<String> requested) {
        return requested.stream().flatMap(p -> ContainerPath.resolve(p).stream()).distinct().toList();
    }

    /** The files read, keyed by resolved path, mapped back to the paths as requested. */
    static Map<String, byte[]> asRequested(List<String> requested, Map<String, byte[]> read) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String path : requested) {
            ContainerPath.resolve(path).map(read::get).ifPresent(b -> files.put(path, b));
        }
        return files;
    }

    /** A write that failed: {@code reason} is the failure's text, e.g. {@code tar: x: Cannot open: Is a directory}. */
    static RuntimeException notWritten(String path, String reason, String sizeHint) {
        if (reason.contains("No space left")) {
            return new Isol8Exception.TooLarge("Not enough space for " + path + " (sandboxSize " + sizeHint + ")");
        }
        String first = reason.lines().findFirst().orElse("");
        int colon = first.lastIndexOf(": ");
        return new Isol8Exception.BadRequest("Cannot write " + path + ": "
                + (colon >= 0 ? first.substring(colon + 2) : first));
    }

    static Isol8Exception.TooLarge tooLarge(long maxBytes) {
        return new Isol8Exception.TooLarge("File exceeds limits.maxFileBytes (" + maxBytes + " bytes)");
    }

    static Isol8Exception.Unavailable unreadable(String path, Exception cause) {
        return new Isol8Exception.Unavailable("Could not read " + path + " from the container. Try again.", cause);
    }

    static Isol8Exception.Unavailable outputsUnreadable(Exception cause) {
        return new Isol8Exception.Unavailable("Could not read the outputPaths files back from the container. "
                + "Try again.", cause);
    }
}
