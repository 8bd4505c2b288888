package io.isol8.engine.agent;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FrameDecoderTest {
    @Test
    void helloHasTheDocumentedBytes() {
        byte[] frame = Frames.encode(new Message.Hello(0, 1, 2, "v"));
        assertArrayEquals(new byte[]{0, 0, 0, 15, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 'v'}, frame);
    }

    @Test
    void aTerminalRunHasStdinMode2AndItsSizeAfterRemoveAfter() {
        byte[] frame = Frames.encode(new Message.Run(1, 0, true, "/", List.of("a"), List.of(), "", 80, 24));
        assertArrayEquals(new byte[]{0, 0, 0, 36, 1, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 1, '/', 0, 0, 0, 1, 0, 0, 0, 1,
                'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 80, 0, 24}, frame);
        assertArrayEquals(new byte[]{0, 0, 0, 9, 0x0B, 0, 0, 0, 1, 0, (byte) 200, 0, 50},
                Frames.encode(new Message.Resize(1, 200, 50)));
    }

    @Test
    void oversizedLengthIsRefusedBeforeAnyPayloadArrives() {
        byte[] header = {0, 1, 0, 6};
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> new FrameDecoder().feed(header, 0, 4, m -> { }));
        assertEquals("frame length 65542 out of range 5..65541", e.getMessage());
    }

    @Test
    void lengthBelowTheHeaderIsRefused() {
        assertThrows(ProtocolException.class, () -> new FrameDecoder().feed(new byte[]{0, 0, 0, 4}, 0, 4, m -> { }));
    }

    @Test
    void unknownTypeIsRefused() {
        byte[] frame = {0, 0, 0, 5, 0x7F, 0, 0, 0, 1};
        assertThrows(ProtocolException.class, () -> new FrameDecoder().feed(frame, 0, frame.length, m -> { }));
    }

    @Test
    void trailingBytesAfterAPayloadAreRefused() {
        byte[] frame = {0, 0, 0, 6, (byte) 0x87, 0, 0, 0, 1, 9};
        assertThrows(ProtocolException.class, () -> new FrameDecoder().feed(frame, 0, frame.length, m -> { }));
    }

    @Test
    void emptyOutputIsRefused() {
        byte[] frame = {0, 0, 0, 5, (byte) 0x82, 0, 0, 0, 1};
        assertThrows(ProtocolException.class, () -> new FrameDecoder().feed(frame, 0, frame.length, m -> { }));
    }

    @Test
    void aFailedDecoderRefusesEverythingAfter() {
        FrameDecoder d = new FrameDecoder();
        assertThrows(ProtocolException.class, () -> d.feed(new byte[]{(byte) 0xFF, 0, 0, 0}, 0, 4, m -> { }));
        byte[] good = Frames.encode(new Message.Done(1));
        assertThrows(ProtocolException.class, () -> d.feed(good, 0, good.length, m -> { }));
    }

    @Test
    void framesSplitByteByByteDecode() throws ProtocolException {
        byte[] frame = Frames.encode(new Message.Exit(7, 137, 9, 3, 1, 2, 3));
        List<Message> out = new ArrayList<>();
        FrameDecoder d = new FrameDecoder();
        for (byte b : frame) {
            d.feed(new byte[]{b}, 0, 1, out::add);
        }
        assertEquals(List.of(new Message.Exit(7, 137, 9, 3, 1, 2, 3)), out);
    }

    @Test
    void encodingRefusesAPayloadOverTheLimit() {
        assertThrows(IllegalArgumentException.class,
                () -> Frames.encode(new Message.Stdin(1, new byte[Frames.MAX_PAYLOAD + 1])));
    }
}
