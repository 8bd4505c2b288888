package io.isol8.server;

import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.StreamKind;

/**
 * Collects output for a buffered result: the code phase's, and the setup phase's only until the setup
 * script succeeds (its output is dropped then, api.md §7.2).
 */
final class BufferedOutput implements OutputSink {
    final StringBuilder stdout = new StringBuilder();
    final StringBuilder stderr = new StringBuilder();
    boolean stdoutTruncated;
    boolean stderrTruncated;
    /** Wall time of the package install phase, or -1 when none ran. */
    long installMs = -1;

    @Override
    public void output(StreamKind stream, Phase phase, String text) {
        (stream == StreamKind.STDOUT ? stdout : stderr).append(text);
    }

    @Override
    public void truncated(StreamKind stream, Phase phase) {
        if (stream == StreamKind.STDOUT) {
            stdoutTruncated = true;
        } else {
            stderrTruncated = true;
        }
    }

    @Override
    public void installEnded(long millis, int exitCode) {
        installMs = millis;
    }

    @Override
    public void setupSucceeded() {
        stdout.setLength(0);
        stderr.setLength(0);
    }
}
