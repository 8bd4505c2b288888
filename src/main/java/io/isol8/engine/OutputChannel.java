package io.isol8.engine;

import java.util.Collection;
import java.util.Objects;

/**
 * One output stream (stdout or stderr) of one execution: raw bytes from Docker are decoded as
 * UTF-8, masked, capped and handed to an {@link OutputSink}. Memory stays bounded: only an
 * incomplete UTF-8 sequence and less than the longest secret are kept between writes, and output
 * beyond the cap is counted and dropped. The first time the cap discards anything the sink hears
 * {@link OutputSink#truncated} once. Not thread-safe: used only by the request's own thread.
 */
public final class OutputChannel {
    private final StreamKind stream;
    private final OutputSink sink;
    private final Utf8Decoder decoder = new Utf8Decoder();
    private final SecretMasker masker;
    private final OutputCap cap;
    private boolean truncationReported;

    /**
     * @param capBytes the cap in UTF-8 bytes for this stream across all phases ({@code >= 0})
     * @param secrets secret values to mask; empty ones are ignored
     */
    public OutputChannel(StreamKind stream, long capBytes, Collection<String> secrets, OutputSink sink) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.cap = new OutputCap(capBytes);
        this.masker = new SecretMasker(secrets);
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** Processes {@code b[off, off+len)} of this stream, produced during {@code phase}. */
    public void write(byte[] b, int off, int len, Phase phase) {
        Objects.requireNonNull(phase, "phase");
        forward(masker.push(decoder.decode(b, off, len)), phase);
    }

    /**
     * Ends {@code phase}'s stream: an incomplete UTF-8 sequence becomes U+FFFD and text held back for
     * masking is released. Call once at the end of every phase's exec.
     */
    public void endPhase(Phase phase) {
        Objects.requireNonNull(phase, "phase");
        String rest = masker.push(decoder.finish());
        forward(rest + masker.finish(), phase);
    }

    /** Bytes this stream produced so far, after masking, including discarded ones. */
    public long totalBytes() {
        return cap.totalBytes();
    }

    /** Whether output of this stream has been discarded because of the cap. */
    public boolean truncated() {
        return cap.truncated();
    }

    private void forward(String text, Phase phase) {
        if (text.isEmpty()) {
            return;
        }
        String admitted = cap.admit(text);
        if (!admitted.isEmpty()) {
            sink.output(stream, phase, admitted);
        }
        if (cap.truncated() && !truncationReported) {
            truncationReported = true;
            sink.truncated(stream, phase);
        }
    }
}
