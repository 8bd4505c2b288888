package io.isol8.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;

import java.util.Map;

/** {@code GET /health} (liveness, no Docker call) and {@code GET /health/ready} (api.md §11). */
final class HealthService implements HttpService {
    private final String version;
    private final Engine engine;
    private final Executions executions;
    private final java.util.Optional<DbKeys> stored;

    HealthService(String version, Engine engine, Executions executions, java.util.Optional<DbKeys> stored) {
        this.version = version;
        this.engine = engine;
        this.executions = executions;
        this.stored = stored;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", this::health).get("/health/ready", this::ready);
    }

    private void health(ServerRequest req, ServerResponse res) {
        Json.send(res, Status.OK_200, Json.object().put("status", "ok").put("version", version));
    }

    private void ready(ServerRequest req, ServerResponse res) {
        if (!engine.reachable()) {
            Json.send(res, Status.SERVICE_UNAVAILABLE_503, Json.object()
                    .put("error", Isol8Exception.Unavailable.engineUnreachable(engine.endpoint(), null, null).getMessage())
                    .put("status", "unavailable").put("docker", "unreachable"));
            return;
        }
        Map<Language, Boolean> images = engine.images();
        boolean any = images.containsValue(true);
        java.util.Optional<String> problem = engine.imageProblem();
        boolean ok = any && problem.isEmpty() && engine.swept() && !executions.stopping();
        ObjectNode body = Json.object();
        if (!any) {
            body.put("error", "No runtime image found. Run `isol8 setup`.");
        } else if (problem.isPresent()) {
            body.put("error", problem.get());
        } else if (!engine.swept()) {
            body.put("error", "Start-up sweep has not finished yet");
        } else if (executions.stopping()) {
            body.put("error", "Server is shutting down");
        }
        body.put("status", ok ? "ready" : "unavailable");
        body.put("docker", "ok");
        ObjectNode imageNode = body.putObject("images");
        ObjectNode poolNode = body.putObject("pool");
        Map<Language, Integer> idle = engine.poolIdle();
        for (Language r : Language.values()) {
            imageNode.put(r.wireName(), images.getOrDefault(r, false) ? "ok" : "missing");
            poolNode.put(r.wireName(), idle.getOrDefault(r, 0));
        }
        body.put("sessions", executions.sessions().count());
        body.putObject("executions").put("running", executions.admission().inUse())
                .put("queued", executions.admission().waiting());
        // informative: configured keys keep working while the key store is down, so readiness does not depend on it
        stored.ifPresent(k -> body.put("keyStore", k.up() ? "ok" : "unavailable"));
        Json.send(res, ok ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503, body);
    }
}
