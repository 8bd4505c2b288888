package io.isol8.engine.docker;

import io.isol8.core.Runtime;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's bookkeeping, with a creator that needs no engine. */
class WarmPoolTest {

    @Test
    void fillsToItsSizeEveryTime() throws Exception {
        // the refill kick used to be offered while the finished creation still counted as in flight,
        // so the other worker could drop it and leave the pool one short for a minute
        for (int round = 0; round < 200; round++) {
            AtomicInteger created = new AtomicInteger();
            try (WarmPool pool = new WarmPool(Map.of(Runtime.PYTHON, 2), r -> "c" + created.incrementAndGet(), id -> { })) {
                pool.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (pool.idleCounts().get(Runtime.PYTHON) < 2) {
                    assertTrue(System.nanoTime() < deadline, "round " + round + ": pool stuck at "
                            + pool.idleCounts().get(Runtime.PYTHON));
                    Thread.onSpinWait();
                }
                Thread.sleep(1);
                assertEquals(2, pool.idleCounts().get(Runtime.PYTHON));
                assertEquals(2, created.get());
            }
        }
    }

    @Test
    void eachHandOutIsRefilledOnce() throws Exception {
        AtomicInteger created = new AtomicInteger();
        try (WarmPool pool = new WarmPool(Map.of(Runtime.BASH, 1), r -> "c" + created.incrementAndGet(), id -> { })) {
            pool.start();
            for (int i = 1; i <= 20; i++) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (pool.idleCounts().get(Runtime.BASH) < 1) {
                    assertTrue(System.nanoTime() < deadline, "not refilled after hand-out " + i);
                    Thread.onSpinWait();
                }
                assertEquals("c" + i, pool.take(Runtime.BASH).orElseThrow());
            }
            assertTrue(pool.take(Runtime.PYTHON).isEmpty(), "size 0 runtimes are never filled");
        }
    }
}
