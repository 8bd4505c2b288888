package io.isol8.engine;

import io.isol8.core.ContainerSettings;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A persistent container bound to one principal, one runtime and the container settings of its first
 * request. Executions and file operations in it hold its fair lock, one at a time.
 */
public final class Session {
    private final String principal;
    private final String id;
    private final Language runtime;
    private final ContainerSettings settings;
    private final Map<String, String> createdWith;
    private final long createdAt;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile long lastAccessedAt;
    private volatile Sandbox sandbox;
    private volatile boolean deleted;
    private volatile boolean ended;
    private volatile boolean abandoned;
    private volatile CancelSignal running;
    private volatile RuntimeException creationFailure;

    Session(String principal, String id, Language runtime, ContainerSettings settings,
            Map<String, String> createdWith, long now) {
        this.principal = principal;
        this.id = id;
        this.runtime = runtime;
        this.settings = settings;
        this.createdWith = Map.copyOf(createdWith);
        this.createdAt = now;
        this.lastAccessedAt = now;
    }

    public String id() {
        return id;
    }

    public String principal() {
        return principal;
    }

    public Language runtime() {
        return runtime;
    }

    public ContainerSettings settings() {
        return settings;
    }

    /** Container-level options the first request set explicitly, as the client wrote them. */
    public Map<String, String> createdWith() {
        return createdWith;
    }

    public long createdAt() {
        return createdAt;
    }

    public long lastAccessedAt() {
        return lastAccessedAt;
    }

    /** A request holds the lock now. */
    public boolean isActive() {
        return lock.isLocked();
    }

    Sandbox sandbox() {
        return sandbox;
    }

    void sandbox(Sandbox s) {
        this.sandbox = s;
    }

    boolean deleted() {
        return deleted;
    }

    boolean ended() {
        return ended;
    }

    RuntimeException creationFailure() {
        return creationFailure;
    }

    void creationFailed(RuntimeException e) {
        creationFailure = e;
    }

    void markEnded() {
        ended = true;
    }

    /** Whether the session was forgotten before it had a container; a request holding it resolves again. */
    boolean abandoned() {
        return abandoned;
    }

    void markAbandoned() {
        abandoned = true;
    }

    /** Requests waiting for the lock. */
    int waiting() {
        return waiting.get();
    }

    void running(CancelSignal signal) {
        running = signal;
    }

    /** Marks the session deleted and stops its running execution, if any. */
    void delete() {
        deleted = true;
        CancelSignal r = running;
        if (r != null) {
            r.cancel(CancelSignal.Reason.SESSION_DELETED);
        }
    }

    /** Stops the running execution (shutdown). */
    void cancel(CancelSignal.Reason why) {
        CancelSignal r = running;
        if (r != null) {
            r.cancel(why);
        }
    }

    /**
     * Takes the lock, waiting until {@code deadlineNanos}.
     *
     * @throws Isol8Exception.Conflict busy beyond the queue, busy until the deadline, or deleted meanwhile
     */
    void lock(long deadlineNanos, int maxQueue, long queueTimeoutMs) {
        if (!lock.hasQueuedThreads() && lock.tryLock()) {
            if (deleted) {
                lock.unlock();
                throw new Isol8Exception.Conflict("Session \"" + id + "\" was deleted while this request was waiting");
            }
            touch();
            return;
        }
        if (waiting.incrementAndGet() > maxQueue) {
            waiting.decrementAndGet();
            throw new Isol8Exception.Conflict("Session \"" + id + "\" is busy (" + maxQueue + " requests waiting)");
        }
        try {
            if (!lock.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new Isol8Exception.Conflict("Session \"" + id + "\" stayed busy for " + queueTimeoutMs + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Isol8Exception.Conflict("Session \"" + id + "\" stayed busy for " + queueTimeoutMs + " ms");
        } finally {
            waiting.decrementAndGet();
        }
        if (deleted) {
            lock.unlock();
            throw new Isol8Exception.Conflict("Session \"" + id + "\" was deleted while this request was waiting");
        }
        touch();
    }

    /** Takes the lock only if it is free and nobody waits (pruner). */
    boolean tryLockIdle() {
        if (waiting.get() == 0 && lock.tryLock()) {
            return true;
        }
        return false;
    }

    void unlock() {
        touch();
        lock.unlock();
    }

    private void touch() {
        lastAccessedAt = System.currentTimeMillis();
    }
}
