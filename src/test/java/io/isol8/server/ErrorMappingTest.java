package io.isol8.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.http.Status;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ErrorMappingTest {
    private static final Pattern INTERNAL = Pattern.compile(
            "Internal error \\(errorId ([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\\)");
    private final Logger log = Logger.getLogger(ErrorMapping.class.getName());
    private Level level;

    @BeforeEach
    void quiet() {
        level = log.getLevel();
        log.setLevel(Level.OFF);
    }

    @AfterEach
    void restore() {
        log.setLevel(level);
    }

    @Test
    void aBadRequestIs400() {
        assertEquals(Status.BAD_REQUEST_400, ErrorMapping.status(new Isol8Exception.BadRequest("bad")));
    }

    @Test
    void notFoundIs404() {
        assertEquals(Status.NOT_FOUND_404, ErrorMapping.status(new Isol8Exception.NotFound("Session not found")));
    }

    @Test
    void aConflictIs409() {
        assertEquals(Status.CONFLICT_409, ErrorMapping.status(new Isol8Exception.Conflict("busy")));
    }

    @Test
    void tooLargeIs413() {
        assertEquals(Status.REQUEST_ENTITY_TOO_LARGE_413, ErrorMapping.status(new Isol8Exception.TooLarge("big")));
    }

    @Test
    void busyIs429() {
        assertEquals(Status.TOO_MANY_REQUESTS_429, ErrorMapping.status(new Isol8Exception.Busy("busy")));
    }

    @Test
    void unavailableIs503() {
        assertEquals(Status.SERVICE_UNAVAILABLE_503, ErrorMapping.status(new Isol8Exception.Unavailable("down")));
        assertEquals(Status.SERVICE_UNAVAILABLE_503,
                ErrorMapping.status(Isol8Exception.Unavailable.imageMissing("isol8/python:1", Language.PYTHON)));
    }

    @Test
    void sandboxLostIs503WithItsPrefix() {
        Isol8Exception.SandboxLost e = new Isol8Exception.SandboxLost("the agent stopped answering");
        assertEquals(Status.SERVICE_UNAVAILABLE_503, ErrorMapping.status(e));
        assertEquals("sandbox lost: the agent stopped answering", ErrorMapping.clientMessage(e, "test"));
    }

    @Test
    void ourOwnFailureShowsItsMessage() {
        Isol8Exception e = new Isol8Exception.Busy("Server busy: 3 requests already waiting (maxQueued)");

        assertEquals("Server busy: 3 requests already waiting (maxQueued)", ErrorMapping.clientMessage(e, "stream"));
    }

    @Test
    void ourOwnFailureWithACauseShowsOnlyItsMessage() {
        Isol8Exception e = Isol8Exception.Unavailable.engineUnreachable("unix:///var/run/docker.sock", "refused",
                new IOException("/var/run/docker.sock: connection refused by peer 42"));

        assertEquals("Docker engine is not reachable at unix:///var/run/docker.sock (refused). "
                + "Start the Docker daemon or set docker.host.", ErrorMapping.clientMessage(e, "stream"));
    }

    @Test
    void anyOtherFailureShowsOnlyAnErrorId() {
        String message = ErrorMapping.clientMessage(new IllegalStateException("secret=hunter2 at /etc/isol8"), "stream");

        assertTrue(INTERNAL.matcher(message).matches(), message);
        assertFalse(message.contains("IllegalStateException"), message);
        assertFalse(message.contains("hunter2"), message);
    }

    @Test
    void anErrorWithoutAMessageShowsOnlyAnErrorId() {
        String message = ErrorMapping.clientMessage(new NullPointerException(), "stream");

        assertTrue(INTERNAL.matcher(message).matches(), message);
        assertFalse(message.contains("NullPointerException"), message);
    }

    @Test
    void everyInternalErrorGetsItsOwnId() {
        Matcher a = INTERNAL.matcher(ErrorMapping.clientMessage(new RuntimeException("x"), "stream"));
        Matcher b = INTERNAL.matcher(ErrorMapping.clientMessage(new RuntimeException("x"), "stream"));

        assertTrue(a.matches());
        assertTrue(b.matches());
        assertNotEquals(a.group(1), b.group(1));
    }
}
