package io.isol8.engine;

/**
 * Passes output on and reports truncations; remembers whether the run started and whether it produced
 * output (a run that did is never repeated on another container).
 */
final class ObservedSink implements OutputSink {
    private final OutputSink sink;
    private final Telemetry telemetry;
    boolean started;
    boolean produced;

    ObservedSink(OutputSink sink, Telemetry telemetry) {
        this.sink = sink;
        this.telemetry = telemetry;
    }

    @Override
    public void started() {
        started = true;
        sink.started();
    }

    @Override
    public void output(StreamKind stream, Phase phase, String text) {
        produced = true;
        sink.output(stream, phase, text);
    }

    @Override
    public void truncated(StreamKind stream, Phase phase) {
        telemetry.truncated(stream.wireName());
        sink.truncated(stream, phase);
    }

    @Override
    public void installStarted() {
        sink.installStarted();
    }

    @Override
    public void installEnded(long millis, int exitCode) {
        sink.installEnded(millis, exitCode);
    }

    @Override
    public void setupSucceeded() {
        sink.setupSucceeded();
    }
}
