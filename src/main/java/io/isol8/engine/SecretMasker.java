package io.isol8.engine;

import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;

/**
 * Replaces secret values with {@code ***} in a stream of text that arrives in chunks.
 *
 * <p>Every occurrence is masked, scanning left to right; where secrets overlap, the longest match
 * at a position wins. A secret may straddle chunks: after masking, the longest suffix of the text
 * that could still grow into a secret is held back and examined again with the next chunk, or
 * released by {@link #finish()} at the end of the stream. The held-back text is shorter than the
 * longest secret. Empty secrets are ignored; with no secrets a chunk passes through unchanged.
 *
 * <p>Not thread-safe: one instance per stream, used by one thread.
 */
public final class SecretMasker {
    /** What each occurrence of a secret becomes. */
    public static final String MASK = "***";

    private final String[] secrets;
    private final String firstChars;
    private String held = "";

    /** A masker for the non-empty values among {@code secrets}. */
    public SecretMasker(Collection<String> secrets) {
        Objects.requireNonNull(secrets, "secrets");
        this.secrets = secrets.stream()
                .map(s -> Objects.requireNonNull(s, "secret value"))
                .filter(s -> !s.isEmpty())
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toArray(String[]::new);
        StringBuilder firsts = new StringBuilder();
        for (String s : this.secrets) {
            if (firsts.indexOf(String.valueOf(s.charAt(0))) < 0) {
                firsts.append(s.charAt(0));
            }
        }
        this.firstChars = firsts.toString();
    }

    /** {@code text} with every complete occurrence of the non-empty {@code secrets} masked. */
    public static String maskAll(Collection<String> secrets, String text) {
        SecretMasker masker = new SecretMasker(secrets);
        return masker.push(text) + masker.finish();
    }

    /**
     * Appends {@code chunk} to the held-back text and returns what can safely be passed on, masked;
     * may be empty.
     */
    public String push(String chunk) {
        Objects.requireNonNull(chunk, "chunk");
        if (secrets.length == 0) {
            return chunk;
        }
        String text = held.isEmpty() ? chunk : held + chunk;
        held = "";
        return scan(text, false);
    }

    /** Ends the stream: returns the held-back text, masked. The masker can then be reused. */
    public String finish() {
        String text = held;
        held = "";
        return text.isEmpty() ? "" : scan(text, true);
    }

    /**
     * Masks {@code text} up to the start of a possible unfinished secret, which it holds back (at the
     * end of the stream: all of it).
     */
    private String scan(String text, boolean endOfStream) {
        int n = text.length();
        int[] next = new int[firstChars.length()];
        Arrays.fill(next, -1);
        StringBuilder out = null;
        int copied = 0;
        int i = nextCandidate(text, 0, next);
        while (i < n) {
            if (boundary(text, i)) {
                if (!endOfStream && mayGrowIntoLongerSecret(text, i)) {
                    held = text.substring(i);
                    return masked(out, text, copied, i);
                }
                int match = longestMatch(text, i);
                if (match > 0) {
                    out = out == null ? new StringBuilder(n) : out;
                    out.append(text, copied, i).append(MASK);
                    copied = i + match;
                    i = nextCandidate(text, copied, next);
                    continue;
                }
            }
            i = nextCandidate(text, i + 1, next);
        }
        return masked(out, text, copied, n);
    }

    private static String masked(StringBuilder out, String text, int copied, int end) {
        return out == null ? text.substring(0, end) : out.append(text, copied, end).toString();
    }

    /**
     * The first index {@code >= from} holding the first character of some secret, or the length of
     * the text; {@code next} caches each first character's next index.
     */
    private int nextCandidate(String text, int from, int[] next) {
        int best = text.length();
        for (int j = 0; j < next.length; j++) {
            if (next[j] < from) {
                int found = text.indexOf(firstChars.charAt(j), from);
                next[j] = found < 0 ? Integer.MAX_VALUE : found;
            }
            best = Math.min(best, next[j]);
        }
        return best;
    }

    /** Whether the rest of {@code text} from {@code i} is a proper prefix of some secret. */
    private boolean mayGrowIntoLongerSecret(String text, int i) {
        int rest = text.length() - i;
        for (String s : secrets) {
            if (s.length() <= rest) {
                return false; // sorted longest first: no longer secret remains
            }
            if (s.regionMatches(0, text, i, rest)) {
                return true;
            }
        }
        return false;
    }

    /** Length of the longest secret that occurs at {@code i}, or 0. */
    private int longestMatch(String text, int i) {
        for (String s : secrets) {
            if (text.startsWith(s, i) && boundary(text, i + s.length())) {
                return s.length();
            }
        }
        return 0;
    }

    /** Whether {@code k} does not fall between the two halves of a surrogate pair. */
    private static boolean boundary(String text, int k) {
        return k == 0 || k == text.length()
                || !(Character.isHighSurrogate(text.charAt(k - 1)) && Character.isLowSurrogate(text.charAt(k)));
    }
}
