package io.isol8.auth;

import io.isol8.core.KeyDigest;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** isol8 0.20's key format: {@code isol8_} and 64 lowercase hex digits; SHA-256 hex as hash; ISO timestamps. */
public final class KeyFormat {
    private static final Pattern KEY = Pattern.compile("isol8_[0-9a-f]{64}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private KeyFormat() {
    }

    /** A new random key. */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "isol8_" + HexFormat.of().formatHex(bytes);
    }

    /** Whether {@code token} can be a key of the store (anything else is not looked up). */
    public static boolean looksLikeStoreKey(String token) {
        return token.length() == 70 && KEY.matcher(token).matches();
    }

    /** The lowercase hex SHA-256 of the key, as stored in {@code keyHash}. */
    public static String hash(String key) {
        return HexFormat.of().formatHex(KeyDigest.of(key));
    }

    /** {@code keyPrefix}: the first 10 characters and {@code ...}. */
    public static String prefix(String key) {
        return key.substring(0, Math.min(10, key.length())) + "...";
    }

    /** As JavaScript's {@code Date.toISOString()} writes it: millisecond precision, {@code Z}. */
    public static String timestamp(Instant t) {
        return TS.format(t);
    }

    static Instant parse(String text) {
        return Instant.parse(text);
    }
}
