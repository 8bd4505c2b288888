package io.isol8.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.security.AuthenticationResponse;
import io.helidon.security.Security;
import io.helidon.security.SecurityContext;
import io.helidon.security.SecurityEnvironment;
import io.helidon.security.SecurityResponse;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Authenticates every request except the public paths through helidon-security and our
 * {@link ApiKeys} provider; failures are answered here with the JSON 401 of api.md §3.
 */
final class AuthFilter implements Filter {
    static final Set<String> PUBLIC = Set.of("/health", "/health/ready", "/openapi.yaml");

    private final Security security;

    AuthFilter(ApiKeys keys) {
        this.security = Security.builder().addAuthenticationProvider(keys).build();
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
        SecurityContext context = security.contextBuilder(UUID.randomUUID().toString())
                .env(SecurityEnvironment.builder().path(req.path().rawPath()).method(req.prologue().method().text())
                        .header("Authorization", auth).build())
                .build();
        AuthenticationResponse atn = context.authenticate();
        if (atn.status() != SecurityResponse.SecurityStatus.SUCCESS || atn.user().isEmpty()) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
            Json.error(res, Status.UNAUTHORIZED_401, atn.description().orElse(ApiKeys.INVALID));
            return;
        }
        req.context().register(new Caller(atn.user().get().principal().getName()));
        chain.proceed();
    }
}
