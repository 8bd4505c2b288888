package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputChannelTest {
    private static final long MIB = 1024 * 1024;

    private final RecordingSink sink = new RecordingSink();

    private OutputChannel channel(long cap, String... secrets) {
        return new OutputChannel(StreamKind.STDOUT, cap, List.of(secrets), sink);
    }

    private static void write(OutputChannel channel, Phase phase, byte[]... frames) {
        for (byte[] frame : frames) {
            channel.write(frame, 0, frame.length, phase);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void outputReachesTheSinkWithStreamAndPhase() {
        OutputChannel stderr = new OutputChannel(StreamKind.STDERR, MIB, List.of(), sink);

        write(stderr, Phase.SETUP, utf8("warn\n"));

        assertEquals(List.of(new RecordingSink.Output(StreamKind.STDERR, Phase.SETUP, "warn\n")), sink.outputs);
    }

    @Test
    void secretSplitOverTwoFramesIsMasked() {
        OutputChannel out = channel(MIB, "hunter2");

        write(out, Phase.CODE, utf8("pw=hun"), utf8("ter2\n"));
        out.endPhase(Phase.CODE);

        assertEquals("pw=***\n", sink.text());
    }

    @Test
    void secretSplitOverThreeFramesIsMasked() {
        OutputChannel out = channel(MIB, "hunter2");

        write(out, Phase.CODE, utf8("pw=hu"), utf8("nte"), utf8("r2\n"));
        out.endPhase(Phase.CODE);

        assertEquals("pw=***\n", sink.text());
    }

    @Test
    void secretSplitInsideAMultiByteCharacterIsMasked() {
        OutputChannel out = channel(MIB, "pässwört");
        byte[] all = utf8("key=pässwört.");
        int insideA = "key=p".length() + 1; // between the two bytes of 'ä'

        write(out, Phase.CODE, Arrays.copyOfRange(all, 0, insideA), Arrays.copyOfRange(all, insideA, all.length));
        out.endPhase(Phase.CODE);

        assertEquals("key=***.", sink.text());
    }

    @Test
    void frameThatIsExactlyASecretIsMasked() {
        OutputChannel out = channel(MIB, "hunter2");

        write(out, Phase.CODE, utf8("hunter2"));

        assertEquals("***", sink.text());
    }

    @Test
    void trailingPartialPrefixIsReleasedAtEndOfPhase() {
        OutputChannel out = channel(MIB, "hunter2");

        write(out, Phase.SETUP, utf8("pw=hun"));
        assertEquals("pw=", sink.text());
        out.endPhase(Phase.SETUP);

        assertEquals(new RecordingSink.Output(StreamKind.STDOUT, Phase.SETUP, "hun"), sink.outputs.getLast());
    }

    @Test
    void incompleteCharacterBecomesReplacementAtEndOfPhase() {
        OutputChannel out = channel(MIB);

        write(out, Phase.CODE, new byte[] {'a', (byte) 0xE2, (byte) 0x82});
        out.endPhase(Phase.CODE);

        assertEquals("a\uFFFD", sink.text());
    }

    @Test
    void framesThatDecodeToNothingAreNotForwarded() {
        OutputChannel out = channel(MIB);

        write(out, Phase.CODE, new byte[] {(byte) 0xF0, (byte) 0x9F});

        assertTrue(sink.outputs.isEmpty());
    }

    @Test
    void totalCountsBytesAfterMasking() {
        OutputChannel out = channel(MIB, "supersecret");

        write(out, Phase.CODE, utf8("x supersecret €\n"));

        assertEquals(utf8("x *** €\n").length, out.totalBytes());
    }

    @Test
    void capCutsOutputAtACharacterBoundary() {
        OutputChannel out = channel(5);

        write(out, Phase.CODE, utf8("ab€€"));

        assertEquals("ab€", sink.text());
        assertTrue(out.truncated());
    }

    @Test
    void truncationIsReportedOnceWithThePhaseOfTheFirstDiscard() {
        OutputChannel out = channel(4);

        write(out, Phase.SETUP, utf8("abc"));
        out.endPhase(Phase.SETUP);
        write(out, Phase.CODE, utf8("defg"), utf8("hij"));
        out.endPhase(Phase.CODE);

        assertEquals(List.of(new RecordingSink.Truncation(StreamKind.STDOUT, Phase.CODE)), sink.truncations);
        assertEquals("abcd", sink.text());
        assertEquals(10, out.totalBytes());
    }

    @Test
    void truncationIsReportedAfterTheAdmittedPrefix() {
        OutputChannel out = channel(2);

        write(out, Phase.CODE, utf8("abc"));

        assertEquals("ab", sink.text());
        assertEquals(1, sink.truncations.size());
    }

    @Test
    void outputThatFillsTheCapExactlyIsNotTruncated() {
        OutputChannel out = channel(3);

        write(out, Phase.CODE, utf8("abc"));
        out.endPhase(Phase.CODE);

        assertFalse(out.truncated());
        assertTrue(sink.truncations.isEmpty());
    }

    @Test
    void hundredMegabyteFloodKeepsOnlyTheCap() {
        OutputChannel out = channel(MIB, "hunter2");
        byte[] frame = new byte[64 * 1024];
        byte[] line = utf8("output line € 0123456789\n");
        for (int i = 0; i < frame.length; i++) {
            frame[i] = line[i % line.length]; // frames end mid-'€' so carry-over is exercised
        }
        long flood = 100 * MIB;

        for (long written = 0; written < flood; written += frame.length) {
            out.write(frame, 0, frame.length, Phase.CODE);
        }
        out.endPhase(Phase.CODE);

        assertTrue(sink.bytes() <= MIB, "sink received " + sink.bytes() + " bytes");
        assertEquals(flood, out.totalBytes());
        assertEquals(1, sink.truncations.size());
    }
}
