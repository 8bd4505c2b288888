package io.isol8.server;

import io.helidon.security.AuthenticationResponse;
import io.helidon.security.Principal;
import io.helidon.security.ProviderRequest;
import io.helidon.security.spi.AuthenticationProvider;

import io.isol8.core.KeyDigest;

import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Bearer API keys as a helidon-security authentication provider (api.md §3). Keys are held only as
 * SHA-256 digests and compared in constant time; the principal is the key's configured name.
 */
final class ApiKeys implements AuthenticationProvider {
    static final String MISSING = "Missing Authorization header";
    static final String INVALID = "Invalid API key";

    private final List<StaticKey> keys;

    /** @param byName principal name → SHA-256 digest of its key (none of them admin) */
    ApiKeys(Map<String, byte[]> byName) {
        this(byName.entrySet().stream().map(e -> new StaticKey(e.getKey(), e.getValue(), false)).toList());
    }

    ApiKeys(List<StaticKey> keys) {
        this.keys = List.copyOf(keys);
    }

    @Override
    public AuthenticationResponse authenticate(ProviderRequest request) {
        List<String> values = request.env().headers().getOrDefault("Authorization", List.of());
        Optional<String> key = values.stream().findFirst().map(String::strip).filter(v -> !v.isEmpty()).map(ApiKeys::token);
        if (key.isEmpty()) {
            return AuthenticationResponse.failed(MISSING);
        }
        return principal(key.get()).map(name -> AuthenticationResponse.success(Principal.create(name)))
                .orElseGet(() -> AuthenticationResponse.failed(INVALID));
    }

    /** The principal name of {@code key}; every configured digest is compared. */
    Optional<String> principal(String key) {
        return match(key).map(StaticKey::name);
    }

    /** The configured key {@code key} is; every configured digest is compared, in constant time each. */
    Optional<StaticKey> match(String key) {
        byte[] digest = KeyDigest.of(key);
        StaticKey found = null;
        for (StaticKey k : keys) {
            if (MessageDigest.isEqual(k.sha256(), digest)) {
                found = k;
            }
        }
        return Optional.ofNullable(found);
    }

    /** {@code Bearer <key>} (scheme case-insensitive, spaces or tabs), or the bare key. */
    static String token(String header) {
        int sep = 0;
        while (sep < header.length() && header.charAt(sep) != ' ' && header.charAt(sep) != '\t') {
            sep++;
        }
        if (sep < header.length() && header.substring(0, sep).equalsIgnoreCase("Bearer")) {
            return header.substring(sep).strip();
        }
        return header;
    }
}
