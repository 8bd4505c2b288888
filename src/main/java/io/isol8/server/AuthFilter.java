package io.isol8.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.isol8.auth.StoredKey;
import io.isol8.core.Isol8Exception;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates every request except the public paths (api.md §3): configured keys first (constant-time
 * digest comparison), then, for tokens in the store's format, the key store. Failures are answered here with
 * the JSON 401; a key store that does not answer is a 503 (never a 401 for a key that may be valid). The
 * tenant's request rate is checked last (429).
 */
final class AuthFilter implements Filter {
    static final Set<String> PUBLIC = Set.of("/health", "/health/ready", "/openapi.yaml");

    private final ApiKeys keys;
    private final Optional<DbKeys> stored;
    private final Tenants tenants;
    private final Audit audit;

    AuthFilter(ApiKeys keys, Optional<DbKeys> stored, Tenants tenants, Audit audit) {
        this.keys = keys;
        this.stored = stored;
        this.tenants = tenants;
        this.audit = audit;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (PUBLIC.contains(req.path().rawPath())) {
            chain.proceed();
            return;
        }
        List<String> auth = req.headers().contains(HeaderNames.AUTHORIZATION)
                ? req.headers().get(HeaderNames.AUTHORIZATION).allValues()
                : ExecuteSockets.PATH.equals(req.path().rawPath())
                ? ExecuteSockets.key(req.headers()).stream().toList() : List.of();
        Optional<String> token = auth.stream().findFirst().map(String::strip).filter(v -> !v.isEmpty()).map(ApiKeys::token);
        if (token.isEmpty() || token.get().isEmpty()) {
            unauthorized(res, ApiKeys.MISSING);
            return;
        }
        Optional<Caller> caller;
        try {
            caller = identify(keys, stored, token.get());
        } catch (Isol8Exception.Unavailable e) {
            Json.error(res, Status.SERVICE_UNAVAILABLE_503, e.getMessage());
            return;
        }
        if (caller.isEmpty()) {
            unauthorized(res, ApiKeys.INVALID);
            return;
        }
        req.context().register(caller.get());
        Optional<Tenants.Refusal> refused = tenants.admitRequest(caller.get().tenant());
        if (refused.isPresent()) {
            String path = req.path().rawPath();
            if (path.equals("/execute") || path.equals("/execute/stream") || path.equals(ExecuteSockets.PATH)) {
                Audit.Record record = audit.start(caller.get(), path);
                record.failed(new Isol8Exception.Busy(refused.get().message()));
                record.write();
            }
            res.header(HeaderNames.RETRY_AFTER, Long.toString(refused.get().retryAfterSeconds()));
            Json.error(res, Status.TOO_MANY_REQUESTS_429, refused.get().message());
            return;
        }
        chain.proceed();
    }

    /**
     * The caller a token stands for: a configured key first, then the key store.
     *
     * @throws Isol8Exception.Unavailable the key store does not answer
     */
    static Optional<Caller> identify(ApiKeys keys, Optional<DbKeys> stored, String token) {
        Optional<Caller> caller = keys.match(token)
                .map(k -> new Caller(k.name(), k.name(), k.admin(), Optional.empty(), Optional.empty()));
        if (caller.isEmpty() && stored.isPresent()) {
            Optional<StoredKey> key = stored.get().lookup(token);
            caller = key.map(k -> new Caller(k.name(), k.tenantId(), false, Optional.of(k.id()), Optional.of(k.expiresAt())));
        }
        return caller;
    }

    private static void unauthorized(RoutingResponse res, String message) {
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        Json.error(res, Status.UNAUTHORIZED_401, message);
    }
}
