package io.isol8.server;

import java.time.Instant;
import java.util.Optional;

/**
 * The authenticated principal of a request (its name, never its key).
 *
 * @param principal the configured key's name, or the stored key's name
 * @param tenant    whose sessions and quotas the request uses: a configured key is its own tenant, a stored key
 *                  acts for its {@code tenantId}
 * @param admin     the {@code --key} key or a configured key with {@code admin: true}
 * @param keyId     the stored key's id (empty for configured keys)
 * @param expiresAt when the stored key stops working (empty for configured keys)
 */
record Caller(String principal, String tenant, boolean admin, Optional<String> keyId, Optional<Instant> expiresAt) {
    /** A configured, non-admin key: its own tenant. */
    Caller(String principal) {
        this(principal, principal, false, Optional.empty(), Optional.empty());
    }
}
