package io.isol8.engine;

import io.isol8.core.Isol8Exception;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server-wide cap on running executions (api.md §12): a fair semaphore, a bounded number of
 * waiters and a deadline per waiter. Whoever acquires a {@link Permit} must close it.
 */
public final class Admission {
    private final Semaphore permits;
    private final int maxConcurrent;
    private final int maxQueued;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Telemetry telemetry;

    public Admission(int maxConcurrent, int maxQueued, Telemetry telemetry) {
        this.telemetry = telemetry;
        this.permits = new Semaphore(maxConcurrent, true);
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
    }

    /** An admission; closing it twice releases once. */
    public final class Permit implements AutoCloseable {
        private boolean released;

        @Override
        public void close() {
            if (!released) {
                released = true;
                permits.release();
            }
        }
    }

    /**
     * Waits for a permit until {@code deadlineNanos} (System.nanoTime).
     *
     * @param queueTimeoutMs only for the message
     * @throws Isol8Exception.Busy the queue is full or the deadline passed
     */
    public Permit acquire(long deadlineNanos, long queueTimeoutMs) {
        if (!permits.hasQueuedThreads() && permits.tryAcquire()) {
            telemetry.admissionWait(0);
            return new Permit();
        }
        long start = System.nanoTime();
        int ahead = waiting.incrementAndGet();
        try {
            if (ahead > maxQueued) {
                telemetry.admissionRejected("queue_full");
                throw new Isol8Exception.Busy("Server busy: " + maxQueued + " requests already waiting (maxQueued)");
            }
            boolean admitted = permits.tryAcquire(Math.max(0, deadlineNanos - start), TimeUnit.NANOSECONDS);
            telemetry.admissionWait((System.nanoTime() - start) / 1e9);
            if (admitted) {
                return new Permit();
            }
            telemetry.admissionRejected("queue_timeout");
            throw new Isol8Exception.Busy("Server busy: no execution slot within " + queueTimeoutMs
                    + " ms (queueTimeoutMs)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Isol8Exception.Busy("Server busy: interrupted while waiting");
        } finally {
            waiting.decrementAndGet();
        }
    }

    public int inUse() {
        return maxConcurrent - permits.availablePermits();
    }

    public int waiting() {
        return waiting.get();
    }
}
