package io.isol8.engine;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Runs one execution request through the order of api.md §4.3: session resolution and lock, admission,
 * container, run; and releases all of it on every path. Also drives the shutdown of running work.
 */
public final class Executions {
    private static final Logger LOG = Logger.getLogger(Executions.class.getName());

    private final Engine engine;
    private final Sessions sessions;
    private final Admission admission;
    private final long queueTimeoutMs;
    private final int maxSessionQueue;
    private final Set<CancelSignal> running = ConcurrentHashMap.newKeySet();
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private volatile boolean stopping;

    public Executions(Engine engine, Sessions sessions, Admission admission, long queueTimeoutMs, int maxSessionQueue) {
        this.engine = engine;
        this.sessions = sessions;
        this.admission = admission;
        this.queueTimeoutMs = queueTimeoutMs;
        this.maxSessionQueue = maxSessionQueue;
    }

    /** What to do once a container is ready. May be called twice if a warm container turned out dead. */
    @FunctionalInterface
    public interface Body<T> {
        T run(Sandbox sandbox, CancelSignal cancel);
    }

    /**
     * Runs {@code body} with a ready container; for sessions under the session's lock.
     *
     * @param arrivalNanos when the request arrived (deadline for lock and admission)
     */
    public <T> T execute(String principal, ExecutionSpec spec, Optional<String> sessionId, long arrivalNanos,
                         Body<T> body) {
        checkOpen();
        long deadline = arrivalNanos + TimeUnit.MILLISECONDS.toNanos(queueTimeoutMs);
        if (sessionId.isEmpty()) {
            try (Admission.Permit permit = admission.acquire(deadline, queueTimeoutMs)) {
                checkOpen();
                return ephemeral(spec, body);
            }
        }
        Session session = sessions.resolve(principal, sessionId.get(), spec);
        session.lock(deadline, maxSessionQueue, queueTimeoutMs);
        try {
            try (Admission.Permit permit = admission.acquire(deadline, queueTimeoutMs)) {
                checkOpen();
                return inSession(principal, session, spec, body);
            }
        } finally {
            session.unlock();
        }
    }

    private <T> T ephemeral(ExecutionSpec spec, Body<T> body) {
        requireEngine();
        CancelSignal cancel = track(new CancelSignal());
        try (Sandbox sandbox = engine.ephemeral(spec)) {
            try {
                return body.run(sandbox, cancel);
            } catch (ContainerGoneException e) {
                LOG.info("a warm container was gone; retrying with a fresh one");
                try (Sandbox fresh = engine.ephemeral(spec)) {
                    return body.run(fresh, cancel);
                } catch (ContainerGoneException again) {
                    throw new Isol8Exception.Unavailable("The container stopped before the program could start. Retry the request.");
                }
            }
        } finally {
            untrack(cancel);
        }
    }

    /** Fails fast (503) while the engine does not answer its (cached) ping. */
    private void requireEngine() {
        if (!engine.reachable()) {
            throw Isol8Exception.Unavailable.engineUnreachable(engine.endpoint(), null, null);
        }
    }

    private <T> T inSession(String principal, Session session, ExecutionSpec spec, Body<T> body) {
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
                session.sandbox(engine.session(spec, principal, session.id()));
            } catch (RuntimeException e) {
                session.creationFailed(e);
                sessions.drop(session);
                throw e;
            }
        }
        CancelSignal cancel = track(new CancelSignal());
        session.running(cancel);
        try {
            if (session.deleted()) {
                engine.discard(session.sandbox().containerId());
                throw new Isol8Exception.Conflict("Session \"" + session.id() + "\" was deleted while this request was waiting");
            }
            T result = body.run(session.sandbox(), cancel);
            if (cancel.isCancelled() && cancel.reason() == CancelSignal.Reason.CLIENT_GONE
                    && !session.sandbox().killAll()) {
                sessions.drop(session);
            }
            return result;
        } catch (ContainerGoneException e) {
            sessions.drop(session);
            throw gone(session);
        } finally {
            session.running(null);
            untrack(cancel);
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

    private void untrack(CancelSignal signal) {
        running.remove(signal);
        idleLock.lock();
        try {
            idle.signalAll();
        } finally {
            idleLock.unlock();
        }
    }

    private CancelSignal track(CancelSignal signal) {
        running.add(signal);
        return signal;
    }

    private void checkOpen() {
        if (stopping) {
            throw new Isol8Exception.Unavailable("Server is shutting down");
        }
    }

    /** Stops admitting, gives running executions {@code graceMs}, then cancels what still runs. */
    public void shutdown(long graceMs) {
        stopping = true;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        idleLock.lock();
        try {
            long left = end - System.nanoTime();
            while (!running.isEmpty() && left > 0) {
                left = idle.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            idleLock.unlock();
        }
        running.forEach(c -> c.cancel(CancelSignal.Reason.SHUTDOWN));
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
