package io.isol8.engine.docker;

import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Waiting for an exec's exit status. Docker may still report an exec as running for a moment after its
 * output stream ended, so the status is asked again with growing pauses, within a bound.
 */
final class ExitStatus {
    private static final long MAX_PAUSE_MS = 50;

    private ExitStatus() {
    }

    /**
     * Asks {@code inspect} (empty while the exec still runs) until it answers or {@code boundNanos} passed.
     *
     * @return the exit status, or empty when it never settled (never a made-up status)
     */
    static OptionalInt await(Supplier<OptionalInt> inspect, long boundNanos) throws InterruptedException {
        long deadline = System.nanoTime() + boundNanos;
        for (long pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS)) {
            OptionalInt status = inspect.get();
            if (status.isPresent()) {
                return status;
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMs) > deadline) {
                return OptionalInt.empty();
            }
            Thread.sleep(pauseMs);
        }
    }
}
