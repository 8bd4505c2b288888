package io.isol8.server;

/**
 * A configured key: {@code --key} / {@code ISOL8_API_KEY} (principal {@code default}, admin) or an
 * {@code auth.keys} entry.
 *
 * @param sha256 the SHA-256 digest of the key
 */
public record StaticKey(String name, byte[] sha256, boolean admin) {
}
