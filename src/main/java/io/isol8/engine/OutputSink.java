package io.isol8.engine;

/**
 * Receives a program's output after decoding, masking and capping. Called only from the request's
 * own thread, in order.
 */
public interface OutputSink {
    /**
     * The container is ready and the run begins (api.md §4.3 step 8): errors before this are statuses,
     * after it they belong to the run. May be called again when a dead warm container is replaced.
     */
    default void started() {
    }

    /** A chunk of text; never empty, never ends inside a character. */
    void output(StreamKind stream, Phase phase, String text);

    /** The stream went over its cap; called at most once per stream per execution. */
    void truncated(StreamKind stream, Phase phase);

    /** The package install phase begins. */
    default void installStarted() {
    }

    /** The package install phase ended after {@code millis} with {@code exitCode} (137 on a timeout). */
    default void installEnded(long millis, int exitCode) {
    }

    /** The setup script exited 0; the code phase follows. */
    default void setupSucceeded() {
    }
}
