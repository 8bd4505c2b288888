package io.isol8.engine;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Incremental UTF-8 decoding of byte chunks. An incomplete sequence at the end of a chunk is carried
 * over to the next one, so a returned string never ends inside a character; malformed input becomes
 * U+FFFD. Not thread-safe: one instance per stream, used by one thread.
 */
final class Utf8Decoder {
    private static final int MAX_CARRY = 3;
    private static final char REPLACEMENT = '\uFFFD';

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final byte[] carry = new byte[MAX_CARRY];
    private int carried;
    private char pendingHigh;

    /** The complete characters of what was carried over plus {@code b[off, off+len)}; may be empty. */
    String decode(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        ByteBuffer in;
        if (carried == 0) {
            in = ByteBuffer.wrap(b, off, len);
        } else {
            byte[] joined = new byte[carried + len];
            System.arraycopy(carry, 0, joined, 0, carried);
            System.arraycopy(b, off, joined, carried, len);
            in = ByteBuffer.wrap(joined);
        }
        CharBuffer out = run(in, false);
        carried = in.remaining();
        in.get(carry, 0, carried);
        return text(out, false);
    }

    /** Ends the byte stream: a carried incomplete sequence becomes U+FFFD. The decoder can be reused. */
    String finish() {
        CharBuffer out = run(ByteBuffer.wrap(carry, 0, carried), true);
        carried = 0;
        decoder.reset();
        return text(out, true);
    }

    private CharBuffer run(ByteBuffer in, boolean endOfInput) {
        // Every byte yields at most one char (four bytes yield two); growing is only a safeguard.
        CharBuffer out = CharBuffer.allocate(in.remaining() + 2);
        if (pendingHigh != 0) {
            out.put(pendingHigh);
            pendingHigh = 0;
        }
        CoderResult result = decoder.decode(in, out, endOfInput);
        while (result.isOverflow()) {
            out = grow(out);
            result = decoder.decode(in, out, endOfInput);
        }
        if (endOfInput) {
            while (decoder.flush(out).isOverflow()) {
                out = grow(out);
            }
        }
        return out.flip();
    }

    private String text(CharBuffer out, boolean end) {
        int n = out.remaining();
        if (n > 0 && Character.isHighSurrogate(out.get(n - 1))) {
            if (!end) {
                pendingHigh = out.get(n - 1);
                out.limit(n - 1);
            } else {
                out.put(n - 1, REPLACEMENT);
            }
        }
        return out.toString();
    }

    private static CharBuffer grow(CharBuffer out) {
        CharBuffer bigger = CharBuffer.allocate(out.capacity() * 2 + 4);
        return bigger.put(out.flip());
    }
}
