package io.isol8.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one bounded wait of the tests: polls a condition (first after 1 ms, then backing off to every
 * 100 ms) until it holds, and fails the test with a message naming what was awaited when the timeout
 * passes. A probe that throws counts as "not yet"; the last exception becomes the failure's cause.
 */
public final class Await {
    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** A condition that may throw while what it watches is not there yet (a port not listening, an engine down). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    private Await() {
    }

    /** Returns once {@code condition} holds; fails with "{@code what}: not within <timeout>" otherwise. */
    public static void until(Duration timeout, String what, Condition condition) {
        value(timeout, what, condition::holds, Boolean::booleanValue);
    }

    /**
     * Returns the first value of {@code probe} that {@code accepted} takes; fails with a message naming
     * {@code what} and the last value seen when none was accepted within {@code timeout}.
     */
    public static <T> T value(Duration timeout, String what, Callable<T> probe, Predicate<? super T> accepted) {
        long end = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        T last = null;
        Exception lastError = null;
        while (true) {
            try {
                last = probe.call();
                lastError = null;
                if (accepted.test(last)) {
                    return last;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(what + ": interrupted while waiting", e);
            } catch (Exception e) {
                lastError = e;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                String message = what + ": not within " + timeout.toMillis() + " ms; last "
                        + (lastError != null ? "error: " + lastError : "value: " + last);
                return lastError != null ? fail(message, lastError) : fail(message);
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(what + ": interrupted while waiting", e);
            }
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
    }
}
