package io.isol8.engine;

import io.isol8.core.ExecutionSpec;

import java.util.Objects;
import java.util.Optional;

/**
 * One execution as the server hands it to {@link Executions#run}: who asks, what to run, where.
 *
 * @param executionId  the id the client sees (logs carry it too)
 * @param principal    the authenticated caller; sessions belong to it
 * @param spec         the validated request
 * @param sessionId    the caller's session, or empty for an ephemeral run
 * @param arrivalNanos when the request arrived ({@link System#nanoTime()}); the queue deadline counts from it
 */
public record Call(String executionId, String principal, ExecutionSpec spec, Optional<String> sessionId,
                   long arrivalNanos) {
    public Call {
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(sessionId, "sessionId");
    }

    /** {@code session} or {@code ephemeral}, for logs and metrics. */
    public String kind() {
        return sessionId.isPresent() ? "session" : "ephemeral";
    }
}
