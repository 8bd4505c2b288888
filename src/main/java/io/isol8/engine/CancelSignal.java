package io.isol8.engine;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A one-shot signal that stops a running execution from another thread (session delete, shutdown,
 * client disconnect). The run notices it within its polling slice (50 ms).
 */
public final class CancelSignal {
    private final AtomicReference<Reason> reason = new AtomicReference<>();

    /** Why a run was cancelled. */
    public enum Reason { SESSION_DELETED, SHUTDOWN, CLIENT_GONE }

    /** Fires the signal; only the first reason counts. */
    public void cancel(Reason why) {
        reason.compareAndSet(null, why);
    }

    public boolean isCancelled() {
        return reason.get() != null;
    }

    /** The first reason given, or null. */
    public Reason reason() {
        return reason.get();
    }
}
