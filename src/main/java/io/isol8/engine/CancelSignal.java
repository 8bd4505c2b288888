package io.isol8.engine;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A one-shot signal that stops a running execution from another thread (session delete, shutdown,
 * client disconnect). The reason is the message reported to the client.
 */
public final class CancelSignal {
    private final CountDownLatch fired = new CountDownLatch(1);
    private final AtomicReference<Reason> reason = new AtomicReference<>();
    private volatile Runnable onCancel = () -> { };

    /** Why a run was cancelled. */
    public enum Reason { SESSION_DELETED, SHUTDOWN, CLIENT_GONE }

    /** Fires the signal; only the first reason counts. */
    public void cancel(Reason why) {
        if (reason.compareAndSet(null, why)) {
            fired.countDown();
            onCancel.run();
        }
    }

    public boolean isCancelled() {
        return reason.get() != null;
    }

    public Reason reason() {
        return reason.get();
    }

    /** Runs {@code action} when the signal fires (at once if it already has). */
    public void onCancel(Runnable action) {
        onCancel = action;
        if (isCancelled()) {
            action.run();
        }
    }

    /** Waits up to {@code millis} for the signal. */
    public boolean await(long millis) throws InterruptedException {
        return fired.await(millis, TimeUnit.MILLISECONDS);
    }
}
