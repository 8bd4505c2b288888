package io.isol8.engine;

import io.isol8.core.ExecutionSpec;

/**
 * One container, owned by whoever acquired it. For an ephemeral sandbox {@link #close()} removes the
 * container in the background; for a session it does nothing (the session removes it on its end).
 */
public interface Sandbox extends AutoCloseable {
    /** The full 64-hex Docker id. */
    String containerId();

    /**
     * Runs all phases of {@code spec}, passing output to {@code sink} on the calling thread. Blocks until
     * the run ends, the deadline passes or {@code cancel} fires.
     *
     * @throws io.isol8.core.Isol8Exception.Conflict    the container is gone (sessions)
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker failed
     */
    RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel);

    /**
     * As {@link #run(ExecutionSpec, OutputSink, CancelSignal)}, with the code phase's stdin, signals and
     * terminal coming from {@code interaction} (null: as usual). Only for engines whose
     * {@link Engine#interactive()} is true.
     */
    default RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel, Interaction interaction) {
        if (interaction != null) {
            throw new UnsupportedOperationException("this sandbox does not run interactive programs");
        }
        return run(spec, sink, cancel);
    }

    /**
     * Kills every process that executions started. Returns false if that could not be done within a
     * second, in which case the container should be discarded.
     */
    boolean killAll();

    /** Reads a regular file of at most {@code maxBytes}. Throws NotFound, BadRequest or TooLarge. */
    byte[] readFile(String path, long maxBytes);

    /** Writes (replaces) a file, creating parent folders. Throws BadRequest or TooLarge. */
    void writeFile(String path, byte[] content, String sizeHint);

    @Override
    void close();
}
