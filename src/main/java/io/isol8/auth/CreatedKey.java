package io.isol8.auth;

/** A key as created: its row and the plaintext key, which is never stored and shown only this once. */
public record CreatedKey(StoredKey stored, String key) {
    @Override
    public String toString() {
        return "CreatedKey[" + stored.id() + "]";
    }
}
