package io.isol8.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 of API keys: keys are held and compared only as digests. */
public final class KeyDigest {
    private KeyDigest() {
    }

    /** The SHA-256 digest of the key's UTF-8 bytes. */
    public static byte[] of(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
