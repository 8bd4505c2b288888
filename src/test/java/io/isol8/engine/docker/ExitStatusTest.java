package io.isol8.engine.docker;

import org.junit.jupiter.api.Test;

import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExitStatusTest {
    @Test
    void aStatusThatNeverSettlesIsEmptyNotExitCodeOne() throws InterruptedException {
        AtomicInteger asked = new AtomicInteger();
        OptionalInt status = ExitStatus.await(() -> {
            asked.incrementAndGet();
            return OptionalInt.empty();
        }, TimeUnit.MILLISECONDS.toNanos(200));
        assertEquals(OptionalInt.empty(), status);
        assertEquals(true, asked.get() > 1, "asked " + asked.get() + " times");
    }

    @Test
    void aStatusThatSettlesLateIsWaitedFor() throws InterruptedException {
        AtomicInteger asked = new AtomicInteger();
        OptionalInt status = ExitStatus.await(() -> asked.incrementAndGet() < 25 ? OptionalInt.empty() : OptionalInt.of(3),
                TimeUnit.SECONDS.toNanos(5));
        assertEquals(OptionalInt.of(3), status);
    }
}
