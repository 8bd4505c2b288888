package io.isol8.server;

import io.isol8.core.ExecutionSpec;

import java.util.Objects;
import java.util.Optional;

/**
 * A validated execution envelope.
 *
 * @param spec      what to run, with every default merged and every ceiling checked
 * @param sessionId the session to run in; empty for an ephemeral execution
 */
public record ParsedExecution(ExecutionSpec spec, Optional<String> sessionId) {
    public ParsedExecution {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(sessionId, "sessionId");
    }
}
