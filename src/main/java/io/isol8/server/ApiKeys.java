package io.isol8.server;

import io.helidon.security.AuthenticationResponse;
import io.helidon.security.Principal;
import io.helidon.security.ProviderRequest;
import io.helidon.security.spi.AuthenticationProvider;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

    private final List<Map.Entry<byte[], String>> digests;

    /** @param byName principal name → SHA-256 digest of its key */
    ApiKeys(Map<String, byte[]> byName) {
        this.digests = byName.entrySet().stream().map(e -> Map.entry(e.getValue(), e.getKey())).toList();
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hex(String sha256Hex) {
        return HexFormat.of().parseHex(sha256Hex);
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
        byte[] digest = sha256(key);
        String found = null;
        for (Map.Entry<byte[], String> e : digests) {
            if (MessageDigest.isEqual(e.getKey(), digest)) {
                found = e.getValue();
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
