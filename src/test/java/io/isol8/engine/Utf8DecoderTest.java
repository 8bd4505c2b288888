package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8DecoderTest {
    private final Utf8Decoder decoder = new Utf8Decoder();

    @Test
    void asciiChunkIsReturnedUnchanged() {
        byte[] b = "hello\n".getBytes(StandardCharsets.UTF_8);

        assertEquals("hello\n", decoder.decode(b, 0, b.length));
    }

    @Test
    void onlyTheGivenRangeIsDecoded() {
        byte[] b = "xxabcxx".getBytes(StandardCharsets.UTF_8);

        assertEquals("abc", decoder.decode(b, 2, 3));
    }

    @Test
    void emojiSplitOverFourChunksIsReturnedWhenComplete() {
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);

        assertEquals("", decoder.decode(emoji, 0, 1));
        assertEquals("", decoder.decode(emoji, 1, 1));
        assertEquals("", decoder.decode(emoji, 2, 1));
        assertEquals("😀", decoder.decode(emoji, 3, 1));
    }

    @Test
    void charactersBeforeAnIncompleteSequenceAreReturnedAtOnce() {
        byte[] b = "a€".getBytes(StandardCharsets.UTF_8);

        assertEquals("a", decoder.decode(b, 0, 2));
        assertEquals("€", decoder.decode(b, 2, 2));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        byte[] b = {'a', (byte) 0xFF, 'b', (byte) 0xC3, '(', 'c'};

        assertEquals("a\uFFFDb\uFFFD(c", decoder.decode(b, 0, b.length));
    }

    @Test
    void encodedSurrogateBecomesReplacementNotALoneSurrogate() {
        byte[] b = {(byte) 0xED, (byte) 0xA0, (byte) 0x80, 'x'};

        String text = decoder.decode(b, 0, b.length);

        assertEquals('x', text.charAt(text.length() - 1));
        assertEquals("", text.replace("\uFFFD", "").replace("x", ""));
    }

    @Test
    void incompleteTrailingSequenceBecomesReplacementAtFinish() {
        byte[] b = {'o', 'k', (byte) 0xE2, (byte) 0x82};

        assertEquals("ok", decoder.decode(b, 0, b.length));
        assertEquals("\uFFFD", decoder.finish());
    }

    @Test
    void finishWithNothingCarriedReturnsEmpty() {
        byte[] b = "done".getBytes(StandardCharsets.UTF_8);
        decoder.decode(b, 0, b.length);

        assertEquals("", decoder.finish());
    }

    @Test
    void decoderStartsCleanAfterFinish() {
        decoder.decode(new byte[] {(byte) 0xF0, (byte) 0x9F}, 0, 2);
        decoder.finish();
        byte[] next = "next".getBytes(StandardCharsets.UTF_8);

        assertEquals("next", decoder.decode(next, 0, next.length));
    }
}
