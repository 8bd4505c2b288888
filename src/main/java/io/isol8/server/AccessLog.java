package io.isol8.server;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.logging.Logger;

/**
 * One log line and one {@code isol8_http_requests_total} count per request: method, route template,
 * status, duration and principal (never a key, never a body).
 */
final class AccessLog implements Filter {
    private static final Logger LOG = Logger.getLogger("io.isol8.access");

    private final Metrics metrics;

    AccessLog(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            String method = req.prologue().method().text();
            String route = route(req.path().rawPath());
            int status = res.status().code();
            metrics.httpRequest(method, route, status);
            if (LOG.isLoggable(java.util.logging.Level.INFO)) {
                String principal = req.context().get(Caller.class).map(Caller::principal).orElse("-");
                String id = res.headers().first(io.helidon.http.HeaderNames.create("X-Isol8-Execution-Id")).orElse("-");
                LOG.info(method + " " + req.path().rawPath() + " " + status + " " + (System.nanoTime() - start) / 1_000_000
                        + "ms principal=" + principal + " executionId=" + id);
            }
        }
    }

    static String route(String path) {
        if (Routes.KNOWN.containsKey(path)) {
            return path;
        }
        if (path.startsWith("/session/") && path.indexOf('/', 9) < 0 && path.length() > 9) {
            return "/session/{id}";
        }
        if (path.startsWith("/auth/keys/") && path.length() > 11) {
            int slash = path.indexOf('/', 11);
            return slash < 0 ? "/auth/keys/{id}" : path.substring(slash).equals("/rotate") ? "/auth/keys/{id}/rotate" : "unknown";
        }
        if (path.startsWith("/auth/tenants/") && path.length() > 14) {
            int slash = path.indexOf('/', 14);
            return slash < 0 ? "/auth/tenants/{id}" : path.substring(slash).equals("/usage") ? "/auth/tenants/{id}/usage" : "unknown";
        }
        return "unknown";
    }
}
