package io.isol8.engine;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one entry point of an execution: session resolution and lock, admission, container choice (and the
 * replacement of a dead warm container), the run, and the report to {@link Telemetry}, in the order of
 * api.md §4.3, releasing all of it on every path. Also drives the shutdown of running work.
 */
public final class Executions {
    private static final Logger LOG = Logger.getLogger(Executions.class.getName());

    private final Engine engine;
    private final Sessions sessions;
    private final Admission admission;
    private final Telemetry telemetry;
    private final long queueTimeoutMs;
    private final int maxSessionQueue;
    private final RunningSet running = new RunningSet();
    private volatile boolean stopping;

    /**
     * @param telemetry observes every finished execution (metrics); must be cheap and thread-safe
     */
    public Executions(Engine engine, Sessions sessions, Admission admission, long queueTimeoutMs, int maxSessionQueue,
                      Telemetry telemetry) {
        this.engine = engine;
        this.telemetry = telemetry;
        this.sessions = sessions;
        this.admission = admission;
        this.queueTimeoutMs = queueTimeoutMs;
        this.maxSessionQueue = maxSessionQueue;
    }

    /**
     * Runs one execution through the order of api.md §4.3 and returns how it ended. For sessions it
     * holds the session's lock; everything it takes (lock, permit, container) is released on every path.
     * A dead warm container is replaced once, transparently. Output reaches {@code sink} on the calling
     * thread; {@link OutputSink#started()} marks the point after which failures belong to the run.
     *
     * @param cancel fired by the caller (client gone) or by this class (shutdown, session deleted)
     * @throws Isol8Exception the request cannot run (busy, conflict, engine unavailable, …); the message
     *                        is safe to show to the client
     */
    public Finished run(Call call, OutputSink sink, CancelSignal cancel) {
        return run(call, sink, cancel, null);
    }

    /**
     * As {@link #run(Call, OutputSink, CancelSignal)}, with the program's live input coming from
     * {@code interaction} (api.md §14.2); null runs it as usual.
     *
     * @throws Isol8Exception.BadRequest the engine cannot run interactive programs
     */
    public Finished run(Call call, OutputSink sink, CancelSignal cancel, Interaction interaction) {
        checkOpen();
        if (interaction != null && !engine.interactive()) {
            throw new Isol8Exception.BadRequest("Interactive runs need engine.executor: agent");
        }
        ExecutionSpec spec = call.spec();
        ObservedSink observed = new ObservedSink(sink, telemetry);
        running.add(cancel);
        try {
            Finished finished = call.sessionId().isEmpty()
                    ? ephemeral(call, observed, cancel, interaction) : session(call, observed, cancel, interaction);
            report(call, finished.outcome(), cancel);
            return finished;
        } catch (RuntimeException e) {
            if (observed.started) {
                telemetry.executionFinished(spec.runtime(), call.sessionId().isPresent(), "error", 0);
                if (e instanceof Isol8Exception) {
                    // ours: logged here once, with its cause; anything else is logged with an errorId by the server
                    LOG.log(Level.WARNING, "execution " + call.executionId() + " failed: " + e.getMessage(), e.getCause());
                }
            }
            throw e;
        } finally {
            running.remove(cancel);
        }
    }

    private void report(Call call, RunOutcome outcome, CancelSignal cancel) {
        String result = Telemetry.outcome(outcome);
        telemetry.executionFinished(call.spec().runtime(), call.sessionId().isPresent(), result,
                outcome.durationMs() / 1000.0);
        if (cancel.reason() == CancelSignal.Reason.CLIENT_GONE) {
            telemetry.clientDisconnected();
        }
        LOG.info(() -> "execution " + call.executionId() + " runtime=" + call.spec().runtime().wireName()
                + " kind=" + call.kind() + " outcome=" + result + " exit=" + outcome.exitCode()
                + " timedOut=" + (outcome.ending() == RunOutcome.Ending.TIMED_OUT)
                + " oomKilled=" + (outcome.ending() == RunOutcome.Ending.OOM_KILLED)
                + " codeMs=" + outcome.durationMs());
        outcome.networkLogs().stream().filter(e -> !e.allowed()).forEach(e -> LOG.info(() -> "execution "
                + call.executionId() + " egress blocked " + e.method() + " " + e.host() + ": "
                + e.reason().orElse("")));
    }

    private Finished ephemeral(Call call, ObservedSink sink, CancelSignal cancel, Interaction interaction) {
        ExecutionSpec spec = call.spec();
        try (Admission.Permit permit = admission.acquire(deadline(call), queueTimeoutMs)) {
            checkOpen();
            requireEngine();
            try (Sandbox sandbox = engine.ephemeral(spec)) {
                sink.started();
                return new Finished(sandbox.containerId(), sandbox.run(spec, sink, cancel, interaction));
            } catch (ContainerGoneException e) {
                if (sink.produced) {
                    throw new Isol8Exception.SandboxLost("the container stopped while the program was running");
                }
                LOG.info("execution " + call.executionId() + ": a warm container was gone; retrying with a fresh one");
            }
            try (Sandbox fresh = engine.ephemeral(spec)) {
                sink.started();
                return new Finished(fresh.containerId(), fresh.run(spec, sink, cancel, interaction));
            } catch (ContainerGoneException again) {
                throw new Isol8Exception.Unavailable("The container stopped before the program could start. Retry the request.");
            }
        }
    }

    private long deadline(Call call) {
        return call.arrivalNanos() + TimeUnit.MILLISECONDS.toNanos(queueTimeoutMs);
    }

    /** Fails fast (503) while the engine does not answer its (cached) ping. */
    private void requireEngine() {
        if (!engine.reachable()) {
            throw Isol8Exception.Unavailable.engineUnreachable(engine.endpoint(), null, null);
        }
    }

    private Finished session(Call call, OutputSink sink, CancelSignal cancel, Interaction interaction) {
        while (true) {
            Session session = sessions.resolve(call.principal(), call.sessionId().orElseThrow(), call.spec());
            session.lock(deadline(call), maxSessionQueue, queueTimeoutMs);
            try {
                if (session.abandoned()) {
                    continue;
                }
                try (Admission.Permit permit = admission.acquire(deadline(call), queueTimeoutMs)) {
                    checkOpen();
                    return inSession(call, session, sink, cancel, interaction);
                } catch (RuntimeException e) {
                    if (session.sandbox() == null) {
                        sessions.abandon(session);
                    }
                    throw e;
                }
            } finally {
                session.unlock();
            }
        }
    }

    private Finished inSession(Call call, Session session, OutputSink sink, CancelSignal cancel,
                               Interaction interaction) {
        ExecutionSpec spec = call.spec();
        requireEngine();
        if (session.creationFailure() != null) {
            throw session.creationFailure();
        }
        if (session.ended()) {
            sessions.drop(session);
            throw gone(session);
        }
        if (session.sandbox() == null) {
            try {
                session.sandbox(engine.session(spec, call.principal(), session.id()));
            } catch (RuntimeException e) {
                session.creationFailed(e);
                sessions.drop(session);
                throw e;
            }
        }
        session.running(cancel);
        try {
            if (session.deleted()) {
                engine.discard(session.sandbox().containerId());
                throw new Isol8Exception.Conflict("Session \"" + session.id() + "\" was deleted while this request was waiting");
            }
            sink.started();
            RunOutcome outcome = session.sandbox().run(spec, sink, cancel, interaction);
            if (cancel.reason() == CancelSignal.Reason.CLIENT_GONE && !session.sandbox().killAll()) {
                sessions.drop(session);
            }
            return new Finished(session.sandbox().containerId(), outcome);
        } catch (ContainerGoneException e) {
            sessions.drop(session);
            throw gone(session);
        } finally {
            session.running(null);
        }
    }

    private static Isol8Exception.Conflict gone(Session s) {
        return new Isol8Exception.Conflict("Session \"" + s.id()
                + "\" ended: its container is no longer running. Start a new session.");
    }

    /**
     * Runs a file operation in the caller's session under its lock, without an admission slot.
     *
     * @throws Isol8Exception.NotFound unknown session
     */
    public <T> T withSession(String principal, String sessionId, java.util.function.Function<Sandbox, T> op) {
        checkOpen();
        Session session = sessions.find(principal, sessionId)
                .orElseThrow(() -> new Isol8Exception.NotFound("Session not found"));
        session.lock(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(queueTimeoutMs), maxSessionQueue, queueTimeoutMs);
        try {
            if (session.sandbox() == null || session.deleted()) {
                throw new Isol8Exception.NotFound("Session not found");
            }
            if (session.ended()) {
                sessions.drop(session);
                throw gone(session);
            }
            try {
                return op.apply(session.sandbox());
            } catch (ContainerGoneException e) {
                sessions.drop(session);
                throw gone(session);
            }
        } finally {
            session.unlock();
        }
    }

    private void checkOpen() {
        if (stopping) {
            throw new Isol8Exception.Unavailable("Server is shutting down");
        }
    }

    /** Stops admitting, gives running executions {@code graceMs}, then cancels what still runs. */
    public void shutdown(long graceMs) {
        stopping = true;
        running.awaitEmpty(graceMs);
        running.cancelAll(CancelSignal.Reason.SHUTDOWN);
        sessions.cancelAll(CancelSignal.Reason.SHUTDOWN);
    }

    public boolean stopping() {
        return stopping;
    }

    public Admission admission() {
        return admission;
    }

    public Sessions sessions() {
        return sessions;
    }
}
