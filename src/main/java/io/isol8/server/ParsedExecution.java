package io.isol8.server;

import io.isol8.core.ExecutionSpec;

import java.util.Objects;
import java.util.Optional;

/**
 * A validated execution envelope.
 *
 * @param spec      what to run, with every default merged and every ceiling checked
 * @param sessionId the session to run in; empty for an ephemeral execution
 * @param remote    code to fetch from {@code request.codeUrl} before running (the spec then has empty code)
 */
public record ParsedExecution(ExecutionSpec spec, Optional<String> sessionId, Optional<RemoteSource> remote) {
    public ParsedExecution {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(remote, "remote");
    }

    /** An execution whose code is in the request. */
    public ParsedExecution(ExecutionSpec spec, Optional<String> sessionId) {
        this(spec, sessionId, Optional.empty());
    }
}
