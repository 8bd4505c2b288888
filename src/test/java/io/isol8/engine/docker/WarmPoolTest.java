package io.isol8.engine.docker;

import io.isol8.core.Language;
import io.isol8.testing.Await;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
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
            WarmPool<Language> pool = new WarmPool<>(Map.of(Language.PYTHON, 2), r -> "c" + created.incrementAndGet(), id -> { });
            try (pool) {
                pool.start();
                Await.until(Duration.ofSeconds(5), "round " + round + ": pool filled to 2",
                        () -> pool.idleCounts().get(Language.PYTHON) == 2);
            }
            // close() joins the workers, so a surplus creation that had started is counted by now
            assertEquals(2, created.get(), "round " + round);
        }
    }

    @Test
    void eachHandOutIsRefilledOnce() throws Exception {
        AtomicInteger created = new AtomicInteger();
        try (WarmPool<Language> pool = new WarmPool<>(Map.of(Language.BASH, 1), r -> "c" + created.incrementAndGet(), id -> { })) {
            pool.start();
            for (int i = 1; i <= 20; i++) {
                Await.until(Duration.ofSeconds(5), "refilled after hand-out " + (i - 1), () -> pool.idleCounts().get(Language.BASH) == 1);
                assertEquals("c" + i, pool.take(Language.BASH).orElseThrow());
            }
            assertTrue(pool.take(Language.PYTHON).isEmpty(), "size 0 runtimes are never filled");
        }
    }

    @Test
    void aHandOutThatLeavesContainersIdleRefillsAfterTheRequestOrTheDelay() throws Exception {
        AtomicInteger created = new AtomicInteger();
        try (WarmPool<Language> pool = new WarmPool<>(Map.of(Language.BASH, 2), r -> "c" + created.incrementAndGet(), id -> { })) {
            pool.start();
            Await.until(Duration.ofSeconds(5), "filled", () -> pool.idleCounts().get(Language.BASH) == 2);
            Thread.sleep(100); // the kick each creation offers after it is taken by a worker (the pool being full)
            long start = System.nanoTime();
            pool.take(Language.BASH).orElseThrow();
            Await.until(Duration.ofSeconds(5), "refilled after the delay", () -> created.get() == 3);
            assertTrue(System.nanoTime() - start >= WarmPool.REFILL_DELAY_MS * 1_000_000 - 1_000_000,
                    "refilled before the delay");

            pool.take(Language.BASH).orElseThrow();
            pool.refill();
            Await.until(Duration.ofMillis(WarmPool.REFILL_DELAY_MS - 50), "refilled when the request ended",
                    () -> created.get() == 4);

            pool.take(Language.BASH).orElseThrow();
            pool.take(Language.BASH).orElseThrow();
            Await.until(Duration.ofMillis(WarmPool.REFILL_DELAY_MS - 50), "an empty pool refills at once",
                    () -> created.get() >= 5);
        }
    }
}
