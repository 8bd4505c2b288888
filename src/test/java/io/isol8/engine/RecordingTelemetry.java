package io.isol8.engine;

import io.isol8.core.Language;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link Telemetry} that records the calls the engine makes, as short strings, in order. */
final class RecordingTelemetry implements Telemetry {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Double> waits = new CopyOnWriteArrayList<>();

    @Override
    public void admissionWait(double seconds) {
        waits.add(seconds);
        events.add("wait");
    }

    @Override
    public void admissionRejected(String reason) {
        events.add("rejected " + reason);
    }

    @Override
    public void executionFinished(Language runtime, boolean session, String outcome, double seconds) {
        events.add("finished " + runtime.wireName() + " " + (session ? "session" : "ephemeral") + " " + outcome + " "
                + seconds);
    }

    @Override
    public void truncated(String stream) {
        events.add("truncated " + stream);
    }

    @Override
    public void clientDisconnected() {
        events.add("clientDisconnected");
    }

    /** The events that start with {@code prefix}. */
    List<String> only(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).toList();
    }
}
