package io.isol8.server;

import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.StreamKind;

/** Hands every call to the client's sink and to a copy (the audit record's output). Request thread only. */
final class TeeSink implements OutputSink {
    private final OutputSink client;
    private final OutputSink copy;

    TeeSink(OutputSink client, OutputSink copy) {
        this.client = client;
        this.copy = copy;
    }

    @Override
    public void started() {
        copy.started();
        client.started();
    }

    @Override
    public void output(StreamKind stream, Phase phase, String text) {
        copy.output(stream, phase, text);
        client.output(stream, phase, text);
    }

    @Override
    public void truncated(StreamKind stream, Phase phase) {
        copy.truncated(stream, phase);
        client.truncated(stream, phase);
    }

    @Override
    public void installStarted() {
        copy.installStarted();
        client.installStarted();
    }

    @Override
    public void installEnded(long millis, int exitCode) {
        copy.installEnded(millis, exitCode);
        client.installEnded(millis, exitCode);
    }

    @Override
    public void setupSucceeded() {
        copy.setupSucceeded();
        client.setupSucceeded();
    }
}
