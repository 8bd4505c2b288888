package io.isol8.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.engine.Session;
import io.isol8.engine.Sessions;

import java.time.Instant;

/** {@code GET /sessions} and {@code DELETE /session/{id}} (api.md §9.7, §9.8). */
final class SessionService implements HttpService {
    private final Sessions sessions;

    SessionService(Sessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/sessions", this::list).delete("/session/{id}", this::delete);
    }

    private void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("sessions");
        for (Session s : sessions.list(principal(req))) {
            list.addObject().put("id", s.id()).put("isActive", s.isActive())
                    .put("lastAccessedAt", Json.timestamp(Instant.ofEpochMilli(s.lastAccessedAt())))
                    .put("runtime", s.runtime().wireName())
                    .put("createdAt", Json.timestamp(Instant.ofEpochMilli(s.createdAt())));
        }
        Json.send(res, Status.OK_200, body);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        sessions.delete(principal(req), req.path().pathParameters().get("id"));
        Json.send(res, Status.OK_200, Json.object().put("ok", true));
    }

    /** The owner of the caller's sessions: its tenant (api.md §9.1, by tenant since key-store keys). */
    static String principal(ServerRequest req) {
        return req.context().get(Caller.class).orElseThrow().tenant();
    }
}
