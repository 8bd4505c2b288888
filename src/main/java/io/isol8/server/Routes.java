package io.isol8.server;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.isol8.config.Isol8Config;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole HTTP surface: authentication, services, 405 for known paths with other methods, JSON 404
 * for everything else, and one error map. Shared by {@code Main} and the in-process tests.
 */
public final class Routes {
    /** Every route: path → allowed methods. */
    public static final Map<String, List<Method>> KNOWN = known();

    private static final io.helidon.common.LazyValue<byte[]> OPENAPI = io.helidon.common.LazyValue.create(() -> {
        try (var in = Routes.class.getResourceAsStream("/io/isol8/openapi.yaml")) {
            return in.readAllBytes();
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("openapi.yaml is missing from the build", e);
        }
    });

    private Routes() {
    }

    /**
     * @param tenancy the keys, key store, quotas and audit log
     */
    public static void configure(HttpRouting.Builder routing, Isol8Config config, String version,
                                 Tenancy tenancy, Engine engine, Executions executions, Metrics metrics) {
        routing.addFilter(new AccessLog(metrics))
                .addFilter(new AuthFilter(tenancy.keys, tenancy.stored, tenancy.tenants, tenancy.audit))
                .error(Throwable.class, new ErrorMapping())
                .register(new HealthService(version, engine, executions, tenancy.stored))
                .register(new ExecuteService(new ExecutionRequestParser(config, engine::hostCpus,
                        engine::packageImageCovers), executions,
                        config.limits().maxRequestBytes(), tenancy.tenants, tenancy.audit,
                        new RemoteCode(engine.codeFetcher())))
                .register(new AuthService(tenancy.stored, tenancy.tenants, executions, tenancy.audit, config))
                .get(ExecuteSockets.PATH, (req, res) -> Json.error(res, Status.BAD_REQUEST_400,
                        "GET " + ExecuteSockets.PATH + " needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket, "
                                + "Sec-WebSocket-Key, Sec-WebSocket-Version: 13)"))
                .get("/openapi.yaml", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "application/yaml");
                    res.send(OPENAPI.get());
                })
                .get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.scrape());
                })
                .register(new FileService(executions, config))
                .register(new SessionService(executions.sessions()));
        KNOWN.forEach((path, methods) -> routing.any(path, (req, res) -> {
            res.header(HeaderNames.ALLOW, String.join(", ", methods.stream().map(Method::text).toList()));
            Json.error(res, Status.METHOD_NOT_ALLOWED_405, "Method " + req.prologue().method().text()
                    + " is not allowed on " + req.path().rawPath());
        }));
        routing.any((req, res) -> Json.error(res, Status.NOT_FOUND_404, "Not found: " + req.prologue().method().text()
                + " " + req.path().rawPath()));
    }

    /**
     * JSON answers for what Helidon rejects before routing (unparsable request line or headers, request line
     * or headers over their limits, unsupported HTTP version): api.md §1 allows no other error shape. The
     * text is fixed per status, so nothing of the rejected request is echoed.
     */
    public static DirectHandlers directHandlers() {
        DirectHandler json = (request, event, status, headers, message) -> DirectHandler.TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .keepAlive(false)
                .entity(Json.bytes(Json.object().put("error", "Malformed HTTP request: " + status.code() + " "
                        + status.reasonPhrase())))
                .build();
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            handlers.addHandler(type, json);
        }
        return handlers.build();
    }

    /**
     * Answers, with the same JSON, connections whose first line is not an HTTP/1.1 request line (Helidon
     * would close them without a word).
     *
     * @param maxPrologueLength the listener's HTTP/1 request-line limit
     */
    public static io.helidon.webserver.spi.ServerConnectionSelector notHttp(int maxPrologueLength) {
        return new NotHttpSelector(maxPrologueLength);
    }

    private static Map<String, List<Method>> known() {
        Map<String, List<Method>> m = new LinkedHashMap<>();
        m.put("/health", List.of(Method.GET));
        m.put("/health/ready", List.of(Method.GET));
        m.put("/execute", List.of(Method.POST));
        m.put("/execute/stream", List.of(Method.POST));
        m.put("/file", List.of(Method.GET, Method.POST));
        m.put("/sessions", List.of(Method.GET));
        m.put("/session/{id}", List.of(Method.DELETE));
        m.put("/metrics", List.of(Method.GET));
        m.put("/openapi.yaml", List.of(Method.GET));
        m.put(ExecuteSockets.PATH, List.of(Method.GET));
        m.put("/auth/keys", List.of(Method.GET, Method.POST));
        m.put("/auth/keys/{id}", List.of(Method.DELETE));
        m.put("/auth/keys/{id}/rotate", List.of(Method.POST));
        m.put("/auth/login", List.of(Method.POST));
        m.put("/auth/whoami", List.of(Method.GET));
        m.put("/auth/tenants/{id}", List.of(Method.GET, Method.PUT));
        m.put("/auth/tenants/{id}/usage", List.of(Method.GET));
        m.put("/cleanup", List.of(Method.POST));
        return java.util.Collections.unmodifiableMap(m);
    }
}
