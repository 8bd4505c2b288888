package io.isol8.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A working {@link OutputSink} that records every call in order. */
final class RecordingSink implements OutputSink {
    record Output(StreamKind stream, Phase phase, String text) {
    }

    record Truncation(StreamKind stream, Phase phase) {
    }

    final List<Output> outputs = new ArrayList<>();
    final List<Truncation> truncations = new ArrayList<>();
    private long bytes;

    @Override
    public void output(StreamKind stream, Phase phase, String text) {
        if (text.isEmpty()) {
            throw new AssertionError("empty output chunk");
        }
        outputs.add(new Output(stream, phase, text));
        bytes += text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public void truncated(StreamKind stream, Phase phase) {
        truncations.add(new Truncation(stream, phase));
    }

    /** Everything received, concatenated. */
    String text() {
        StringBuilder all = new StringBuilder();
        outputs.forEach(o -> all.append(o.text()));
        return all.toString();
    }

    /** UTF-8 bytes received. */
    long bytes() {
        return bytes;
    }
}
