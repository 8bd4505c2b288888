package io.isol8.engine.docker;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** What a helper exec wrote: stdout bytes up to a limit, the start of stderr as text, and its exit code. */
final class Captured implements ExecRunner.FrameHandler {
    private static final int STDERR_CHARS = 4096;

    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final StringBuilder stderr = new StringBuilder();
    private final long maxBytes;
    /** Stdout went past {@code maxBytes}; the rest was dropped. */
    boolean overflow;
    int exitCode;

    Captured(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void frame(boolean isStderr, byte[] payload) {
        if (isStderr) {
            if (stderr.length() < STDERR_CHARS) {
                stderr.append(new String(payload, StandardCharsets.UTF_8));
            }
        } else if (stdout.size() + (long) payload.length <= maxBytes) {
            stdout.writeBytes(payload);
        } else {
            overflow = true;
        }
    }
}
