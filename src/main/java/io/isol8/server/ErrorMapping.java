package io.isol8.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.helidon.http.HeaderNames;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ErrorHandler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.core.Isol8Exception;

import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one exception-to-status map of the server (api.md §4). Unknown failures are a 500 with an id. */
final class ErrorMapping implements ErrorHandler<Throwable> {
    private static final Logger LOG = Logger.getLogger(ErrorMapping.class.getName());

    @Override
    public void handle(ServerRequest req, ServerResponse res, Throwable error) {
        if (res.isSent()) {
            LOG.log(Level.FINE, "error after the response was sent", error);
            return;
        }
        if (req.headers().contains(HeaderNames.TRANSFER_ENCODING) || req.headers().contains(HeaderNames.CONTENT_LENGTH)) {
            // the body may be unread or its framing broken: what follows on this connection is not a request
            res.header(HeaderNames.CONNECTION, "close");
        }
        switch (error) {
            case Isol8Exception e -> {
                Status status = status(e);
                if (e instanceof Isol8Exception.Busy) {
                    res.header(HeaderNames.RETRY_AFTER, "1");
                }
                Json.error(res, status, e.getMessage());
            }
            case JsonProcessingException e -> Json.error(res, Status.BAD_REQUEST_400, "Malformed JSON: " + e.getOriginalMessage());
            case RequestException e when e.status().code() < 500 -> Json.error(res, e.status(), e.getMessage());
            default -> {
                String id = internal(error, req.prologue().method().text() + " " + req.path().rawPath());
                Json.send(res, Status.INTERNAL_SERVER_ERROR_500, Json.object().put("error", "Internal error").put("errorId", id));
            }
        }
    }

    /**
     * The message a client may see for a failure inside a response that is already streaming: our own
     * exceptions' messages (the engine has logged them); for anything else a fixed text with an error id,
     * logged with the stack trace and {@code where}.
     */
    static String clientMessage(Throwable error, String where) {
        if (error instanceof Isol8Exception e) {
            return e.getMessage();
        }
        return "Internal error (errorId " + internal(error, where) + ")";
    }

    private static String internal(Throwable error, String where) {
        String id = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "internal error " + id + " on " + where, error);
        return id;
    }

    static Status status(Isol8Exception e) {
        return switch (e) {
            case Isol8Exception.BadRequest x -> Status.BAD_REQUEST_400;
            case Isol8Exception.Forbidden x -> Status.FORBIDDEN_403;
            case Isol8Exception.NotFound x -> Status.NOT_FOUND_404;
            case Isol8Exception.Conflict x -> Status.CONFLICT_409;
            case Isol8Exception.TooLarge x -> Status.REQUEST_ENTITY_TOO_LARGE_413;
            case Isol8Exception.Busy x -> Status.TOO_MANY_REQUESTS_429;
            case Isol8Exception.Unavailable x -> Status.SERVICE_UNAVAILABLE_503;
            case Isol8Exception.SandboxLost x -> Status.SERVICE_UNAVAILABLE_503;
        };
    }
}
