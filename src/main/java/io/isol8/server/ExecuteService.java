package io.isol8.server;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.Executions;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.SecretMasker;

import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code POST /execute} (buffered JSON result) and {@code POST /execute/stream} (Server-Sent Events). */
final class ExecuteService implements HttpService {
    private static final Logger LOG = Logger.getLogger(ExecuteService.class.getName());
    private static final int INSTALL_TAIL = 2048;

    private final ExecutionRequestParser parser;
    private final Executions executions;
    private final long maxRequestBytes;
    private final Metrics metrics;

    ExecuteService(ExecutionRequestParser parser, Executions executions, long maxRequestBytes, Metrics metrics) {
        this.metrics = metrics;
        this.parser = parser;
        this.executions = executions;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/execute", this::buffered)
                .post("/execute/stream", this::stream);
    }

    private ParsedExecution parse(ServerRequest req) {
        return parser.parse(Bodies.read(req, maxRequestBytes, "limits.maxRequestBytes"));
    }

    private static String principal(ServerRequest req) {
        return req.context().get(Caller.class).orElseThrow().principal();
    }

    private void buffered(ServerRequest req, ServerResponse res) {
        long arrival = System.nanoTime();
        ParsedExecution parsed = parse(req);
        ExecutionSpec spec = parsed.spec();
        String executionId = UUID.randomUUID().toString();
        var json = executions.execute(principal(req), spec, parsed.sessionId(), arrival, (sandbox, cancel) -> {
            BufferedOutput out = new BufferedOutput();
            RunOutcome outcome = sandbox.run(spec, out, cancel);
            record(spec, parsed, outcome);
            if (out.stdoutTruncated) {
                metrics.truncated("stdout");
            }
            if (out.stderrTruncated) {
                metrics.truncated("stderr");
            }
            if (outcome.ending() == Ending.CANCELLED && cancel.reason() == CancelSignal.Reason.SHUTDOWN) {
                throw new Isol8Exception.Unavailable("Server is shutting down");
            }
            return ResultJson.of(spec, outcome, out, executionId, sandbox.containerId(), cancel.reason());
        });
        res.header("X-Isol8-Execution-Id", executionId);
        Json.send(res, Status.OK_200, json);
    }

    private void stream(ServerRequest req, ServerResponse res) {
        long arrival = System.nanoTime();
        ParsedExecution parsed = parse(req);
        ExecutionSpec spec = parsed.spec();
        String executionId = UUID.randomUUID().toString();
        java.util.concurrent.atomic.AtomicReference<CancelSignal> current = new java.util.concurrent.atomic.AtomicReference<>();
        EventStream events = new EventStream(req, res, executionId, spec.maxOutputBytes(),
                () -> {
                    CancelSignal c = current.get();
                    if (c != null) {
                        c.cancel(CancelSignal.Reason.CLIENT_GONE);
                    }
                }, metrics::truncated);
        try (events) {
            executions.execute(principal(req), spec, parsed.sessionId(), arrival, (sandbox, cancel) -> {
                current.set(cancel);
                events.open();
                if (events.gone()) {
                    cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
                }
                try {
                    RunOutcome outcome = sandbox.run(spec, events, cancel);
                    record(spec, parsed, outcome);
                    if (cancel.reason() == CancelSignal.Reason.CLIENT_GONE) {
                        metrics.clientDisconnected();
                    }
                    finish(events, spec, outcome, cancel);
                } catch (ContainerGoneException | Isol8Exception.Conflict e) {
                    throw e;
                } catch (RuntimeException e) {
                    metrics.execution(spec.runtime(), parsed.sessionId().isPresent(), "error", 0);
                    LOG.log(Level.WARNING, "execution " + executionId + " failed", e);
                    events.error(e instanceof Isol8Exception ? e.getMessage() : "Execution failed: " + e.getMessage(), Phase.CODE);
                    events.exit("1", Phase.CODE);
                }
                return null;
            });
        } catch (RuntimeException e) {
            if (!events.isOpen()) {
                throw e;
            }
            events.error(e.getMessage(), null);
        }
    }

    private void record(ExecutionSpec spec, ParsedExecution parsed, RunOutcome outcome) {
        String result = switch (outcome.ending()) {
            case TIMED_OUT -> "timeout";
            case OOM_KILLED -> "oom";
            case CANCELLED -> "error";
            case EXITED -> outcome.failedPhase().isPresent() ? "setup_failed" : outcome.exitCode() == 0 ? "ok" : "nonzero";
        };
        metrics.execution(spec.runtime(), parsed.sessionId().isPresent(), result, outcome.durationMs() / 1000.0);
        LOG.info(() -> "execution runtime=" + spec.runtime().wireName()
                + " kind=" + (parsed.sessionId().isPresent() ? "session" : "ephemeral") + " outcome=" + result
                + " exit=" + outcome.exitCode() + " timedOut=" + (outcome.ending() == Ending.TIMED_OUT)
                + " oomKilled=" + (outcome.ending() == Ending.OOM_KILLED) + " codeMs=" + outcome.durationMs());
    }

    private static void finish(EventStream events, ExecutionSpec spec, RunOutcome outcome, CancelSignal cancel) {
        Phase phase = outcome.failedPhase().isPresent() ? Phase.SETUP : Phase.CODE;
        String exit = Integer.toString(outcome.exitCode());
        switch (outcome.ending()) {
            case TIMED_OUT -> events.error(switch (outcome.failedPhase().orElse(null)) {
                case INSTALL -> "PACKAGE INSTALL TIMED OUT";
                case SETUP -> "SETUP SCRIPT TIMED OUT";
                case null -> "EXECUTION TIMED OUT";
            }, phase);
            case OOM_KILLED -> {
                if (phase == Phase.CODE) {
                    events.error("MEMORY LIMIT EXCEEDED", phase);
                } else {
                    failure(events, spec, outcome);
                }
            }
            case CANCELLED -> {
                switch (cancel.reason()) {
                    case SESSION_DELETED -> events.error("SESSION DELETED", phase);
                    case SHUTDOWN -> events.error("Server is shutting down", phase);
                    case CLIENT_GONE -> {
                        return;
                    }
                }
            }
            case EXITED -> {
                if (outcome.failedPhase().isPresent()) {
                    failure(events, spec, outcome);
                }
            }
        }
        events.exit(exit, phase);
    }

    private static void failure(EventStream events, ExecutionSpec spec, RunOutcome outcome) {
        if (outcome.failedPhase().get() == FailedPhase.INSTALL) {
            String err = outcome.installStderr();
            String tail = err.length() > INSTALL_TAIL ? err.substring(err.length() - INSTALL_TAIL) : err;
            events.error("Package install failed (exit code " + outcome.exitCode() + "): "
                    + SecretMasker.maskAll(spec.secrets().values(), tail.strip()), Phase.SETUP);
        } else {
            events.error("Setup script failed (exit code " + outcome.exitCode() + ")", Phase.SETUP);
        }
    }
}
