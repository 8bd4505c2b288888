package io.isol8.auth;

import java.time.Instant;
import java.util.Optional;

/**
 * One row of {@code api_keys}, without its hash.
 *
 * @param keyPrefix  the first 10 characters of the key and {@code ...}
 * @param revokedAt  when it was revoked by this server (0.20 rows revoked by 0.20 have only {@code revoked})
 */
public record StoredKey(String id, String name, String keyPrefix, String tenantId, Instant createdAt,
                        Instant expiresAt, Optional<Instant> lastUsedAt, boolean revoked,
                        Optional<Instant> revokedAt) {
    /** Whether the key authenticates at {@code now}. */
    public boolean usableAt(Instant now) {
        return !revoked && now.isBefore(expiresAt);
    }
}
