package io.isol8.engine;

/**
 * The output budget of one stream of one execution, in UTF-8 bytes, across all phases. Text is
 * admitted until the budget is reached, cut at a character boundary; from the first discarded
 * character on, everything is discarded, so what was admitted is always a prefix of the output.
 * Every byte offered is counted. Not thread-safe.
 */
final class OutputCap {
    private final long capBytes;
    private long keptBytes;
    private long totalBytes;
    private boolean truncated;

    OutputCap(long capBytes) {
        if (capBytes < 0) {
            throw new IllegalArgumentException("capBytes must be >= 0, was " + capBytes);
        }
        this.capBytes = capBytes;
    }

    /** The part of {@code text} that still fits (possibly all of it, possibly empty). */
    String admit(String text) {
        long bytes = utf8Length(text, text.length());
        totalBytes += bytes;
        if (truncated) {
            return "";
        }
        if (keptBytes + bytes <= capBytes) {
            keptBytes += bytes;
            return text;
        }
        truncated = true;
        int end = fittingPrefix(text, capBytes - keptBytes);
        keptBytes += utf8Length(text, end);
        return text.substring(0, end);
    }

    /** Bytes offered so far, admitted or not. */
    long totalBytes() {
        return totalBytes;
    }

    /** Whether anything has been discarded. */
    boolean truncated() {
        return truncated;
    }

    /** The end of the longest prefix of {@code text} that is at most {@code budget} bytes. */
    private static int fittingPrefix(String text, long budget) {
        long used = 0;
        int i = 0;
        while (i < text.length()) {
            boolean pair = isPair(text, i, text.length());
            int bytes = pair ? 4 : utf8Length(text.charAt(i));
            if (used + bytes > budget) {
                break;
            }
            used += bytes;
            i += pair ? 2 : 1;
        }
        return i;
    }

    /** UTF-8 length of {@code text[0, end)} as {@link String#getBytes} counts it: a lone surrogate is 1. */
    private static long utf8Length(String text, int end) {
        long bytes = end;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (isPair(text, i, end)) {
                bytes += 2; // four bytes for two chars
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }
        }
        return bytes;
    }

    private static boolean isPair(String text, int i, int end) {
        return Character.isHighSurrogate(text.charAt(i)) && i + 1 < end
                && Character.isLowSurrogate(text.charAt(i + 1));
    }

    private static int utf8Length(char c) {
        if (c < 0x80 || Character.isSurrogate(c)) {
            return 1;
        }
        return c < 0x800 ? 2 : 3;
    }
}
