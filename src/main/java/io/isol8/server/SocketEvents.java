package io.isol8.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.StreamKind;

/**
 * A run's events on a WebSocket (api.md §14.1): each event of §8.2 as one text frame holding exactly the JSON of
 * the SSE {@code data:} payload. Called from the run's thread only; frames go through the socket's
 * {@link SocketOutbox}, in order.
 */
final class SocketEvents implements OutputSink, RunEndings.Target {
    private final SocketOutbox outbox;
    private final long maxOutputBytes;
    private volatile boolean started;
    private Phase lastPhase;

    SocketEvents(SocketOutbox outbox, long maxOutputBytes) {
        this.outbox = outbox;
        this.maxOutputBytes = maxOutputBytes;
    }

    @Override
    public void started() {
        started = true;
    }

    /** Whether the container was ready: failures after this belong to the run (api.md §4.3 step 8). */
    boolean isStarted() {
        return started;
    }

    @Override
    public void output(StreamKind stream, Phase phase, String text) {
        event(stream.wireName(), text, phase);
    }

    @Override
    public void truncated(StreamKind stream, Phase phase) {
        event(stream.wireName(), "\n--- OUTPUT TRUNCATED (limit: " + maxOutputBytes + " bytes) ---\n", phase);
    }

    @Override
    public void setupSucceeded() {
        exit("0", Phase.SETUP);
    }

    @Override
    public void exit(String code, Phase phase) {
        event("exit", code, phase);
    }

    @Override
    public void error(String message, Phase phase) {
        event("error", message, phase);
    }

    /**
     * Ends a run that failed with {@code message}, as {@code EventStream#failed}: {@code error} + {@code exit}
     * inside the phase that was running, or one {@code error} without a phase when none had begun.
     */
    void failed(String message, String exitCode) {
        Phase phase = lastPhase;
        error(message, phase);
        if (phase != null) {
            exit(exitCode, phase);
        }
    }

    /** One event; {@code phase} null leaves the field out. */
    void event(String type, String data, Phase phase) {
        if (phase != null) {
            lastPhase = phase;
        }
        outbox.text(frame(type, data, phase));
    }

    static String frame(String type, String data, Phase phase) {
        ObjectNode json = Json.object().put("type", type).put("data", data);
        if (phase != null) {
            json.put("phase", phase.wireName());
        }
        return Json.string(json);
    }
}
