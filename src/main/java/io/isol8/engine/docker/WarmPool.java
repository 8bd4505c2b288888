package io.isol8.engine.docker;

import io.isol8.core.ContainerSettings;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Started containers with the default settings, each handed to exactly one ephemeral request
 * (sandbox.md §12). Two background workers refill it, so at most two creations are in flight. Keyed by what the
 * containers run: a runtime, or a package image ({@code pool.images}).
 *
 * @param <K> the key of a kind of container
 */
final class WarmPool<K> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WarmPool.class.getName());
    private static final int WORKERS = 2;
    /**
     * How long a refill waits after a hand-out: creating a container costs Docker hundreds of ms of CPU, which on a
     * small machine would slow the very request that took the container. {@link #refill()} (the request ended)
     * starts it earlier.
     */
    static final long REFILL_DELAY_MS = 250;
    private static final long RECHECK_SECONDS = 60;

    private final Map<K, ConcurrentLinkedDeque<String>> idle = new HashMap<>();
    private final Map<K, AtomicInteger> creating = new HashMap<>();
    private final Map<K, Integer> sizes;
    private final Function<K, String> create;
    private final java.util.function.Consumer<String> remove;
    private final LinkedBlockingQueue<K> kicks = new LinkedBlockingQueue<>();
    private final Thread[] workers = new Thread[WORKERS];
    private volatile boolean closed;

    /**
     * @param sizes  idle containers to keep per key
     * @param create creates and starts a warm container for a key, returning its id (throws on failure)
     * @param remove removes a container in the background
     */
    WarmPool(Map<K, Integer> sizes, Function<K, String> create, java.util.function.Consumer<String> remove) {
        this.sizes = Map.copyOf(sizes);
        this.create = create;
        this.remove = remove;
        for (K key : this.sizes.keySet()) {
            idle.put(key, new ConcurrentLinkedDeque<>());
            creating.put(key, new AtomicInteger());
        }
    }

    /** Starts the refill workers (none when there is nothing to keep). */
    void start() {
        if (sizes.values().stream().allMatch(size -> size == 0)) {
            return;
        }
        for (int i = 0; i < WORKERS; i++) {
            workers[i] = Thread.ofVirtual().name("isol8-pool-" + i).start(this::work);
        }
        kickAll();
    }

    /**
     * A warm container for {@code runtime}, if one is idle. The refill starts when the request ends
     * ({@link #refill()}) or {@link #REFILL_DELAY_MS} later, whichever comes first; at once when the pool is empty.
     */
    Optional<String> take(K runtime) {
        ConcurrentLinkedDeque<String> queue = idle.get(runtime);
        if (queue == null) {
            return Optional.empty();
        }
        String id = queue.pollFirst();
        if (id == null || queue.isEmpty()) {
            kicks.offer(runtime);
        } else {
            Thread.ofVirtual().name("isol8-pool-refill").start(() -> {
                try {
                    Thread.sleep(REFILL_DELAY_MS);
                } catch (InterruptedException e) {
                    return;
                }
                kicks.offer(runtime);
            });
        }
        return Optional.ofNullable(id);
    }

    /** A request that took a container ended: refill now (full runtimes are skipped). */
    void refill() {
        if (!closed) {
            kickAll();
        }
    }

    /**
     * Drops every idle container (they are removed) and refills: called when a handed-out container was
     * found dead, which usually means the engine restarted and stopped them all.
     */
    void discardIdle() {
        idle.values().forEach(q -> {
            for (String id = q.pollFirst(); id != null; id = q.pollFirst()) {
                remove.accept(id);
            }
        });
        kickAll();
    }

    Map<K, Integer> idleCounts() {
        Map<K, Integer> counts = new HashMap<>();
        idle.forEach((r, q) -> counts.put(r, q.size()));
        return counts;
    }

    private void kickAll() {
        kicks.addAll(sizes.keySet());
    }

    private void work() {
        while (!closed) {
            K r;
            try {
                r = kicks.poll(RECHECK_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            if (r == null) {
                kickAll();
                continue;
            }
            AtomicInteger inFlight = creating.get(r);
            if (idle.get(r).size() + inFlight.incrementAndGet() > sizes.getOrDefault(r, 0)) {
                inFlight.decrementAndGet();
                continue;
            }
            String id = null;
            try {
                id = create.apply(r);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "warm container for " + r + " not created; retrying later", e);
            } finally {
                if (id != null) {
                    idle.get(r).addLast(id);
                }
                inFlight.decrementAndGet();
            }
            if (id != null) {
                // only now: a worker that took this kick while the creation still counted as in flight
                // would have found the pool full and dropped it
                kicks.offer(r);
            }
        }
    }

    /**
     * Stops refilling and waits (at most 10 s) for creations in flight, so that none finishes after the
     * instance's containers were removed. Idle containers are removed with the rest of them.
     */
    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < WORKERS && !sizes.isEmpty(); i++) {
            kicks.offer(sizes.keySet().iterator().next()); // wakes a worker, which sees closed
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : workers) {
            if (t == null) {
                continue;
            }
            try {
                t.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static boolean eligible(ContainerSettings requested, ContainerSettings defaults) {
        return requested.equals(defaults);
    }
}
