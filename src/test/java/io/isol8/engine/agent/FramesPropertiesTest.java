package io.isol8.engine.agent;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Properties of the frame codec: every message round-trips, and no input breaks the decoder's contract. */
class FramesPropertiesTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Property(tries = 500)
    void everyMessageRoundTripsWhateverTheChunking(@ForAll("messages") List<Message> messages,
                                                   @ForAll @IntRange(min = 1, max = 70_000) int chunk) throws Exception {
        java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        messages.forEach(m -> stream.writeBytes(Frames.encode(m)));
        byte[] bytes = stream.toByteArray();
        List<Message> decoded = new ArrayList<>();
        FrameDecoder decoder = new FrameDecoder();
        for (int off = 0; off < bytes.length; off += chunk) {
            decoder.feed(bytes, off, Math.min(chunk, bytes.length - off), decoded::add);
        }
        assertTrue(decoder.atBoundary());
        assertEquals(messages.size(), decoded.size());
        for (int i = 0; i < messages.size(); i++) {
            assertEquals(comparable(messages.get(i)), comparable(decoded.get(i)));
        }
    }

    @Property(tries = 2000)
    void randomBytesOnlyEverFailWithTheProtocolException(@ForAll @Size(max = 4096) byte[] junk) {
        decodeExpectingOnlyProtocolFailures(junk);
    }

    @Property(tries = 2000)
    void mutatedFramesOnlyEverFailWithTheProtocolException(@ForAll("messages") List<Message> messages,
                                                           @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
                                                           @ForAll byte value) {
        java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
        messages.forEach(m -> stream.writeBytes(Frames.encode(m)));
        byte[] bytes = stream.toByteArray();
        if (bytes.length == 0) {
            return;
        }
        for (int p : positions) {
            bytes[p % bytes.length] ^= (byte) (value == 0 ? 1 : value);
        }
        decodeExpectingOnlyProtocolFailures(bytes);
    }

    @Property(tries = 300)
    void truncatedFramesDecodeNothingAndWaitForMore(@ForAll("message") Message m, @ForAll @IntRange(min = 1) int cut)
            throws Exception {
        byte[] frame = Frames.encode(m);
        int keep = cut % frame.length;
        List<Message> decoded = new ArrayList<>();
        new FrameDecoder().feed(frame, 0, keep, decoded::add);
        assertEquals(List.of(), decoded);
    }

    private static void decodeExpectingOnlyProtocolFailures(byte[] input) {
        FrameDecoder decoder = new FrameDecoder();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            decoder.feed(input, 0, input.length, m -> { });
        } catch (ProtocolException expected) {
            // the one failure the codec may report
        } catch (Throwable t) {
            fail("decoder threw " + t, t);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        // one frame buffer plus what the decoded messages hold, which is at most the input itself
        assertTrue(allocated <= 4L * Frames.MAX_LENGTH + 16L * input.length,
                "decoder allocated " + allocated + " bytes for " + input.length + " bytes of input");
    }

    /** Messages with byte arrays compared by content. */
    private static Object comparable(Message m) {
        return switch (m) {
            case Message.Stdin s -> List.of("stdin", s.id(), Arrays.toString(s.data()));
            case Message.Put s -> List.of("put", s.id(), Arrays.toString(s.data()));
            case Message.Data s -> List.of("data", s.id(), Arrays.toString(s.data()));
            case Message.Output o -> List.of("output", o.id(), o.stderr(), Arrays.toString(o.data()));
            default -> m;
        };
    }

    @Provide
    Arbitrary<List<Message>> messages() {
        return message().list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<Message> message() {
        Arbitrary<Integer> id = Arbitraries.integers();
        Arbitrary<Long> u32 = Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        Arbitrary<Long> u64 = Arbitraries.longs();
        Arbitrary<Integer> u8 = Arbitraries.integers().between(0, 255);
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(40);
        Arbitrary<String> noNul = text.map(s -> s.replace('\0', ' '));
        Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300)
                .edgeCases(c -> c.add(new byte[Frames.MAX_PAYLOAD]));
        return Arbitraries.oneOf(List.of(
                Combinators.combine(id, u32, Arbitraries.of(true, false), noNul, noNul.list().ofMaxSize(5),
                        noNul.list().ofMaxSize(5), noNul).as(Message.Run::new),
                Combinators.combine(id, u32, noNul, noNul.list().ofMaxSize(5), noNul,
                        Arbitraries.integers().between(1, 1000), Arbitraries.integers().between(1, 1000))
                        .as((i, d, cwd, argv, rm, cols, rows) -> new Message.Run(i, d, true, cwd, argv, List.of("TERM=x"),
                                rm, cols, rows)),
                Combinators.combine(id, Arbitraries.integers().between(0, 0xFFFF),
                        Arbitraries.integers().between(0, 0xFFFF)).as(Message.Resize::new),
                Combinators.combine(id, data).as(Message.Put::new),
                id.map(Message.PutEnd::new),
                Combinators.combine(id, u64, noNul).as(Message.Get::new),
                Combinators.combine(id, u64, noNul.list().ofMaxSize(5)).as(Message.Outputs::new),
                Combinators.combine(id, data).as(Message.Data::new),
                Combinators.combine(id, data).as(Message.Stdin::new),
                id.map(Message.StdinEnd::new),
                Combinators.combine(id, u8).as(Message.Signal::new),
                id.map(Message.KillAll::new),
                id.map(Message.StatsRequest::new),
                Combinators.combine(id, u32, u8, text).as(Message.Hello::new),
                Combinators.combine(id, u32).as(Message.Started::new),
                Combinators.combine(id, Arbitraries.of(true, false), data).as(Message.Output::new),
                Combinators.combine(id, Arbitraries.integers(), u8, u8, u64, u64, u64).as(Message.Exit::new),
                Combinators.combine(id, text).as(Message.Error::new),
                Combinators.combine(id, u64, u64, u64, u64, u64, u64).as(Message.Stats::new),
                id.map(Message.Done::new),
                Combinators.combine(id, u32).as(Message.Ack::new)));
    }
}
